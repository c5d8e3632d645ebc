import * as tf from '@tensorflow/tfjs';
import { copyValues, filledTensor } from '../backend/heap-tensor';
import { makeBatch, oneHotTensor, type Batch } from '../data/batches';
import type { TrainEventListener } from '../protocol';
import { deriveSeed, streamFor } from '../rng';
import type { RunControl } from './control';
import type { StageContext } from './stage-types';

// A stage's frozen layers give the same output for the same input in every epoch, so they run once:
// over the plain view and `views` augmented views of each training image (drawn from the seed, so a
// resumed run rebuilds the same cache) and over each held-out image. Training then runs only the layers
// above them, on the stored outputs; each epoch feeds every image one of its views, chosen from
// (seed, stage, epoch, image) alone, so no extra state needs a checkpoint. Held-out images (validation
// and test) are stored in their plain view only.

/** The outputs of the layer before the first trained one. */
export interface FrozenCache {
  /** Stored views per training image; view 0 is the plain image. */
  views: number;
  /** One image's output shape (without the batch dimension), and its length. */
  shape: number[];
  length: number;
  /** Per view, the outputs of the training images in split order (emptied once they live on the GPU). */
  train: Float32Array[];
  /** The held-out images' (validation, then test). */
  held: Float32Array;
  /** The same outputs as tensors on the backend: train [views * images, ...shape], then the held-out ones. */
  onDevice: { train: tf.Tensor; held: tf.Tensor } | null;
  /** An image's row in `train` or `held`. */
  rowOf: Map<number, number>;
  trainImages: number;
  bytes: number;
}

/**
 * Moves the stored outputs into two tensors on the current backend (GPU memory on webgpu), so a batch is
 * a gather there instead of an upload from JS memory; the JS copies are released.
 */
export function moveToDevice(cache: FrozenCache): void {
  if (cache.onDevice) return;
  const all = new Float32Array(cache.views * cache.trainImages * cache.length);
  cache.train.forEach((view, v) => all.set(view, v * cache.trainImages * cache.length));
  cache.onDevice = {
    train: tf.tensor(all, [cache.views * cache.trainImages, ...cache.shape]),
    held: tf.tensor(cache.held, [cache.held.length / cache.length, ...cache.shape]),
  };
  cache.train = [];
  cache.held = new Float32Array(0);
}

/** Frees what the cache holds on the backend. */
export function disposeCache(cache: FrozenCache): void {
  if (cache.onDevice) tf.dispose([cache.onDevice.train, cache.onDevice.held]);
  cache.onDevice = null;
}

/**
 * The layers from `from` to the end, re-applied to an input shaped like the output of layer `from - 1`:
 * a model that shares their weights. Null when those layers are not a chain (a branch or a skip
 * connection crosses the cut), where only the whole model can train them.
 */
export function suffixModel(model: tf.LayersModel, from: number): tf.LayersModel | null {
  const layers = model.layers.slice(from);
  const chain = layers.every((layer, i) => {
    const inbound = layer.inboundNodes[0]?.inboundLayers ?? [];
    return inbound.length === 1 && inbound[0] === model.layers[from + i - 1];
  });
  if (!chain || model.outputs.length !== 1 || model.outputs[0]!.sourceLayer !== layers.at(-1)) return null;
  const input = tf.input({ shape: cutShape(model, from) });
  const output = layers.reduce<tf.SymbolicTensor>((x, layer) => layer.apply(x) as tf.SymbolicTensor, input);
  return tf.model({ inputs: input, outputs: output, name: `${model.name}_from_${from}` });
}

/** One image's output shape (no batch dimension) of the layer before `from`: what a cache stores. */
export function cutShape(model: tf.LayersModel, from: number): number[] {
  return (model.layers[from - 1]!.outputShape as number[]).slice(1);
}

/** The layers before `from`, as a model that shares their weights. */
export function prefixModel(model: tf.LayersModel, from: number): tf.LayersModel {
  return tf.model({ inputs: model.inputs, outputs: model.layers[from - 1]!.output as tf.SymbolicTensor });
}

/**
 * The model cut at `from`: the layers below as one model, those above as another, sharing their weights;
 * null where nothing is below or the layers above are not a chain. Dispose only `suffix` (see feedFor).
 */
export function frozenSplit(model: tf.LayersModel, from: number): { prefix: tf.LayersModel; suffix: tf.LayersModel } | null {
  const suffix = from > 0 ? suffixModel(model, from) : null;
  return suffix ? { prefix: prefixModel(model, from), suffix } : null;
}

/** The batch with its images replaced by the frozen layers' output for them, computed without a gradient tape. */
export function throughFrozen(prefix: tf.LayersModel, batch: Batch): Batch {
  const xs = tf.tidy(() => prefix.predictOnBatch(batch.xs) as tf.Tensor);
  batch.xs.dispose();
  return { xs, ys: batch.ys };
}

