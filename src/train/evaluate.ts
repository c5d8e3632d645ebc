import * as tf from '@tensorflow/tfjs';
import type { Batch } from '../data/batches';

export interface Evaluation {
  loss: number;
  accuracy: number;
  /** Each evaluated image's cross-entropy, in the order of `indices`: what a paired comparison needs. */
  losses: Float32Array;
  /** Predicted class per evaluated image, in the order of `indices`. */
  predicted: Int32Array;
  truth: Int32Array;
}

/** Mean categorical cross-entropy and accuracy over `indices`, without augmentation or dropout. */
export async function evaluate(
  model: tf.LayersModel,
  indices: readonly number[],
  batchSize: number,
  batchOf: (chunk: readonly number[]) => Promise<Batch>,
  labels: Int32Array,
): Promise<Evaluation> {
  // Per-batch results stay on the device and are read once at the end: one wait instead of two a batch.
  const losses: tf.Tensor1D[] = [];
  const argmaxes: tf.Tensor1D[] = [];
  try {
    for (let start = 0; start < indices.length; start += batchSize) {
      const { xs, ys } = await batchOf(indices.slice(start, start + batchSize));
      const [loss, argmax] = tf.tidy(() => {
        const probs = model.predict(xs) as tf.Tensor2D;
        return [tf.metrics.categoricalCrossentropy(ys, probs), tf.argMax(probs, 1)] as const;
      });
      tf.dispose([xs, ys]);
      losses.push(loss as tf.Tensor1D);
      argmaxes.push(argmax as tf.Tensor1D);
    }
    const [lossValues, predicted] = await readAll(losses, argmaxes);
    return scored(lossValues, predicted, indices, labels);
  } finally {
    tf.dispose([...losses, ...argmaxes]);
  }
}

async function readAll(losses: tf.Tensor1D[], argmaxes: tf.Tensor1D[]): Promise<[Float32Array, Int32Array]> {
  if (!losses.length) return [new Float32Array(0), new Int32Array(0)];
  const [stackedLosses, allPredicted] = [tf.concat(losses), tf.concat(argmaxes)];
  try {
    return [(await stackedLosses.data()) as Float32Array, (await allPredicted.data()) as Int32Array];
  } finally {
    tf.dispose([stackedLosses, allPredicted]);
  }
}

function scored(lossValues: Float32Array, predicted: Int32Array, indices: readonly number[], labels: Int32Array): Evaluation {
  let lossSum = 0;
  for (const loss of lossValues) lossSum += loss;
  const truth = Int32Array.from(indices, (i) => labels[i]!);
  const correct = predicted.reduce((n, p, i) => n + (p === truth[i] ? 1 : 0), 0);
  const n = Math.max(1, indices.length);
  return { loss: lossSum / n, accuracy: correct / n, losses: lossValues, predicted, truth };
}
