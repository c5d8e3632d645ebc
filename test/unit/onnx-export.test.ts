import * as tf from '@tensorflow/tfjs';
import { InferenceSession, Tensor } from 'onnxruntime-node';
import { beforeAll, describe, expect, it } from 'vitest';
import { preprocess } from '../../src/data/preprocess';
import { readSavedModel } from '../../src/export/artifacts';
import { toOnnx, ONNX_INPUT, ONNX_OUTPUT } from '../../src/export/onnx';
import { exportLayersModel } from '../../src/model/export';
import { attachHead } from '../../src/model/head';
import { buildVgg16 } from '../../src/model/backbones/vgg16-layers';
import type { Preprocessing } from '../../src/protocol';
import { SeededRandom } from '../../src/rng';
import { everyOtherLayer, mobileNetLike, randomize } from '../fixtures/random-models';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

/** The largest difference between TF.js's probabilities and ONNX Runtime's on `images` images of raw pixels. */
async function largestDifference(model: tf.LayersModel, preprocessing: Preprocessing, size = model.inputs[0]!.shape[1]!, images = 20): Promise<number> {
  const saved = await exportLayersModel(model, { classes: ['a', 'b', 'c'], preprocessing, inputSize: size });
  const session = await InferenceSession.create(toOnnx(readSavedModel(saved.modelJson, saved.weights)));
  const [h, w] = [size, size];
  const rng = new SeededRandom(3);
  const pixels = Float32Array.from({ length: images * h! * w! * 3 }, () => Math.floor(rng.uniform(0, 256)));
  const expected = tf.tidy(() => (model.predict(preprocess(tf.tensor4d(pixels, [images, h!, w!, 3]), preprocessing)) as tf.Tensor).dataSync());
  const result = await session.run({ [ONNX_INPUT]: new Tensor('float32', pixels, [images, h!, w!, 3]) });
  const got = result[ONNX_OUTPUT]!.data as Float32Array;
  expect(got.length).toBe(expected.length);
  await session.release();
  // Probabilities that all sit at 0 or 1 would agree whatever the export did: these must spread.
  expect(Math.max(...expected) - Math.min(...expected), `${preprocessing}: spread of the probabilities`).toBeGreaterThan(0.1);
  expect(Math.max(...expected), `${preprocessing}: largest probability`).toBeLessThan(0.99);
  return Math.max(...Array.from(expected, (p, i) => Math.abs(p - got[i]!)));
}

describe('the ONNX export, run by ONNX Runtime', () => {
  // VGG16 on TF.js' plain-JS CPU backend is slow on a small machine: 8 images each, and time to spare.
  it('gives the probabilities TF.js gives for VGG16 + the flatten head, from raw pixels, under each preprocessing', async () => {
    for (const preprocessing of ['unit', 'caffe', 'tf'] as const) {
      const model = attachHead(buildVgg16({ inputSize: 32 }), { kind: 'flatten', classes: 3, units: 16, dropout: 0.5, seed: 1 });
      randomize(model, 7, preprocessing);
      expect(await largestDifference(model, preprocessing, 32, 8), preprocessing).toBeLessThan(1e-4);
      model.dispose();
    }
  }, 180_000);

  // VGG16 at 32 px ends in 1 x 1 pixels, where any flatten order agrees; this base ends in 4 x 4 x 6.
  it('gives the same probabilities for a MobileNet-like base (depthwise, BN, ReLU6, Add, Concatenate) with either head', async () => {
    for (const kind of ['flatten', 'gap'] as const) {
      const model = attachHead(mobileNetLike(), { kind, classes: 3, units: 16, dropout: 0.5, seed: 1 });
      randomize(model, 8, 'tf');
      expect(await largestDifference(model, 'tf'), kind).toBeLessThan(1e-4);
      model.dispose();
    }
  });

  it('gives the same probabilities for the rest: any input size, dilation, bare BN, Multiply, GlobalMaxPool, Reshape, Softmax', async () => {
    const model = everyOtherLayer();
    randomize(model, 9, 'unit');
    expect(await largestDifference(model, 'unit', 27)).toBeLessThan(1e-4); // 27: 'same' with stride 2 pads an odd size
    model.dispose();
  });

  it('names the first layer it cannot write, and the kinds it can', async () => {
    const input = tf.input({ shape: [8, 8, 3] });
    const up = tf.layers.upSampling2d({ name: 'upsample' }).apply(input) as tf.SymbolicTensor;
    const out = tf.layers.dense({ units: 2, activation: 'softmax' }).apply(tf.layers.flatten().apply(up)) as tf.SymbolicTensor;
    const model = tf.model({ inputs: input, outputs: out });
    const saved = await exportLayersModel(model, { preprocessing: 'unit' });
    expect(() => toOnnx(readSavedModel(saved.modelJson, saved.weights))).toThrow(/^layer upsample is a UpSampling2D, which the ONNX export does not support \(supported: Conv2D, DepthwiseConv2D, Dense,/);
    model.dispose();
  });
});
