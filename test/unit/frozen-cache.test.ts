import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { registerWasmTrainingKernels } from '../../src/backend/wasm-kernels';
import { dropoutLayers } from '../../src/model/head';
import { freezeBelow } from '../../src/model/layers';
import { vggWithLiveHead } from '../fixtures/live-head';
import { cachedBatch, disposeCache, frozenSplit, moveToDevice, prefixModel, suffixModel, throughFrozen, viewOf, viewsWithin, type FrozenCache } from '../../src/train/frozen-cache';

const TOLERANCE = 1e-6;

function vgg(): tf.LayersModel {
  return vggWithLiveHead(5);
}

/** The trained layers' weights after one SGD step on `xs` from the same start, dropout stream included. */
async function stepFrom(model: tf.LayersModel, trained: tf.LayersModel, xs: tf.Tensor, ys: tf.Tensor, start: tf.Tensor[], dropoutState: number): Promise<Float32Array[]> {
  model.setWeights(start);
  dropoutLayers(model)[0]!.stream.state = dropoutState;
  const optimizer = tf.train.sgd(0.1);
  trained.compile({ optimizer, loss: 'categoricalCrossentropy' });
  await trained.trainOnBatch(xs, ys);
  optimizer.dispose();
  return Promise.all(trained.trainableWeights.map((w) => w.read().data() as Promise<Float32Array>));
}

/** The model frozen below `from`, its starting weights and dropout state, and a batch of 3 images. */
function frozenFrom(from: number, seed: number) {
  const model = vgg();
  freezeBelow(model, from);
  return {
    model,
    start: model.getWeights().map((w) => w.clone()),
    dropoutState: dropoutLayers(model)[0]!.stream.state,
    xs: tf.randomUniform([3, 32, 32, 3], 0, 1, 'float32', seed),
    ys: tf.tensor2d([[1, 0, 0], [0, 1, 0], [0, 0, 1]]),
  };
}

