import type * as tf from '@tensorflow/tfjs';
import { download, type Downloaded, type Expected } from '../data/download';
import { ConfigError, WeightsError } from '../errors';
import type { LayerInfo } from '../protocol';
import { getCachedBase, putCachedBase } from '../store/bases';
import type { BaseRecord, FinetuneStore } from '../store/schema';
import { parseWeights, type BaseSource } from './base-source';
import { layersModelOf, tfjsLayersBase } from './backbones/tfjs-layers';
import { checkKerasVgg16, kerasVgg16, randomVgg16 } from './backbones/vgg16-load';
import { inspectLayers } from './layers';
import type { BaseContext, LoadedBase } from './loaded-base';
import { formatMB } from '../units';

// Where a base's weights come from, and which backbone's file makes the base of them (backbones/): the
// downloads, the base cache and picked files are here, how each backbone is built or loaded is there.

const fileName = (url: string): string => decodeURIComponent(url.split(/[?#]/)[0]!.split('/').pop() || 'weights');

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

/**
 * Builds the base a config asks for: an untrained VGG16 (seeded), Keras .h5 weights onto VGG16, or a
 * TF.js layers model cut at a layer. Downloads go to the base cache only after they loaded, so a
 * broken or wrong file leaves nothing behind.
 */
export async function loadBase(source: BaseSource, ctx: BaseContext): Promise<LoadedBase> {
  switch (source.kind) {
    case 'random':
      return randomVgg16(ctx);
    case 'cached': {
      const key = `cached:${source.sha256}`;
      const record = await pickedRecord(source.sha256, ctx);
      if (record.kind === 'keras-h5') return kerasVgg16(key, record.files[0]!.blob, record.sha256, ctx);
      if (!source.layer) throw new ConfigError(`the picked TF.js model needs a layer to cut at: weights ${key}#layer_name`);
      return tfjsLayersBase(`the picked ${record.files[0]!.name}`, source.layer, record.files, record.sha256, ctx);
    }
    case 'keras-h5': {
      const { record, fresh } = await fetchOrCached(source.url, ctx, source.expected);
      const blob = record?.files[0]!.blob ?? fresh!.blob;
      const base = await kerasVgg16(source.url, blob, record?.sha256 ?? fresh!.sha256, ctx);
      if (fresh && ctx.db) {
        await putCachedBase(await ctx.db(), { key: source.url, kind: 'keras-h5', files: [{ name: fileName(source.url), blob }], sha256: fresh.sha256, bytes: fresh.bytes, addedAt: Date.now() });
      }
      return base;
    }
    case 'tfjs': {
      const fetched = await tfjsFiles(source.url, ctx);
      const base = await tfjsLayersBase(source.url, source.layer, fetched.files, fetched.sha256, ctx);
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
    await checkKerasVgg16(main.blob, main.name);
    await putCachedBase(db, { key: `cached:${hash}`, kind: 'keras-h5', files: [main], sha256: hash, bytes: main.blob.size, addedAt: Date.now() });
  }
  return `cached:${hash}`;
}
