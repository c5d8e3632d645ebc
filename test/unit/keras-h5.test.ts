import * as tf from '@tensorflow/tfjs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { applyKerasWeights, readKerasWeights, type H5Node } from '../../src/model/keras-h5';
import { buildVgg16 } from '../../src/model/backbones/vgg16-layers';
import { writeKerasVgg16, type FixtureOptions } from '../fixtures/keras-h5';

let dir: string;
let h5wasm: typeof import('h5wasm/node');

beforeAll(async () => {
  await tf.setBackend('cpu');
  dir = await mkdtemp(join(tmpdir(), 'keras-h5-'));
  h5wasm = await import('h5wasm/node');
  await h5wasm.ready;
});
afterAll(async () => {
  opened.forEach((f) => f.close());
  opened.length = 0;
  await rm(dir, { recursive: true, force: true });
});

const opened: { close(): void }[] = [];

/** Writes a fixture and opens it; the file stays open, since weights are read when applied. */
async function fixture(name: string, options: FixtureOptions) {
  const path = join(dir, name);
  const written = await writeKerasVgg16(path, options);
  const file = new h5wasm.File(path, 'r');
  opened.push(file);
  return { written, weights: readKerasWeights(file as unknown as H5Node, name) };
}

/** Every weight of every layer of `model` equals the fixture's values, bit for bit. */
function expectLoaded(model: tf.LayersModel, written: Map<string, Float32Array[]>): void {
  let checked = 0;
  for (const layer of model.layers) {
    layer.getWeights().forEach((w, i) => {
      expect(Buffer.from((w.dataSync() as Float32Array).buffer).equals(Buffer.from(written.get(layer.name)![i]!.buffer))).toBe(true);
      checked++;
    });
  }
  expect(checked).toBe(model.layers.filter((l) => l.weights.length).length * 2);
}

describe('Keras HDF5 weights', () => {
  it.each<[string, FixtureOptions]>([
    ['the official flat layout (block1_conv1_W_1:0)', { layout: 'flat' }],
    ['the nested layout (block1_conv1/kernel:0)', { layout: 'nested' }],
    ['a full-model file (model_weights)', { layout: 'nested', fullModel: true }],
  ])('loads %s onto VGG16 without top, every kernel and bias equal', async (_, options) => {
    const { written, weights } = await fixture(`${options.layout}-${options.fullModel ?? false}.h5`, options);
    const model = buildVgg16({ inputSize: 32, init: 'zeros' });
    expect(applyKerasWeights(model, weights, 'fixture')).toBe(13);
    expectLoaded(model, written);
    model.dispose();
  });

  it('loads a file with top onto VGG16 with top, and its base alone onto VGG16 without', async () => {
    const { written, weights } = await fixture('top.h5', { layout: 'flat', includeTop: true });
    const withTop = buildVgg16({ inputSize: 32, includeTop: true, init: 'zeros' });
    expect(applyKerasWeights(withTop, weights, 'top.h5')).toBe(16);
    expectLoaded(withTop, written);
    withTop.dispose();
    const base = buildVgg16({ inputSize: 32, init: 'zeros' });
    expect(applyKerasWeights(base, weights, 'top.h5')).toBe(13); // fc1, fc2, predictions ignored
    expectLoaded(base, written);
    base.dispose();
  });

  it('names the layer, the expected and the found shape on a mismatch, and changes nothing', async () => {
    const { weights } = await fixture('bad-shape.h5', { layout: 'flat', corrupt: { layer: 'block3_conv2', shape: [3, 3, 256, 128] } });
    const model = buildVgg16({ inputSize: 32, init: 'zeros' });
    expect(() => applyKerasWeights(model, weights, 'bad-shape.h5')).toThrow(
      'layer block3_conv2: kernel expects shape [3, 3, 256, 256], bad-shape.h5 has [3, 3, 256, 128] (block3_conv2_W_1:0)',
    );
    expect(model.getLayer('block1_conv1').getWeights()[0]!.dataSync().every((v) => v === 0)).toBe(true);
    model.dispose();
  });

  it('names a missing layer', async () => {
    const { weights } = await fixture('missing.h5', { layout: 'nested', omit: 'block5_conv3' });
    const model = buildVgg16({ inputSize: 32, init: 'zeros' });
    expect(() => applyKerasWeights(model, weights, 'missing.h5')).toThrow(/missing.h5 has no weights for layer block5_conv3 \(it has: block1_conv1, .*block5_conv2\)/);
    model.dispose();
  });

  it('refuses an HDF5 file that is not Keras weights', async () => {
    const path = join(dir, 'other.h5');
    const other = new h5wasm.File(path, 'w');
    other.create_dataset({ name: 'x', data: new Float32Array(4), shape: [4], dtype: '<f' });
    other.close();
    const file = new h5wasm.File(path, 'r');
    expect(() => readKerasWeights(file as unknown as H5Node, 'other.h5')).toThrow(/other.h5 is an HDF5 file but not Keras weights/);
    file.close();
  });
});
