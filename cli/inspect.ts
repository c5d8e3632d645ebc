// npm run inspect -- [--include-top] [--size N] [--weights W]: the recipe's inspect_model.py, the layer
// table of VGG16 or of any TF.js layers model, with the cut and stage 2's default first layer marked.
import * as tf from '@tensorflow/tfjs';
import { readFile } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { knownBackbone } from '../src/model/backbones';
import { layersModelOf, tfjsUnfreeze } from '../src/model/backbones/tfjs-layers';
import { inspectLayers, layerIndex } from '../src/model/layers';
import { buildVgg16 } from '../src/model/backbones/vgg16-layers';
import type { LayerInfo } from '../src/protocol';

const USAGE = `Usage: npm run inspect -- [--weights W] [--include-top] [--size 224]

Prints index, class, name, output shape and parameters of each layer of the base, as the recipe's
inspect_model.py does, marking the cut (the base's last layer, under the new head) and the layer stage 2
starts training from by default.
  --weights W      random, imagenet or FILE.h5 (VGG16, the default), or path/or/URL/model.json[#layer]
                   (a TF.js layers model; without #layer every layer is listed, to choose a cut)
  --include-top    VGG16 with Keras' classifier on top (flatten, fc1, fc2, predictions)
  --size N         VGG16's input side (default 224)`;

/** inspect_model.py's table with a header row, every column aligned (parameters to the right), marks after. */
export function formatLayerTable(layers: LayerInfo[], marks = new Map<number, string>()): string[] {
  const shape = (s: (number | null)[]): string => `(${s.map((d) => (d === null ? 'None' : d)).join(', ')})`;
  const total = layers.reduce((n, l) => n + l.params, 0);
  const head = ['#', 'class', 'name', 'output shape', 'params'] as const;
  const cells = layers.map((l) => [String(l.index), l.className, l.name, shape(l.outputShape), l.params.toLocaleString('en-US')]);
  const widths = head.map((h, i) => Math.max(h.length, ...cells.map((c) => c[i]!.length)));
  const row = (c: readonly string[]): string => `[INFO] ${c.map((v, i) => (i === c.length - 1 ? v.padStart(widths[i]!) : v.padEnd(widths[i]!))).join('  ')}`;
  return [
    row(head),
    ...layers.map((l, i) => {
      const mark = marks.get(l.index);
      return mark ? `${row(cells[i]!)}  <- ${mark}` : row(cells[i]!);
    }),
    `[INFO] ${total.toLocaleString('en-US')} parameters`,
  ];
}

/** model.json and the shards it lists, from a path or a URL, loaded as a base is. */
async function loadLayersModel(location: string): Promise<tf.LayersModel> {
  const remote = /^https?:\/\//.test(location);
  const read = async (relative: string): Promise<Blob> => {
    if (!remote) return new Blob([new Uint8Array(await readFile(relative === location ? location : join(dirname(location), relative)))]);
    const response = await fetch(new URL(relative, location));
    if (!response.ok) throw new Error(`${new URL(relative, location).href}: HTTP ${response.status}`);
    return response.blob();
  };
  const json = await read(location);
  const shards = (JSON.parse(await json.text()) as tf.io.ModelJSON).weightsManifest.flatMap((g) => g.paths);
  const files = [{ name: 'model.json', blob: json }, ...(await Promise.all(shards.map(async (name) => ({ name, blob: await read(name) }))))];
  return (await layersModelOf(location, files)).model;
}

/** The table of a TF.js model, cut at `layer` when one is given, with its marks. */
async function tfjsTable(location: string, layer: string | undefined): Promise<string[]> {
  const full = await loadLayersModel(location);
  try {
    if (!layer) return [...formatLayerTable(inspectLayers(full)), `[INFO] choose a cut with --weights ${location}#<layer name>: the new head goes on that layer's output`];
    const base = tf.model({ inputs: full.inputs, outputs: full.layers[layerIndex(full, layer)]!.output as tf.SymbolicTensor });
    const cutIndex = layerIndex(base, layer);
    const { unfreezeFrom, unfreezeWhy } = tfjsUnfreeze(base, knownBackbone(location), layer);
    const marks = new Map([[layerIndex(base, unfreezeFrom), `stage 2 starts here by default: ${unfreezeWhy}`]]);
    marks.set(cutIndex, [marks.get(cutIndex), 'the cut: the new head goes on this output'].filter(Boolean).join('; '));
    return formatLayerTable(inspectLayers(base), marks);
  } finally {
    full.dispose();
  }
}

export async function main(argv: string[]): Promise<number> {
  const { values } = parseArgs({
    args: argv,
    options: { weights: { type: 'string', default: 'random' }, 'include-top': { type: 'boolean', default: false }, size: { type: 'string', default: '224' }, help: { type: 'boolean', short: 'h' } },
  });
  if (values.help) {
    console.log(USAGE);
    return 0;
  }
  tf.env().set('PROD', true); // no 'install tfjs-node' banner: a layer table needs no speed
  await tf.setBackend('cpu');
  const [location, layer] = values.weights.split('#') as [string, string | undefined];
  if (location.split('?')[0]!.endsWith('.json')) {
    const cwd = process.env['INIT_CWD'] ?? process.cwd();
    for (const line of await tfjsTable(/^https?:\/\//.test(location) ? location : resolve(cwd, location), layer)) console.log(line);
    return 0;
  }
  const model = buildVgg16({ inputSize: Number(values.size), includeTop: values['include-top'], init: 'zeros' });
  const marks = new Map([[15, "stage 2 starts here by default (block5_conv1, the recipe's)"]]);
  if (!values['include-top']) marks.set(18, 'the cut: the new head goes on this output');
  for (const line of formatLayerTable(inspectLayers(model), marks)) console.log(line);
  model.dispose();
  return 0;
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  process.exitCode = await main(process.argv.slice(2)).catch((error: Error) => {
    console.error(`error: ${error.message}`);
    return 1;
  });
}
