import type * as tf from '@tensorflow/tfjs';
import { formatMB } from '../../units';
import { loadKerasFile } from '../h5-open';
import { preprocessingFor, type BuildContext, type LoadedBase } from '../loaded-base';
import { VGG16 } from './vgg16';
import { buildVgg16, VGG16_MIN_SIZE } from './vgg16-layers';

// VGG16 as a base: built untrained from the run's seed, or given Keras' .h5 weights, with the recipe's
// preprocessing and defaults (vgg16.ts). Where the weights come from (a URL, the cache, picked files) is
// base.ts' business: these take them as a blob. A file apart from vgg16.ts, which --help reads without TF.js.

/** An untrained VGG16, its kernels drawn from the seed: the same seed, the same base (its identity). */
export function randomVgg16(ctx: BuildContext): LoadedBase {
  return {
    model: buildVgg16({ inputSize: ctx.inputSize, init: { seed: ctx.seed } }),
    label: `VGG16, NOT pretrained: seeded random weights (seed ${ctx.seed})`,
    preprocessing: preprocessingFor(ctx, VGG16.preprocessing.random),
    inputSize: ctx.inputSize,
    identity: `random:${ctx.seed}`,
    ...VGG16.defaults,
  };
}

/** VGG16 with a Keras .h5 file's weights; a file that is not VGG16's throws (named `name`), the model freed. */
async function withKerasWeights(inputSize: number, blob: Blob, name: string): Promise<tf.LayersModel> {
  const model = buildVgg16({ inputSize, init: 'zeros' });
  try {
    await loadKerasFile(model, blob, name);
  } catch (error) {
    model.dispose();
    throw error;
  }
  return model;
}

/** VGG16 with Keras weights from `key` (their URL, or `cached:SHA256` for picked files), known by their hash. */
export async function kerasVgg16(key: string, blob: Blob, sha256: string, ctx: BuildContext): Promise<LoadedBase> {
  const model = await withKerasWeights(ctx.inputSize, blob, key.startsWith('cached:') ? 'the picked weights file' : key);
  return {
    model,
    label: `VGG16 with Keras weights from ${key} (${formatMB(blob.size)}, sha256 ${sha256.slice(0, 12)})`,
    preprocessing: preprocessingFor(ctx, VGG16.preprocessing.keras),
    inputSize: ctx.inputSize,
    identity: `sha256:${sha256}`,
    ...VGG16.defaults,
  };
}

/**
 * Throws unless a picked .h5 file loads onto VGG16: checked before it is cached. On the smallest VGG16,
 * since its weights are the same at any input size.
 */
export async function checkKerasVgg16(blob: Blob, name: string): Promise<void> {
  (await withKerasWeights(VGG16_MIN_SIZE, blob, name)).dispose();
}
