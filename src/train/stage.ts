import * as tf from '@tensorflow/tfjs';
import type { PixelDataset } from '../data/load';
import { DivergenceError } from '../errors';
import { freezeBelow } from '../model/layers';
import type { EpochMetrics, EpochScore, StageResult, StageSettings } from '../protocol';
import { BestWeights, copyWeights } from './best-weights';
import { significantlyLower } from './compare-scores';
import { restoreOptimizer, setLayerWeights } from './weight-codec';
import type { EncodedWeights, StageProgress, StreamStates } from '../checkpoint/format';
import { divergence, MAX_RESTARTS } from './divergence';
import { runEpochs, type LoopOutcome } from './epochs';
import { evaluate, type Evaluation } from './evaluate';
import { classificationReport, confusionMatrix } from './metrics';
import { memoryText } from './log-format';
import { formatRate } from './rate-search';
import { settleStage, setStreamStates, streamStates } from './stage-settings';
import { makeOptimizer } from './optimizer';
import { feedFor } from './stage-feed';
import type { LoopPosition, StageContext, StageFeed, StagePlan, StagePosition } from './stage-types';

/** Where to pick a stage up again: a checkpoint's position and progress, and the stage's starting weights. */
export type StageResume = LoopPosition & { optimizer: EncodedWeights | null; progress: StageProgress; startWeights: tf.Tensor[] };

/** The stage's starting point: its trained layers' weights and the random streams' states. */
interface StageStart {
  weights: tf.Tensor[];
  streams: StreamStates;
}

/**
 * One stage of the recipe: freeze, settle the rate (and head) by a search where asked, train with
 * validation each epoch, keep the best epoch's weights, stop early when no epoch beats it for `patience`
 * epochs, restart at a tenth of the rate when the loss diverges, then report on the test split.
 */
export async function runStage(ctx: StageContext, plan: StagePlan, resume?: StageResume): Promise<StageResult> {
  const { split, config, emit } = ctx;
  const { stage } = plan;
  const trainableFrom = freezeBelow(ctx.model, plan.trainableFrom);
  const steps = Math.max(1, Math.floor(split.train.length / config.batchSize));
  const { epochs, optimizer, learningRate } = plan.settings;
  emit({ type: 'stage-start', stage, epoch: resume?.epoch ?? 1, epochs, stepsPerEpoch: steps, trainableFrom, optimizer, learningRate });
  const feed = await feedFor(ctx, stage, trainableFrom);
  let start: StageStart | null = resume ? { weights: resume.startWeights, streams: resume.progress.startStreams } : null;
  let best: BestWeights | null = null;
  try {
    let settings = resume ? resume.progress.settings : await settleStage(ctx, plan, feed);
    if (settings.head !== ctx.head.kind) {
      ctx.head.replace(settings.head);
      freezeBelow(ctx.model, trainableFrom);
      feed.rebind(ctx.model);
    }
    const layers = ctx.model.layers.slice(trainableFrom);
    start ??= { weights: copyWeights(layers), streams: streamStates(ctx) };
    // Stage 2's epoch 0 (stage 1's model), scored from the start weights: at the start, or after a restart of a resumed run.
    let origin = stage === 2 && !resume ? await scoreStart(ctx, feed) : null;
    for (;;) {
      best = new BestWeights(layers, start.weights);
      if (resume) best.resumeFrom(resume.progress.best);
      else if (origin) best.offer(origin);
      const outcome = await attempt(ctx, feed, plan, settings, start, best, resume);
      if (outcome.kind !== 'diverged') {
        const result = await finishStage(ctx, feed, { stage, history: outcome.history, settings, trainableFrom }, best, outcome);
        emit({ type: 'stage-end', stage, result, classes: ctx.data.classes });
        return result;
      }
      const rate = settings.learningRate;
      if (settings.restarts >= MAX_RESTARTS) {
        const flag = stage === 1 ? '--head-lr' : '--finetune-lr';
        throw new DivergenceError(
          `stage ${stage} diverged at learning rate ${formatRate(rate)} (${outcome.reason})` +
            (settings.restarts ? `, after ${settings.restarts} restart(s) at a tenth of the rate` : '') +
            `: set a lower rate (${flag}), or 'auto' to measure one, or a smaller batch size`,
        );
      }
      settings = { ...settings, learningRate: Number((rate / 10).toPrecision(3)), restarts: settings.restarts + 1 };
      emit({ type: 'stage-restart', stage, learningRate: settings.learningRate, restarts: settings.restarts, reason: outcome.reason });
      setLayerWeights(layers, start.weights);
      setStreamStates(ctx, start.streams);
      best.dispose();
      if (stage === 2 && resume) origin = await scoreStart(ctx, feed);
      resume = undefined;
    }
  } finally {
    feed.dispose();
    best?.dispose();
    tf.dispose(start?.weights ?? []);
  }
}

