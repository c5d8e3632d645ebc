import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { RECIPE_DEFAULTS } from '../../src/config';
import { resumedConfig } from '../../src/train/resume';
import { encodeModelWeights, encodeOptimizer, restoreModelWeights, restoreOptimizer } from '../../src/train/weight-codec';
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

  it('round-trips through one binary file, the best epoch and stage 1 head included', () => {
    const back = unpackCheckpoint(packCheckpoint(checkpoint));
    expect(back).toEqual(checkpoint);
    expect(Array.from(new Float32Array(back.weights.data))).toEqual([1, 2]);
    const best = back.progress!.best!.weights as { data: ArrayBuffer };
    expect(Array.from(new Float32Array(best.data))).toEqual([3, 4]);
    expect(Array.from(new Float32Array(back.stage1Head!.data))).toEqual([5]);
    const between = { ...checkpoint, optimizer: null, progress: null, stage1Head: null };
    expect(unpackCheckpoint(packCheckpoint(between))).toEqual(between);
  });

  it('reads a format-1 file (no progress, no stage-1 head)', () => {
    const old: Partial<Checkpoint> = { ...checkpoint, format: 1 };
    delete old.progress;
    delete old.stage1Head;
    const back = unpackCheckpoint(packCheckpoint(old as Checkpoint));
    expect(back).toMatchObject({ format: 1, progress: null, stage1Head: null });
    expect(Array.from(new Int32Array(back.optimizer!.data))).toEqual([5]);
  });

  it('refuses a truncated file or another file', () => {
    const packed = packCheckpoint(checkpoint);
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