describe('the frozen-layer cache', () => {
  beforeAll(async () => {
    registerWasmTrainingKernels();
    await tf.setBackend('wasm');
  });
  afterEach(() => tf.disposeVariables());

  it.each([
    [1, 'the head on block5_pool', 19],
    [2, 'block5 and the head on block4_pool', 15],
  ] as const)('stage %i: training %s from stored outputs updates the same weights as training the whole model', async (_stage, _what, from) => {
    const { model, start, dropoutState, xs, ys } = frozenFrom(from, 11);
    const initial = await Promise.all(model.trainableWeights.map((w) => w.read().data() as Promise<Float32Array>));
    const before = tf.memory().numTensors;

    const whole = await stepFrom(model, model, xs, ys, start, dropoutState);
    const stored = tf.tidy(() => prefixModel(model, from).predict(xs) as tf.Tensor);
    const suffix = suffixModel(model, from)!;
    expect(suffix.trainableWeights.map((w) => w.originalName)).toEqual(model.trainableWeights.map((w) => w.originalName));
    const cached = await stepFrom(model, suffix, stored, ys, start, dropoutState);
    suffix.dispose(); // undoes only its own use of the shared layers: their weights stay
    tf.dispose(stored);
    expect(tf.memory().numTensors).toBe(before);

    expect(whole.length).toBe(from === 19 ? 4 : 10); // two Dense layers; and block5's three convolutions
    whole.forEach((w, i) => {
      const worst = w.reduce((m, v, j) => Math.max(m, Math.abs(v - cached[i]![j]!)), 0);
      expect(worst).toBeLessThan(TOLERANCE);
    });
    // And the step moved every one of them: the comparison is not between two untouched copies.
    whole.forEach((w, i) => expect(w.some((v, j) => Math.abs(v - initial[i]![j]!) > 1e-6)).toBe(true));
    tf.dispose([xs, ys, ...start]);
    model.dispose();
    expect(tf.memory().numTensors).toBe(0);
  });

  it.each([
    [1, 19],
    [2, 15],
  ] as const)('stage %i uncached: the frozen layers run outside the gradient tape, same weights bit for bit, less memory held', async (_stage, from) => {
    const { model, start, dropoutState, xs, ys } = frozenFrom(from, 12);
    const before = tf.memory().numTensors;
    const split = frozenSplit(model, from)!;
    const stepAbove = async (): Promise<void> => {
      const batch = throughFrozen(split.prefix, { xs: xs.clone(), ys: ys.clone() as tf.Tensor2D });
      await split.suffix.trainOnBatch(batch.xs, batch.ys);
      tf.dispose([batch.xs, batch.ys]);
    };
    /** Peak tensor bytes of one SGD step of `trained`, from fresh optimizer state. */
    const peakOf = async (trained: tf.LayersModel, step: () => Promise<void>): Promise<number> => {
      const optimizer = tf.train.sgd(0.1);
      trained.compile({ optimizer, loss: 'categoricalCrossentropy' });
      const { peakBytes } = await tf.profile(step);
      optimizer.dispose();
      return peakBytes;
    };
    const wholePeak = await peakOf(model, async () => void (await model.trainOnBatch(xs, ys)));
    const splitPeak = await peakOf(split.suffix, stepAbove);

    const whole = await stepFrom(model, model, xs, ys, start, dropoutState);
    const batch = throughFrozen(split.prefix, { xs: xs.clone(), ys: ys.clone() as tf.Tensor2D });
    const above = await stepFrom(model, split.suffix, batch.xs, batch.ys, start, dropoutState);
    tf.dispose([batch.xs, batch.ys]);
    split.suffix.dispose();

    expect(above).toEqual(whole);
    expect(splitPeak).toBeLessThan(wholePeak);
    expect(tf.memory().numTensors).toBe(before);
    expect(frozenSplit(model, 0)).toBeNull(); // nothing below the cut
    tf.dispose([xs, ys, ...start]);
    model.dispose();
  });

  it('refuses to cut where a skip connection crosses, and keeps weights shared where it cuts', () => {
    const input = tf.input({ shape: [4] });
    const a = tf.layers.dense({ units: 4, name: 'a' }).apply(input) as tf.SymbolicTensor;
    const b = tf.layers.dense({ units: 4, name: 'b' }).apply(a) as tf.SymbolicTensor;
    const sum = tf.layers.add({ name: 'sum' }).apply([a, b]) as tf.SymbolicTensor;
    const out = tf.layers.dense({ units: 2, name: 'out' }).apply(sum) as tf.SymbolicTensor;
    const model = tf.model({ inputs: input, outputs: out });
    expect(suffixModel(model, 2)).toBeNull(); // 'sum' also reads 'a', below the cut
    const top = suffixModel(model, 4)!; // only 'out' above 'sum'
    expect(top.layers.at(-1)).toBe(model.getLayer('out'));
    model.dispose();
  });

  it('keeps as many views as the budget allows, and picks each epoch\'s view from the seed alone', () => {
    // 100 train + 20 test images of 1 MB: 3 views need 320 MB.
    expect(viewsWithin(2 ** 20, 100, 20, 2, 320 * 2 ** 20)).toBe(2);
    expect(viewsWithin(2 ** 20, 100, 20, 2, 319 * 2 ** 20)).toBe(1);
    expect(viewsWithin(2 ** 20, 100, 20, 2, 219 * 2 ** 20)).toBeNull(); // not even plain + one augmented
    expect(viewsWithin(2 ** 20, 100, 20, 0, 120 * 2 ** 20)).toBe(0); // no augmentation: the plain view only
    const picks = Array.from({ length: 300 }, (_, image) => viewOf(42, 1, 3, image, 3));
    expect(picks).toEqual(Array.from({ length: 300 }, (_, image) => viewOf(42, 1, 3, image, 3)));
    expect(new Set(picks)).toEqual(new Set([0, 1, 2]));
    expect(picks).not.toEqual(Array.from({ length: 300 }, (_, image) => viewOf(42, 1, 4, image, 3)));
  });

  it('batches gathered from outputs moved to the device equal those built from JS memory', async () => {
    // 3 training images (ids 5, 7, 9) in 2 views and 2 held-out (ids 1, 2), each output 2x3.
    const shape = [2, 3];
    const length = 6;
    const view = (v: number): Float32Array => Float32Array.from({ length: 3 * length }, (_, i) => 100 * v + i);
    const rowOf = new Map([[5, 0], [7, 1], [9, 2], [1, 0], [2, 1]]);
    const fresh = (): FrozenCache => ({ views: 2, shape, length, train: [view(0), view(1)], held: Float32Array.from({ length: 2 * length }, (_, i) => -i), onDevice: null, rowOf, trainImages: 3, bytes: 0 });
    const labels = Int32Array.from({ length: 10 }, (_, i) => i % 2);
    const before = tf.memory().numTensors;
    const inMemory = fresh();
    const onDevice = fresh();
    moveToDevice(onDevice);
    expect(onDevice.train).toEqual([]);
    for (const [indices, pick] of [[[9, 5, 7], { seed: 42, stage: 1, epoch: 3 }], [[7, 9], { seed: 42, stage: 2, epoch: 8 }], [[2, 1], null]] as const) {
      const a = cachedBatch(inMemory, labels, 2, indices, pick);
      const b = cachedBatch(onDevice, labels, 2, indices, pick);
      expect(b.xs.shape).toEqual([indices.length, ...shape]);
      expect(Array.from(await b.xs.data())).toEqual(Array.from(await a.xs.data()));
      expect(Array.from(await b.ys.data())).toEqual(Array.from(await a.ys.data()));
      tf.dispose([a.xs, a.ys, b.xs, b.ys]);
    }
    disposeCache(onDevice);
    expect(tf.memory().numTensors).toBe(before);
  });
});
