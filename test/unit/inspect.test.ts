import * as tf from '@tensorflow/tfjs';
import { beforeAll, expect, it } from 'vitest';
import { formatLayerTable } from '../../cli/inspect';
import { inspectLayers } from '../../src/model/layers';
import { buildVgg16 } from '../../src/model/vgg16';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

it("prints inspect_model.py's table: index, class, name, shape, parameters", () => {
  const model = buildVgg16({ inputSize: 224, init: 'zeros' });
  const lines = formatLayerTable(inspectLayers(model));
  model.dispose();
  expect(lines).toHaveLength(20);
  expect(lines[0]).toMatch(/^\[INFO\] 0 +InputLayer +input_1 +\(None, 224, 224, 3\) +0$/);
  expect(lines[15]).toMatch(/^\[INFO\] 15 +Conv2D +block5_conv1 +\(None, 14, 14, 512\) +2,359,808$/);
  expect(lines[18]).toMatch(/^\[INFO\] 18 +MaxPooling2D +block5_pool +\(None, 7, 7, 512\) +0$/);
  expect(lines[19]).toBe('[INFO] 14,714,688 parameters');
});
