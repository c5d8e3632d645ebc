import * as tf from '@tensorflow/tfjs';
import type { EffectiveConfig, EpochMetrics, EpochScore, StageResult, StageSettings } from '../protocol';

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

/** The random streams' states where a stage started: a restart after divergence starts from them again. */
export interface StreamStates {
  shuffle: number;
  augment: number;
  dropout: number[];
}

/** The best epoch so far, with its weights ('current': those of `weights`; 'start': the stage's starting ones). */
export type BestCheckpoint = EpochScore & { weights: EncodedWeights | 'current' | 'start' };

/** What the stage in progress settled on and has found, beyond the cursor. */
export interface StageProgress {
  settings: StageSettings;
  startStreams: StreamStates;
  best: BestCheckpoint | null;
}

export const CHECKPOINT_FORMAT = 2;

export interface Checkpoint {
  /** 1: before rate searches, validation slices and best epochs (upgraded on load, see resume.ts). */
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
  weights: EncodedWeights;
  /** The optimizer of the stage in progress (RMSprop/SGD slots and iteration count); null between stages. */
  optimizer: EncodedWeights | null;
  /** The stage in progress (null between stages). */
  progress: StageProgress | null;
  /** The head stage 1 kept, once stage 1 is done: stage 2's start (with the base), and its fallback. */
  stage1Head: EncodedWeights | null;
}

/** Where checkpoints go: IndexedDB in a browser tab, files through the local server for the command line. */
export interface CheckpointSink {
  readonly label: string;
  load(): Promise<Checkpoint | null>;
  /** All or nothing: a failed save leaves the previous checkpoint as it was. */
  save(checkpoint: Checkpoint): Promise<void>;
}

/** The encoded parts of a checkpoint besides its header, in the order a packed file holds them. */
function blobsOf(c: Checkpoint): EncodedWeights[] {
  const best = c.progress?.best?.weights;
  return [c.weights, ...(c.optimizer ? [c.optimizer] : []), ...(best && typeof best === 'object' ? [best] : []), ...(c.stage1Head ? [c.stage1Head] : [])];
}

export function checkpointBytes(c: Checkpoint): number {
  return blobsOf(c).reduce((n, w) => n + w.data.byteLength, 0);
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

/** The weights of these layers, or of values standing for them (one tensor per weight, in layer order). */
export function encodeLayerWeights(layers: readonly tf.layers.Layer[], values?: readonly tf.Tensor[]): Promise<EncodedWeights> {
  let next = 0;
  return encode(layers.flatMap((layer) => layer.weights.map((w, i) => ({ name: weightKey(layer, i), tensor: values ? values[next++]! : w.read() }))));
}

/** The weights of the layers from `fromLayer` on. */
export function encodeModelWeights(model: tf.LayersModel, fromLayer = 0): Promise<EncodedWeights> {
  return encodeLayerWeights(model.layers.slice(fromLayer));
}

/** The encoded values of these layers' weights as tensors, in layer order (the caller owns them). */
export function decodeLayerWeights(layers: readonly tf.layers.Layer[], encoded: EncodedWeights): tf.Tensor[] {
  const decoded = tf.io.decodeWeights(encoded.data, encoded.specs);
  const wanted = new Set<tf.Tensor>();
  try {
    return layers.flatMap((layer) =>
      layer.weights.map((w, i) => {
        const value = decoded[weightKey(layer, i)];
        if (!value) throw new Error(`the checkpoint has no weight ${w.name} (${weightKey(layer, i)})`);
        wanted.add(value);
        return value;
      }),
    );
  } finally {
    tf.dispose(Object.values(decoded).filter((t) => !wanted.has(t)));
  }
}

/** Sets these layers' weights to `values` (one tensor per weight, in layer order). */
export function setLayerWeights(layers: readonly tf.layers.Layer[], values: readonly tf.Tensor[]): void {
  let next = 0;
  for (const layer of layers) layer.setWeights(layer.weights.map(() => values[next++]!));
}

/** Overwrites the layers from `fromLayer` on with the checkpoint's values; every one of them must be there. */
export function restoreModelWeights(model: tf.LayersModel, encoded: EncodedWeights, fromLayer = 0): void {
  const layers = model.layers.slice(fromLayer);
  let values: tf.Tensor[] = [];
  try {
    values = decodeLayerWeights(layers, encoded);
    setLayerWeights(layers, values);
  } finally {
    tf.dispose(values);
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

/** An encoded part as the packed header describes it: its specs and byte count; its bytes follow the header. */
interface PackedPart {
  specs: tf.io.WeightsManifestEntry[];
  bytes: number;
}

const packed = (w: EncodedWeights): PackedPart => ({ specs: w.specs, bytes: w.data.byteLength });

/** One binary file: magic, header length, JSON header, then the weights, optimizer, best and stage-1 head bytes. */
export function packCheckpoint(c: Checkpoint): ArrayBuffer {
  const best = c.progress?.best;
  const header = new TextEncoder().encode(
    JSON.stringify({
      ...c,
      weights: packed(c.weights),
      optimizer: c.optimizer && packed(c.optimizer),
      progress: c.progress && { ...c.progress, best: best && { ...best, weights: typeof best.weights === 'object' ? packed(best.weights) : best.weights } },
      stage1Head: c.stage1Head && packed(c.stage1Head),
    }),
  );
  const out = new Uint8Array(8 + header.byteLength + checkpointBytes(c));
  const view = new DataView(out.buffer);
  view.setUint32(0, MAGIC, true);
  view.setUint32(4, header.byteLength, true);
  out.set(header, 8);
  let at = 8 + header.byteLength;
  for (const part of blobsOf(c)) {
    out.set(new Uint8Array(part.data), at);
    at += part.data.byteLength;
  }
  return out.buffer;
}

export function unpackCheckpoint(buffer: ArrayBuffer): Checkpoint {
  const view = new DataView(buffer);
  if (buffer.byteLength < 8 || view.getUint32(0, true) !== MAGIC) throw new Error('not a finetune-trainer checkpoint');
  const headerLength = view.getUint32(4, true);
  type Header = Omit<Checkpoint, 'weights' | 'optimizer' | 'progress' | 'stage1Head'> & {
    weights: PackedPart;
    optimizer: PackedPart | null;
    progress?: (Omit<StageProgress, 'best'> & { best: (EpochScore & { weights: PackedPart | 'current' | 'start' }) | null }) | null;
    stage1Head?: PackedPart | null;
  };
  const header = JSON.parse(new TextDecoder().decode(new Uint8Array(buffer, 8, headerLength))) as Header;
  let at = 8 + headerLength;
  const take = (part: PackedPart): EncodedWeights => {
    const data = buffer.slice(at, at + part.bytes);
    at += part.bytes;
    return { specs: part.specs, data };
  };
  const bestPart = header.progress?.best?.weights;
  const expected = [header.weights, header.optimizer, typeof bestPart === 'object' ? bestPart : null, header.stage1Head ?? null].reduce((n, p) => n + (p?.bytes ?? 0), at);
  if (expected !== buffer.byteLength) throw new Error(`checkpoint is truncated or padded: ${buffer.byteLength} bytes, expected ${expected}`);
  const weights = take(header.weights);
  const optimizer = header.optimizer ? take(header.optimizer) : null;
  const best = header.progress?.best;
  const progress = header.progress ? { ...header.progress, best: best ? { ...best, weights: typeof best.weights === 'object' ? take(best.weights) : best.weights } : null } : null;
  const stage1Head = header.stage1Head ? take(header.stage1Head) : null;
  return { ...header, weights, optimizer, progress, stage1Head };
}
