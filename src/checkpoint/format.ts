import type * as tf from '@tensorflow/tfjs';
import type { EffectiveConfig, EpochMetrics, EpochScore, StageResult, StageSettings } from '../protocol';

// What a checkpoint holds, as every version of this project writes it now: the cursor, the settings, the
// encoded weights and optimizer, what the stage in progress has found. Older files are brought to this
// shape by upgrade.ts when they are read; pack.ts is the file layout.

/** A point between two batches of a stage. */
export interface BatchPosition {
  stage: 1 | 2;
  /** The epoch in progress (1-based), and how many of its batches are done. */
  epoch: number;
  step: number;
  /** Running sums of the epoch in progress, and the seconds it has taken so far. */
  lossSum: number;
  accSum: number;
  seconds: number;
}

/** Where a run stands between two batches: enough to continue exactly as if it had never stopped. */
export interface TrainingCursor extends BatchPosition {
  rng: {
    /** The shuffle stream before this epoch's permutation was drawn (drawing it again gives the same batches). */
    shuffleAtEpochStart: number;
    augment: number;
    /** One stream per dropout layer, in layer order. */
    dropout: number[];
  };
  /** Both stages finished: nothing left to train. */
  done: boolean;
}

export interface EncodedWeights {
  specs: tf.io.WeightsManifestEntry[];
  data: ArrayBuffer;
}

/** The random streams' states where a stage started: a restart after divergence starts from them again. */
export interface StreamStates {
  shuffle: number;
  augment: number;
  dropout: number[];
}

/** The best epoch so far, with its weights ('current': those of `weights`; 'start': the stage's starting ones). */
export type BestCheckpoint<P = EncodedWeights> = EpochScore & { weights: P | 'current' | 'start' };

/** What the stage in progress settled on and has found, beyond the cursor. */
export interface StageProgress<P = EncodedWeights> {
  settings: StageSettings;
  startStreams: StreamStates;
  best: BestCheckpoint<P> | null;
}

export const CHECKPOINT_FORMAT = 2;

/**
 * Its encoded parts (weights, optimizer, best epoch's, stage 1's head) have the form P: bytes in memory
 * (EncodedWeights), described in a packed file's header (pack.ts), Blobs in IndexedDB (src/store/checkpoints.ts).
 */
export interface Checkpoint<P = EncodedWeights> {
  /** 1: before rate searches, validation slices and best epochs (upgraded on load: upgrade.ts). */
  format: 1 | 2;
  createdAt: number;
  /** The settings the run trained with, resolved (a number for batchSize, even if 'auto' was asked). */
  config: EffectiveConfig;
  /** Fingerprint of the decoded dataset (paths and labels): resuming on other data is refused. */
  datasetKey: string;
  /** The base's weights (seed or content hash): resuming on another base is refused. */
  baseIdentity: string;
  cursor: TrainingCursor;
  /** Finished stages, with their reports. */
  stages: StageResult[];
  /** Epochs of the stage in progress. */
  history: EpochMetrics[];
  /**
   * Weights of the layers from `weightsFrom` on: the only ones training can have changed. The layers
   * before it are the base as built (seeded, or loaded from its stored source), rebuilt on resume.
   */
  weightsFrom: number;
  weights: P;
  /** The optimizer of the stage in progress (RMSprop/SGD slots and iteration count); null between stages. */
  optimizer: P | null;
  /** The stage in progress (null between stages). */
  progress: StageProgress<P> | null;
  /** The head stage 1 kept, once stage 1 is done: stage 2's start (with the base), and its fallback. */
  stage1Head: P | null;
}

/** Where checkpoints go: IndexedDB in a browser tab, files through the local server for the command line. */
export interface CheckpointSink {
  readonly label: string;
  load(): Promise<Checkpoint | null>;
  /** All or nothing: a failed save leaves the previous checkpoint as it was. */
  save(checkpoint: Checkpoint): Promise<void>;
}

