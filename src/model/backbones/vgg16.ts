import type { Expected } from '../../data/download';
import type { HeadKind, Preprocessing } from '../../protocol';
import type { UnfreezeDefault } from './backbone';

// VGG16 in Keras' layout: the recipe's backbone, built by vgg16-layers.ts and made a base (untrained, or
// with Keras' .h5 weights) by vgg16-load.ts, or found by its layer names in a TF.js model of ours. Plain
// data: the command line's --help reads it (through the weights setting) without TF.js installed.

/** Keras' own VGG16 ImageNet weights without top (applications/vgg16.py, WEIGHTS_PATH_NO_TOP). */
export const KERAS_VGG16_NOTOP = {
  url: 'https://storage.googleapis.com/tensorflow/keras-applications/vgg16/vgg16_weights_tf_dim_ordering_tf_kernels_notop.h5',
  fileName: 'vgg16_weights_tf_dim_ordering_tf_kernels_notop.h5',
  expected: { bytes: 58_889_256, md5: '6d6bbae143d832006294945121d1f1fc' } satisfies Expected,
};

export const VGG16 = {
  /** The first layer of the head, right after block5_pool (vgg16-layers.ts: VGG16_BASE_LAST_INDEX + 1; a number here, so that naming VGG16 loads no TF.js). */
  headStart: 19,
  /** As the recipe has it: block 5 (from block5_conv1, index 15) trained in stage 2, its flatten head only. */
  defaults: { unfreezeFrom: 15, unfreezeWhy: "block5_conv1, the recipe's", heads: ['flatten'] as HeadKind[] },
  /** What Keras' ImageNet weights expect; an untrained VGG16 takes pixels in [0, 1]. */
  preprocessing: { keras: 'caffe', random: 'unit' } as Record<'keras' | 'random', Preprocessing>,
  /** In a TF.js model with VGG16's layer names (one of ours), block 5 by name. */
  unfreezeIn(layerNames: readonly string[]): UnfreezeDefault | null {
    return layerNames.includes('block5_conv1') ? { unfreezeFrom: 'block5_conv1', unfreezeWhy: "block5_conv1, VGG16's block 5 as in the recipe" } : null;
  },
};
