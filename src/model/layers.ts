import * as tf from '@tensorflow/tfjs';
import { ConfigError } from '../errors';
import { fnv1a, FNV_OFFSET } from '../fnv1a';
import type { LayerFingerprint, LayerInfo } from '../protocol';

/** Resolves a layer index or name to an index, with a message that lists what exists. */
export function layerIndex(model: tf.LayersModel, layer: number | string): number {
  if (typeof layer === 'number') {
    if (!Number.isInteger(layer) || layer < 0 || layer >= model.layers.length) {
      throw new ConfigError(`layer index ${layer} is outside 0..${model.layers.length - 1} of ${model.name}`);
    }
    return layer;
  }
  const index = model.layers.findIndex((l) => l.name === layer);
  if (index < 0) {
    throw new ConfigError(`no layer named '${layer}' in ${model.name}; layers are ${model.layers.map((l) => l.name).join(', ')}`);
  }
  return index;
}

/**
 * Layers before `from` are frozen, layers from `from` on are trainable. Takes effect for training only
 * after the model is compiled again.
 */
export function freezeBelow(model: tf.LayersModel, from: number | string): number {
  const start = layerIndex(model, from);
  model.layers.forEach((layer, i) => {
    layer.trainable = i >= start;
  });
  return start;
}

function outputShapeOf(layer: tf.layers.Layer): (number | null)[] {
  const shape = layer.outputShape;
  return (Array.isArray(shape[0]) ? shape[0] : shape) as (number | null)[];
}

/** The recipe's inspect_model.py table: index, name, class, output shape, parameters, trainable. */
export function inspectLayers(model: tf.LayersModel): LayerInfo[] {
  return model.layers.map((layer, index) => ({
    index,
    name: layer.name,
    className: layer.getClassName(),
    outputShape: outputShapeOf(layer),
    params: layer.countParams(),
    trainable: layer.trainable && layer.weights.length > 0,
  }));
}

/** A hash of each layer's weights, to tell bit for bit which layers training changed. */
export async function fingerprintLayers(model: tf.LayersModel): Promise<LayerFingerprint[]> {
  const out: LayerFingerprint[] = [];
  for (const [index, layer] of model.layers.entries()) {
    let h = FNV_OFFSET;
    for (const w of layer.getWeights()) {
      const values = (await w.data()) as Float32Array;
      h = fnv1a(new Uint8Array(values.buffer, values.byteOffset, values.byteLength), h);
    }
    out.push({ index, name: layer.name, hash: layer.weights.length ? h.toString(16).padStart(8, '0') : '' });
  }
  return out;
}

/** The index of `layer` (index or name), which must be one of the base's (below `headStart`): what stage 2 can unfreeze. */
export function requireBaseLayer(model: tf.LayersModel, layer: number | string, headStart: number): number {
  let index: number;
  try {
    index = layerIndex(model, layer);
  } catch (error) {
    throw new ConfigError(`unfreezeFrom: ${(error as Error).message}`);
  }
  if (index >= headStart) throw new ConfigError(`unfreezeFrom: layer ${layer} is in the head: stage 2 unfreezes base layers, 0-${headStart - 1}`);
  return index;
}
