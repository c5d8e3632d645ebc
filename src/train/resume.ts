import { RECIPE_DEFAULTS, validateConfig, type TrainConfigInput } from '../config';
import { ConfigError } from '../errors';
import { codeUnits, fnv1a } from '../fnv1a';
import type { PixelDataset } from '../data/load';
import type { TrainConfig } from '../protocol';
import * as tf from '@tensorflow/tfjs';
import { layerIndex } from '../model/layers';
import { copyWeights } from './best-weights';
import { restoreModelWeights } from './weight-codec';
import type { Checkpoint, EncodedWeights, StageProgress } from '../checkpoint/format';
import type { LoopPosition, StageContext } from './stage-types';
import { setStreamStates } from './stage-settings';
import { rebatched } from './rebatch';

// What a session takes from a checkpoint: its settings (with what may change on resume), its cursor,
// and the identity of the data it was trained on.

/** The decoded dataset's identity: the same images, in the same classes, in the same order. */
export function datasetKey(data: PixelDataset): string {
  const text = JSON.stringify([data.size, data.classes, data.paths, Array.from(data.labels)]);
  return `${data.paths.length}:${fnv1a(codeUnits(text)).toString(16)}`;
}

/**
 * The checkpoint's settings, with the caller's backend (which changes speed, not the recipe) and the
 * caller's address for the weights (a command line serves them from a new port each run; the base's
 * content hash, checked on resume, is what must match).
 */
export function resumedConfig(checkpoint: Checkpoint, input: TrainConfigInput): TrainConfig {
  const config = { ...checkpoint.config } as TrainConfig;
  try {
    validateConfig(config); // a header that no run could have written: damaged, or forged
  } catch (error) {
    throw new ConfigError(`the checkpoint holds settings no run can have (${(error as Error).message}): it is damaged or not one of ours; start over instead of resuming`);
  }
  // Where decoded pixels live changes memory, not results.
  config.pixelBudgetMB = input.pixelBudgetMB ?? checkpoint.config.pixelBudgetMB ?? RECIPE_DEFAULTS.pixelBudgetMB;
  if (input.backend) config.backend = input.backend;
  if (input.finetuneBackend) config.finetuneBackend = input.finetuneBackend;
  if (input.threads) config.threads = input.threads;
  if (input.weights) config.weights = input.weights;
  return config;
}

/** Where the stage in progress stands, as the stage loop picks it up. */
export type CheckpointResume = LoopPosition & { optimizer: EncodedWeights | null; progress: StageProgress };

/**
 * Where the stage in progress stands, or null when no stage is in progress: both are done, or the
 * checkpoint was written between the stages (the next one then starts afresh, its search included).
 */
export function resumeOf(checkpoint: Checkpoint, batchSize: number): CheckpointResume | null {
  const { cursor, history, optimizer, config, progress } = checkpoint;
  if (cursor.done || !progress) return null;
  const { stage, epoch, step, lossSum, accSum, seconds, rng } = cursor;
  const position = { stage, epoch, step, lossSum, accSum, seconds, shuffleAtEpochStart: rng.shuffleAtEpochStart, history, optimizer, progress };
  return rebatched(position, config.batchSize, batchSize);
}

/** Where a checkpoint stands, in words. */
export function describeCursor(c: Checkpoint['cursor']): string {
  return c.done ? 'both stages finished' : `stage ${c.stage}, epoch ${c.epoch}, batch ${c.step}`;
}

/**
 * Sets a freshly built run (the base, and stage 1's starting head) to where the checkpoint stands, and
 * returns the weights the stage in progress started from (a restart after divergence goes back to them):
 * stage 1's are the fresh head's; stage 2's are the base with the head stage 1 kept. A format-1
 * checkpoint did not keep that head, so its stage 2 restarts from where it resumed.
 */
export function restoreCheckpoint(ctx: StageContext, checkpoint: Checkpoint, resume: CheckpointResume | null, headStart: number): tf.Tensor[] {
  const { model } = ctx;
  const trained = resume ? model.layers.slice(layerIndex(model, resume.stage === 1 ? headStart : ctx.config.unfreezeFrom)) : [];
  if (resume?.stage === 2 && checkpoint.stage1Head) restoreModelWeights(model, checkpoint.stage1Head, headStart);
  const knownStart = resume?.stage === 1 || checkpoint.stage1Head !== null;
  const startWeights = knownStart ? copyWeights(trained) : [];
  try {
    restoreModelWeights(model, checkpoint.weights, checkpoint.weightsFrom);
  } catch (error) {
    tf.dispose(startWeights);
    throw error;
  }
  const { rng } = checkpoint.cursor;
  setStreamStates(ctx, { shuffle: rng.shuffleAtEpochStart, augment: rng.augment, dropout: rng.dropout });
  return knownStart ? startWeights : copyWeights(trained);
}

/** The head stage 1 kept, where the checkpoint has it (a format-1 one between the stages holds it as its weights). */
export function stage1HeadOf(checkpoint: Checkpoint, headStart: number): EncodedWeights | null {
  // Format 1 stored no progress (upgrade.ts gives it one), so a file between its stages is told by its weights.
  const betweenStages = (checkpoint.format === 1 || !checkpoint.progress) && checkpoint.stages.length === 1 && checkpoint.weightsFrom === headStart;
  return checkpoint.stage1Head ?? (betweenStages ? checkpoint.weights : null);
}
