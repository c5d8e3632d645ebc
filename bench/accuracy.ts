// npm run bench:accuracy -- [--dataset DIR] [--weights W] [--preprocessing P] [--backend wasm] [--out FILE]
// Real photos on a real ImageNet base (by default ../shared/data: Caltech-101's caltech20 and ml5's
// Darknet-Tiny cut at leaky_re_lu_15, 224 px): the feature-extraction baseline, then the two-stage run
// with every default, in headless Chromium's worker as the command line runs it. Prints JSON: the
// accuracies, the rates and heads the searches chose, and seconds per phase. Asserts nothing.
import { existsSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { cpus } from 'node:os';
import { basename, dirname, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { launchChromium, newPage } from '../cli/chromium';
import { DATASET_ROUTE, listDirectory } from '../cli/dataset-dir';
import { APP_DIR } from '../cli/app-dir';
import { makePrinter } from '../cli/progress-printer';
import { startServer } from '../cli/server';
import { resolveLocalWeights } from '../cli/weights';
import { listDataset } from '../src/data/listing';
import type { RecipeResult, StageResult, TrainEvent } from '../src/protocol';
import type { OpenInput } from '../src/run/open-session';

const SHARED = resolve('../shared/data');
const { values } = parseArgs({
  options: {
    dataset: { type: 'string', default: `${SHARED}/caltech20` },
    weights: { type: 'string', default: `${SHARED}/models/darknettiny/model.json#leaky_re_lu_15` },
    preprocessing: { type: 'string', default: 'unit' },
    backend: { type: 'string', default: 'wasm' },
    out: { type: 'string', default: 'out/bench-accuracy.json' },
  },
});
const weightsFile = values.weights.split('#')[0]!;
for (const [what, path] of [['dataset', values.dataset], ['weights', weightsFile]] as const) {
  if (!existsSync(path)) {
    console.error(`bench:accuracy: the ${what} ${path} is missing. This benchmark reads real photos and a real pretrained base from ../shared/data (next to this repository); give --dataset DIR and --weights path/model.json#layer to use others.`);
    process.exit(2);
  }
}

/** When each event arrived, for the seconds of each phase. */
const timeline: { at: number; event: TrainEvent }[] = [];
const print = makePrinter({ tty: false, verbose: true }, process.stderr, Date.now, (line) => process.stderr.write(`${line}\n`));
const local = await resolveLocalWeights(values.weights, process.cwd());
const directory = await listDirectory(values.dataset, `${DATASET_ROUTE}${encodeURIComponent(basename(values.dataset))}/`);
const listing = listDataset(directory.files, basename(values.dataset), directory.folders);
const server = await startServer({ appDir: APP_DIR, files: new Map([...local.files, ...[...directory.fileOf].map(([url, file]) => [new URL(url, 'http://x').pathname, file] as const)]) });
const weights = local.setting(server.url);
const browser = await launchChromium();

/** One run in a fresh runner page: open with `config`, then the features baseline or both stages. */
async function run(mode: 'features' | 'finetune'): Promise<{ result: RecipeResult; seconds: number }> {
  const page = await newPage(browser);
  await page.exposeFunction('onFinetuneEvent', (event: TrainEvent) => {
    timeline.push({ at: Date.now(), event });
    print(event);
  });
  await page.goto(`${server.url}/runner.html`);
  await page.waitForFunction(() => document.body.dataset['ready'] === 'true');
  const input: OpenInput = { config: { weights, preprocessing: values.preprocessing as 'unit', backend: values.backend as 'wasm' }, dataset: listing.source, root: basename(values.dataset), skipped: listing.skipped };
  const started = Date.now();
  const result = await page.evaluate(
    async ([i, how]) => {
      const prepared = await window.finetune.open(i);
      return how === 'features' ? { ...prepared, stages: [await window.finetune.api.runFeatures()] } : window.finetune.api.runRecipe();
    },
    [input, mode] as const,
  );
  await page.close();
  return { result, seconds: (Date.now() - started) / 1000 };
}

/** A stage's seconds: building its cache, searching its rate, and the rest (its epochs, validation, checkpoints, report). */
function phases(stage: 1 | 2): { cache: number; search: number; train: number } {
  const of = timeline.filter(({ event }) => 'stage' in event && event.stage === stage);
  const at = (type: TrainEvent['type']): number | undefined => of.find(({ event }) => event.type === type)?.at;
  const start = at('stage-start')!;
  const end = at('stage-end')!;
  const cache = of.find(({ event }) => event.type === 'cache')?.event as Extract<TrainEvent, { type: 'cache' }> | undefined;
  const search = of.find(({ event }) => event.type === 'search')?.event as Extract<TrainEvent, { type: 'search' }> | undefined;
  const cacheSeconds = cache?.seconds ?? 0;
  const searchSeconds = search?.search.seconds ?? 0;
  return { cache: round(cacheSeconds), search: round(searchSeconds), train: round((end - start) / 1000 - cacheSeconds - searchSeconds) };
}

const round = (x: number, digits = 1): number => Number(x.toFixed(digits));
const accuracy = (s: StageResult | undefined): number | null => s?.report?.accuracy ?? null;

function stageSummary(s: StageResult) {
  return {
    accuracy: accuracy(s),
    head: s.settings.head,
    learningRate: s.settings.learningRate,
    restarts: s.settings.restarts,
    tried: s.settings.search?.trials.map((t) => ({ head: t.head, learningRate: t.learningRate, valLoss: t.valLoss, valAcc: t.valAcc, diverged: t.diverged })) ?? null,
    keptEpoch: s.best?.epoch ?? null,
    epochsTrained: s.history.length,
    stoppedEarly: s.stoppedEarly,
    seconds: phases(s.stage),
  };
}

try {
  const features = await run('features');
  const decodeAndFeatures = features.seconds;
  timeline.length = 0;
  const finetune = await run('finetune');
  const [stage1, stage2] = [finetune.result.stages.find((s) => s.stage === 1)!, finetune.result.stages.find((s) => s.stage === 2)!];
  const base = accuracy(features.result.stages[0]);
  const report = {
    date: new Date().toISOString(),
    machine: { cpus: cpus().length, cpuModel: cpus()[0]?.model ?? 'unknown', chromium: browser.version(), backend: finetune.result.backend.backend, detail: finetune.result.backend.detail },
    dataset: values.dataset,
    weights: values.weights,
    images: { train: finetune.result.trainSize, validation: finetune.result.validationSize, test: finetune.result.testSize, classes: finetune.result.classes.length },
    features: { accuracy: base, seconds: round(decodeAndFeatures) },
    stage1: stageSummary(stage1),
    stage2: stageSummary(stage2),
    twoStage: { accuracy: accuracy(stage2), seconds: round(finetune.seconds) },
    goals: {
      'two-stage minus features (goal >= 0.01)': base === null ? null : round(accuracy(stage2)! - base, 4),
      'stage 1 minus features (goal >= -0.02)': base === null ? null : round(accuracy(stage1)! - base, 4),
    },
  };
  await mkdir(dirname(values.out), { recursive: true });
  await writeFile(values.out, `${JSON.stringify(report, null, 2)}\n`);
  console.log(JSON.stringify(report, null, 2));
} finally {
  await browser.close();
  await server.close();
}
