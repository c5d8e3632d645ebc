import { openDB, type DBSchema, type IDBPDatabase } from 'idb';
import type * as tf from '@tensorflow/tfjs';
import type { StoredCheckpoint } from '../checkpoint/upgrade';
import type { EndedStatus, RunOutcome, SkippedFile, StageResult, TrainConfig } from '../protocol';

// The single truth of what is stored. Datasets, checkpoints and run history live here so that a reload,
// a crash or going offline loses nothing.

export const DB_NAME = 'finetune-trainer';
export const DB_VERSION = 1;

/** How its last run ended ('training' while one runs); a pause is not stored: a paused run is still training. */
export type ProjectStatus = 'new' | 'training' | EndedStatus;

export interface ProjectRecord {
  id: string;
  name: string;
  /** Sorted class folder names, fixed at import. */
  classes: string[];
  config: TrainConfig;
  createdAt: number;
  updatedAt: number;
  status: ProjectStatus;
  /** The answer of navigator.storage.persist() when the project was created (null: not asked). */
  persisted: boolean | null;
  imageCount: number;
  /** Duplicates (same content hash) and files that are not images, from every import. */
  skipped: SkippedFile[];
}

export interface ImageRecord {
  /** `${projectId}/${hash}`: the same bytes are stored once per project. */
  key: string;
  projectId: string;
  /** SHA-256 of the file, hex. */
  hash: string;
  path: string;
  className: string;
  blob: Blob;
  size: number;
  addedAt: number;
}

/** An encoded part of a checkpoint: its bytes in a Blob (or an ArrayBuffer, as earlier versions stored them). */
export interface StoredPart {
  specs: tf.io.WeightsManifestEntry[];
  data: Blob | ArrayBuffer;
}

/** As stored, possibly by an earlier version: read it through src/store/checkpoints.ts and upgradeCheckpoint. */
export type CheckpointRecord = StoredCheckpoint<StoredPart> & { projectId: string };

export interface RunRecord {
  id?: number;
  projectId: string;
  startedAt: number;
  endedAt: number | null;
  /** Where it ended, or null while running or after a crash. */
  outcome: RunOutcome | null;
  backend: string;
  resumedFrom: string | null;
  stages: StageResult[];
}

/** A pretrained base, downloaded or picked once; stored only after it loaded into a model. */
export interface BaseRecord {
  /** The `weights` setting it answers: a URL, or cached:<sha256> for a picked file. */
  key: string;
  kind: 'keras-h5' | 'tfjs';
  /** One .h5 file, or model.json and its weight shards. */
  files: { name: string; blob: Blob }[];
  /** SHA-256 of the (first) file. */
  sha256: string;
  bytes: number;
  addedAt: number;
}

export interface FinetuneDB extends DBSchema {
  projects: { key: string; value: ProjectRecord };
  images: { key: string; value: ImageRecord; indexes: { byProject: string } };
  checkpoints: { key: string; value: CheckpointRecord };
  runs: { key: number; value: RunRecord; indexes: { byProject: string } };
  bases: { key: string; value: BaseRecord };
}

export type FinetuneStore = IDBPDatabase<FinetuneDB>;

/** Opens (and creates or upgrades, version by version) the store. Tests pass their own name. */
export function openStore(name = DB_NAME): Promise<FinetuneStore> {
  return openDB<FinetuneDB>(name, DB_VERSION, {
    upgrade(db, oldVersion) {
      if (oldVersion < 1) {
        db.createObjectStore('projects', { keyPath: 'id' });
        db.createObjectStore('images', { keyPath: 'key' }).createIndex('byProject', 'projectId');
        db.createObjectStore('checkpoints', { keyPath: 'projectId' });
        db.createObjectStore('runs', { keyPath: 'id', autoIncrement: true }).createIndex('byProject', 'projectId');
        db.createObjectStore('bases', { keyPath: 'key' });
      }
    },
  });
}
