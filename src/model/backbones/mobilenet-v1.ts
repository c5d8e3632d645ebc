import type { TfjsBackbone } from './backbone';

/** MobileNet v1 as tfjs-models publishes it (mobilenet_v1_<alpha>_<size>/model.json): inputs in [-1, 1], its last depthwise block trained in stage 2. */
export const MOBILENET_V1: TfjsBackbone = {
  name: 'MobileNet v1 (tfjs-models)',
  match: /mobilenet_v1_[\d.]+_\d+\/model\.json$/,
  preprocessing: 'tf',
  unfreezeFrom: 'conv_dw_13',
};
