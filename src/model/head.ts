import * as tf from '@tensorflow/tfjs';
import { ConfigError } from '../errors';
import type { HeadKind } from '../protocol';
import { deriveSeed } from '../rng';
import { StreamDropout } from './stream-dropout';

type Initializer = ReturnType<typeof tf.initializers.zeros>;

export interface HeadOptions {
  /** 'flatten' (default): the recipe's FCHeadNet; 'gap': global average pooling, dropout, softmax (modern Keras). */
  kind?: HeadKind;
  classes: number;
  /** The recipe's D (the flatten head's hidden units). */
  units: number;
  dropout: number;
  seed: number;
}

/** The kinds a base with this output can take: pooling needs a feature map. */
export function headKindsFor(base: tf.LayersModel): HeadKind[] {
  return (base.outputs[0] as tf.SymbolicTensor).rank === 4 ? ['flatten', 'gap'] : ['flatten'];
}

/** `name`, or `name_2`, `name_3`... when the base already has a layer of that name (a model of ours cut as a base). */
function uniqueName(name: string, taken: Set<string>): string {
  let unique = name;
  for (let n = 2; taken.has(unique); n++) unique = `${name}_${n}`;
  taken.add(unique);
  return unique;
}

/**
 * A new head on top of a base, its layer indices continuing the base's (with VGG16 the recipe's head sits
 * at 19-22, where Keras' top was):
 * - flatten: the recipe's FCHeadNet, flatten -> Dense(D, relu) -> Dropout -> Dense(classes, softmax);
 * - gap: GlobalAveragePooling2D -> Dropout -> Dense(classes, softmax).
 * The classifier starts at zero (as Big Transfer does), so the first predictions are uniform and the loss
 * starts at ln(classes) whatever the scale of the base's features; Keras' glorot default there gives a
 * pretrained base's large activations huge logits (a loss near 14 before any step, on real photos).
 */
export function attachHead(base: tf.LayersModel, options: HeadOptions): tf.LayersModel {
  const taken = new Set(base.layers.map((l) => l.name));
  const name = (wanted: string): string => uniqueName(wanted, taken);
  const init = (layer: string): Initializer => tf.initializers.glorotUniform({ seed: deriveSeed(options.seed, `init/${layer}`) });
  let x = base.outputs[0] as tf.SymbolicTensor;
  if (options.kind === 'gap') {
    if (x.rank !== 4) throw new ConfigError(`a gap head needs a feature map; the base ends in shape [${x.shape.join(', ')}]`);
    x = tf.layers.globalAveragePooling2d({ name: name('head_pool') }).apply(x) as tf.SymbolicTensor;
  } else {
    // A base that ends pooled ([batch, features]) is flat already; tf.layers.flatten wants 3 dimensions or more.
    const flatten = x.rank > 2 ? tf.layers.flatten({ name: name('flatten') }) : tf.layers.reshape({ targetShape: [x.shape[1]!], name: name('flatten') });
    x = flatten.apply(x) as tf.SymbolicTensor;
    x = tf.layers.dense({ units: options.units, activation: 'relu', name: name('head_fc'), kernelInitializer: init('head_fc') }).apply(x) as tf.SymbolicTensor;
  }
  x = new StreamDropout({ rate: options.dropout, name: name('head_dropout'), seed: deriveSeed(options.seed, 'dropout') }).apply(x) as tf.SymbolicTensor;
  x = tf.layers.dense({ units: options.classes, activation: 'softmax', name: name('head_predictions'), kernelInitializer: 'zeros' }).apply(x) as tf.SymbolicTensor;
  return tf.model({ inputs: base.inputs, outputs: x, name: 'finetune' });
}

/**
 * A head on its own, taking the base's output: what a learning-rate or head search trains. Built by
 * attachHead, so its initial weights are the ones the run's model gets with the same options.
 */
export function standaloneHead(inputShape: number[], options: HeadOptions): tf.LayersModel {
  const input = tf.input({ shape: inputShape, name: 'features' });
  return attachHead(tf.model({ inputs: input, outputs: input }), options);
}

/** `model` (the base's layers, then a head) with a new head of these options instead; the old head's layers are disposed. */
export function swapHead(model: tf.LayersModel, base: tf.LayersModel, options: HeadOptions): tf.LayersModel {
  const swapped = attachHead(base, options);
  for (const layer of model.layers.slice(base.layers.length)) layer.dispose();
  return swapped;
}

export function dropoutLayers(model: tf.LayersModel): StreamDropout[] {
  return model.layers.filter((l): l is StreamDropout => l instanceof StreamDropout);
}
