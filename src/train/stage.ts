import * as tf from '@tensorflow/tfjs';
import { batchOfPixels, epochBatches, makeBatch, stepsPerEpoch, type Batch } from '../data/batches';
import type { PixelDataset } from '../data/load';
import type { Split } from '../data/split';
import { freezeBelow } from '../model/layers';
import type { EffectiveConfig, EpochMetrics, StageConfig, StageResult, TrainEventListener } from '../protocol';
import type { SeededRandom } from '../rng';
import { restoreOptimizer, type BatchPosition, type EncodedWeights } from './checkpoint';
import type { RunControl } from './control';
import { evaluate, type Evaluation } from './evaluate';
import { deviceBufferLimit } from '../backend/gpu-device';
import { buildCache, cachedBatch, cutShape, disposeCache, moveToDevice, suffixModel, viewsWithin, type FrozenCache } from './frozen-cache';
import { classificationReport, confusionMatrix } from './metrics';

/** A point between two batches of a stage, with what a checkpoint needs from the stage loop. */
export interface StagePosition extends BatchPosition {
  shuffleAtEpochStart: number;
  history: EpochMetrics[];
  optimizer: tf.Optimizer;
}

/** Where to pick a stage up again: a position without live objects, plus the optimizer's saved state. */
export type StageResume = Omit<StagePosition, 'optimizer'> & { optimizer: EncodedWeights | null };

export interface StageContext {
  model: tf.LayersModel;
  data: PixelDataset;
  split: Split;
  config: EffectiveConfig;
  control: RunControl;
  emit: TrainEventListener;
  /** Run-long streams: batch order and augmentation draws continue across stages. */
  shuffle: SeededRandom;
  augment: SeededRandom;
  /** Called after every batch (`epochEnd` false) and after every epoch but the last (true). */
  checkpoint?: (at: StagePosition, epochEnd: boolean) => Promise<void>;
}

export interface StagePlan {
  stage: 1 | 2;
  /** First trainable layer index (or name); everything before it is frozen. */
  trainableFrom: number | string;
  settings: StageConfig;
}

function makeOptimizer(settings: StageConfig): tf.Optimizer {
  // Keras' RMSprop defaults (rho 0.9, epsilon 1e-7) are TF.js' too.
  return settings.optimizer === 'rmsprop' ? tf.train.rmsprop(settings.learningRate) : tf.train.sgd(settings.learningRate);
}

