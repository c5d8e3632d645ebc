import * as tf from '@tensorflow/tfjs';
import { attachHead } from '../model/head';
import { freezeBelow } from '../model/layers';
import { buildVgg16 } from '../model/backbones/vgg16-layers';
import { BACKEND_CHAIN, type BackendName } from '../protocol';
import { VGG16 } from '../model/backbones/vgg16';

// Which kernels does training need, and which backend lacks which? Run one real training step of each
// workload on the current backend under tf.profile (which records every kernel run), then look each
// kernel up in every backend's registry.

export type AuditWorkload = 'vgg16-stage1' | 'vgg16-stage2' | 'mobilenet-block';

/** A MobileNet v1 style block, all trainable: strided conv, BN, ReLU6, depthwise (strides 1 and 2), pointwise. */
function mobileNetBlock(size: number): tf.LayersModel {
  const input = tf.input({ shape: [size, size, 3] });
  let x = tf.layers.conv2d({ filters: 8, kernelSize: 3, strides: 2, padding: 'same', useBias: false }).apply(input) as tf.SymbolicTensor;
  for (const strides of [1, 2]) {
    x = tf.layers.batchNormalization().apply(x) as tf.SymbolicTensor;
    x = tf.layers.reLU({ maxValue: 6 }).apply(x) as tf.SymbolicTensor;
    x = tf.layers.depthwiseConv2d({ kernelSize: 3, strides, padding: 'same', useBias: false }).apply(x) as tf.SymbolicTensor;
    x = tf.layers.conv2d({ filters: 16, kernelSize: 1, padding: 'same' }).apply(x) as tf.SymbolicTensor;
  }
  x = tf.layers.globalAveragePooling2d({}).apply(x) as tf.SymbolicTensor;
  x = tf.layers.dense({ units: 3, activation: 'softmax' }).apply(x) as tf.SymbolicTensor;
  return tf.model({ inputs: input, outputs: x });
}

function workloadModel(workload: AuditWorkload): { model: tf.LayersModel; size: number; classes: number } {
  if (workload === 'mobilenet-block') return { model: mobileNetBlock(16), size: 16, classes: 3 };
  const model = attachHead(buildVgg16({ inputSize: 32, init: { seed: 3 } }), { classes: 3, units: 8, dropout: 0.5, seed: 3 });
  freezeBelow(model, workload === 'vgg16-stage1' ? VGG16.headStart : VGG16.defaults.unfreezeFrom);
  return { model, size: 32, classes: 3 };
}

/** Every kernel one training step of `workload` runs on the current backend, sorted. */
export async function kernelsOfTrainingStep(workload: AuditWorkload): Promise<string[]> {
  const { model, size, classes } = workloadModel(workload);
  const optimizer = workload === 'vgg16-stage1' ? tf.train.rmsprop(1e-3) : tf.train.sgd(1e-3);
  model.compile({ optimizer, loss: 'categoricalCrossentropy', metrics: ['accuracy'] });
  const xs = tf.randomUniform([2, size, size, 3], 0, 1, 'float32', 5);
  const ys = tf.tidy(() => tf.oneHot(tf.tensor1d([0, 1], 'int32'), classes).toFloat());
  try {
    const info = await tf.profile(async () => {
      await model.trainOnBatch(xs, ys);
      return [];
    });
    // Ops with a custom gradient appear as 'name__op' scopes beside the kernels they run.
    return [...new Set(info.kernelNames)].filter((name) => !name.endsWith('__op')).sort();
  } finally {
    tf.dispose([xs, ys]);
    optimizer.dispose();
    model.dispose();
  }
}

/** For each backend, the kernels of `kernels` it has no implementation for. */
export function missingKernels(kernels: string[], backends: readonly BackendName[] = BACKEND_CHAIN): Record<BackendName, string[]> {
  const missing = {} as Record<BackendName, string[]>;
  for (const backend of backends) missing[backend] = kernels.filter((k) => !tf.getKernel(k, backend));
  return missing;
}
