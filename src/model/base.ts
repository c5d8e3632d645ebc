import * as tf from '@tensorflow/tfjs';
import { download, type Downloaded, type Expected } from '../data/download';
import { ConfigError, WeightsError } from '../errors';
import type { HeadKind, LayerInfo, Preprocessing, TrainEventListener } from '../protocol';
import { getCachedBase, putCachedBase } from '../store/bases';
import type { BaseRecord, FinetuneStore } from '../store/schema';
import { parseWeights, type BaseSource } from './base-source';
import { knownBackbone } from './backbones';
import { tfjsUnfreeze } from './backbones/tfjs-layers';
import { VGG16 } from './backbones/vgg16';
import { loadKerasFile } from './h5-open';
import { headKindsFor } from './head';
import { inspectLayers } from './layers';
import { buildVgg16 } from './backbones/vgg16-layers';
import { formatMB } from '../units';

export interface BaseContext {
  seed: number;
  inputSize: number;
  /** The user's preprocessing setting; 'auto' takes the one that belongs to the weights. */
  preprocessing: Preprocessing | 'auto';
  /** The base cache; without one (no IndexedDB), every load downloads. */
  db?: () => Promise<FinetuneStore>;
  emit: TrainEventListener;
  signal?: AbortSignal;
}

export interface LoadedBase {
  model: tf.LayersModel;
  /** Says which base, for the log. */
  label: string;
  preprocessing: Preprocessing;
  inputSize: number;
  /** The weights' identity (seed or content hash): a resumed run must find the same base. */
  identity: string;
  /** Stage 2's first trainable layer when the user named none (VGG16: 15, block5_conv1), and why that one. */
  unfreezeFrom: number | string;
  unfreezeWhy: string;
  /** The head kinds 'auto' chooses between (VGG16: the recipe's flatten head only). */
  heads: HeadKind[];
}