/** Views the budget allows: `wanted` augmented ones, fewer if they do not fit, null if not even one does. */
export function viewsWithin(bytesPerImage: number, trainImages: number, heldImages: number, wanted: number, budgetBytes: number): number | null {
  const fits = Math.floor((budgetBytes / bytesPerImage - heldImages) / trainImages) - 1;
  if (wanted === 0) return fits >= 0 ? 0 : null;
  return fits >= 1 ? Math.min(wanted, fits) : null;
}

/** Writes the frozen layers' outputs for the batch into `target` at `offset`. */
async function storeOutputs(prefix: tf.LayersModel, batch: Batch, target: Float32Array, offset: number): Promise<void> {
  // predict, not predictOnBatch: the frozen layers run 32 images at a time, whatever the batch size.
  const out = prefix.predict(batch.xs) as tf.Tensor;
  tf.dispose([batch.xs, batch.ys]);
  try {
    await copyValues(out, target, offset);
  } finally {
    out.dispose();
  }
}

interface BuildOptions {
  stage: 1 | 2;
  from: number;
  /** Augmented views per training image (0 when augmentation is off). */
  views: number;
  control: RunControl;
  emit: TrainEventListener;
}

/** Runs the frozen layers once over every view of every image, in batches, between which pause and cancel act. */
export async function buildCache(ctx: Omit<StageContext, 'checkpoint'>, options: BuildOptions): Promise<FrozenCache> {
  const { model, data, split, config } = ctx;
  const { stage, from, control, emit } = options;
  const prefix = prefixModel(model, from);
  const shape = cutShape(model, from);
  const length = shape.reduce((a, b) => a * b, 1);
  const views = 1 + (config.augment ? options.views : 0);
  const rng = streamFor(config.seed, `cache/${stage}`);
  const augment = config.augment ? { config: config.augment, rng } : undefined;
  const held = [...split.validation, ...split.test];
  const total = views * split.train.length + held.length;
  let done = 0;
  const fill = async (indices: readonly number[], target: Float32Array, augmented: boolean): Promise<void> => {
    for (let start = 0; start < indices.length; start += config.batchSize) {
      await control.between(() => `in stage ${stage}, while caching its frozen layers (${done}/${total} images)`);
      const chunk = indices.slice(start, start + config.batchSize);
      await storeOutputs(prefix, await makeBatch(data, chunk, { preprocessing: config.preprocessing, augment: augmented ? augment : undefined }), target, start * length);
      done += chunk.length;
      emit({ type: 'cache-progress', stage, done, total, images: split.train.length, views, held: held.length });
    }
  };
  const train = Array.from({ length: views }, () => new Float32Array(split.train.length * length));
  const heldOutputs = new Float32Array(held.length * length);
  for (const [view, target] of train.entries()) await fill(split.train, target, view > 0);
  await fill(held, heldOutputs, false);
  const rowOf = new Map<number, number>();
  split.train.forEach((image, row) => rowOf.set(image, row));
  held.forEach((image, row) => rowOf.set(image, row));
  return { views, shape, length, train, held: heldOutputs, onDevice: null, rowOf, trainImages: split.train.length, bytes: (train.length * train[0]!.length + heldOutputs.length) * 4 };
}

/** The view an image is fed in an epoch: a pure function of the seed, so resuming needs no state. */
export function viewOf(seed: number, stage: 1 | 2, epoch: number, image: number, views: number): number {
  return views === 1 ? 0 : deriveSeed(seed, `view/${stage}/${epoch}/${image}`) % views;
}

/** A batch of stored outputs: each training image's view for this epoch, or held-out images (pick null). */
export function cachedBatch(cache: FrozenCache, labels: Int32Array, classes: number, indices: readonly number[], pick: { seed: number; stage: 1 | 2; epoch: number } | null): Batch {
  const ys = oneHotTensor(Array.from(indices, (i) => labels[i]!), classes);
  const viewAt = (image: number): number => (pick ? viewOf(pick.seed, pick.stage, pick.epoch, image, cache.views) : 0);
  if (cache.onDevice) {
    const { train, held } = cache.onDevice;
    const rows = Int32Array.from(indices, (image) => viewAt(image) * cache.trainImages + cache.rowOf.get(image)!);
    return { xs: tf.tidy(() => tf.gather(pick ? train : held, tf.tensor1d(rows, 'int32'))), ys };
  }
  const xs = filledTensor([indices.length, ...cache.shape], (values) =>
    indices.forEach((image, i) => {
      const row = cache.rowOf.get(image)!;
      const source = pick ? cache.train[viewAt(image)]! : cache.held;
      values.set(source.subarray(row * cache.length, (row + 1) * cache.length), i * cache.length);
    }),
  );
  return { xs, ys };
}
