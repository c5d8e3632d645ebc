import * as tf from '@tensorflow/tfjs';
import { makeBatch, oneHotTensor } from '../data/batches';
import type { PixelDataset } from '../data/load';
import { deriveSeed } from '../rng';
import type { Preprocessing } from '../protocol';
import { yieldToEventLoop } from './control';

// The recipe's neighbour: run the frozen base once, pool its output, and fit a softmax (multinomial
// logistic) regression on the pooled features. Stage 1 at a fraction of the cost, and the baseline
// fine-tuning has to beat.

export interface LogisticSettings {
  epochs: number;
  learningRate: number;
  /** L2 penalty on the weights (sklearn's default C = 1 is a comparable amount for a few hundred images). */
  l2: number;
  seed: number;
}

export const LOGISTIC_DEFAULTS: Omit<LogisticSettings, 'seed'> = { epochs: 300, learningRate: 0.01, l2: 1e-3 };

/** The base's output for each image, average-pooled over space when it is a feature map: [images, features]. */
export async function pooledFeatures(
  base: tf.LayersModel,
  data: PixelDataset,
  indices: readonly number[],
  batchSize: number,
  preprocessing: Preprocessing,
): Promise<tf.Tensor2D> {
  const parts: tf.Tensor2D[] = [];
  for (let start = 0; start < indices.length; start += batchSize) {
    const { xs, ys } = await makeBatch(data, indices.slice(start, start + batchSize), { preprocessing });
    parts.push(
      tf.tidy(() => {
        const out = base.predict(xs) as tf.Tensor;
        return (out.rank === 4 ? tf.mean(out, [1, 2]) : out.reshape([out.shape[0]!, -1])) as tf.Tensor2D;
      }),
    );
    tf.dispose([xs, ys]);
    await yieldToEventLoop();
  }
  const features = tf.concat(parts);
  tf.dispose(parts);
  return features;
}

/** A Dense(classes, softmax) layer fitted full-batch with Adam on the features. */
export async function fitLogistic(features: tf.Tensor2D, labels: readonly number[], classes: number, settings: LogisticSettings): Promise<tf.Sequential> {
  const model = tf.sequential({
    layers: [
      tf.layers.dense({
        inputShape: [features.shape[1]],
        units: classes,
        activation: 'softmax',
        name: 'logistic',
        kernelInitializer: tf.initializers.glorotUniform({ seed: deriveSeed(settings.seed, 'logistic') }),
        kernelRegularizer: tf.regularizers.l2({ l2: settings.l2 }),
      }),
    ],
  });
  const optimizer = tf.train.adam(settings.learningRate);
  model.compile({ optimizer, loss: 'categoricalCrossentropy' });
  const ys = oneHotTensor(labels, classes);
  try {
    for (let epoch = 0; epoch < settings.epochs; epoch++) await model.trainOnBatch(features, ys);
  } finally {
    ys.dispose();
    optimizer.dispose();
  }
  return model;
}

/** base -> (spatial average) -> the fitted layer, as one model that takes images. */
export function featureClassifier(base: tf.LayersModel, logistic: tf.Sequential): tf.LayersModel {
  let x = base.outputs[0] as tf.SymbolicTensor;
  x = (x.rank === 4 ? tf.layers.globalAveragePooling2d({ name: 'pool' }) : tf.layers.flatten({ name: 'pool' })).apply(x) as tf.SymbolicTensor;
  const dense = logistic.layers[0]!;
  const head = tf.layers.dense({ units: dense.outputShape[1] as number, activation: 'softmax', name: 'logistic' });
  const out = head.apply(x) as tf.SymbolicTensor;
  head.setWeights(dense.getWeights());
  return tf.model({ inputs: base.inputs, outputs: out, name: 'features' });
}
