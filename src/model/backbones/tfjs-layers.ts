import type * as tf from '@tensorflow/tfjs';
import { lastBlockStart } from '../last-block';
import type { TfjsBackbone, UnfreezeDefault } from './backbone';
import { VGG16 } from './vgg16';

// Any TF.js layers model, cut at a layer: what the tool can tell of it without knowing it by name.

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
