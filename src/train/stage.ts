import * as tf from '@tensorflow/tfjs';
import { epochBatches, stepsPerEpoch } from '../data/batches';
import type { PixelDataset } from '../data/load';
import type { Split } from '../data/split';
import { freezeBelow } from '../model/layers';
import type { EffectiveConfig, EpochMetrics, StageConfig, StageResult, TrainEventListener } from '../protocol';
import type { SeededRandom } from '../rng';
import { restoreOptimizer, type BatchPosition, type EncodedWeights } from './checkpoint';
import type { RunControl } from './control';
import { evaluate, type Evaluation } from './evaluate';
import { classificationReport, confusionMatrix } from './metrics';
import { feedFor, PREFETCH_BATCHES, type StageFeed } from './stage-feed';
import { PendingMetrics, trainStep } from './train-step';

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
  /**
   * Called after every batch (`epochEnd` false) and after every epoch but the last (true); `at` is asked
   * for only when a checkpoint is due (it reads the metrics still on the device).
   */
  checkpoint?: (at: () => Promise<StagePosition>, epochEnd: boolean) => Promise<void>;
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
  const pending = new PendingMetrics();
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
      let stepsRead = resuming ? resume.step : 0;
      const readMetrics = async (): Promise<void> => {
        const values = await pending.read();
        if (!values.length) return;
        for (const [loss, acc] of values) {
          lossSum += loss!;
          accSum += acc!;
        }
        stepsRead += values.length;
        emit({ type: 'batch', stage, epoch, step: stepsRead, steps, loss: lossSum / stepsRead, acc: accSum / stepsRead });
      };
      for (let step = resuming ? resume.step : 0; step < batches.length; step++) {
        if (control.isPaused) await readMetrics(); // a paused run shows where it stands
        await control.between(() => emit({ type: 'info', message: `paused in stage ${stage}, epoch ${epoch}, before batch ${step + 1}/${steps}` }));
        const { xs, ys } = await feed.trainBatch(batches[step]!, epoch);
        feed.prefetch(batches.slice(step + 1, step + 1 + PREFETCH_BATCHES)); // read while this one trains
        try {
          pending.add(await trainStep(model, xs, ys));
        } finally {
          tf.dispose([xs, ys]);
        }
        const last = step + 1 === batches.length;
        if (last || pending.due) await readMetrics();
        if (!last) await ctx.checkpoint?.(async () => (await readMetrics(), at(step + 1)), false);
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
        const next: StagePosition = { stage, epoch: epoch + 1, step: 0, lossSum: 0, accSum: 0, seconds: 0, shuffleAtEpochStart: ctx.shuffle.state, history, optimizer };
        await ctx.checkpoint?.(() => Promise.resolve(next), true);
      }
    }
    const result = await reportStage(ctx, feed, { stage, history, trainableFrom }, lastValidation);
    emit({ type: 'stage-end', stage, result, classes: ctx.data.classes });
    return result;
  } finally {
    pending.dispose();
    optimizer.dispose();
    feed.dispose();
  }
}

/** Live tensors and their bytes, and the bytes of data the stage holds outside tensors. */
function memoryNow(ctx: StageContext, feed: StageFeed): Pick<EpochMetrics, 'numTensors' | 'tensorBytes' | 'dataBytes'> {
  const { numTensors, numBytes } = tf.memory();
  return { numTensors, tensorBytes: numBytes, dataBytes: ctx.data.pixels.residentBytes + feed.bytes };
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