/** One stage of the recipe: freeze, compile, train with validation each epoch, then report. */
export async function runStage(ctx: StageContext, plan: StagePlan, resume?: StageResume): Promise<StageResult> {
  const { split, config, control, emit } = ctx;
  const { stage, settings } = plan;
  const trainableFrom = freezeBelow(ctx.model, plan.trainableFrom);
  const optimizer = makeOptimizer(settings);
  const steps = stepsPerEpoch(split.train.length, config.batchSize);
  emit({ type: 'stage-start', stage, epochs: settings.epochs, stepsPerEpoch: steps, trainableFrom, optimizer: settings.optimizer, learningRate: settings.learningRate });
  const history: EpochMetrics[] = resume ? [...resume.history] : [];
  let lastValidation: Evaluation | null = null;
  const feed = await feedFor(ctx, stage, trainableFrom).catch((error: unknown) => {
    optimizer.dispose();
    throw error;
  });
  const { model } = feed;
  model.compile({ optimizer, loss: 'categoricalCrossentropy', metrics: ['accuracy'] });
  try {
    if (resume?.optimizer) await restoreOptimizer(optimizer, resume.optimizer);
    for (let epoch = resume?.epoch ?? 1; epoch <= settings.epochs; epoch++) {
      const resuming = resume !== undefined && epoch === resume.epoch;
      if (resuming) ctx.shuffle.state = resume.shuffleAtEpochStart;
      const shuffleAtEpochStart = ctx.shuffle.state;
      const batches = epochBatches(split.train, config.batchSize, ctx.shuffle);
      const priorSeconds = resuming ? resume.seconds : 0;
      const started = performance.now();
      let lossSum = resuming ? resume.lossSum : 0;
      let accSum = resuming ? resume.accSum : 0;
      const at = (step: number): StagePosition => ({
        stage, epoch, step, lossSum, accSum, seconds: priorSeconds + (performance.now() - started) / 1000, shuffleAtEpochStart, history, optimizer,
      });
      for (let step = resuming ? resume.step : 0; step < batches.length; step++) {
        await control.between(() => emit({ type: 'info', message: `paused in stage ${stage}, epoch ${epoch}, before batch ${step + 1}/${steps}` }));
        const { xs, ys } = await feed.trainBatch(batches[step]!, epoch);
        feed.prefetch(batches.slice(step + 1, step + 1 + PREFETCH_BATCHES)); // read while this one trains
        let loss: number;
        let acc: number;
        try {
          [loss, acc] = (await model.trainOnBatch(xs, ys)) as number[] as [number, number];
        } finally {
          tf.dispose([xs, ys]);
        }
        lossSum += loss;
        accSum += acc;
        emit({ type: 'batch', stage, epoch, step: step + 1, steps, loss: lossSum / (step + 1), acc: accSum / (step + 1) });
        if (step + 1 < batches.length) await ctx.checkpoint?.(at(step + 1), false);
      }
      const seconds = at(batches.length).seconds;
      const val = split.test.length ? await evaluate(model, split.test, config.batchSize, feed.testBatch, ctx.data.labels) : null;
      const metrics: EpochMetrics = {
        stage,
        epoch,
        epochs: settings.epochs,
        seconds,
        loss: lossSum / batches.length,
        acc: accSum / batches.length,
        valLoss: val?.loss ?? null,
        valAcc: val?.accuracy ?? null,
        ...memoryNow(ctx, feed),
      };
      history.push(metrics);
      lastValidation = val;
      emit({ type: 'epoch', metrics });
      if (epoch < settings.epochs) {
        await ctx.checkpoint?.(
          { stage, epoch: epoch + 1, step: 0, lossSum: 0, accSum: 0, seconds: 0, shuffleAtEpochStart: ctx.shuffle.state, history, optimizer },
          true,
        );
      }
    }
    const result = await reportStage(ctx, feed, { stage, history, trainableFrom }, lastValidation);
    emit({ type: 'stage-end', stage, result, classes: ctx.data.classes });
    return result;
  } finally {
    optimizer.dispose();
    feed.dispose();
  }
}

/** Live tensors and their bytes, and the bytes of data the stage holds outside tensors. */
function memoryNow(ctx: StageContext, feed: StageFeed): Pick<EpochMetrics, 'numTensors' | 'tensorBytes' | 'dataBytes'> {
  const { numTensors, numBytes } = tf.memory();
  return { numTensors, tensorBytes: numBytes, dataBytes: ctx.data.pixels.residentBytes + feed.bytes };
}

/** Training batches read ahead of the one that trains: a bounded queue, so memory stays flat. */
export const PREFETCH_BATCHES = 2;

/** What a stage trains and how it gets its batches: the whole model on images, or the layers above a cache. */
interface StageFeed {
  model: tf.LayersModel;
  /** Starts reading these training batches' images (when they come from files) before they are needed. */
  prefetch(batches: readonly (readonly number[])[]): void;
  trainBatch(indices: readonly number[], epoch: number): Promise<Batch>;
  testBatch(indices: readonly number[]): Promise<Batch>;
  /** Bytes of stored layer outputs it holds. */
  bytes: number;
  /** Releases what the feed added (the stored outputs; the layers' extra use by the model above the cache). */
  dispose(): void;
}

async function feedFor(ctx: StageContext, stage: 1 | 2, from: number): Promise<StageFeed> {
  const { model, data, config } = ctx;
  const cache = (stage === 1 ? config.cache.head : config.cache.finetune) ? await frozenCacheFor(ctx, stage, from) : null;
  if (cache) {
    const pick = (epoch: number) => ({ seed: config.seed, stage, epoch });
    return {
      model: cache.suffix,
      bytes: cache.cache.onDevice ? 0 : cache.cache.bytes, // on the GPU, they count as tensors
      prefetch: () => undefined,
      trainBatch: async (indices, epoch) => cachedBatch(cache.cache, data.labels, data.classes.length, indices, pick(epoch)),
      testBatch: async (indices) => cachedBatch(cache.cache, data.labels, data.classes.length, indices, null),
      // Each layer counts the models it was applied in; disposing this one only undoes its own count.
      dispose: () => {
        cache.suffix.dispose();
        disposeCache(cache.cache);
      },
    };
  }
  const augment = config.augment ? { config: config.augment, rng: ctx.augment } : undefined;
  const ahead = readAhead((indices) => data.pixels.read(indices));
  return {
    model,
    bytes: 0,
    prefetch: ahead.start,
    // Augmentation draws happen here, in batch order, whenever the pixels were read.
    trainBatch: async (indices) => batchOfPixels(data, indices, await ahead.take(indices), { preprocessing: config.preprocessing, augment }),
    testBatch: (indices) => makeBatch(data, indices, { preprocessing: config.preprocessing }),
    dispose: ahead.clear,
  };
}

