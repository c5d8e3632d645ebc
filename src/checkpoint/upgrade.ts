import { RECIPE_DEFAULTS } from '../config';
import type { StageResult, StageSettings, TrainConfig } from '../protocol';
import type { Checkpoint, EncodedWeights } from './format';

// Checkpoints written by earlier versions, brought to today's shape as they are read, one step per
// change of what is stored. `format` keeps what the file was written as: resume.ts still reads a format-1
// file's stage-1 head from its weights between the stages, which takes the model to tell.

/** A checkpoint as stored: its config and stages may lack what later versions added. */
export type StoredCheckpoint<P = EncodedWeights> = Omit<Checkpoint<P>, 'config' | 'stages'> & {
  config: Partial<TrainConfig> & Checkpoint['config'];
  stages: (Partial<StageResult> & Omit<StageResult, 'settings' | 'best' | 'stoppedEarly'>)[];
};

/** A stage's settings as format 1 ran them: the configured rate (a number then), the flatten head, no search. */
function format1Settings(c: StoredCheckpoint<unknown>, stage: 1 | 2): StageSettings {
  return { learningRate: (stage === 1 ? c.config.head : c.config.finetune).learningRate as number, head: 'flatten', restarts: 0, search: null };
}

/**
 * Format 1 (before rate searches, validation slices and best epochs) continues as it ran: its rates as
 * given, the flatten head, no validation slice (it trained on every training image), no early stopping,
 * BatchNormalization in TF.js' training mode; its stages recorded no settings and no best epoch, and its
 * stage in progress no progress (it gets the settings it ran with, and no best epoch yet).
 */
function fromFormat1<P>(c: StoredCheckpoint<P>): StoredCheckpoint<P> {
  const { config, cursor } = c;
  const progress =
    c.progress ?? (cursor.done ? null : { settings: format1Settings(c, cursor.stage), startStreams: { shuffle: cursor.rng.shuffleAtEpochStart, augment: cursor.rng.augment, dropout: cursor.rng.dropout }, best: null });
  return {
    ...c,
    // What format 1 ran with where later defaults differ; completeConfig fills the rest, the head kind included.
    config: { ...config, validationFraction: config.validationFraction ?? 0, patience: config.patience === undefined ? null : config.patience, bnTrain: config.bnTrain ?? true },
    stages: c.stages.map((s) => ({ ...s, settings: s.settings ?? format1Settings(c, s.stage) })),
    progress,
  };
}

/** Settings added within format 2, as a run ran before they existed: the flatten head, the recipe's defaults, no frozen-layer cache. */
function completeConfig(config: StoredCheckpoint['config']): TrainConfig {
  return {
    ...config,
    headKind: config.headKind ?? 'flatten',
    validationFraction: config.validationFraction ?? RECIPE_DEFAULTS.validationFraction,
    patience: config.patience === undefined ? RECIPE_DEFAULTS.patience : config.patience,
    bnTrain: config.bnTrain ?? false,
    maxImageMegapixels: config.maxImageMegapixels ?? RECIPE_DEFAULTS.maxImageMegapixels,
    cache: config.cache ?? { head: false, finetune: false, views: 0, budgetMB: RECIPE_DEFAULTS.cache.budgetMB },
  };
}

/** A stored checkpoint of any format this project wrote, in today's shape (its parts as they are). Applying it twice changes nothing. */
export function upgradeCheckpoint<P = EncodedWeights>(stored: StoredCheckpoint<P>): Checkpoint<P> {
  const c = stored.format === 1 ? fromFormat1(stored) : stored;
  return {
    ...c,
    config: completeConfig(c.config),
    stages: c.stages.map((s) => ({ ...s, settings: s.settings!, best: s.best ?? null, stoppedEarly: s.stoppedEarly ?? null })),
    progress: c.progress ?? null,
    stage1Head: c.stage1Head ?? null,
  } as Checkpoint<P>;
}
