import * as tf from '@tensorflow/tfjs';
import { PROGRESS_INTERVAL_MS } from './throttle';

/** The parts of TF.js' LayersModel that trainOnBatch is made of (protected in its typings, stable in 4.22). */
interface TrainableModel {
  standardizeUserData(x: tf.Tensor, y: tf.Tensor): Promise<[tf.Tensor[], tf.Tensor[]]>;
  makeTrainFunction(): (data: tf.Tensor[]) => tf.Scalar[];
}

/**
 * One optimizer step, exactly what `model.trainOnBatch(xs, ys)` does (same checks, same train function,
 * same kernels and dropout draws), except that the loss and metric values stay on the device: trainOnBatch
 * waits for each of them, which stalls a GPU twice a step. The caller owns the returned scalars.
 */
export async function trainStep(model: tf.LayersModel, xs: tf.Tensor, ys: tf.Tensor): Promise<tf.Scalar[]> {
  const trainable = model as unknown as TrainableModel;
  const [inputs, targets] = await trainable.standardizeUserData(xs, ys);
  const values = trainable.makeTrainFunction()([...inputs, ...targets]);
  tf.dispose([...inputs, ...targets].filter((t) => t !== xs && t !== ys));
  return values;
}

/** Steps whose values may wait unread; bounds how far ahead of the device the step loop runs. */
export const METRICS_READ_MAX_STEPS = 16;

/**
 * Per-step loss and metric scalars left on the device, read in one transfer once per logging interval
 * (PROGRESS_INTERVAL_MS), every METRICS_READ_MAX_STEPS steps, or when the loop needs them (epoch end,
 * checkpoint). The values read are the float32 values trainOnBatch would have returned, in step order.
 */
export class PendingMetrics {
  private pending: tf.Scalar[][] = [];
  private lastRead: number;

  constructor(
    private readonly intervalMs = PROGRESS_INTERVAL_MS,
    private readonly maxSteps = METRICS_READ_MAX_STEPS,
    private readonly now = () => performance.now(),
  ) {
    this.lastRead = now();
  }

  add(values: tf.Scalar[]): void {
    this.pending.push(values);
  }

  /** Whether a logging interval has passed or too many steps wait. */
  get due(): boolean {
    return this.pending.length >= this.maxSteps || this.now() - this.lastRead >= this.intervalMs;
  }

  /** Every waiting step's values, oldest first; nothing waits afterwards. */
  async read(): Promise<number[][]> {
    const steps = this.pending;
    this.pending = [];
    this.lastRead = this.now();
    if (!steps.length) return [];
    const scalars = steps.flat();
    const stacked = tf.stack(scalars);
    try {
      const values = await stacked.data();
      let next = 0;
      return steps.map((step) => step.map(() => values[next++]!));
    } finally {
      tf.dispose([stacked, ...scalars]);
    }
  }

  dispose(): void {
    tf.dispose(this.pending.flat());
    this.pending = [];
  }
}
