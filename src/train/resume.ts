import { RECIPE_DEFAULTS, type TrainConfigInput } from '../config';
import type { PixelDataset } from '../data/load';
import type { TrainConfig } from '../protocol';
import type { Checkpoint } from './checkpoint';
import { rebatched } from './recovery';
import type { StageResume } from './stage';

// What a session takes from a checkpoint: its settings (with what may change on resume), its cursor,
// and the identity of the data it was trained on.

/** The decoded dataset's identity: the same images, in the same classes, in the same order. */
export function datasetKey(data: PixelDataset): string {
  let h = 0x811c9dc5;
  const text = JSON.stringify([data.size, data.classes, data.paths, Array.from(data.labels)]);
  for (let i = 0; i < text.length; i++) h = Math.imul(h ^ text.charCodeAt(i), 0x01000193);
  return `${data.paths.length}:${(h >>> 0).toString(16)}`;
}

/**
 * The checkpoint's settings, with the caller's backend (which changes speed, not the recipe) and the
 * caller's address for the weights (a command line serves them from a new port each run; the base's
 * content hash, checked on resume, is what must match).
 */
export function resumedConfig(checkpoint: Checkpoint, input: TrainConfigInput): TrainConfig {
  // A checkpoint from before the frozen-layer cache continues as it ran: without one.
  const config = { ...checkpoint.config, cache: checkpoint.config.cache ?? { head: false, finetune: false, views: 0, budgetMB: RECIPE_DEFAULTS.cache.budgetMB } };
  // Where decoded pixels live changes memory, not results.
  config.pixelBudgetMB = input.pixelBudgetMB ?? checkpoint.config.pixelBudgetMB ?? RECIPE_DEFAULTS.pixelBudgetMB;
  if (input.backend) config.backend = input.backend;
  if (input.finetuneBackend) config.finetuneBackend = input.finetuneBackend;
  if (input.weights) config.weights = input.weights;
  return config;
}

export function resumeOf({ cursor, history, optimizer, config }: Checkpoint, batchSize: number): StageResume | null {
  if (cursor.done) return null;
  const { stage, epoch, step, lossSum, accSum, seconds, rng } = cursor;
  const position = { stage, epoch, step, lossSum, accSum, seconds, shuffleAtEpochStart: rng.shuffleAtEpochStart, history, optimizer };
  return rebatched(position, config.batchSize, batchSize);
}

/** Where a checkpoint stands, in words. */
export function describeCursor(c: Checkpoint['cursor']): string {
  return c.done ? 'both stages finished' : `stage ${c.stage}, epoch ${c.epoch}, batch ${c.step}`;
}
