import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RECIPE_DEFAULTS } from '../../src/config';
import { resumedConfig } from '../../src/train/resume';
import { encodeLayerWeights, encodeModelWeights, encodeOptimizer, restoreModelWeights, restoreOptimizer } from '../../src/train/weight-codec';
import { packCheckpoint, unpackCheckpoint } from '../../src/checkpoint/pack';
import type { Checkpoint } from '../../src/checkpoint/format';
import { checkpoint } from './checkpoint-fixture';
import { bytesOnHeap } from '../../src/backend/heap-tensor';

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
      expect(await tf.setBackend(backend)).toBe(true);
      const named = tensors();
      // On wasm the bytes are read where they lie: every tensor here is on its heap.
      if (backend === 'wasm') expect(named.map((n) => bytesOnHeap(n.tensor)?.byteLength)).toEqual([140, 12, 0]);
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

  it('reads a format-1 file (no progress, no stage-1 head: the keys absent)', async () => {
    const packed = new Uint8Array(await packCheckpoint({ ...checkpoint, format: 1, progress: null, stage1Head: null }).arrayBuffer());
    const length = new DataView(packed.buffer).getUint32(4, true);
    const header = JSON.parse(new TextDecoder().decode(packed.subarray(8, 8 + length))) as Record<string, unknown>;
    delete header['progress'];
    delete header['stage1Head'];
    const text = new TextEncoder().encode(JSON.stringify(header));
    const old = new Uint8Array(8 + text.length + packed.length - 8 - length);
    old.set(packed.subarray(0, 8));
    new DataView(old.buffer).setUint32(4, text.length, true);
    old.set(text, 8);
    old.set(packed.subarray(8 + length), 8 + text.length);
    const back = unpackCheckpoint(old.buffer);
    expect(back).toMatchObject({ format: 1, progress: null, stage1Head: null });
    expect(Array.from(new Int32Array(back.optimizer!.data))).toEqual([5]);
    expect(Array.from(new Float32Array(back.weights.data))).toEqual([1, 2]);
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
