import * as tf from '@tensorflow/tfjs';
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { partialPath, writeAside } from '../../cli/atomic-write';
import { writeExports } from '../../cli/export-files';
import { parseExportFormats } from '../../src/export/formats';
import { exportLayersModel } from '../../src/model/export';

let dir: string;
beforeAll(async () => {
  await tf.setBackend('cpu');
  dir = await mkdtemp(join(tmpdir(), 'export-files-'));
});
afterAll(() => rm(dir, { recursive: true, force: true }));

/** An output folder holding the TF.js files of a model with a layer ONNX cannot take, after a Keras-ready start. */
async function folderWithUpsampling(): Promise<string> {
  const input = tf.input({ shape: [8, 8, 3] });
  const up = tf.layers.upSampling2d({ name: 'upsample' }).apply(input) as tf.SymbolicTensor;
  const out = tf.layers.dense({ units: 2, activation: 'softmax', name: 'predictions' }).apply(tf.layers.flatten().apply(up)) as tf.SymbolicTensor;
  const model = tf.model({ inputs: input, outputs: out });
  const saved = await exportLayersModel(model, { preprocessing: 'unit' });
  model.dispose();
  const folder = await mkdtemp(join(dir, 'out-'));
  await writeFile(join(folder, 'model.json'), saved.modelJson);
  await writeFile(join(folder, 'weights.bin'), new Uint8Array(saved.weights));
  return folder;
}

describe('writing the other formats into the output folder', () => {
  it('names the layer ONNX cannot take and leaves no ONNX file, half-written or whole, while the Keras file is still written', async () => {
    const folder = await folderWithUpsampling();
    const written = await writeExports(folder, ['tfjs', 'onnx', 'keras-h5']);
    expect(written.map((w) => [w.format, w.file, 'bytes' in w])).toEqual([['onnx', 'model.onnx', false], ['keras-h5', 'weights.h5', true]]);
    expect('error' in written[0]! && written[0].error).toMatch(/^layer upsample is a UpSampling2D, which the ONNX export does not support/);
    expect((await readdir(folder)).sort()).toEqual(['model.json', 'weights.bin', 'weights.h5']);
  });

  it("removes an earlier run's exports, asked for this time or not, so none sits beside another model", async () => {
    const folder = await folderWithUpsampling();
    await writeFile(join(folder, 'model.onnx'), 'an earlier model');
    await writeFile(join(folder, 'weights.h5'), 'an earlier model');
    expect(await writeExports(folder, ['tfjs'])).toEqual([]);
    expect((await readdir(folder)).sort()).toEqual(['model.json', 'weights.bin']);
  });

  it('removes the partial file of a write that fails halfway, and leaves the earlier file whole', async () => {
    const path = join(dir, 'model.onnx');
    await writeFile(path, 'the earlier one');
    const failing = writeAside(path, async (partial) => {
      await writeFile(partial, 'half');
      throw new Error('disk full');
    });
    await expect(failing).rejects.toThrow('disk full');
    expect(existsSync(partialPath(path))).toBe(false);
    expect(await readFile(path, 'utf8')).toBe('the earlier one');
  });

  it('takes a list of known formats, always with tfjs, and names the option on anything else', () => {
    expect(parseExportFormats('onnx')).toEqual(['tfjs', 'onnx']);
    expect(parseExportFormats('keras-h5, onnx,tfjs')).toEqual(['tfjs', 'onnx', 'keras-h5']);
    expect(() => parseExportFormats('onnx,savedmodel')).toThrow("--export takes a comma-separated list of tfjs, onnx, keras-h5, labels; got 'onnx,savedmodel'");
    expect(() => parseExportFormats('')).toThrow(/^--export takes/);
  });
});
