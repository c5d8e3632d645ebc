import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';
import { beforeAll, expect, it } from 'vitest';
import { registerWasmTrainingKernels } from '../../src/backend/wasm-kernels';
import { freezeBelow } from '../../src/model/layers';
import { vggWithLiveHead } from '../fixtures/live-head';

const TOLERANCE = 1e-5;

/** One stage-2 SGD step of VGG16 + head at 32 px from identical seeded weights, data and dropout stream. */
async function stage2Step(backend: string): Promise<{ loss: number; update: Float32Array }> {
  await tf.setBackend(backend);
  const model = vggWithLiveHead(9);
  freezeBelow(model, 15);
  const optimizer = tf.train.sgd(0.05);
  model.compile({ optimizer, loss: 'categoricalCrossentropy' });
  const xs = tf.randomUniform([2, 32, 32, 3], 0, 1, 'float32', 4);
  const ys = tf.tensor2d([[1, 0, 0], [0, 0, 1]]);
  const kernel = (): Promise<Float32Array> => model.getLayer('block5_conv1').getWeights()[0]!.data() as Promise<Float32Array>;
  const before = await kernel();
  const loss = (await model.trainOnBatch(xs, ys)) as number;
  const update = (await kernel()).map((v, i) => v - before[i]!);
  tf.dispose([xs, ys]);
  optimizer.dispose();
  model.dispose();
  return { loss, update };
}

beforeAll(() => {
  registerWasmTrainingKernels();
});

it(`a stage-2 step on wasm matches cpu: same loss and block5_conv1 update within ${TOLERANCE}`, async () => {
  const cpu = await stage2Step('cpu');
  const wasm = await stage2Step('wasm');
  expect(Math.abs(wasm.loss - cpu.loss) / cpu.loss).toBeLessThan(TOLERANCE);
  let scale = 0;
  let worst = 0;
  cpu.update.forEach((u, i) => {
    scale = Math.max(scale, Math.abs(u));
    worst = Math.max(worst, Math.abs(wasm.update[i]! - u));
  });
  expect(scale).toBeGreaterThan(0);
  expect(worst / scale).toBeLessThan(TOLERANCE);
});
