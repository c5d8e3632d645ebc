import type { TfjsBackbone } from './backbone';

/**
 * MobileNet v2 as Keras' applications.MobileNetV2 names its layers, converted to a TF.js layers model
 * in a folder named like tfjs-models' v1 (mobilenet_v2_<alpha>_<size>/model.json): inputs in [-1, 1],
 * its last inverted-residual block (block_16) trained in stage 2.
 */
export const MOBILENET_V2: TfjsBackbone = {
  name: 'MobileNet v2 (Keras applications)',
  match: /mobilenet_v2_[\d.]+_\d+\/model\.json$/,
  preprocessing: 'tf',
  unfreezeFrom: 'block_16_expand',
};