/** Stage 2's epoch 0: the model it starts from (stage 1's) on the validation images, the score to beat. */
async function scoreStart(ctx: StageContext, feed: StageFeed): Promise<{ epoch: number; valAcc: number; valLoss: number } | null> {
  const { split, config, data, emit } = ctx;
  if (!split.validation.length) return null;
  const scored = await evaluate(feed.model, split.validation, config.batchSize, feed.heldBatch, data.labels);
  emit({ type: 'info', message: `stage 2 starts from stage 1's model: val_acc ${scored.accuracy.toFixed(4)}, val_loss ${scored.loss.toFixed(4)} on ${split.validation.length} validation images` });
  return { epoch: 0, valAcc: scored.accuracy, valLoss: scored.loss };
}

/** The stage's epochs at one rate, from its start or a resumed position, until done, stopped early or diverged. */
async function attempt(ctx: StageContext, feed: StageFeed, plan: StagePlan, settings: StageSettings, start: StageStart, best: BestWeights, resume?: StageResume): Promise<LoopOutcome> {
  const { split, config, control, emit, data } = ctx;
  const { stage } = plan;
  const optimizer = makeOptimizer(plan.settings.optimizer, settings.learningRate);
  feed.model.compile({ optimizer, loss: 'categoricalCrossentropy', metrics: ['accuracy'] });
  // Without a validation slice each epoch is scored on the test split, as the recipe does; it picks nothing then.
  const validated = split.validation.length > 0;
  const position = (at: LoopPosition): StagePosition => ({ ...at, optimizer, settings, startStreams: start.streams, best });
  try {
    if (resume?.optimizer) await restoreOptimizer(optimizer, resume.optimizer);
    return await runEpochs({
      stage,
      model: feed.model,
      feed,
      images: split.train,
      scored: validated ? split.validation : split.test,
      labels: data.labels,
      batchSize: config.batchSize,
      epochs: plan.settings.epochs,
      shuffle: ctx.shuffle,
      control,
      from: resume,
      onBatch: (epoch, step, steps, loss, acc) => void emit({ type: 'batch', stage, epoch, step, steps, loss, acc }),
      pausedAt: (epoch, step, steps) => `in stage ${stage}, epoch ${epoch}, before batch ${step + 1}/${steps}`,
      afterBatch: async (at) => {
        best.moved();
        await ctx.checkpoint?.(async () => position(await at()), false);
      },
      onStop: async (at) => ctx.saveNow?.(position(at)),
      afterEpoch: async (metrics, history, next) => {
        best.moved();
        if (validated) best.offer({ epoch: metrics.epoch, valAcc: metrics.valAcc!, valLoss: metrics.valLoss! });
        emit({ type: 'epoch', metrics });
        const diverged = divergence(history.map((m) => m.loss), data.classes.length);
        if (diverged) return { diverged };
        const since = best.score ? metrics.epoch - best.score.epoch : 0;
        if (validated && config.patience !== null && since >= config.patience && next) {
          emit({ type: 'info', message: `stage ${stage}: stopping early after epoch ${metrics.epoch}: no lower val_loss for ${since} epochs (best: epoch ${best.score!.epoch}); memory: ${memoryText(metrics)}` });
          return 'stop';
        }
        if (next) await ctx.checkpoint?.(() => Promise.resolve(position(next)), true);
        return 'go';
      },
      memory: () => memoryNow(ctx, feed),
    });
  } finally {
    optimizer.dispose();
  }
}

