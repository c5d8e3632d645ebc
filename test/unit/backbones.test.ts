import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import { knownBackbone, TFJS_BACKBONES } from '../../src/model/backbones';
import { tfjsUnfreeze } from '../../src/model/backbones/tfjs-layers';
import { VGG16 } from '../../src/model/backbones/vgg16';
import { buildVgg16, VGG16_BASE_LAST_INDEX } from '../../src/model/backbones/vgg16-layers';

/** A small model ending in layers named as in Keras' MobileNetV2 (its last block, then Conv_1). */
function mobileNetV2Tail(): tf.LayersModel {
  const input = tf.input({ shape: [8, 8, 4] });
  let x = tf.layers.conv2d({ filters: 4, kernelSize: 3, padding: 'same', name: 'block_15_project' }).apply(input) as tf.SymbolicTensor;
  x = tf.layers.conv2d({ filters: 8, kernelSize: 1, name: 'block_16_expand' }).apply(x) as tf.SymbolicTensor;
  x = tf.layers.depthwiseConv2d({ kernelSize: 3, padding: 'same', name: 'block_16_depthwise' }).apply(x) as tf.SymbolicTensor;
  x = tf.layers.conv2d({ filters: 4, kernelSize: 1, name: 'block_16_project' }).apply(x) as tf.SymbolicTensor;
  x = tf.layers.conv2d({ filters: 16, kernelSize: 1, name: 'Conv_1' }).apply(x) as tf.SymbolicTensor;
  return tf.model({ inputs: input, outputs: x });
}

describe('the backbone registry', () => {
  it('knows MobileNet v1 and v2 files by their URL, query left out, and nothing else', () => {
    expect(knownBackbone('https://example.org/mobilenet_v1_0.25_224/model.json?v=2')?.name).toBe('MobileNet v1 (tfjs-models)');
    expect(knownBackbone('http://127.0.0.1:8080/models/mobilenet_v2_1.0_224/model.json')).toMatchObject({ preprocessing: 'tf', unfreezeFrom: 'block_16_expand' });
    expect(knownBackbone('https://example.org/darknet/model.json')).toBeUndefined();
    expect(new Set(TFJS_BACKBONES.map((b) => b.name)).size).toBe(TFJS_BACKBONES.length);
  });

  it("starts stage 2 at a known backbone's layer, and at the last block where the cut model lacks it", () => {
    const model = mobileNetV2Tail();
    const v2 = knownBackbone('https://example.org/mobilenet_v2_1.0_224/model.json');
    expect(tfjsUnfreeze(model, v2, 'Conv_1')).toEqual({ unfreezeFrom: 'block_16_expand', unfreezeWhy: "block_16_expand, MobileNet v2 (Keras applications)'s default" });
    // Cut below block 16 (or not the file it was named as): the structural default, never a layer that is not there.
    const v1 = knownBackbone('https://example.org/mobilenet_v1_1.0_224/model.json');
    expect(tfjsUnfreeze(model, v1, 'Conv_1').unfreezeFrom).toBe('block_16_depthwise');
    model.dispose();
  });

  it("finds VGG16's block 5 by name in a model of ours", () => {
    const vgg = buildVgg16({ inputSize: 32, init: 'zeros' });
    expect(tfjsUnfreeze(vgg, undefined, 'block5_pool')).toEqual({ unfreezeFrom: 'block5_conv1', unfreezeWhy: "block5_conv1, VGG16's block 5 as in the recipe" });
    vgg.dispose();
  });

  it("states VGG16's layer indices as its layers have them", () => {
    const vgg = buildVgg16({ inputSize: 32, init: 'zeros' });
    expect(VGG16.headStart).toBe(VGG16_BASE_LAST_INDEX + 1);
    expect(vgg.layers[VGG16.defaults.unfreezeFrom]!.name).toBe('block5_conv1');
    expect(vgg.layers.length).toBe(VGG16.headStart);
    vgg.dispose();
  });
});
