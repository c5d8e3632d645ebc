import type * as tf from '@tensorflow/tfjs';
import type { StreamStates, BatchPosition } from '../checkpoint/format';
import type { Batch } from '../data/batches';
import type { PixelDataset } from '../data/load';
import type { Split } from '../data/split';
import type { HeadOptions } from '../model/head';
import type { EffectiveConfig, EpochMetrics, HeadKind, StageConfig, StageSettings, TrainEventListener } from '../protocol';
import type { SeededRandom } from '../rng';
import type { BestWeights } from './best-weights';
import type { RunControl } from './control';

// What the parts of a stage share: the run's context, the plan of a stage, where its loop stands and what
// feeds it batches. Types only (and one constant), so the stage, its feed, its search and its epoch loop
// depend on this file and not on one another.

/** Training batches read ahead of the one that trains: a bounded queue, so memory stays flat. */
export const PREFETCH_BATCHES = 2;

/** Where an epoch loop stands between two batches: what a checkpoint needs of it. */
export interface LoopPosition extends BatchPosition {
  shuffleAtEpochStart: number;
  history: EpochMetrics[];
}

/**
 * What a stage trains and how it gets its batches: the layers above the frozen ones, on their stored
 * outputs (the cache) or on outputs computed batch by batch; the whole model where it cannot be cut.
 */
export interface StageFeed {
  /** The layers that train, taking this feed's batches. */
  readonly model: tf.LayersModel;
  /** One input of `model`, without the batch dimension: the cut's output, or an image. */
  readonly inputShape: number[];
  /** Starts reading these training batches' images (when they come from files) before they are needed. */
  prefetch(batches: readonly (readonly number[])[]): void;
  trainBatch(indices: readonly number[], epoch: number): Promise<Batch>;
  /** Held-out images (validation or test), plain. */
  heldBatch(indices: readonly number[]): Promise<Batch>;
  /** Bytes of stored layer outputs it holds. */
  readonly bytes: number;
  /** Feeds the same cut of another model with the same base (stage 1, once its head kind is chosen). */
  rebind(model: tf.LayersModel): void;
  /** Releases what the feed added (stored outputs; the layers' extra use by the model above the cut). */
  dispose(): void;
}

/** A point between two batches of a stage, with what a checkpoint needs from the stage loop. */
export interface StagePosition extends LoopPosition {
  optimizer: tf.Optimizer;
  settings: StageSettings;
  startStreams: StreamStates;
  best: BestWeights;
}

/** The run's head: its kind now, the kinds the base can take, and how to put another kind on the base. */
export interface RunHead {
  kind: HeadKind;
  kinds: HeadKind[];
  options: Omit<HeadOptions, 'kind'>;
  /** Replaces the model's head by a new one of `kind` (stage 1, when its search picks another kind). */
  replace(kind: HeadKind): void;
}

export interface StageContext {
  model: tf.LayersModel;
  data: PixelDataset;
  split: Split;
  config: EffectiveConfig;
  control: RunControl;
  emit: TrainEventListener;
  head: RunHead;
  /** Run-long streams: batch order and augmentation draws continue across stages. */
  shuffle: SeededRandom;
  augment: SeededRandom;
  /**
   * Called after every batch (`epochEnd` false) and after every epoch but the last (true); `at` is asked
   * for only when a checkpoint is due (it reads the metrics still on the device).
   */
  checkpoint?: (at: () => Promise<StagePosition>, epochEnd: boolean) => Promise<void>;
  /** Writes a checkpoint of `at` now, whatever the policy (a run stopped with leave to save). */
  saveNow?: (at: StagePosition) => Promise<void>;
}

export interface StagePlan {
  stage: 1 | 2;
  /** First trainable layer index (or name); everything before it is frozen. */
  trainableFrom: number | string;
  settings: StageConfig;
}