/** Reads started before they are needed, taken by the same index list. */
function readAhead(read: (indices: readonly number[]) => Promise<Uint8Array>) {
  const pending = new Map<readonly number[], Promise<Uint8Array>>();
  return {
    start(batches: readonly (readonly number[])[]): void {
      for (const indices of batches) {
        if (pending.has(indices)) continue;
        const reading = read(indices);
        reading.catch(() => undefined); // a failure surfaces when the batch is taken
        pending.set(indices, reading);
      }
    },
    take(indices: readonly number[]): Promise<Uint8Array> {
      const reading = pending.get(indices) ?? read(indices);
      pending.delete(indices);
      return reading;
    },
    clear: (): void => pending.clear(),
  };
}

/** The stage's cache and the model above it, or null (with the reason in the log) where it cannot be used. */
async function frozenCacheFor(ctx: StageContext, stage: 1 | 2, from: number): Promise<{ cache: FrozenCache; suffix: tf.LayersModel } | null> {
  const { model, split, config, control, emit } = ctx;
  const cut = model.layers[from - 1]!;
  const suffix = suffixModel(model, from);
  const tell = (why: string): null => (emit({ type: 'info', message: `stage ${stage}: no cache (${why}): every epoch runs the whole model` }), null);
  if (!suffix) return tell(`the layers above ${cut.name} are not a simple chain`);
  const bytesPerImage = 4 * cutShape(model, from).reduce((a, b) => a * b, 1);
  const wanted = config.augment ? config.cache.views : 0;
  const views = viewsWithin(bytesPerImage, split.train.length, split.test.length, wanted, config.cache.budgetMB * 2 ** 20);
  if (views === null) return tell(`even ${wanted ? 2 : 1} view(s) of ${cut.name} per image exceed the ${config.cache.budgetMB} MB budget`);
  const started = performance.now();
  const cache = await buildCache(ctx, { stage, from, views, control, emit }).catch((error: unknown) => {
    suffix.dispose();
    throw error;
  });
  // On a GPU, the outputs stay there when each of the two tensors fits one buffer binding.
  const limit = deviceBufferLimit();
  if (limit !== null && cache.views * cache.trainImages * cache.length * 4 <= limit) moveToDevice(cache);
  const shape = cache.shape.join('x');
  const where = cache.onDevice ? 'gpu' : 'memory';
  emit({ type: 'cache', stage, layer: cut.name, shape, images: split.train.length, views: cache.views, bytes: cache.bytes, seconds: (performance.now() - started) / 1000, where });
  return { cache, suffix };
}

/** Report, confusion matrix and the wrong ones, from predictions on the held-out images. */
export function scoreHeldOut(
  held: { truth: ArrayLike<number>; predicted: ArrayLike<number> },
  indices: readonly number[],
  data: PixelDataset,
): Pick<StageResult, 'report' | 'confusion' | 'misclassified'> {
  const confusion = confusionMatrix(held.truth, held.predicted, data.classes.length);
  const misclassified = indices
    .map((index, i) => ({ path: data.paths[index]!, truth: held.truth[i]!, predicted: held.predicted[i]! }))
    .filter((m) => m.truth !== m.predicted);
  return { report: classificationReport(confusion, data.classes), confusion, misclassified };
}

/** The classification report on the held-out images; reuses the last epoch's validation pass when there was one. */
async function reportStage(
  ctx: StageContext,
  feed: StageFeed,
  base: Pick<StageResult, 'stage' | 'history' | 'trainableFrom'>,
  lastValidation: Evaluation | null,
): Promise<StageResult> {
  const { data, split, config } = ctx;
  if (!split.test.length) return { ...base, report: null, confusion: null, misclassified: [] };
  const final = lastValidation ?? (await evaluate(feed.model, split.test, config.batchSize, feed.testBatch, data.labels));
  return { ...base, ...scoreHeldOut(final, split.test, data) };
}
