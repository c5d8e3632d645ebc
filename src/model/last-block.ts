import type * as tf from '@tensorflow/tfjs';

const SPATIAL_CONVOLUTIONS = new Set(['Conv2D', 'DepthwiseConv2D', 'SeparableConv2D']);

function kernelArea(layer: tf.layers.Layer): number {
  const size = layer.getConfig()['kernelSize'] ?? layer.getConfig()['kernel_size'];
  const dims = Array.isArray(size) ? (size as number[]) : [Number(size), Number(size)];
  return dims.reduce((a, b) => a * b, 1);
}

/**
 * Where stage 2 starts on a base with no known default: its last convolutional block, from the last
 * convolution with a kernel over 1x1 (a 3x3 conv, or MobileNet's depthwise one) to the cut, so stage 2
 * trains one spatial filter bank and the 1x1 layers after it; a base without one trains its last
 * layer with weights. Null when no layer has weights.
 */
export function lastBlockStart(base: tf.LayersModel): { index: number; name: string; why: string } | null {
  const layers = base.layers;
  for (let i = layers.length - 1; i >= 0; i--) {
    const layer = layers[i]!;
    if (SPATIAL_CONVOLUTIONS.has(layer.getClassName()) && kernelArea(layer) > 1) {
      const after = layers.length - 1 - i;
      const rest = after === 0 ? '' : after === 1 ? ', and the layer after it' : `, and the ${after} layers after it`;
      return { index: i, name: layer.name, why: `the base's last convolution with a kernel over 1x1 (${layer.getClassName()})${rest}` };
    }
  }
  for (let i = layers.length - 1; i >= 0; i--) {
    if (layers[i]!.weights.length) return { index: i, name: layers[i]!.name, why: "the base's last layer with weights (it has no spatial convolution)" };
  }
  return null;
}