const fileName = (url: string): string => decodeURIComponent(url.split(/[?#]/)[0]!.split('/').pop() || 'weights');

function preprocessingFor(ctx: BaseContext, belongs: Preprocessing): Preprocessing {
  return ctx.preprocessing === 'auto' ? belongs : ctx.preprocessing;
}

/** A cached copy, or a download with progress events (stored by the caller only once it loads). */
async function fetchOrCached(url: string, ctx: Pick<BaseContext, 'db' | 'emit' | 'signal'>, expected?: Expected): Promise<{ record?: BaseRecord; fresh?: Downloaded }> {
  const db = ctx.db ? await ctx.db() : null;
  const record = db ? await getCachedBase(db, url) : undefined;
  if (record) {
    ctx.emit({ type: 'info', message: `using the cached copy of ${url} (${formatMB(record.bytes)}): no download` });
    return { record };
  }
  ctx.emit({ type: 'info', message: `downloading ${url}...` });
  const fresh = await download(url, { expected, signal: ctx.signal, onProgress: (loaded, total) => ctx.emit({ type: 'download', url, loaded, total }) });
  return { fresh };
}

async function kerasBase(key: string, blob: Blob, sha256: string, ctx: BaseContext): Promise<LoadedBase> {
  const model = buildVgg16({ inputSize: ctx.inputSize, init: 'zeros' });
  try {
    await loadKerasFile(model, blob, key.startsWith('cached:') ? 'the picked weights file' : key);
  } catch (error) {
    model.dispose();
    throw error;
  }
  return {
    model,
    label: `VGG16 with Keras weights from ${key} (${formatMB(blob.size)}, sha256 ${sha256.slice(0, 12)})`,
    preprocessing: preprocessingFor(ctx, VGG16.preprocessing.keras),
    inputSize: ctx.inputSize,
    identity: `sha256:${sha256}`,
    ...VGG16.defaults,
  };
}

/** A TF.js layers model from model.json and its shards (as listed in its weights manifest), in memory. */
export async function layersModelOf(url: string, files: { name: string; blob: Blob }[]): Promise<{ model: tf.LayersModel; json: tf.io.ModelJSON }> {
  const json = JSON.parse(await files[0]!.blob.text()) as tf.io.ModelJSON;
  const shards = json.weightsManifest.flatMap((group) => group.paths);
  const data = await Promise.all(
    shards.map(async (path) => {
      const file = files.find((f) => f.name === path);
      if (!file) throw new WeightsError(`${url} lists weights file ${path}, which is missing`);
      return file.blob.arrayBuffer();
    }),
  );
  try {
    const model = await tf.loadLayersModel(
      tf.io.fromMemory({ modelTopology: json.modelTopology, weightSpecs: json.weightsManifest.flatMap((g) => g.weights), weightData: tf.io.concatenateArrayBuffers(data) }),
    );
    return { model, json };
  } catch (error) {
    throw new WeightsError(`${url} is not a loadable TF.js layers model: ${(error as Error).message}`);
  }
}

type TfjsFiles = { files: { name: string; blob: Blob }[]; sha256: string; cached: boolean };

/** Keeps a downloaded TF.js model in the base cache (once it has loaded: the caller's check). */
async function cacheTfjsFiles(url: string, { files, sha256, cached }: TfjsFiles, ctx: Pick<BaseContext, 'db'>): Promise<void> {
  if (!ctx.db || cached) return;
  const bytes = files.reduce((n, f) => n + f.blob.size, 0);
  await putCachedBase(await ctx.db(), { key: url, kind: 'tfjs', files, sha256, bytes, addedAt: Date.now() });
}

/** Picked files, from the base cache by their SHA-256. */
async function pickedRecord(sha256: string, ctx: Pick<BaseContext, 'db'>): Promise<BaseRecord> {
  const key = `cached:${sha256}`;
  const record = ctx.db ? await getCachedBase(await ctx.db(), key) : undefined;
  if (!record) throw new WeightsError(`the picked weights (${key}) are no longer cached: pick them again`);
  return record;
}

/** model.json from a URL (or the cache) and every shard it lists, relative to it. */
async function tfjsFiles(url: string, ctx: Pick<BaseContext, 'db' | 'emit' | 'signal'>): Promise<TfjsFiles> {
  const { record, fresh } = await fetchOrCached(url, ctx);
  if (record) return { files: record.files, sha256: record.sha256, cached: true };
  const json = JSON.parse(await fresh!.blob.text()) as tf.io.ModelJSON;
  const shards = await Promise.all(
    json.weightsManifest.flatMap((g) => g.paths).map(async (path) => ({ name: path, blob: (await download(new URL(path, url).href, { signal: ctx.signal })).blob })),
  );
  return { files: [{ name: fileName(url), blob: fresh!.blob }, ...shards], sha256: fresh!.sha256, cached: false };
}

/** The preprocessing a model exported by this toolkit says it was trained with (its metadata), if it is one. */
function exportedPreprocessing(json: tf.io.ModelJSON): Preprocessing | null {
  const value = json.convertedBy === 'finetune-trainer' ? json.userDefinedMetadata?.['preprocessing'] : undefined;
  return value === 'caffe' || value === 'tf' || value === 'unit' ? value : null;
}

/** A TF.js layers model (model.json first in `files`) cut at `layer`, as a base. */
async function tfjsBase(url: string, layer: string, files: { name: string; blob: Blob }[], sha256: string, ctx: BaseContext): Promise<LoadedBase> {
  const { model: full, json } = await layersModelOf(url, files);
  const cut = full.layers.find((l) => l.name === layer);
  if (!cut) {
    full.dispose();
    throw new WeightsError(`${url} has no layer '${layer}'; its layers are ${full.layers.map((l) => l.name).join(', ')}`);
  }
  const model = tf.model({ inputs: full.inputs, outputs: cut.output as tf.SymbolicTensor, name: 'base' });
  for (const unused of full.layers.filter((l) => !model.layers.includes(l))) unused.dispose();
  const [, height, width] = full.inputs[0]!.shape;
  if (height && width && height !== width) throw new WeightsError(`${url} takes ${height}x${width} images; only square inputs are supported`);
  const known = knownBackbone(url);
  const ours = exportedPreprocessing(json);
  if (ctx.preprocessing === 'auto' && !known && !ours) {
    model.dispose();
    throw new ConfigError(`${url} is not a backbone this tool knows: say which preprocessing it expects (preprocessing caffe, tf or unit)`);
  }
  const name = known?.name ?? (ours ? 'a model exported by finetune-trainer' : 'TF.js layers model');
  return {
    model,
    label: `${name} from ${url}, cut at ${layer} (sha256 ${sha256.slice(0, 12)})`,
    preprocessing: preprocessingFor(ctx, known?.preprocessing ?? ours ?? 'unit'),
    inputSize: height ?? ctx.inputSize,
    identity: `sha256:${sha256}`,
    ...tfjsUnfreeze(model, known, layer),
    heads: headKindsFor(model),
  };
}

/**
 * Builds the base a config asks for: an untrained VGG16 (seeded), Keras .h5 weights onto VGG16, or a
 * TF.js layers model cut at a layer. Downloads go to the base cache only after they loaded, so a
 * broken or wrong file leaves nothing behind.
 */
export async function loadBase(source: BaseSource, ctx: BaseContext): Promise<LoadedBase> {
  switch (source.kind) {
    case 'random':
      return {
        model: buildVgg16({ inputSize: ctx.inputSize, init: { seed: ctx.seed } }),
        label: `VGG16, NOT pretrained: seeded random weights (seed ${ctx.seed})`,
        preprocessing: preprocessingFor(ctx, VGG16.preprocessing.random),
        inputSize: ctx.inputSize,
        identity: `random:${ctx.seed}`,
        ...VGG16.defaults,
      };
    case 'cached': {
      const key = `cached:${source.sha256}`;
      const record = await pickedRecord(source.sha256, ctx);
      if (record.kind === 'keras-h5') return kerasBase(key, record.files[0]!.blob, record.sha256, ctx);
      if (!source.layer) throw new ConfigError(`the picked TF.js model needs a layer to cut at: weights ${key}#layer_name`);
      return tfjsBase(`the picked ${record.files[0]!.name}`, source.layer, record.files, record.sha256, ctx);
    }
    case 'keras-h5': {
      const { record, fresh } = await fetchOrCached(source.url, ctx, source.expected);
      const blob = record?.files[0]!.blob ?? fresh!.blob;
      const base = await kerasBase(source.url, blob, record?.sha256 ?? fresh!.sha256, ctx);
      if (fresh && ctx.db) {
        await putCachedBase(await ctx.db(), { key: source.url, kind: 'keras-h5', files: [{ name: fileName(source.url), blob }], sha256: fresh.sha256, bytes: fresh.bytes, addedAt: Date.now() });
      }
      return base;
    }
    case 'tfjs': {
      const fetched = await tfjsFiles(source.url, ctx);
      const base = await tfjsBase(source.url, source.layer, fetched.files, fetched.sha256, ctx);
      await cacheTfjsFiles(source.url, fetched, ctx);
      return base;
    }
  }
}

/**
 * The layers of a TF.js layers model, uncut (`weights` is its model.json URL or `cached:SHA256` of picked
 * files, with or without `#layer`): what a layer picker offers to cut at. A download is cached.
 */
export async function modelLayers(weights: string, ctx: Pick<BaseContext, 'db' | 'emit'>): Promise<LayerInfo[]> {
  const source = parseWeights(weights.includes('#') || weights.startsWith('cached:') ? weights : `${weights}#_`);
  let files: { name: string; blob: Blob }[];
  let label: string;
  if (source.kind === 'cached') {
    const record = await pickedRecord(source.sha256, ctx);
    if (record.kind !== 'tfjs') throw new ConfigError('the picked weights are a Keras .h5 file for VGG16: it has no layer to pick');
    [files, label] = [record.files, `the picked ${record.files[0]!.name}`];
  } else if (source.kind === 'tfjs') {
    const fetched = await tfjsFiles(source.url, ctx);
    await cacheTfjsFiles(source.url, fetched, ctx);
    [files, label] = [fetched.files, source.url];
  } else {
    throw new ConfigError(`'${weights}' is not a TF.js layers model (URL/model.json or picked model files)`);
  }
  const { model } = await layersModelOf(label, files);
  try {
    return inspectLayers(model);
  } finally {
    model.dispose();
  }
}

/**
 * Picked weights: one Keras .h5 file, or a TF.js model.json with its shards. They are cached only once
 * they load (onto VGG16, or as a layers model); returns the cache key, the `weights` setting (a TF.js
 * model's needs `#layer_name` after it).
 */
export async function cachePickedWeights(db: FinetuneStore, files: { name: string; blob: Blob }[], sha256: (blob: Blob) => Promise<string>): Promise<string> {
  const json = files.find((f) => f.name.endsWith('.json'));
  const main = json ?? files.find((f) => f.name.toLowerCase().endsWith('.h5'));
  if (!main) throw new WeightsError(`pick one Keras .h5 file, or a model.json with its weight files (got ${files.map((f) => f.name).join(', ')})`);
  const hash = await sha256(main.blob);
  if (json) {
    const ordered = [json, ...files.filter((f) => f !== json)];
    (await layersModelOf(json.name, ordered)).model.dispose();
    await putCachedBase(db, { key: `cached:${hash}`, kind: 'tfjs', files: ordered, sha256: hash, bytes: files.reduce((n, f) => n + f.blob.size, 0), addedAt: Date.now() });
  } else {
    const model = buildVgg16({ inputSize: 32, init: 'zeros' });
    try {
      await loadKerasFile(model, main.blob, main.name);
    } finally {
      model.dispose();
    }
    await putCachedBase(db, { key: `cached:${hash}`, kind: 'keras-h5', files: [main], sha256: hash, bytes: main.blob.size, addedAt: Date.now() });
  }
  return `cached:${hash}`;
}
