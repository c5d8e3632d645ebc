import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { exportLayersModel } from '../../src/model/export';
import { StreamDropout } from '../../src/model/stream-dropout';

function tinyModel(): tf.LayersModel {
  const input = tf.input({ shape: [4] });
  const hidden = tf.layers.dense({ units: 64, activation: 'relu', kernelInitializer: tf.initializers.ones() }).apply(input) as tf.SymbolicTensor;
  const dropped = new StreamDropout({ rate: 0.5, name: 'drop', seed: 7 }).apply(hidden) as tf.SymbolicTensor;
  const out = tf.layers.dense({ units: 2, activation: 'softmax', kernelInitializer: tf.initializers.ones() }).apply(dropped) as tf.SymbolicTensor;
  return tf.model({ inputs: input, outputs: out });
}

const maskOf = (layer: StreamDropout, input: tf.Tensor): number[] =>
  tf.tidy(() => Array.from((layer.apply(input, { training: true }) as tf.Tensor).dataSync(), (v) => (v === 0 ? 0 : 1)));

beforeAll(async () => {
  await tf.setBackend('cpu');
});

describe('StreamDropout', () => {
  it('draws a new mask on every training call and replays it from a saved stream state', () => {
    const layer = new StreamDropout({ rate: 0.5, seed: 11 });
    const ones = tf.ones([1, 256]);
    const saved = layer.stream.state;
    const first = maskOf(layer, ones);
    const second = maskOf(layer, ones);
    expect(first).not.toEqual(second);
    expect(first.filter((v) => v === 0).length).toBeGreaterThan(90);
    expect(first.filter((v) => v === 0).length).toBeLessThan(166);
    layer.stream.state = saved;
    expect(maskOf(layer, ones)).toEqual(first);
    expect(maskOf(layer, ones)).toEqual(second);
    ones.dispose();
  });

  it('is the identity at inference', () => {
    const layer = new StreamDropout({ rate: 0.5 });
    const input = tf.tensor2d([[1, 2, 3]]);
    const out = layer.apply(input) as tf.Tensor;
    expect(Array.from(out.dataSync())).toEqual([1, 2, 3]);
    input.dispose();
  });
});

describe('exportLayersModel', () => {
  it('writes a model.json that plain TF.js loads, with a stock Dropout, the weights and the metadata', async () => {
    const model = tinyModel();
    const exported = await exportLayersModel(model, { classes: ['a', 'b'], inputSize: 4 });
    const json = JSON.parse(exported.modelJson) as tf.io.ModelJSON;
    const layers = (json.modelTopology as { config: { layers: { class_name: string }[] } }).config.layers;
    expect(layers.map((l) => l.class_name)).toEqual(['InputLayer', 'Dense', 'Dropout', 'Dense']);
    expect(json.weightsManifest[0]!.paths).toEqual(['weights.bin']);
    expect(json.userDefinedMetadata).toEqual({ classes: ['a', 'b'], inputSize: 4 });
    expect(exported.weights.byteLength).toBe((4 * 64 + 64 + 64 * 2 + 2) * 4);

    const loaded = await tf.loadLayersModel(
      tf.io.fromMemory({ modelTopology: json.modelTopology, weightSpecs: json.weightsManifest[0]!.weights, weightData: exported.weights }),
    );
    const x = tf.tensor2d([[0.1, 0.2, 0.3, 0.4]]);
    const expected = (model.predict(x) as tf.Tensor).dataSync();
    expect(Array.from((loaded.predict(x) as tf.Tensor).dataSync())).toEqual(Array.from(expected));
    expect(loaded.getLayer('drop').getClassName()).toBe('Dropout');
  });
});
