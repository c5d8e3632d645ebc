import * as tf from '@tensorflow/tfjs';
import { ConfigError } from '../../errors';
import { deriveSeed } from '../../rng';

type Initializer = ReturnType<typeof tf.initializers.zeros>;

/** Filters per conv layer of each block, as in Keras' applications.VGG16. */
export const VGG16_BLOCKS: readonly (readonly number[])[] = [
  [64, 64],
  [128, 128],
  [256, 256, 256],
  [512, 512, 512],
  [512, 512, 512],
];
export const VGG16_MIN_SIZE = 32;
/** Index of the last layer of the base without top (block5_pool). */
export const VGG16_BASE_LAST_INDEX = 18;

export interface Vgg16Options {
  inputSize?: number;
  includeTop?: boolean;
  /** Units of `predictions` when includeTop (1000 for ImageNet). */
  classes?: number;
  /**
   * Seeds the random kernels, layer by layer; 'zeros' builds without drawing numbers (inspection).
   * Random kernels are He-uniform, not Keras' glorot-uniform: through 13 ReLU convolutions glorot shrinks
   * activations about 100-fold, leaving an untrained base whose features are all but zero.
   */
  init?: { seed: number } | 'zeros';
}

function kernelInit(init: Vgg16Options['init'], layerName: string): Initializer {
  if (init === 'zeros') return tf.initializers.zeros();
  return tf.initializers.heUniform({ seed: deriveSeed(init?.seed ?? 0, `init/${layerName}`) });
}

/** VGG16 with Keras' exact layer names and order: 0 input, 1-18 blocks, 19-22 top. */
export function buildVgg16(options: Vgg16Options = {}): tf.LayersModel {
  const { inputSize = 224, includeTop = false, classes = 1000, init } = options;
  if (!Number.isInteger(inputSize) || inputSize < VGG16_MIN_SIZE) {
    throw new ConfigError(`VGG16 needs a square input of at least ${VGG16_MIN_SIZE} px (five 2x2 poolings), got ${inputSize}`);
  }
  const input = tf.input({ shape: [inputSize, inputSize, 3], name: 'input_1' });
  let x: tf.SymbolicTensor = input;
  VGG16_BLOCKS.forEach((filters, b) => {
    filters.forEach((f, c) => {
      const name = `block${b + 1}_conv${c + 1}`;
      x = tf.layers
        .conv2d({ filters: f, kernelSize: 3, padding: 'same', activation: 'relu', name, kernelInitializer: kernelInit(init, name) })
        .apply(x) as tf.SymbolicTensor;
    });
    x = tf.layers.maxPooling2d({ poolSize: 2, strides: 2, name: `block${b + 1}_pool` }).apply(x) as tf.SymbolicTensor;
  });
  if (includeTop) {
    x = tf.layers.flatten({ name: 'flatten' }).apply(x) as tf.SymbolicTensor;
    for (const [name, units, activation] of [['fc1', 4096, 'relu'], ['fc2', 4096, 'relu'], ['predictions', classes, 'softmax']] as const) {
      x = tf.layers.dense({ units, activation, name, kernelInitializer: kernelInit(init, name) }).apply(x) as tf.SymbolicTensor;
    }
  }
  return tf.model({ inputs: input, outputs: x, name: 'vgg16' });
}
