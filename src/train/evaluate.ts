import * as tf from '@tensorflow/tfjs';
import type { Batch } from '../data/batches';

export interface Evaluation {
  loss: number;
  accuracy: number;
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
  const predicted = new Int32Array(indices.length);
  let lossSum = 0;
  for (let start = 0; start < indices.length; start += batchSize) {
    const { xs, ys } = await batchOf(indices.slice(start, start + batchSize));
    const [lossTotal, argmax] = tf.tidy(() => {
      const probs = model.predict(xs) as tf.Tensor2D;
      return [tf.sum(tf.metrics.categoricalCrossentropy(ys, probs)), tf.argMax(probs, 1)] as const;
    });
    tf.dispose([xs, ys]);
    lossSum += (await lossTotal.data())[0]!;
    predicted.set(await argmax.data(), start);
    tf.dispose([lossTotal, argmax]);
  }
  const truth = Int32Array.from(indices, (i) => labels[i]!);
  const correct = predicted.reduce((n, p, i) => n + (p === truth[i] ? 1 : 0), 0);
  const n = Math.max(1, indices.length);
  return { loss: lossSum / n, accuracy: correct / n, predicted, truth };
}
