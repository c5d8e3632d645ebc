import type { BackendChoice } from './backend';
import type { TrainConfig } from './config';
import type { SkippedFile } from './data';
import type { LayerInfo, StageResult } from './results';

// Opening a run (where its checkpoints go) and what it answers: its plan, its result, its export.

/** Where a session keeps its checkpoints. */
export type CheckpointTarget = { kind: 'indexeddb'; projectId: string } | { kind: 'http'; url: string };

export interface CheckpointSettings {
  target: CheckpointTarget;
  /** Also every this many batches (default: only at epoch ends, and at least every `everySeconds`). */
  everyBatches?: number | null;
  everySeconds?: number;
  /** Skip an epoch-end checkpoint that would take more than this share of the time (default 0.1; 1: never skip). */
  maxOverhead?: number;
}

export interface PrepareResult {
  /** The settings in effect (a resumed run's come from its checkpoint), preprocessing and size resolved. */
  config: TrainConfig;
  /** Which base, and the identity of its weights (seed or content hash). */
  base: { label: string; identity: string };
  /** Stage 1's backend, which also decodes, evaluates and exports. */
  backend: BackendChoice;
  finetuneBackend: BackendChoice;
  classes: string[];
  counts: number[];
  trainSize: number;
  validationSize: number;
  testSize: number;
  /** Index of the head's first layer: the base is every layer before it. */
  headStart: number;
  skipped: SkippedFile[];
  layers: LayerInfo[];
  /** Held-out images, by path. */
  testPaths: string[];
  /** Where a resumed session picks up ('' for a fresh one). */
  resumedAt: string;
  /** Both stages already finished in the checkpoint this session resumed. */
  finished: boolean;
}

export interface RecipeResult extends PrepareResult {
  stages: StageResult[];
}

/** A trained model as tfjs writes it: the model.json text and the one weights file it names. */
export interface ExportedModel {
  modelJson: string;
  weightsFileName: string;
  weights: ArrayBuffer;
}

export interface LayerFingerprint {
  index: number;
  name: string;
  /** FNV-1a over the bytes of every weight of the layer; '' for layers without weights. */
  hash: string;
}
