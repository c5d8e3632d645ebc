import type * as tf from '@tensorflow/tfjs';

// What every export format is made from: the TF.js layers model as we export it (model.json and its
// one weights file), read back into layers with their configs, inputs and named weights. Working from
// the saved files, not a live model, lets the command line convert in Node what the browser trained.

export interface SavedLayer {
  name: string;
  className: string;
  config: Record<string, unknown>;
  /** The layers whose outputs this one takes, in order. */
  inputs: string[];
  /** Its weights by their short name (kernel, bias, gamma, ...), in the order the model lists them. */
  weights: Map<string, SavedWeight>;
}

export interface SavedWeight {
  /** The full TF.js name, e.g. block1_conv1/kernel. */
  name: string;
  shape: number[];
  data: Float32Array;
}

export interface SavedModel {
  layers: SavedLayer[];
  /** The layers the model outputs (its last one for ours). */
  outputs: string[];
  metadata: Record<string, unknown>;
}

interface LayerJson {
  name: string;
  class_name: string;
  config: Record<string, unknown>;
  inbound_nodes?: [string, number, number, unknown?][][];
}

/** Reads model.json and its weights; a layer that feeds from two calls (a shared layer) is refused. */
export function readSavedModel(modelJson: string, weights: ArrayBuffer): SavedModel {
  const json = JSON.parse(modelJson) as tf.io.ModelJSON;
  const topology = json.modelTopology as { model_config?: unknown; config?: unknown; class_name?: string };
  const model = ((topology.model_config ?? topology) as { config: { layers: LayerJson[]; output_layers?: [string, number, number][] } }).config;
  const specs = json.weightsManifest.flatMap((group) => group.weights);
  const byName = new Map<string, SavedWeight>();
  let offset = 0;
  for (const spec of specs) {
    if (spec.dtype !== 'float32') throw new Error(`weight ${spec.name} is ${spec.dtype}; the exports take float32 only`);
    const count = spec.shape.reduce((a, b) => a * b, 1);
    if (offset + count * 4 > weights.byteLength) throw new Error(`the weights file ends before ${spec.name} (${weights.byteLength} bytes)`);
    byName.set(spec.name, { name: spec.name, shape: spec.shape, data: new Float32Array(weights.slice(offset, offset + count * 4)) });
    offset += count * 4;
  }
  const layers = model.layers.map((layer): SavedLayer => {
    const nodes = layer.inbound_nodes ?? [];
    if (nodes.length > 1) throw new Error(`layer ${layer.name} (${layer.class_name}) is applied ${nodes.length} times; shared layers cannot be exported`);
    const prefix = `${layer.name}/`;
    const own = [...byName.values()].filter((w) => w.name.startsWith(prefix));
    return {
      name: layer.name,
      className: layer.class_name,
      config: layer.config,
      inputs: (nodes[0] ?? []).map((inbound) => inbound[0]),
      // TF.js makes variable names unique per page with a suffix (a model built twice has kernel_1): the short name drops it.
      weights: new Map(own.map((w) => [w.name.slice(prefix.length).replace(/_\d+$/, ''), w])),
    };
  });
  const outputs = model.output_layers?.map((o) => o[0]) ?? [layers[layers.length - 1]!.name];
  return { layers, outputs, metadata: (json.userDefinedMetadata ?? {}) as Record<string, unknown> };
}
