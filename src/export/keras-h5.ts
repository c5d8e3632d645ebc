import type { SavedLayer, SavedModel, SavedWeight } from './artifacts';

// The weights in the HDF5 layout Keras 2's `model.save_weights('x.h5')` writes and `load_weights`
// reads: the root's `layer_names`, then a group a layer (every layer, weightless ones too) with its
// `weight_names` ('block1_conv1/kernel:0', ...) and each weight as a dataset at that path.

/** What of h5wasm the writer uses: a File in 'w' mode, in h5wasm's in-memory file system (in the worker, and in Node for the command line). */
export interface H5Writable {
  create_attribute(name: string, data: string | string[], shape?: number[] | null, dtype?: string | null): void;
  create_group(name: string): H5Writable;
  create_dataset(args: { name: string; data: Float32Array; shape: number[]; dtype: string }): void;
}

export const KERAS_VERSION = '2.13.1';

/** Keras' order of a layer's weights (TF.js lists trainable weights first, which splits BatchNormalization's). */
const KERAS_ORDER = ['kernel', 'depthwise_kernel', 'pointwise_kernel', 'recurrent_kernel', 'bias', 'gamma', 'beta', 'moving_mean', 'moving_variance'];

function inKerasOrder(layer: SavedLayer): [string, SavedWeight][] {
  const rank = (short: string): number => (KERAS_ORDER.includes(short) ? KERAS_ORDER.indexOf(short) : KERAS_ORDER.length);
  return [...layer.weights.entries()].sort(([a], [b]) => rank(a) - rank(b));
}

/** HDF5 fixed-length strings, as h5py stores Keras' name lists: the longest name's length, at least 1. */
function strings(group: H5Writable, name: string, values: string[]): void {
  group.create_attribute(name, values, null, `S${Math.max(1, ...values.map((v) => new TextEncoder().encode(v).length))}`);
}

/** An h5wasm File at a path in h5wasm's in-memory file system. */
export interface H5File extends H5Writable {
  close(): void;
}

/** Creates the HDF5 file at `path` with `open` (h5wasm's `new File(path, 'w')`), writes the weights and closes it. */
export function writeKerasFile(open: (path: string) => H5File, path: string, model: SavedModel): void {
  const file = open(path);
  try {
    writeKerasWeights(file, model);
  } finally {
    file.close();
  }
}

/** Writes every layer's weights into `file` (an open, empty HDF5 file). */
export function writeKerasWeights(file: H5Writable, model: SavedModel): void {
  strings(file, 'layer_names', model.layers.map((l) => l.name));
  // Keras writes these two as scalar byte strings.
  file.create_attribute('backend', 'tensorflow', null, 'S10');
  file.create_attribute('keras_version', KERAS_VERSION, null, `S${KERAS_VERSION.length}`);
  for (const layer of model.layers) {
    const group = file.create_group(layer.name);
    const weights = inKerasOrder(layer);
    strings(group, 'weight_names', weights.map(([short]) => `${layer.name}/${short}:0`));
    if (!weights.length) continue;
    const inner = group.create_group(layer.name);
    for (const [short, weight] of weights) inner.create_dataset({ name: `${short}:0`, data: weight.data, shape: weight.shape, dtype: '<f' });
  }
}
