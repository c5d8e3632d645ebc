import * as tf from '@tensorflow/tfjs';
import { attachHead } from '../model/head';
import { freezeBelow } from '../model/layers';
import { buildVgg16 } from '../model/vgg16';

export type BenchKind = 'forward' | 'stage1' | 'stage2';

export interface BenchSpec {
  kind: BenchKind;
  inputSize: number;
  batchSize: number;
  /** Keep timing steps until this much time has passed (at least one step after the warm-up). */
  minSeconds: number;
  maxSteps: number;
}

export interface BenchResult extends BenchSpec {
  backend: string;
  steps: number;
  msPerStep: number;
  imagesPerSecond: number;
  /** Milliseconds of the first (warm-up) step: shader compilation and weight upload included. */
  warmupMs: number;
  /** The most tensor memory one step held at once (tf.profile), weights included. */
  peakBytes: number;
}

/** Images per second of VGG16 + the recipe head on synthetic data, on the current backend. */
export async function benchmark(spec: BenchSpec): Promise<BenchResult> {
  const model = attachHead(buildVgg16({ inputSize: spec.inputSize, init: { seed: 1 } }), { classes: 10, units: 256, dropout: 0.5, seed: 1 });
  const xs = tf.randomUniform([spec.batchSize, spec.inputSize, spec.inputSize, 3], -1, 1, 'float32', 1);
  const ys = tf.tidy(() => tf.oneHot(tf.tensor1d(Int32Array.from({ length: spec.batchSize }, (_, i) => i % 10), 'int32'), 10).toFloat());
  const optimizer = spec.kind === 'stage1' ? tf.train.rmsprop(1e-3) : tf.train.sgd(1e-3);
  if (spec.kind !== 'forward') {
    freezeBelow(model, spec.kind === 'stage1' ? 19 : 15);
    model.compile({ optimizer, loss: 'categoricalCrossentropy', metrics: ['accuracy'] });
  }
  const step = async (): Promise<void> => {
    if (spec.kind === 'forward') {
      const out = model.predict(xs) as tf.Tensor;
      await out.data();
      out.dispose();
    } else {
      await model.trainOnBatch(xs, ys);
    }
  };
  try {
    let start = performance.now();
    await step();
    const warmupMs = performance.now() - start;
    const { peakBytes } = await tf.profile(step);
    let steps = 0;
    start = performance.now();
    while (steps < 1 || (steps < spec.maxSteps && performance.now() - start < spec.minSeconds * 1000)) {
      await step();
      steps++;
    }
    const msPerStep = (performance.now() - start) / steps;
    return { ...spec, backend: tf.getBackend(), steps, msPerStep, imagesPerSecond: (spec.batchSize * 1000) / msPerStep, warmupMs, peakBytes };
  } finally {
    tf.dispose([xs, ys]);
    optimizer.dispose();
    model.dispose();
  }
}
