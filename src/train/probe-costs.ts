import * as tf from '@tensorflow/tfjs';
import { freezeBelow } from '../model/layers';
import type { StageConfig } from '../protocol';
import { encodeModelWeights } from './weight-codec';
import { frozenSplit } from './frozen-cache';
import { makeOptimizer } from './optimizer';
import { trainStep } from './train-step';
import type { UnitCosts } from './estimate';

// The estimate's unit costs, measured on the model the run will train (its architecture; the weights'
// values do not change the time), on the backend it will run on, with synthetic inputs of the real
// shapes. Each measurement runs once to warm up (kernel compilation, weight upload), then is timed over a
// few runs, on the run's batch size up to PROBE_BATCH_MAX images (scaled to the run's above that): a probe
// of seconds, not of an epoch.

/** The most images per probe batch: the kernels' steady state, and still seconds for a 224-px VGG16 on a CPU. */
export const PROBE_BATCH_MAX = 8;
/** Timed runs stop after this many, or once they have taken this long. */
const TIMED_RUNS = 3;
const TIMED_SECONDS = 0.5;

export interface ProbeStage {
  /** First trained layer: everything below is the frozen part. */
  from: number;
  optimizer: StageConfig['optimizer'];
  /** A stage of no epochs is not measured. */
  epochs: number;
}

export interface ProbeInput {
  model: tf.LayersModel;
  classes: number;
  batchSize: number;
  stages: Record<1 | 2, ProbeStage>;
  /** Measured by the caller: decoding stored images, and loading the base. */
  decodePerImage: number;
  loadBase: number;
}

/** Seconds one call of `work` takes after a warm-up call (the mean of a few); `work` awaits the device itself. */
async function timed(work: () => Promise<void>): Promise<number> {
  await work();
  const start = performance.now();
  let runs = 0;
  do {
    await work();
    runs++;
  } while (runs < TIMED_RUNS && performance.now() - start < TIMED_SECONDS * 1000);
  return (performance.now() - start) / 1000 / runs;
}

async function forward(model: tf.LayersModel, xs: tf.Tensor): Promise<void> {
  const out = model.predict(xs) as tf.Tensor;
  await out.data();
  out.dispose();
}

async function probeStage(input: ProbeInput, stage: ProbeStage, xs: tf.Tensor, ys: tf.Tensor, batch: number): Promise<{ frozen: number; step: number; evaluate: number; checkpoint: number }> {
  const { model } = input;
  const split = frozenSplit(model, stage.from);
  const optimizer = makeOptimizer(stage.optimizer, 1e-4);
  freezeBelow(model, stage.from);
  // Layers that are not a chain above the cut train as the whole model, frozen part included.
  const trained = split?.suffix ?? model;
  trained.compile({ optimizer, loss: 'categoricalCrossentropy', metrics: ['accuracy'] });
  const features = split ? tf.tidy(() => split.prefix.predict(xs) as tf.Tensor) : xs;
  try {
    const frozen = split ? (await timed(() => forward(split.prefix, xs))) / batch : 0;
    const step = await timed(async () => {
      const values = await trainStep(trained, features, ys);
      await Promise.all(values.map((v) => v.data()));
      tf.dispose(values);
    });
    const evaluate = (await timed(() => forward(trained, features))) / batch;
    // A checkpoint holds the trained layers' weights and the optimizer's slots: RMSprop keeps two per weight, plain SGD none.
    const copies = stage.optimizer === 'rmsprop' ? 3 : 1;
    const checkpoint = copies * (await timed(async () => void (await encodeModelWeights(model, stage.from))));
    return { frozen, step: (step * input.batchSize) / batch, evaluate, checkpoint };
  } finally {
    if (features !== xs) features.dispose();
    split?.suffix.dispose();
    optimizer.dispose();
  }
}

/** Both stages' unit costs on the current backend. */
export async function probeCosts(input: ProbeInput): Promise<UnitCosts> {
  const [, height, width, channels] = input.model.inputs[0]!.shape as number[];
  const batch = Math.min(input.batchSize, PROBE_BATCH_MAX);
  const xs = tf.randomUniform([batch, height!, width!, channels!], 0, 1, 'float32', 1);
  const ys = tf.tidy(() => tf.oneHot(tf.tensor1d(Int32Array.from({ length: batch }, (_, i) => i % input.classes), 'int32'), input.classes).toFloat());
  try {
    const none = { frozen: 0, step: 0, evaluate: 0, checkpoint: 0 };
    const one = input.stages[1].epochs ? await probeStage(input, input.stages[1], xs, ys, batch) : none;
    const two = input.stages[2].epochs ? await probeStage(input, input.stages[2], xs, ys, batch) : none;
    return {
      decodePerImage: input.decodePerImage,
      loadBase: input.loadBase,
      frozenPerImage: { 1: one.frozen, 2: two.frozen },
      stepPerBatch: { 1: one.step, 2: two.step },
      evaluatePerImage: { 1: one.evaluate, 2: two.evaluate },
      checkpointPerEpoch: { 1: one.checkpoint, 2: two.checkpoint },
    };
  } finally {
    tf.dispose([xs, ys]);
  }
}
