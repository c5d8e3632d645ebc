import * as tf from '@tensorflow/tfjs';
import { makeBatch, oneHotTensor } from '../data/batches';
import type { PixelDataset } from '../data/load';
import { deriveSeed } from '../rng';
import type { Preprocessing, StageResult } from '../protocol';
import { yieldToEventLoop } from './control';
import { prefixModel } from './frozen-cache';
import { scoreHeldOut } from './stage';
import type { StageContext } from './stage-types';

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

/**
 * The baseline: the frozen base (the layers before `headStart`) over every training and test image, a
 * regression fitted on the pooled features, the test split scored; returns the result and the model
 * (base + pooling + regression) that export() writes.
 */
export async function runFeatureBaseline(ctx: StageContext, headStart: number, settings: Partial<LogisticSettings> = {}): Promise<{ result: StageResult; model: tf.LayersModel }> {
  const { model, data, split, config, emit } = ctx;
  const started = performance.now();
  const base = prefixModel(model, headStart);
  // The baseline has no epochs to pick between: it fits on every training image, validation slice included.
  const train = [...split.train, ...split.validation].sort((a, b) => a - b);
  emit({ type: 'info', message: `extracting features of ${train.length + split.test.length} images with the frozen base...` });
  const trainFeatures = await pooledFeatures(base, data, train, config.batchSize, config.preprocessing);
  const test = split.test.length ? await pooledFeatures(base, data, split.test, config.batchSize, config.preprocessing) : null;
  const labels = (indices: number[]): number[] => indices.map((i) => data.labels[i]!);
  emit({ type: 'info', message: `training logistic regression on ${trainFeatures.shape[0]} x ${trainFeatures.shape[1]} features...` });
  const logistic = await fitLogistic(trainFeatures, labels(train), data.classes.length, { ...LOGISTIC_DEFAULTS, seed: config.seed, ...settings });
  const settled = { learningRate: LOGISTIC_DEFAULTS.learningRate, head: 'gap' as const, restarts: 0, search: null };
  let result: StageResult = { stage: 1, history: [], settings: settled, best: null, stoppedEarly: null, rejected: null, report: null, confusion: null, misclassified: [], trainableFrom: headStart };
  if (test) {
    const predicted = tf.tidy(() => (logistic.predict(test) as tf.Tensor).argMax(1).dataSync() as Int32Array);
    result = { ...result, ...scoreHeldOut({ truth: labels(split.test), predicted }, split.test, data) };
  }
  const classifier = featureClassifier(base, logistic);
  emit({ type: 'features-end', result, classes: data.classes, features: trainFeatures.shape[1], seconds: (performance.now() - started) / 1000 });
  tf.dispose([trainFeatures, ...(test ? [test] : [])]);
  logistic.dispose();
  return { result, model: classifier };
}
