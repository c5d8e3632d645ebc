import { describe, expect, it } from 'vitest';
import { RECIPE_DEFAULTS, resolveConfig } from '../../src/config';
import { parseWeights } from '../../src/model/base-source';

describe('resolveConfig', () => {
  it("fills in the recipe's numbers", () => {
    const c = resolveConfig();
    expect(c).toEqual(RECIPE_DEFAULTS);
    expect(c).toMatchObject({ inputSize: 224, headUnits: 256, dropout: 0.5, batchSize: 32, testFraction: 0.25, seed: 42 });
    // Where the recipe has flaws: rates, head and stage-2 layer measured or taken from the base; a validation slice.
    expect(c).toMatchObject({ unfreezeFrom: 'auto', headKind: 'auto', validationFraction: 0.15, patience: 5, bnTrain: false });
    expect(c.head).toEqual({ epochs: 25, learningRate: 'auto', optimizer: 'rmsprop' });
    expect(c.finetune).toEqual({ epochs: 100, learningRate: 'auto', optimizer: 'sgd' });
    expect(c.augment).toEqual({ rotation: 30, widthShift: 0.1, heightShift: 0.1, shear: 0.2, zoom: 0.2, horizontalFlip: true });
  });

  it('merges stage settings field by field', () => {
    expect(resolveConfig({ head: { epochs: 3 } }).head).toEqual({ epochs: 3, learningRate: 'auto', optimizer: 'rmsprop' });
    expect(resolveConfig({ head: { learningRate: 1e-4 } }).head).toEqual({ epochs: 25, learningRate: 1e-4, optimizer: 'rmsprop' });
  });

  it.each([
    [{ batchSize: 0 }, /batchSize must be an integer from 1 to 4096, got 0/],
    [{ inputSize: 16 }, /inputSize must be an integer from 32/],
    [{ head: { learningRate: -0.1 } }, /head.learningRate must be above 0/],
    [{ finetune: { epochs: 1.5 } }, /finetune.epochs must be an integer >= 0/],
    [{ testFraction: 1 }, /testFraction must be from 0 to 0.9/],
    [{ backend: 'metal' as never }, /backend must be auto, webgpu, webgl, wasm or cpu; got 'metal'/],
    [{ preprocessing: 'torch' as never }, /preprocessing must be auto, caffe, tf or unit; got 'torch'/],
    [{ unfreezeFrom: -1 }, /unfreezeFrom must be an integer >= 0/],
    [{ headKind: 'conv' as never }, /headKind must be auto, flatten or gap; got 'conv'/],
    [{ validationFraction: 0.6 }, /validationFraction must be from 0 to 0.5/],
    [{ patience: 0 }, /patience must be an integer >= 1, got 0/],
    // 'off' is the command line's and the form's word; a config holds null for it.
    [{ patience: 'off' as never }, /patience must be an integer >= 1, got off/],
    [{ batchSize: 'off' as never }, /batchSize must be an integer from 1 to 4096, got off/],
  ])('rejects %j with a message naming the setting', (input, message) => {
    expect(() => resolveConfig(input)).toThrow(message);
  });

  it("takes an optional setting's null as absent, as callers of the worker may send it", () => {
    expect(resolveConfig({ finetuneBackend: null as never }).finetuneBackend).toBeNull();
    expect(resolveConfig({ patience: null }).patience).toBeNull();
  });

  it('throws a ConfigError', () => {
    expect(() => resolveConfig({ batchSize: 0 })).toThrow(expect.objectContaining({ name: 'ConfigError' }));
  });
});

describe('the weights setting', () => {
  it.each([
    ['random', { kind: 'random' }],
    ['imagenet', { kind: 'keras-h5', url: expect.stringMatching(/vgg16_weights_tf_dim_ordering_tf_kernels_notop\.h5$/), expected: { bytes: 58_889_256, md5: '6d6bbae143d832006294945121d1f1fc' } }],
    ['weights/vgg.H5', { kind: 'keras-h5', url: 'weights/vgg.H5' }],
    ['https://host/m/model.json#conv_pw_13_relu', { kind: 'tfjs', url: 'https://host/m/model.json', layer: 'conv_pw_13_relu' }],
    [`cached:${'a'.repeat(64)}`, { kind: 'cached', sha256: 'a'.repeat(64) }],
  ])('reads %s', (weights, source) => {
    expect(parseWeights(weights)).toEqual(source);
  });

  it('explains the forms it takes', () => {
    expect(() => parseWeights('model.json')).toThrow(/URL\/model.json#layer_name/);
  });
});
