import * as tf from '@tensorflow/tfjs';
import type { EffectiveConfig, EpochMetrics, StageResult } from '../protocol';

type NamedTensor = Awaited<ReturnType<tf.Optimizer['getWeights']>>[number];

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

export interface Checkpoint {
  format: 1;
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
  weights: EncodedWeights;
  /** The optimizer of the stage in progress (RMSprop/SGD slots and iteration count); null between stages. */
  optimizer: EncodedWeights | null;
}

/** Where checkpoints go: IndexedDB in a browser tab, files through the local server for the command line. */
export interface CheckpointSink {
  readonly label: string;
  load(): Promise<Checkpoint | null>;
  /** All or nothing: a failed save leaves the previous checkpoint as it was. */
  save(checkpoint: Checkpoint): Promise<void>;
}

export function checkpointBytes(c: Checkpoint): number {
  return c.weights.data.byteLength + (c.optimizer?.data.byteLength ?? 0);
}

async function encode(named: NamedTensor[]): Promise<EncodedWeights> {
  const { data, specs } = await tf.io.encodeWeights(named);
  return { data, specs };
}

/**
 * A weight's name in a checkpoint: its layer and position. TF.js makes variable names unique per page
 * ('head_fc/kernel_1' for a second model), so they differ between the run that saved and the one resuming.
 */
const weightKey = (layer: tf.layers.Layer, index: number): string => `${layer.name}#${index}`;

/** The weights of the layers from `fromLayer` on. */
export function encodeModelWeights(model: tf.LayersModel, fromLayer = 0): Promise<EncodedWeights> {
  return encode(model.layers.slice(fromLayer).flatMap((layer) => layer.weights.map((w, i) => ({ name: weightKey(layer, i), tensor: w.read() }))));
}

/** Overwrites the layers from `fromLayer` on with the checkpoint's values; every one of them must be there. */
export function restoreModelWeights(model: tf.LayersModel, encoded: EncodedWeights, fromLayer = 0): void {
  const decoded = tf.io.decodeWeights(encoded.data, encoded.specs);
  try {
    for (const layer of model.layers.slice(fromLayer)) {
      layer.setWeights(
        layer.weights.map((w, i) => {
          const value = decoded[weightKey(layer, i)];
          if (!value) throw new Error(`the checkpoint has no weight ${w.name} (${weightKey(layer, i)})`);
          return value;
        }),
      );
    }
  } finally {
    tf.dispose(Object.values(decoded));
  }
}

/** The optimizer's iteration count and slots, in its own order (TF.js matches slots by position). */
export async function encodeOptimizer(optimizer: tf.Optimizer): Promise<EncodedWeights> {
  const weights = await optimizer.getWeights();
  try {
    return await encode(weights);
  } finally {
    // getWeights() makes the iteration count a fresh scalar; the slots are the optimizer's own variables.
    tf.dispose(weights.filter((w) => w.name === 'iter').map((w) => w.tensor));
  }
}

export async function restoreOptimizer(optimizer: tf.Optimizer, encoded: EncodedWeights): Promise<void> {
  const decoded = tf.io.decodeWeights(encoded.data, encoded.specs);
  const ordered = encoded.specs.map((s) => ({ name: s.name, tensor: decoded[s.name]! }));
  await optimizer.setWeights(ordered);
  tf.dispose(Object.values(decoded));
}

const MAGIC = 0x4b434654; // 'FTCK'

/** One binary file: magic, header length, JSON header, model weights, optimizer weights. */
export function packCheckpoint(c: Checkpoint): ArrayBuffer {
  const header = new TextEncoder().encode(
    JSON.stringify({
      ...c,
      weights: { specs: c.weights.specs, bytes: c.weights.data.byteLength },
      optimizer: c.optimizer && { specs: c.optimizer.specs, bytes: c.optimizer.data.byteLength },
    }),
  );
  const out = new Uint8Array(8 + header.byteLength + checkpointBytes(c));
  const view = new DataView(out.buffer);
  view.setUint32(0, MAGIC, true);
  view.setUint32(4, header.byteLength, true);
  out.set(header, 8);
  out.set(new Uint8Array(c.weights.data), 8 + header.byteLength);
  if (c.optimizer) out.set(new Uint8Array(c.optimizer.data), 8 + header.byteLength + c.weights.data.byteLength);
  return out.buffer;
}

export function unpackCheckpoint(buffer: ArrayBuffer): Checkpoint {
  const view = new DataView(buffer);
  if (buffer.byteLength < 8 || view.getUint32(0, true) !== MAGIC) throw new Error('not a finetune-trainer checkpoint');
  const headerLength = view.getUint32(4, true);
  type Header = Omit<Checkpoint, 'weights' | 'optimizer'> & {
    weights: { specs: tf.io.WeightsManifestEntry[]; bytes: number };
    optimizer: { specs: tf.io.WeightsManifestEntry[]; bytes: number } | null;
  };
  const header = JSON.parse(new TextDecoder().decode(new Uint8Array(buffer, 8, headerLength))) as Header;
  const start = 8 + headerLength;
  const end = start + header.weights.bytes + (header.optimizer?.bytes ?? 0);
  if (end !== buffer.byteLength) throw new Error(`checkpoint is truncated or padded: ${buffer.byteLength} bytes, expected ${end}`);
  return {
    ...header,
    weights: { specs: header.weights.specs, data: buffer.slice(start, start + header.weights.bytes) },
    optimizer: header.optimizer && { specs: header.optimizer.specs, data: buffer.slice(start + header.weights.bytes, end) },
  };
}