/** Keeps the best epoch's weights (or the last epoch's without validation), then scores the test split. */
async function finishStage(
  ctx: StageContext,
  feed: StageFeed,
  base: Pick<StageResult, 'stage' | 'history' | 'settings' | 'trainableFrom'>,
  best: BestWeights,
  outcome: LoopOutcome,
): Promise<StageResult> {
  const { data, split, config, emit } = ctx;
  const last = base.history.at(-1)?.epoch ?? 0;
  let kept = best.score;
  let rejected: EpochScore | null = null;
  if (kept) {
    best.restore();
    if (base.stage === 2) ({ kept, rejected } = await keepStage2OrStage1(ctx, feed, best, kept));
    else emit({ type: 'info', message: `stage 1: keeping epoch ${kept.epoch}'s weights (${scoreText(kept, split.validation.length)}), the best of ${last} epoch${last === 1 ? '' : 's'}` });
  }
  const stoppedEarly = outcome.kind === 'stopped' ? last : null;
  const result: StageResult = { ...base, best: kept, stoppedEarly, rejected, report: null, confusion: null, misclassified: [] };
  if (!split.test.length) return result;
  const final = await evaluate(feed.model, split.test, config.batchSize, feed.heldBatch, data.labels);
  return { ...result, ...scoreHeldOut(final, split.test, data) };
}

const scoreText = (s: EpochScore, images: number): string => `val_acc ${s.valAcc.toFixed(4)}, val_loss ${s.valLoss.toFixed(4)} on ${images} validation images`;

/**
 * Stage 2 replaces stage 1's model only on evidence: its best epoch's validation loss must be lower than
 * that of the model it started from by more than one standard error of the per-image differences;
 * otherwise stage 1's model is kept (and exported, and reported), and a warning says so.
 */
async function keepStage2OrStage1(ctx: StageContext, feed: StageFeed, best: BestWeights, score: EpochScore): Promise<{ kept: EpochScore; rejected: EpochScore | null }> {
  const { split, config, data, emit } = ctx;
  const scoreOf = (): Promise<Evaluation> => evaluate(feed.model, split.validation, config.batchSize, feed.heldBatch, data.labels);
  const images = split.validation.length;
  const stage2 = score.epoch > 0 ? await scoreOf() : null;
  best.restoreStart();
  const stage1 = await scoreOf();
  const origin: EpochScore = { epoch: 0, valAcc: stage1.accuracy, valLoss: stage1.loss };
  if (stage2 && significantlyLower(stage2.losses, stage1.losses)) {
    best.restore();
    emit({ type: 'info', message: `stage 2: keeping epoch ${score.epoch}'s weights (${scoreText(score, images)}), better than stage 1's model (val_loss ${origin.valLoss.toFixed(4)}) beyond its noise` });
    return { kept: score, rejected: null };
  }
  const why = stage2
    ? `its best epoch, ${score.epoch} (val_loss ${score.valLoss.toFixed(4)}), is not lower than stage 1's model's ${origin.valLoss.toFixed(4)} by more than its standard error`
    : `no epoch had a lower val_loss than stage 1's model (${origin.valLoss.toFixed(4)})`;
  emit({ type: 'warning', message: `stage 2 did not beat stage 1 on the ${images} validation images: ${why}; stage 1's model is kept, exported and reported below` });
  return { kept: origin, rejected: stage2 ? score : null };
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
