import * as tf from '@tensorflow/tfjs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readSavedModel } from '../../src/export/artifacts';
import { writeKerasFile, type H5File } from '../../src/export/keras-h5';
import { exportLayersModel } from '../../src/model/export';
import { attachHead } from '../../src/model/head';
import { applyKerasWeights, readKerasWeights, type H5Node } from '../../src/model/keras-h5';
import { buildVgg16 } from '../../src/model/backbones/vgg16-layers';
import { writeKerasVgg16 } from '../fixtures/keras-h5';
import { listWithH5py } from '../fixtures/h5py';
import { mobileNetLike, randomize } from '../fixtures/random-models';

let dir: string;
let h5wasm: typeof import('h5wasm/node');

beforeAll(async () => {
  await tf.setBackend('cpu');
  dir = await mkdtemp(join(tmpdir(), 'keras-export-'));
  h5wasm = await import('h5wasm/node');
  await h5wasm.ready;
});
afterAll(() => rm(dir, { recursive: true, force: true }));

async function writeExport(model: tf.LayersModel, name: string): Promise<string> {
  const saved = await exportLayersModel(model, { preprocessing: 'unit' });
  const path = join(dir, name);
  writeKerasFile((p) => new h5wasm.File(p, 'w') as unknown as H5File, path, readSavedModel(saved.modelJson, saved.weights));
  return path;
}

/** Loads the file onto `target` with our importer and says whether every weight equals `source`'s, bit for bit. */
function loadsBack(path: string, source: tf.LayersModel, target: tf.LayersModel): boolean {
  const file = new h5wasm.File(path, 'r');
  try {
    applyKerasWeights(target, readKerasWeights(file as unknown as H5Node, path), path);
  } finally {
    file.close();
  }
  return source.weights.every((w, i) => {
    const [a, b] = [w.read().dataSync(), target.weights[i]!.read().dataSync()];
    return a.length === b.length && a.every((v, k) => Object.is(v, b[k]));
  });
}

const headOptions = { kind: 'flatten' as const, classes: 3, units: 16, dropout: 0.5, seed: 1 };

describe('the Keras export', () => {
  it("writes VGG16 + the head in save_weights' layout, as h5py reads it, and our importer loads it back bit for bit", async () => {
    const model = attachHead(buildVgg16({ inputSize: 32 }), headOptions);
    randomize(model, 5, 'unit');
    const listing = listWithH5py(await writeExport(model, 'vgg16-head.h5'));
    const reference = listWithH5py(await referenceFile());
    expect(listing.layer_names).toEqual([...reference.layer_names, 'flatten', 'head_fc', 'head_dropout', 'head_predictions']);
    for (const layer of reference.layer_names) expect(listing.layers[layer], layer).toEqual(reference.layers[layer]);
    expect(listing.layers['head_fc']).toEqual([['head_fc/kernel:0', [512, 16]], ['head_fc/bias:0', [16]]]);
    expect(listing.layers['head_predictions']).toEqual([['head_predictions/kernel:0', [16, 3]], ['head_predictions/bias:0', [3]]]);
    expect(listing.layers['head_dropout']).toEqual([]);
    expect([listing.backend, listing.keras_version]).toEqual(['tensorflow', '2.13.1']);

    const fresh = attachHead(buildVgg16({ inputSize: 32 }), headOptions);
    expect(loadsBack(join(dir, 'vgg16-head.h5'), model, fresh)).toBe(true);
    model.dispose();
    fresh.dispose();
  });

  it("keeps Keras' order of BatchNormalization's weights and names a depthwise kernel as Keras does", async () => {
    const model = attachHead(mobileNetLike(), { ...headOptions, kind: 'gap' });
    randomize(model, 6, 'tf');
    const listing = listWithH5py(await writeExport(model, 'mobilenet-like.h5'));
    expect(listing.layers['conv1_bn']).toEqual([
      ['conv1_bn/gamma:0', [8]],
      ['conv1_bn/beta:0', [8]],
      ['conv1_bn/moving_mean:0', [8]],
      ['conv1_bn/moving_variance:0', [8]],
    ]);
    expect(listing.layers['dw']).toEqual([['dw/depthwise_kernel:0', [3, 3, 8, 2]]]);
    const fresh = attachHead(mobileNetLike(), { ...headOptions, kind: 'gap' });
    expect(loadsBack(join(dir, 'mobilenet-like.h5'), model, fresh)).toBe(true);
    model.dispose();
    fresh.dispose();
  });
});

/** Keras' documented layout for VGG16 at 32 px, written by the test fixture (the importer's tests use it too). */
async function referenceFile(): Promise<string> {
  const path = join(dir, 'reference.h5');
  await writeKerasVgg16(path, { layout: 'nested', inputSize: 32 });
  return path;
}
