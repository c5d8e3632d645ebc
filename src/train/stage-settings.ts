import * as tf from '@tensorflow/tfjs';
import { dropoutLayers } from '../model/head';
import type { HeadKind, StageSettings } from '../protocol';
import { RECIPE_LEARNING_RATE } from '../config';
import { copyWeights } from './best-weights';
import { setLayerWeights } from './weight-codec';
import type { StreamStates } from '../checkpoint/format';
import { formatRate, SEARCH_EPOCHS, searchRates } from './rate-search';
import { runTrial } from './search-trial';
import type { StageContext, StageFeed, StagePlan } from './stage-types';

export function dropoutStates(model: tf.LayersModel): number[] {
  return dropoutLayers(model).map((l) => l.stream.state);
}

/** The run's random streams now: batch order, augmentation and each dropout layer's masks. */
export function streamStates(ctx: Pick<StageContext, 'model' | 'shuffle' | 'augment'>): StreamStates {
  return { shuffle: ctx.shuffle.state, augment: ctx.augment.state, dropout: dropoutStates(ctx.model) };
}

export function setStreamStates(ctx: Pick<StageContext, 'model' | 'shuffle' | 'augment'>, states: StreamStates): void {
  ctx.shuffle.state = states.shuffle;
  ctx.augment.state = states.augment;
  dropoutLayers(ctx.model).forEach((layer, i) => (layer.stream.state = states.dropout[i]!));
}

/**
 * The stage's rate and head: as given, or found by a search (rate-search.ts) where the rate is 'auto' or
 * stage 1's head kind is; the search leaves the model, its streams and the run's streams as it found them.
 */
export async function settleStage(ctx: StageContext, plan: StagePlan, feed: StageFeed): Promise<StageSettings> {
  const { stage, settings } = plan;
  const heads: HeadKind[] = stage === 1 && ctx.config.headKind === 'auto' ? ctx.head.kinds : [stage === 1 && ctx.config.headKind !== 'auto' ? ctx.config.headKind : ctx.head.kind];
  const rate = settings.learningRate;
  if (rate !== 'auto' && heads.length === 1) return { learningRate: rate, head: heads[0]!, restarts: 0, search: null };
  const { split, emit } = ctx;
  if (!split.validation.length) {
    // Without held-out images there is nothing honest to score a candidate on (the training loss rewards the rate that moves least).
    const given = { learningRate: rate === 'auto' ? RECIPE_LEARNING_RATE : rate, head: heads[0]!, restarts: 0, search: null };
    emit({ type: 'warning', message: `stage ${stage}: no validation images (validation fraction 0, or too few images a class), so nothing is searched: lr ${formatRate(given.learningRate)}, the ${given.head} head` });
    return given;
  }
  const epochs = Math.min(SEARCH_EPOCHS, settings.epochs);
  const started = performance.now();
  const saved = streamStates(ctx);
  // Stage 2's trials train the run's own layers above the cut; each starts from, and leaves, these weights.
  const trained = stage === 2 ? feed.model.layers : [];
  const startWeights = copyWeights(trained);
  let count = 0;
  try {
    const climb = rate === 'auto';
    const { chosen, trials } = await searchRates(heads, climb ? RECIPE_LEARNING_RATE : rate, climb, async (candidate) => {
      setLayerWeights(trained, startWeights);
      setStreamStates(ctx, saved);
      return runTrial(ctx, feed, { stage, optimizer: settings.optimizer, epochs, trial: ++count, ...candidate });
    });
    const search = { trials, epochs, trainImages: split.train.length, validationImages: split.validation.length, seconds: (performance.now() - started) / 1000 };
    emit({ type: 'search', stage, search, chosen });
    return { learningRate: chosen.learningRate, head: chosen.head, restarts: 0, search };
  } finally {
    setLayerWeights(trained, startWeights);
    tf.dispose(startWeights);
    setStreamStates(ctx, saved);
  }
}
