import * as tf from '@tensorflow/tfjs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, expect, it, vi } from 'vitest';
import { formatLayerTable, main } from '../../cli/inspect';
import { writeTfjsModel } from '../fixtures/tfjs-model';
import { inspectLayers } from '../../src/model/layers';
import { buildVgg16 } from '../../src/model/backbones/vgg16-layers';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

it("prints inspect_model.py's table: index, class, name, shape, parameters", () => {
  const model = buildVgg16({ inputSize: 224, init: 'zeros' });
  const lines = formatLayerTable(inspectLayers(model));
  model.dispose();
  expect(lines).toHaveLength(21);
  expect(lines[0]).toMatch(/^\[INFO\] # +class +name +output shape +params$/);
  expect(lines[1]).toMatch(/^\[INFO\] 0 +InputLayer +input_1 +\(None, 224, 224, 3\) +0$/);
  expect(lines[16]).toMatch(/^\[INFO\] 15 +Conv2D +block5_conv1 +\(None, 14, 14, 512\) +2,359,808$/);
  expect(lines[19]).toMatch(/^\[INFO\] 18 +MaxPooling2D +block5_pool +\(None, 7, 7, 512\) +0$/);
  expect(lines[20]).toBe('[INFO] 14,714,688 parameters');
  // Every column starts where its header does; the parameter counts end where theirs does.
  for (const [column, header] of [['block5_conv1', 'name'], ['(None, 14, 14, 512)', 'output shape']] as const) expect(lines[16]!.indexOf(column)).toBe(lines[0]!.indexOf(header));
  expect(lines[16]!.length).toBe(lines[0]!.length);
});

it("prints any TF.js layers model's table cut at a layer, marking the cut and stage 2's default start", async () => {
  const dir = await mkdtemp(join(tmpdir(), 'inspect-'));
  await writeTfjsModel(dir);
  const lines: string[] = [];
  const log = vi.spyOn(console, 'log').mockImplementation((line: string) => void lines.push(line));
  try {
    expect(await main(['--weights', `${join(dir, 'model.json')}#conv_b`])).toBe(0);
    expect(await main(['--weights', join(dir, 'model.json')])).toBe(0);
  } finally {
    log.mockRestore();
    await rm(dir, { recursive: true, force: true });
  }
  expect(lines.slice(0, 5).map((l) => l.replace(/ +/g, ' '))).toEqual([
    '[INFO] # class name output shape params',
    '[INFO] 0 InputLayer image (None, 32, 32, 3) 0',
    '[INFO] 1 Conv2D conv_a (None, 32, 32, 8) 224',
    '[INFO] 2 MaxPooling2D pool_a (None, 16, 16, 8) 0',
    "[INFO] 3 Conv2D conv_b (None, 16, 16, 16) 1,168 <- stage 2 starts here by default: conv_b (index 3), the base's last convolution with a kernel over 1x1 (Conv2D); the cut: the new head goes on this output",
  ]);
  expect(lines[5]).toBe('[INFO] 1,392 parameters');
  // Without a layer, every layer, and how to choose a cut.
  expect(lines.slice(7, 13).map((l) => l.split(/ +/)[3])).toEqual(['image', 'conv_a', 'pool_a', 'conv_b', 'gap', 'logits']);
  expect(lines.at(-1)).toMatch(/^\[INFO\] choose a cut with --weights .*model\.json#<layer name>: the new head goes on that layer's output$/);
});
