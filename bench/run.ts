// npm run bench -- [--backends webgpu,webgl,wasm] [--sizes 32,64] [--quick] [--cache-size 32] [--cache-backend wasm] [--no-cache-bench] [--no-threads-bench] [--no-head224-bench]
// Images per second of VGG16 + the recipe head for forward passes and both kinds of training step, per
// backend, wasm on every core against one thread, then the recipe on the bundled sample with and without
// the frozen-layer cache, and the cached head at 224 px on real photos and a real base (bench/head224.ts,
// where ../shared/data is), measured in one run in headless Chromium's worker. Prints JSON; asserts nothing.
import { cpus } from 'node:os';
import { dirname } from 'node:path';
import { parseArgs } from 'node:util';
import { launchChromium, newPage } from '../cli/chromium';
import { DATASET_ROUTE, listDirectory } from '../cli/dataset-dir';
import { APP_DIR } from '../cli/app-dir';
import { startServer } from '../cli/server';
import { listDataset } from '../src/data/listing';
import type { BackendName } from '../src/protocol';
import type { BenchKind, BenchResult, BenchSpec } from '../src/run/benchmark';
import { compareCache, pageDriver } from './cache';
import { compareHead224, head224Missing, type Head224 } from './head224';
import { compareThreads, type ThreadsComparison } from './threads';

const SAMPLE_DIR = 'samples/flowers4';

const { values } = parseArgs({
  options: {
    backends: { type: 'string', default: 'webgpu,webgl,wasm' },
    quick: { type: 'boolean', default: false },
    // Training steps at 224 px take minutes each on a software GPU: add 224 on real hardware.
    sizes: { type: 'string', default: '32,64' },
    seconds: { type: 'string', default: '3' },
    'cache-size': { type: 'string', default: '32' },
    'cache-backend': { type: 'string', default: 'wasm' },
    'no-cache-bench': { type: 'boolean', default: false },
    'no-threads-bench': { type: 'boolean', default: false },
    'no-head224-bench': { type: 'boolean', default: false },
  },
});

/** Forward passes at each size and at 224 px, both step kinds at each size. */
function plan(quick: boolean): Omit<BenchSpec, 'minSeconds' | 'maxSteps'>[] {
  const sizes = quick ? [32] : values.sizes.split(',').map(Number);
  const specs: Omit<BenchSpec, 'minSeconds' | 'maxSteps'>[] = [];
  for (const kind of ['forward', 'stage1', 'stage2'] as BenchKind[]) {
    for (const inputSize of sizes) specs.push({ kind, inputSize, batchSize: 4 });
  }
  if (!quick && !sizes.includes(224)) specs.splice(sizes.length, 0, { kind: 'forward', inputSize: 224, batchSize: 1 });
  return specs;
}

const backends = values.backends.split(',').map((b) => b.trim()) as BackendName[];
const server = await startServer({ appDir: APP_DIR, datasetDir: dirname(SAMPLE_DIR) });
const browser = await launchChromium();
let cacheComparison: object | null = null;
let threads: ThreadsComparison | null = null;
let head224: Head224 | { skipped: string } | null = null;
const results: (BenchResult | { backend: string; kind: string; inputSize: number; error: string })[] = [];
try {
  const page = await newPage(browser);
  await page.goto(`${server.url}/runner.html`);
  await page.waitForFunction(() => document.body.dataset['ready'] === 'true');
  for (const backend of backends) {
    for (const spec of plan(values.quick)) {
      const full: BenchSpec = { ...spec, minSeconds: Number(values.seconds), maxSteps: 20 };
      process.stderr.write(`bench: ${backend} ${spec.kind} ${spec.inputSize}px batch ${spec.batchSize}... `);
      try {
        const result = await page.evaluate(([b, s]) => window.finetune.api.benchmark(b, s), [backend, full] as const);
        process.stderr.write(`${result.imagesPerSecond.toFixed(2)} img/s\n`);
        results.push(result);
      } catch (error) {
        process.stderr.write('failed\n');
        results.push({ backend, kind: spec.kind, inputSize: spec.inputSize, error: (error as Error).message.split('\n')[0]! });
      }
    }
  }
  if (!values['no-threads-bench']) threads = await compareThreads(browser, server.url, Number(values.seconds));
  if (!values['no-head224-bench']) {
    const missing = head224Missing();
    if (missing) process.stderr.write(`bench: ${missing}\n`);
    head224 = missing ? { skipped: missing } : await compareHead224(browser, Number(values.seconds));
  }
  if (!values['no-cache-bench']) {
    const spec = { dataset: SAMPLE_DIR, inputSize: Number(values['cache-size']), batchSize: 8, backend: values['cache-backend'], headEpochs: 25, finetuneEpochs: 3 };
    const { files, folders } = await listDirectory(SAMPLE_DIR, `${DATASET_ROUTE}${SAMPLE_DIR.split('/').at(-1)}/`);
    cacheComparison = await compareCache(pageDriver(page), spec, listDataset(files, SAMPLE_DIR, folders).source);
  }
} finally {
  await browser.close();
  await server.close();
}

const ok = results.filter((r): r is BenchResult => 'imagesPerSecond' in r);
const rate = (backend: string, kind: string, size: number): number | undefined =>
  ok.find((r) => r.backend === backend && r.kind === kind && r.inputSize === size)?.imagesPerSecond;
const ratios: Record<string, number> = {};
for (const r of ok.filter((x) => x.backend === 'wasm')) {
  for (const other of backends.filter((b) => b !== 'wasm')) {
    const theirs = rate(other, r.kind, r.inputSize);
    if (theirs) ratios[`wasm/${other} ${r.kind} ${r.inputSize}px`] = Number((r.imagesPerSecond / theirs).toFixed(2));
  }
}
console.log(
  JSON.stringify(
    {
      date: new Date().toISOString(),
      machine: { cpus: cpus().length, cpuModel: cpus()[0]?.model ?? 'unknown' },
      chromium: browser.version(),
      unit: 'images per second (higher is better); warmupMs includes shader compilation',
      results: results.map((r) => ('imagesPerSecond' in r ? { ...r, imagesPerSecond: Number(r.imagesPerSecond.toFixed(3)), msPerStep: Math.round(r.msPerStep), warmupMs: Math.round(r.warmupMs) } : r)),
      ratios,
      threads,
      head224,
      cache: cacheComparison,
    },
    null,
    2,
  ),
);
