import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RECIPE_DEFAULTS } from '../../src/config';
import { resumedConfig } from '../../src/train/resume';
import { encodeLayerWeights, encodeModelWeights, encodeOptimizer, restoreModelWeights, restoreOptimizer } from '../../src/train/weight-codec';
import { packCheckpoint, unpackCheckpoint } from '../../src/checkpoint/pack';
import type { Checkpoint } from '../../src/checkpoint/format';

function model(seed: number): tf.LayersModel {
  const input = tf.input({ shape: [3], name: 'in' });
  const hidden = tf.layers.dense({ units: 4, name: 'a', kernelInitializer: tf.initializers.glorotUniform({ seed }) }).apply(input) as tf.SymbolicTensor;
  const out = tf.layers.dense({ units: 2, name: 'b', kernelInitializer: tf.initializers.glorotUniform({ seed: seed + 1 }) }).apply(hidden) as tf.SymbolicTensor;
  return tf.model({ inputs: input, outputs: out });
}

const values = (m: tf.LayersModel): number[][] => m.getWeights().map((w) => Array.from(w.dataSync()));

beforeAll(async () => {
  await tf.setBackend('cpu');
});

describe('checkpoint weights', () => {
  it('restores the layers from an index on, leaving the ones before as built', async () => {
    const trained = model(1);
    const fresh = model(2);
    restoreModelWeights(fresh, await encodeModelWeights(trained, 2), 2);
    expect(values(fresh).slice(2)).toEqual(values(trained).slice(2)); // layer b: kernel, bias
    expect(values(fresh)[0]).not.toEqual(values(trained)[0]);
    expect(() => restoreModelWeights(fresh, { specs: [], data: new ArrayBuffer(0) }, 1)).toThrow(/the checkpoint has no weight .* \(a#0\)/);
  });

  it('restores RMSprop slots and iteration count, so the next step is the same', async () => {
    const x = tf.tensor2d([[1, 2, 3]]);
    const y = tf.tensor2d([[0, 1]]);
    const step = async (m: tf.LayersModel): Promise<void> => void (await m.trainOnBatch(x, y));
    const a = model(1);
    const optimizerA = tf.train.rmsprop(0.01);
    a.compile({ optimizer: optimizerA, loss: 'meanSquaredError' });
    await step(a);
    const b = model(5);
    const optimizerB = tf.train.rmsprop(0.01);
    b.compile({ optimizer: optimizerB, loss: 'meanSquaredError' });
    restoreModelWeights(b, await encodeModelWeights(a));
    await restoreOptimizer(optimizerB, await encodeOptimizer(optimizerA));
    await step(a);
    await step(b);
    expect(values(b)).toEqual(values(a));
    expect(optimizerB.iterations).toBe(2);
  });
});

describe('encoded weights', () => {
  afterAll(async () => {
    await tf.setBackend('cpu');
  });

  // Sizes that are not multiples of anything, -0 and a subnormal, an empty tensor.
  const tensors = (): { name: string; tensor: tf.Tensor }[] => [
    { name: 'kernel', tensor: tf.tensor2d(Float32Array.from({ length: 35 }, (_, i) => Math.sin(i) * 1e3), [7, 5]) },
    { name: 'bias', tensor: tf.tensor1d([-0, 1.5e-40, -2.25]) },
    { name: 'empty', tensor: tf.zeros([0, 3]) },
  ];

  for (const backend of ['cpu', 'wasm']) {
    it(`are tf.io.encodeWeights' bytes and specs on ${backend}${backend === 'wasm' ? ', copied from its heap' : ''}`, async () => {
      await tf.setBackend(backend);
      const named = tensors();
      const before = tf.memory().numTensors;
      const layer = tf.layers.dense({ units: 5, name: `encoded_${backend}` });
      layer.build([7]);
      const ours = await encodeLayerWeights([layer], [named[0]!.tensor, named[1]!.tensor]);
      const theirs = await tf.io.encodeWeights([
        { name: `encoded_${backend}#0`, tensor: named[0]!.tensor },
        { name: `encoded_${backend}#1`, tensor: named[1]!.tensor },
      ]);
      expect(ours.specs).toEqual(theirs.specs);
      expect(new Uint8Array(ours.data)).toEqual(new Uint8Array(theirs.data));
      // An optimizer's: its iteration count (int32, made afresh by getWeights and freed), then its slots.
      const optimizer = { getWeights: async () => [{ name: 'iter', tensor: tf.scalar(123456789, 'int32') }, ...named] } as unknown as tf.Optimizer;
      const all = await encodeOptimizer(optimizer);
      const iter = tf.scalar(123456789, 'int32');
      const reference = await tf.io.encodeWeights([{ name: 'iter', tensor: iter }, ...named]);
      expect(all.specs).toEqual(reference.specs);
      expect(new Uint8Array(all.data)).toEqual(new Uint8Array(reference.data));
      tf.dispose([iter, ...named.map((n) => n.tensor)]);
      for (const w of layer.weights) w.dispose();
      expect(tf.memory().numTensors).toBe(before - named.length);
    });
  }
});

describe('the checkpoint file', () => {
  const checkpoint: Checkpoint = {
    format: 2,
    createdAt: 1,
    config: { ...RECIPE_DEFAULTS, preprocessing: 'unit', batchSize: 32 },
    datasetKey: '4:abc',
    baseIdentity: 'random:42',
    cursor: { stage: 1, epoch: 2, step: 3, lossSum: 1.5, accSum: 0.5, seconds: 9, rng: { shuffleAtEpochStart: 7, augment: 8, dropout: [9] }, done: false },
    stages: [],
    history: [],
    weightsFrom: 19,
    weights: { specs: [{ name: 'w', shape: [2], dtype: 'float32' }], data: new Float32Array([1, 2]).buffer },
    optimizer: { specs: [{ name: 'iter', shape: [], dtype: 'int32' }], data: new Int32Array([5]).buffer },
    progress: {
      settings: { learningRate: 1e-4, head: 'gap', restarts: 1, search: null },
      startStreams: { shuffle: 1, augment: 2, dropout: [3] },
      best: { epoch: 1, valAcc: 0.5, valLoss: 0.7, weights: { specs: [{ name: 'w', shape: [2], dtype: 'float32' }], data: new Float32Array([3, 4]).buffer } },
    },
    stage1Head: { specs: [{ name: 'h', shape: [1], dtype: 'float32' }], data: new Float32Array([5]).buffer },
  };

  const roundTrip = async (c: Checkpoint) => unpackCheckpoint(await packCheckpoint(c).arrayBuffer());

  it('round-trips through one binary file, the best epoch and stage 1 head included', async () => {
    const back = await roundTrip(checkpoint);
    expect(back).toEqual(checkpoint);
    expect(Array.from(new Float32Array(back.weights.data))).toEqual([1, 2]);
    const best = back.progress!.best!.weights as { data: ArrayBuffer };
    expect(Array.from(new Float32Array(best.data))).toEqual([3, 4]);
    expect(Array.from(new Float32Array(back.stage1Head!.data))).toEqual([5]);
    const between = { ...checkpoint, optimizer: null, progress: null, stage1Head: null };
    expect(await roundTrip(between)).toEqual(between);
  });

  it('reads a format-1 file (no progress, no stage-1 head)', async () => {
    const old: Partial<Checkpoint> = { ...checkpoint, format: 1 };
    delete old.progress;
    delete old.stage1Head;
    const back = await roundTrip(old as Checkpoint);
    expect(back).toMatchObject({ format: 1, progress: null, stage1Head: null });
    expect(Array.from(new Int32Array(back.optimizer!.data))).toEqual([5]);
  });

  it('refuses a truncated file or another file', async () => {
    const packed = await packCheckpoint(checkpoint).arrayBuffer();
    expect(() => unpackCheckpoint(packed.slice(0, packed.byteLength - 1))).toThrow(/truncated or padded/);
    expect(() => unpackCheckpoint(new TextEncoder().encode('{"weights": 1}').buffer)).toThrow(/not a finetune-trainer checkpoint/);
  });
});

describe('resuming', () => {
  it('refuses a checkpoint whose settings no run can have (damaged, or forged)', () => {
    const forged = { format: 2, config: { ...RECIPE_DEFAULTS, inputSize: 2048, preprocessing: 'unit', batchSize: 32, unfreezeFrom: 15 } } as unknown as Checkpoint;
    expect(() => resumedConfig(forged, {})).toThrow(/^the checkpoint holds settings no run can have \(inputSize must be an integer from 32 to 1024, got 2048\): it is damaged or not one of ours/);
  });
});
