import * as tf from '@tensorflow/tfjs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { writeExports } from '../../cli/export-files';
import { exportSource } from '../../src/export/format';
import { exporterOf, parseExportFormats } from '../../src/export/formats';
import { exportLayersModel } from '../../src/model/export';
import type { ExportedModel } from '../../src/protocol';

/** A TF.js export whose model.json holds `metadata` (labels.txt reads nothing else). */
function exportWith(metadata: Record<string, unknown>): ExportedModel {
  return { modelJson: JSON.stringify({ modelTopology: {}, weightsManifest: [], userDefinedMetadata: metadata }), weightsFileName: 'weights.bin', weights: new ArrayBuffer(0) };
}

const labels = exporterOf('labels');

describe('the labels export', () => {
  it("writes labels.txt: the class names, one a line, in the model's class order", async () => {
    const files = await labels.make(exportSource(exportWith({ classes: ['tulip', 'daisy', 'rosé'], inputSize: 32 })));
    expect(files.map((f) => f.name)).toEqual(['labels.txt']);
    expect(new TextDecoder().decode(files[0]!.bytes)).toBe('tulip\ndaisy\nrosé\n');
  });

  it('refuses a model without class names, or a name that would take two lines', async () => {
    await expect(labels.make(exportSource(exportWith({ inputSize: 32 })))).rejects.toThrow("the model's metadata has no list of class names");
    await expect(labels.make(exportSource(exportWith({ classes: ['a', 'b\nc'] })))).rejects.toThrow('the class name "b\\nc" has a line break');
  });

  it('is one of the --export choices, made in the worker and in Node', () => {
    expect(parseExportFormats('labels')).toEqual(['tfjs', 'labels']);
    expect(labels.places).toEqual(['worker', 'node']);
  });

  it('is written into the output folder by --export tfjs,labels, beside the TF.js files', async () => {
    await tf.setBackend('cpu');
    const model = tf.sequential({ layers: [tf.layers.dense({ inputShape: [3], units: 2, activation: 'softmax' })] });
    const saved = await exportLayersModel(model, { classes: ['rose', 'daisy'] });
    model.dispose();
    const folder = await mkdtemp(join(tmpdir(), 'labels-export-'));
    try {
      await writeFile(join(folder, 'model.json'), saved.modelJson);
      await writeFile(join(folder, 'weights.bin'), new Uint8Array(saved.weights));
      expect(await writeExports(folder, parseExportFormats('tfjs,labels'))).toEqual([{ format: 'labels', file: 'labels.txt', bytes: 11 }]);
      expect(await readFile(join(folder, 'labels.txt'), 'utf8')).toBe('rose\ndaisy\n');
    } finally {
      await rm(folder, { recursive: true, force: true });
    }
  });
});
