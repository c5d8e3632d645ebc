import * as tf from '@tensorflow/tfjs';
import { expect, it } from 'vitest';
import { StreamDropout } from '../../src/model/stream-dropout';
import { PendingMetrics, trainStep } from '../../src/train/train-step';

/** A tiny classifier with the head's seeded dropout, the same seeded weights every call. */
function tinyModel(): tf.LayersModel {
  const input = tf.input({ shape: [4, 4, 3] });
  let x = tf.layers.flatten().apply(input) as tf.SymbolicTensor;
  x = tf.layers.dense({ units: 8, activation: 'relu', kernelInitializer: tf.initializers.glorotUniform({ seed: 3 }) }).apply(x) as tf.SymbolicTensor;
  x = new StreamDropout({ rate: 0.5, seed: 5 }).apply(x) as tf.SymbolicTensor;
  const output = tf.layers.dense({ units: 3, activation: 'softmax', kernelInitializer: tf.initializers.glorotUniform({ seed: 4 }) }).apply(x) as tf.SymbolicTensor;
  const model = tf.model({ inputs: input, outputs: output });
  model.compile({ optimizer: tf.train.rmsprop(0.01), loss: 'categoricalCrossentropy', metrics: ['accuracy'] });
  return model;
}

async function train(steps: number, run: (model: tf.LayersModel, xs: tf.Tensor, ys: tf.Tensor) => Promise<void>): Promise<Float32Array[]> {
  const model = tinyModel();
  for (let i = 0; i < steps; i++) {
    const xs = tf.randomUniform([6, 4, 4, 3], 0, 1, 'float32', 10 + i);
    const ys = tf.tidy(() => tf.oneHot(tf.tensor1d([0, 1, 2, 0, 1, 2], 'int32'), 3).toFloat());
    await run(model, xs, ys);
    tf.dispose([xs, ys]);
  }
  const weights = await Promise.all(model.getWeights().map((w) => w.data() as Promise<Float32Array>));
  (model.optimizer as tf.Optimizer).dispose();
  model.dispose();
  return weights;
}

it("trainStep with grouped reads gives trainOnBatch's values and weights bit for bit, and leaves no tensor behind", async () => {
  await tf.setBackend('cpu');
  const before = tf.memory().numTensors;
  const eager: number[][] = [];
  const eagerWeights = await train(7, async (model, xs, ys) => void eager.push((await model.trainOnBatch(xs, ys)) as number[]));
  const grouped: number[][] = [];
  const pending = new PendingMetrics(Infinity, 3);
  const groupedWeights = await train(7, async (model, xs, ys) => {
    pending.add(await trainStep(model, xs, ys));
    if (pending.due) grouped.push(...(await pending.read()));
  });
  grouped.push(...(await pending.read()));
  expect(grouped).toEqual(eager);
  expect(eager.flat().every(Number.isFinite)).toBe(true);
  expect(new Set(eager.map(([loss]) => loss)).size).toBe(7); // the steps really differ
  expect(groupedWeights).toEqual(eagerWeights);
  expect(tf.memory().numTensors).toBe(before);
});

it('PendingMetrics is due after its interval or its step limit, reads oldest first, and disposes what it holds', async () => {
  await tf.setBackend('cpu');
  let clock = 0;
  const pending = new PendingMetrics(250, 3, () => clock);
  const before = tf.memory().numTensors;
  pending.add([tf.scalar(1), tf.scalar(0.5)]);
  expect(pending.due).toBe(false);
  clock = 249;
  expect(pending.due).toBe(false);
  clock = 250;
  expect(pending.due).toBe(true);
  pending.add([tf.scalar(2), tf.scalar(0.25)]);
  expect(await pending.read()).toEqual([[1, 0.5], [2, 0.25]]);
  expect(pending.due).toBe(false); // the interval restarts at each read
  for (let i = 0; i < 3; i++) pending.add([tf.scalar(i)]);
  expect(pending.due).toBe(true);
  expect(await pending.read()).toEqual([[0], [1], [2]]);
  expect(await pending.read()).toEqual([]);
  pending.add([tf.scalar(9)]);
  pending.dispose();
  expect(tf.memory().numTensors).toBe(before);
});
