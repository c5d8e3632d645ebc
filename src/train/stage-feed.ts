import * as tf from '@tensorflow/tfjs';
import { deviceBufferLimit } from '../backend/gpu-device';
import { batchOfPixels, makeBatch, type Batch } from '../data/batches';
import { buildCache, cachedBatch, cutShape, disposeCache, frozenSplit, moveToDevice, suffixModel, throughFrozen, viewsWithin, type FrozenCache } from './frozen-cache';
import type { StageContext, StageFeed } from './stage-types';
import { MB } from '../units';

/** The feed of a stage whose trained layers start at `from`: cached when the settings and budget allow. */
export async function feedFor(ctx: StageContext, stage: 1 | 2, from: number): Promise<StageFeed> {
  const { model, data, config } = ctx;
  const cache = (stage === 1 ? config.cache.head : config.cache.finetune) ? await frozenCacheFor(ctx, stage, from) : null;
  if (cache) {
    const pick = (epoch: number) => ({ seed: config.seed, stage, epoch });
    let suffix = cache.suffix;
    return {
      get model() {
        return suffix;
      },
      inputShape: cache.cache.shape,
      bytes: cache.cache.onDevice ? 0 : cache.cache.bytes, // on the GPU, they count as tensors
      prefetch: () => undefined,
      trainBatch: async (indices, epoch) => cachedBatch(cache.cache, data.labels, data.classes.length, indices, pick(epoch)),
      heldBatch: async (indices) => cachedBatch(cache.cache, data.labels, data.classes.length, indices, null),
      rebind: (next) => {
        suffix.dispose();
        suffix = suffixModel(next, from)!; // the same layers below the cut: a chain above it still
      },
      // Each layer counts the models it was applied in; disposing this one only undoes its own count.
      dispose: () => {
        suffix.dispose();
        disposeCache(cache.cache);
      },
    };
  }
  const augment = config.augment ? { config: config.augment, rng: ctx.augment } : undefined;
  const ahead = readAhead((indices) => data.pixels.read(indices));
  // Even uncached, the frozen layers run outside the gradient tape, as a model of their own: TF.js would
  // otherwise keep all their activations for a backward pass that never reaches them.
  let whole = model;
  let frozen = frozenSplit(model, from);
  const above = (batch: Batch): Batch => (frozen ? throughFrozen(frozen.prefix, batch) : batch);
  return {
    get model() {
      return frozen?.suffix ?? whole;
    },
    inputShape: frozen ? cutShape(model, from) : [data.size, data.size, 3],
    bytes: 0,
    prefetch: ahead.start,
    // Augmentation draws happen here, in batch order, whenever the pixels were read.
    trainBatch: async (indices) => above(batchOfPixels(data, indices, await ahead.take(indices), { preprocessing: config.preprocessing, augment })),
    heldBatch: async (indices) => above(await makeBatch(data, indices, { preprocessing: config.preprocessing })),
    rebind: (next) => {
      frozen?.suffix.dispose();
      whole = next;
      frozen = frozenSplit(next, from);
    },
    dispose: () => {
      ahead.clear();
      frozen?.suffix.dispose();
    },
  };
}

/** Reads started before they are needed, taken by the same index list. */
function readAhead(read: (indices: readonly number[]) => Promise<Uint8Array>) {
  const pending = new Map<readonly number[], Promise<Uint8Array>>();
  return {
    start(batches: readonly (readonly number[])[]): void {
      for (const indices of batches) {
        if (pending.has(indices)) continue;
        const reading = read(indices);
        reading.catch(() => undefined); // a failure surfaces when the batch is taken
        pending.set(indices, reading);
      }
    },
    take(indices: readonly number[]): Promise<Uint8Array> {
      const reading = pending.get(indices) ?? read(indices);
      pending.delete(indices);
      return reading;
    },
    clear: (): void => pending.clear(),
  };
}

/** The stage's cache and the model above it, or null (with the reason in the log) where it cannot be used. */
async function frozenCacheFor(ctx: StageContext, stage: 1 | 2, from: number): Promise<{ cache: FrozenCache; suffix: tf.LayersModel } | null> {
  const { model, split, config, control, emit } = ctx;
  const tell = (why: string): null => (emit({ type: 'info', message: `stage ${stage}: no cache (${why}): every epoch runs the whole model` }), null);
  if (from <= 0) return tell('every layer trains: none is frozen');
  const cut = model.layers[from - 1]!;
  const suffix = suffixModel(model, from);
  if (!suffix) return tell(`the layers above ${cut.name} are not a simple chain`);
  const bytesPerImage = 4 * cutShape(model, from).reduce((a, b) => a * b, 1);
  const wanted = config.augment ? config.cache.views : 0;
  const views = viewsWithin(bytesPerImage, split.train.length, split.validation.length + split.test.length, wanted, config.cache.budgetMB * MB);
  if (views === null) {
    suffix.dispose();
    return tell(`even ${wanted ? 2 : 1} view(s) of ${cut.name} per image exceed the ${config.cache.budgetMB} MB budget`);
  }
  const started = performance.now();
  const cache = await buildCache(ctx, { stage, from, views, control, emit }).catch((error: unknown) => {
    suffix.dispose();
    throw error;
  });
  // On a GPU, the outputs stay there when each of the two tensors fits one buffer binding.
  const limit = deviceBufferLimit();
  if (limit !== null && cache.views * cache.trainImages * cache.length * 4 <= limit) moveToDevice(cache);
  const shape = cache.shape.join('x');
  const where = cache.onDevice ? 'gpu' : 'memory';
  emit({ type: 'cache', stage, layer: cut.name, shape, images: split.train.length, views: cache.views, bytes: cache.bytes, seconds: (performance.now() - started) / 1000, where });
  return { cache, suffix };
}

