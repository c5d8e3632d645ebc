import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { attachHead } from '../../src/model/head';
import { lastBlockStart } from '../../src/model/last-block';
import { freezeBelow, inspectLayers, layerIndex } from '../../src/model/layers';
import { buildVgg16, VGG16_BASE_LAST_INDEX } from '../../src/model/backbones/vgg16-layers';

// RECIPE.md section 1: inspect_model.py's table and Keras' layer names.
const RECIPE_CLASSES = [
  'InputLayer', 'Conv2D', 'Conv2D', 'MaxPooling2D', 'Conv2D', 'Conv2D', 'MaxPooling2D',
  'Conv2D', 'Conv2D', 'Conv2D', 'MaxPooling2D', 'Conv2D', 'Conv2D', 'Conv2D', 'MaxPooling2D',
  'Conv2D', 'Conv2D', 'Conv2D', 'MaxPooling2D',
];
const RECIPE_NAMES = [
  'input_1', 'block1_conv1', 'block1_conv2', 'block1_pool', 'block2_conv1', 'block2_conv2', 'block2_pool',
  'block3_conv1', 'block3_conv2', 'block3_conv3', 'block3_pool', 'block4_conv1', 'block4_conv2', 'block4_conv3',
  'block4_pool', 'block5_conv1', 'block5_conv2', 'block5_conv3', 'block5_pool',
];
const sum = (values: number[]): number => values.reduce((a, b) => a + b, 0);

beforeAll(async () => {
  await tf.setBackend('cpu');
});

describe('VGG16 in Keras layout', () => {
  it('matches the recipe layer table without top: indices, classes, names, 14,714,688 weights', () => {
    const model = buildVgg16({ inputSize: 224, init: 'zeros' });
    const table = inspectLayers(model);
    expect(table.map((l) => l.className)).toEqual(RECIPE_CLASSES);
    expect(table.map((l) => l.name)).toEqual(RECIPE_NAMES);
    expect(table.map((l) => l.index)).toEqual(RECIPE_CLASSES.map((_, i) => i));
    expect(sum(table.map((l) => l.params))).toBe(14_714_688);
    expect(table[VGG16_BASE_LAST_INDEX]!.outputShape).toEqual([null, 7, 7, 512]);
    expect(table[15]).toMatchObject({ name: 'block5_conv1', params: 3 * 3 * 512 * 512 + 512, outputShape: [null, 14, 14, 512] });
    model.dispose();
  });

  it('with top: flatten and fc1, fc2, predictions at 19-22, 138,357,544 weights at 224 px', () => {
    const model = buildVgg16({ inputSize: 224, includeTop: true, init: 'zeros' });
    const table = inspectLayers(model);
    expect(table.slice(19).map((l) => [l.index, l.className, l.name])).toEqual([
      [19, 'Flatten', 'flatten'],
      [20, 'Dense', 'fc1'],
      [21, 'Dense', 'fc2'],
      [22, 'Dense', 'predictions'],
    ]);
    expect(sum(table.map((l) => l.params))).toBe(138_357_544);
    model.dispose();
  });

  it('takes any square size from 32 up and refuses smaller', () => {
    const model = buildVgg16({ inputSize: 48, init: 'zeros' });
    expect(model.outputs[0]!.shape).toEqual([null, 1, 1, 512]);
    model.dispose();
    expect(() => buildVgg16({ inputSize: 31 })).toThrow(/at least 32 px/);
  });
});

