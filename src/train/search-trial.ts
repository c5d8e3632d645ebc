import { standaloneHead } from '../model/head';
import type { HeadKind, SearchTrial, StageConfig } from '../protocol';
import type { ScoredTrial } from './rate-search';
import { streamFor } from '../rng';
import { isBetter } from './compare-scores';
import { divergence, DIVERGED_EPOCHS } from './divergence';
import { runEpochs } from './epochs';
import type { StageContext, StageFeed } from './stage-types';
import { makeOptimizer } from './optimizer';

export interface TrialSpec {
  stage: 1 | 2;
  optimizer: StageConfig['optimizer'];
  learningRate: number;
  head: HeadKind;
  epochs: number;
  /** Its number in the search, for progress. */
  trial: number;
}

/**
 * One candidate of a search: a few epochs on the training images from the stage's start, scored on the
 * validation images after each (the best epoch counts). Stage 1 trains a fresh head of the candidate's
 * kind on the feed's frozen outputs (attachHead's seeds: the run's head starts the same); stage 2 trains
 * the run's own layers above the cut, which the caller resets before each trial. Batches come in the
 * search's own seeded order, the same for every candidate.
 */
export async function runTrial(ctx: StageContext, feed: StageFeed, spec: TrialSpec): Promise<ScoredTrial> {
  const { split, config, data, control, emit } = ctx;
  const { stage, epochs } = spec;
  const model = stage === 1 ? standaloneHead(feed.inputShape, { ...ctx.head.options, kind: spec.head }) : feed.model;
  const optimizer = makeOptimizer(spec.optimizer, spec.learningRate);
  model.compile({ optimizer, loss: 'categoricalCrossentropy', metrics: ['accuracy'] });
  let best: { valAcc: number; valLoss: number } | null = null;
  let bestLosses: Float32Array | null = null;
  try {
    const outcome = await runEpochs({
      stage,
      model,
      feed,
      images: split.train,
      scored: split.validation,
      labels: data.labels,
      batchSize: config.batchSize,
      epochs,
      shuffle: streamFor(config.seed, `search/${stage}`),
      control,
      pausedAt: () => `in stage ${stage}, while searching its learning rate (trial ${spec.trial})`,
      afterEpoch: async (metrics, history, _next, scored) => {
        if (scored) {
          const score = { valAcc: scored.accuracy, valLoss: scored.loss };
          if (isBetter(score, best)) [best, bestLosses] = [score, scored.losses];
        }
        await emit({ type: 'search-progress', stage, trial: spec.trial, epoch: metrics.epoch, epochs });
        const diverged = divergence(history.map((m) => m.loss), data.classes.length, Math.min(DIVERGED_EPOCHS, epochs));
        return diverged ? { diverged } : 'go';
      },
      memory: () => ({ numTensors: 0, tensorBytes: 0, dataBytes: 0 }),
    });
    const scored = best as { valAcc: number; valLoss: number } | null;
    const trial: SearchTrial = {
      learningRate: spec.learningRate,
      head: spec.head,
      valAcc: scored?.valAcc ?? null,
      valLoss: scored?.valLoss ?? null,
      loss: outcome.history.at(-1)?.loss ?? null,
      diverged: outcome.kind === 'diverged',
    };
    await emit({ type: 'search-trial', stage, trial, epochs });
    return { trial, losses: bestLosses };
  } finally {
    optimizer.dispose();
    if (stage === 1) model.dispose();
  }
}
