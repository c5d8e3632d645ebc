import * as tf from '@tensorflow/tfjs';
import { deriveSeed } from '../rng';
import { StreamDropout } from './stream-dropout';

type Initializer = ReturnType<typeof tf.initializers.zeros>;

export interface HeadOptions {
  classes: number;
  /** The recipe's D. */
  units: number;
  dropout: number;
  seed: number;
}

export const HEAD_LAYER_NAMES = ['flatten', 'head_fc', 'head_dropout', 'head_predictions'] as const;

/**
 * The recipe's FCHeadNet on top of a base: flatten -> Dense(D, relu) -> Dropout -> Dense(classes, softmax).
 * Layer indices continue the base's, so with VGG16 the head sits at 19-22 where Keras' top was.
 */
export function attachHead(base: tf.LayersModel, options: HeadOptions): tf.LayersModel {
  const init = (name: string): Initializer =>
    tf.initializers.glorotUniform({ seed: deriveSeed(options.seed, `init/${name}`) });
  let x = base.outputs[0] as tf.SymbolicTensor;
  // A base that ends pooled ([batch, features]) is flat already; tf.layers.flatten wants 3 dimensions or more.
  const flatten = x.rank > 2 ? tf.layers.flatten({ name: 'flatten' }) : tf.layers.reshape({ targetShape: [x.shape[1]!], name: 'flatten' });
  x = flatten.apply(x) as tf.SymbolicTensor;
  x = tf.layers.dense({ units: options.units, activation: 'relu', name: 'head_fc', kernelInitializer: init('head_fc') }).apply(x) as tf.SymbolicTensor;
  x = new StreamDropout({ rate: options.dropout, name: 'head_dropout', seed: deriveSeed(options.seed, 'dropout') }).apply(x) as tf.SymbolicTensor;
  x = tf.layers
    .dense({ units: options.classes, activation: 'softmax', name: 'head_predictions', kernelInitializer: init('head_predictions') })
    .apply(x) as tf.SymbolicTensor;
  return tf.model({ inputs: base.inputs, outputs: x, name: 'finetune' });
}

export function dropoutLayers(model: tf.LayersModel): StreamDropout[] {
  return model.layers.filter((l): l is StreamDropout => l instanceof StreamDropout);
}
