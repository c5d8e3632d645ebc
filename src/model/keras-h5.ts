import * as tf from '@tensorflow/tfjs';
import { WeightsError } from '../errors';

// Keras HDF5 weights, read the way Keras reads them: the root (or, in a full-model file, the
// `model_weights` group) lists `layer_names`; each layer's group lists `weight_names` in order (kernel,
// then bias), each the path of a dataset below that group. Old files, like the official VGG16 ones, use
// flat names (`block1_conv1_W_1:0`); newer ones nest (`block1_conv1/kernel:0`).

/** The part of an h5wasm File/Group/Dataset this reader uses (so Node's and the browser's builds both fit). */
export interface H5Node {
  attrs: Record<string, { value: unknown }>;
  get(path: string): H5Node | null | undefined;
  keys?(): string[];
  shape?: number[] | null;
  value?: unknown;
}

export interface KerasTensor {
  name: string;
  shape: number[];
  /** Reads the values only when asked: a with-top file holds 400 MB of fc1 that a base never uses. */
  read(): Float32Array;
}

/** Layer name to its weights, in Keras' order. */
export type KerasWeights = Map<string, KerasTensor[]>;

/** An attribute Keras may have split into `name0`, `name1`, ... when it outgrew the 64 KB header limit. */
function stringsAttribute(node: H5Node, name: string): string[] | null {
  const read = (value: unknown): string[] => (Array.isArray(value) ? value.map((v) => String(v)) : typeof value === 'string' ? [value] : []);
  if (node.attrs[name]) return read(node.attrs[name]!.value);
  const parts: string[] = [];
  for (let i = 0; node.attrs[`${name}${i}`]; i++) parts.push(...read(node.attrs[`${name}${i}`]!.value));
  return parts.length ? parts : null;
}

/** Every layer's weights in a Keras `save_weights` or full-model `.h5` file; `label` names the file in errors. */
export function readKerasWeights(file: H5Node, label: string): KerasWeights {
  const root = stringsAttribute(file, 'layer_names') ? file : file.get('model_weights');
  const layerNames = root ? stringsAttribute(root, 'layer_names') : null;
  if (!root || !layerNames) {
    throw new WeightsError(`${label} is an HDF5 file but not Keras weights: it has no 'layer_names' (at its root or under 'model_weights')`);
  }
  const weights: KerasWeights = new Map();
  for (const layer of layerNames) {
    const group = root.get(layer);
    if (!group) throw new WeightsError(`${label} lists layer ${layer} but has no group for it`);
    const tensors = (stringsAttribute(group, 'weight_names') ?? []).map((name) => {
      const dataset = group.get(name);
      if (!dataset || !Array.isArray(dataset.shape)) throw new WeightsError(`${label}: layer ${layer} lists weight ${name}, which is missing`);
      const read = (): Float32Array => {
        const raw = dataset.value;
        if (raw instanceof Float32Array) return raw;
        if (raw instanceof Float64Array) return Float32Array.from(raw);
        throw new WeightsError(`${label}: weight ${layer}/${name} is not floating point`);
      };
      return { name, shape: dataset.shape, read };
    });
    weights.set(layer, tensors);
  }
  return weights;
}

const sameShape = (a: readonly (number | null)[], b: readonly number[]): boolean => a.length === b.length && a.every((d, i) => d === b[i]);

/**
 * Sets every weight of `model`'s layers from the file, matched by layer name and, within a layer, by
 * order. Layers without weights are skipped; layers the model lacks (a top in a no-top model) are
 * ignored; a missing layer, a missing weight or a shape that differs is a WeightsError naming the layer.
 * Nothing is changed unless everything fits.
 */
export function applyKerasWeights(model: tf.LayersModel, weights: KerasWeights, label: string): number {
  const plan: { layer: tf.layers.Layer; stored: KerasTensor[] }[] = [];
  for (const layer of model.layers) {
    if (!layer.weights.length) continue;
    const stored = weights.get(layer.name);
    if (!stored) {
      const has = [...weights.entries()].filter(([, w]) => w.length).map(([n]) => n);
      throw new WeightsError(`${label} has no weights for layer ${layer.name} (it has: ${has.join(', ') || 'none'})`);
    }
    if (stored.length !== layer.weights.length) {
      throw new WeightsError(`layer ${layer.name}: the model has ${layer.weights.length} weights, ${label} has ${stored.length} (${stored.map((s) => s.name).join(', ')})`);
    }
    layer.weights.forEach((w, i) => {
      const found = stored[i]!;
      if (!sameShape(w.shape, found.shape)) {
        throw new WeightsError(`layer ${layer.name}: ${w.originalName.split('/').pop()} expects shape [${w.shape.join(', ')}], ${label} has [${found.shape.join(', ')}] (${found.name})`);
      }
    });
    plan.push({ layer, stored });
  }
  for (const { layer, stored } of plan) {
    const values = stored.map((s) => tf.tensor(s.read(), s.shape));
    layer.setWeights(values);
    tf.dispose(values);
  }
  return plan.length;
}
