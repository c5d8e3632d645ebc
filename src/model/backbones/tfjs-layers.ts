import * as tf from '@tensorflow/tfjs';
import { ConfigError, WeightsError } from '../../errors';
import { isPreprocessing, type Preprocessing } from '../../protocol';
import { headKindsFor } from '../head';
import { lastBlockStart } from '../last-block';
import { preprocessingFor, type BuildContext, type LoadedBase } from '../loaded-base';
import type { TfjsBackbone, UnfreezeDefault } from './backbone';
import { knownBackbone } from './index';
import { VGG16 } from './vgg16';

// Any TF.js layers model, cut at a layer: what the tool can tell of it without knowing it by name, and
// what the registry (index.ts) or the model's own metadata add where they know it. The files come to it
// already fetched (base.ts), model.json first.

/**
 * Stage 2's default start on a TF.js base: the known backbone's (where the cut model has that layer),
 * VGG16's block 5 in a model of ours, else its last block.
 */
export function tfjsUnfreeze(model: tf.LayersModel, known: TfjsBackbone | undefined, layer: string): UnfreezeDefault {
  if (known && model.layers.some((l) => l.name === known.unfreezeFrom)) return { unfreezeFrom: known.unfreezeFrom, unfreezeWhy: `${known.unfreezeFrom}, ${known.name}'s default` };
  const vgg = VGG16.unfreezeIn(model.layers.map((l) => l.name));
  if (vgg) return vgg;
  const block = lastBlockStart(model);
  return block ? { unfreezeFrom: block.name, unfreezeWhy: `${block.name} (index ${block.index}), ${block.why}` } : { unfreezeFrom: layer, unfreezeWhy: `${layer}: the base has no weights` };
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

/** The preprocessing a model exported by this toolkit says it was trained with (its metadata), if it is one. */
function exportedPreprocessing(json: tf.io.ModelJSON): Preprocessing | null {
  const value = json.convertedBy === 'finetune-trainer' ? json.userDefinedMetadata?.['preprocessing'] : undefined;
  return isPreprocessing(value) ? value : null;
}

/** A TF.js layers model (model.json first in `files`) cut at `layer`, as a base known by its hash. */
export async function tfjsLayersBase(url: string, layer: string, files: { name: string; blob: Blob }[], sha256: string, ctx: BuildContext): Promise<LoadedBase> {
  const { model: full, json } = await layersModelOf(url, files);
  const cut = full.layers.find((l) => l.name === layer);
  if (!cut) {
    full.dispose();
    throw new WeightsError(`${url} has no layer '${layer}'; its layers are ${full.layers.map((l) => l.name).join(', ')}`);
  }
  const model = tf.model({ inputs: full.inputs, outputs: cut.output as tf.SymbolicTensor, name: 'base' });
  for (const unused of full.layers.filter((l) => !model.layers.includes(l))) unused.dispose();
  const [, height, width] = full.inputs[0]!.shape;
  if (height && width && height !== width) {
    model.dispose();
    throw new WeightsError(`${url} takes ${height}x${width} images; only square inputs are supported`);
  }
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