describe('the recipe head and freezing', () => {
  let model: tf.LayersModel;
  beforeAll(() => {
    const base = buildVgg16({ inputSize: 32, init: { seed: 1 } });
    model = attachHead(base, { classes: 3, units: 256, dropout: 0.5, seed: 1 });
  });
  afterAll(() => model.dispose());

  it('puts flatten -> Dense(256, relu) -> Dropout(0.5) -> Dense(classes, softmax) at 19-22', () => {
    const table = inspectLayers(model);
    expect(table.slice(19).map((l) => [l.index, l.className, l.outputShape])).toEqual([
      [19, 'Flatten', [null, 512]],
      [20, 'Dense', [null, 256]],
      [21, 'StreamDropout', [null, 256]],
      [22, 'Dense', [null, 3]],
    ]);
    expect(table[20]!.params).toBe(512 * 256 + 256);
    expect(table[22]!.params).toBe(256 * 3 + 3);
  });

  it('freezes by index or by layer name', () => {
    expect(freezeBelow(model, 19)).toBe(19);
    const trainable = inspectLayers(model).filter((l) => l.trainable).map((l) => l.name);
    expect(trainable).toEqual(['head_fc', 'head_predictions']);
    expect(freezeBelow(model, 'block5_conv1')).toBe(15);
    expect(inspectLayers(model).filter((l) => l.trainable).map((l) => l.index)).toEqual([15, 16, 17, 20, 22]);
    expect(model.trainableWeights).toHaveLength(10);
  });

  it('names what exists when a layer is not found', () => {
    expect(() => layerIndex(model, 'block6_conv1')).toThrow(/no layer named 'block6_conv1'.*block5_conv1/);
    expect(() => layerIndex(model, 23)).toThrow(/outside 0..22/);
  });

  it('draws the same random base for the same seed', () => {
    const again = attachHead(buildVgg16({ inputSize: 32, init: { seed: 1 } }), { classes: 3, units: 256, dropout: 0.5, seed: 1 });
    const first = model.getLayer('block5_conv3').getWeights()[0]!;
    const second = again.getLayer('block5_conv3').getWeights()[0]!;
    expect(tf.tidy(() => tf.equal(first, second).all().dataSync()[0])).toBe(1);
    again.dispose();
  });
});

describe('head kinds', () => {
  it('starts the classifier at zero, so the first predictions are uniform whatever the features', () => {
    const base = buildVgg16({ inputSize: 32, init: { seed: 2 } });
    const model = attachHead(base, { classes: 4, units: 8, dropout: 0.5, seed: 2 });
    const xs = tf.randomUniform([2, 32, 32, 3], 0, 255, 'float32', 3); // pixels far outside the expected scale
    const probs = tf.tidy(() => (model.predict(xs) as tf.Tensor).dataSync());
    expect(Array.from(probs)).toEqual(Array(8).fill(0.25));
    xs.dispose();
    model.dispose();
  });

  it('a gap head is pooling -> dropout -> classifier, after the base', () => {
    const model = attachHead(buildVgg16({ inputSize: 32, init: 'zeros' }), { kind: 'gap', classes: 3, units: 256, dropout: 0.5, seed: 1 });
    expect(inspectLayers(model).slice(19).map((l) => [l.className, l.name, l.outputShape])).toEqual([
      ['GlobalAveragePooling2D', 'head_pool', [null, 512]],
      ['StreamDropout', 'head_dropout', [null, 512]],
      ['Dense', 'head_predictions', [null, 3]],
    ]);
    model.dispose();
  });

  it("takes a base that already has the head's layer names (a model of ours, cut below its head)", () => {
    const ours = attachHead(buildVgg16({ inputSize: 32, init: 'zeros' }), { classes: 3, units: 8, dropout: 0.5, seed: 1 });
    const base = tf.model({ inputs: ours.inputs, outputs: ours.getLayer('head_fc').output as tf.SymbolicTensor });
    const again = attachHead(base, { classes: 2, units: 8, dropout: 0.5, seed: 1 });
    expect(again.layers.slice(base.layers.length).map((l) => l.name)).toEqual(['flatten_2', 'head_fc_2', 'head_dropout', 'head_predictions']);
    again.dispose();
  });
});

describe("stage 2's default on a base nobody declared", () => {
  it("is the last convolution with a kernel over 1x1, MobileNet's depthwise one included", () => {
    const input = tf.input({ shape: [16, 16, 3] });
    let x = tf.layers.conv2d({ filters: 4, kernelSize: 3, name: 'c3' }).apply(input) as tf.SymbolicTensor;
    x = tf.layers.depthwiseConv2d({ kernelSize: 3, name: 'dw' }).apply(x) as tf.SymbolicTensor;
    x = tf.layers.conv2d({ filters: 4, kernelSize: 1, name: 'pw' }).apply(x) as tf.SymbolicTensor;
    x = tf.layers.reLU({ name: 'relu' }).apply(x) as tf.SymbolicTensor;
    const model = tf.model({ inputs: input, outputs: x });
    expect(lastBlockStart(model)).toMatchObject({ index: 2, name: 'dw' });
    expect(lastBlockStart(model)!.why).toMatch(/last convolution with a kernel over 1x1 \(DepthwiseConv2D\), and the 2 layers after it/);
    const flat = tf.model({ inputs: model.inputs, outputs: model.getLayer('c3').output as tf.SymbolicTensor });
    expect(lastBlockStart(flat)).toMatchObject({ index: 1, name: 'c3' });
    model.dispose();
  });
});
