// npm run inspect -- [--include-top] [--size N]: the recipe's inspect_model.py, VGG16's layer table.
import * as tf from '@tensorflow/tfjs';
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { inspectLayers } from '../src/model/layers';
import { buildVgg16 } from '../src/model/vgg16';
import type { LayerInfo } from '../src/protocol';

export function formatLayerTable(layers: LayerInfo[]): string[] {
  const shape = (s: (number | null)[]): string => `(${s.map((d) => (d === null ? 'None' : d)).join(', ')})`;
  const total = layers.reduce((n, l) => n + l.params, 0);
  return [
    ...layers.map((l) => `[INFO] ${String(l.index).padEnd(3)} ${l.className.padEnd(13)} ${l.name.padEnd(13)} ${shape(l.outputShape).padEnd(20)} ${l.params.toLocaleString('en-US')}`),
    `[INFO] ${total.toLocaleString('en-US')} parameters`,
  ];
}

export async function main(argv: string[]): Promise<number> {
  const { values } = parseArgs({
    args: argv,
    options: { 'include-top': { type: 'boolean', default: false }, size: { type: 'string', default: '224' }, help: { type: 'boolean', short: 'h' } },
  });
  if (values.help) {
    console.log('Usage: npm run inspect -- [--include-top] [--size 224]\nPrints index, class, name, output shape and parameters of each VGG16 layer.');
    return 0;
  }
  tf.env().set('PROD', true); // no 'install tfjs-node' banner: a zero-initialised table needs no speed
  await tf.setBackend('cpu');
  const model = buildVgg16({ inputSize: Number(values.size), includeTop: values['include-top'], init: 'zeros' });
  for (const line of formatLayerTable(inspectLayers(model))) console.log(line);
  model.dispose();
  return 0;
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  process.exitCode = await main(process.argv.slice(2)).catch((error: Error) => {
    console.error(`error: ${error.message}`);
    return 1;
  });
}
