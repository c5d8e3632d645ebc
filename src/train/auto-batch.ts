import * as tf from '@tensorflow/tfjs';
import type { BackendName, TrainEventListener } from '../protocol';
import { formatMB, MB } from '../units';

// batchSize 'auto': the largest batch whose training step fits a memory budget, from the peak memory of
// two measured steps (1 and 2 images) through the whole model from stage 2's first layer. Browsers do not
// say how much GPU memory there is, so the budgets are conservative; running out anyway is a fault the
// run survives at half the batch when the user allows it.

/** Memory a training step may take, by backend (wasm32's heap stops at 4 GB). */
export const STEP_BUDGET_MB: Record<BackendName, number> = { webgpu: 2048, webgl: 1024, wasm: 2048, cpu: 2048 };
/** Never above this: small datasets generalise worse with larger batches, and the recipe used 32. */
export const AUTO_BATCH_MAX = 64;

export interface BatchChoice {
  batchSize: number;
  /** Peak bytes of a step: `fixedBytes + perImageBytes * batch`. */
  fixedBytes: number;
  perImageBytes: number;
  budgetBytes: number;
}

/** The largest power of two up to `max` whose predicted step peak fits the budget (1 at least). */
export function largestFitting(fixedBytes: number, perImageBytes: number, budgetBytes: number, max: number): number {
  let batch = 1;
  while (batch * 2 <= max && fixedBytes + perImageBytes * batch * 2 <= budgetBytes) batch *= 2;
  return batch;
}

/** Peak tensor bytes of the gradients of the loss through layers `from`+ for `batch` random images (weights untouched). */
async function stepPeak(model: tf.LayersModel, from: number, batch: number): Promise<number> {
  const [height, width, channels] = (model.inputs[0]!.shape as number[]).slice(1) as [number, number, number];
  const classes = (model.outputs[0]!.shape as number[]).at(-1)!;
  const variables = model.layers.slice(from).flatMap((layer) => layer.trainableWeights.map((w) => w.read() as tf.Variable));
  const profile = await tf.profile(() => {
    tf.tidy(() => {
      const xs = tf.randomUniform([batch, height, width, channels]);
      const ys = tf.oneHot(tf.zeros([batch], 'int32'), classes).toFloat();
      // Dropout off: its seeded mask stream must not move before training starts.
      const { grads } = tf.variableGrads(() => tf.metrics.categoricalCrossentropy(ys, model.apply(xs, { training: false }) as tf.Tensor).mean().asScalar(), variables);
      tf.dispose(Object.values(grads));
    });
  });
  return profile.peakBytes;
}

/** Measures steps of 1 and 2 images and picks the batch size for `trainSize` training images on `backend`. */
export async function chooseBatchSize(model: tf.LayersModel, from: number, trainSize: number, backend: BackendName): Promise<BatchChoice> {
  const one = await stepPeak(model, from, 1);
  const two = await stepPeak(model, from, 2);
  const perImageBytes = Math.max(1, two - one);
  const fixedBytes = Math.max(0, one - perImageBytes);
  const budgetBytes = STEP_BUDGET_MB[backend] * MB;
  const max = Math.max(1, Math.min(AUTO_BATCH_MAX, trainSize));
  return { batchSize: largestFitting(fixedBytes, perImageBytes, budgetBytes, max), fixedBytes, perImageBytes, budgetBytes };
}

/** batchSize 'auto', measured on the current backend through the layers stage 2 trains, and said in the log. */
export async function autoBatchSize(model: tf.LayersModel, from: number, trainSize: number, emit: TrainEventListener): Promise<number> {
  const backend = tf.getBackend() as BackendName;
  const choice = await chooseBatchSize(model, from, trainSize, backend);
  emit({
    type: 'info',
    message:
      `batch size auto: ${choice.batchSize} (a training step from layer ${from} takes ${formatMB(choice.fixedBytes)} + ${formatMB(choice.perImageBytes)} an image ` +
      `on ${backend}; budget ${formatMB(choice.budgetBytes)}, at most ${Math.min(AUTO_BATCH_MAX, trainSize)})`,
  });
  return choice.batchSize;
}
