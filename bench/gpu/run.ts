// npm run bench:gpu -- [--out FILE] [--sizes 64,224] [--wasm-sizes 64] [--big-batch 32] [--seconds 3]
//   [--cache-size 224] [--cache-batch 8,32] [--head-epochs 25] [--finetune-epochs 3] [--dataset DIR]
//   [--parts adapter,autoChoice,webgpu,wasm,readLatency,metricReads,flags,frozenLayers,cache]
// The same measurements as `npm run bench`, in Node on a real GPU: Chromium cannot be installed where the
// GPU machines are, so WebGPU comes from Dawn's Node binding (the `webgpu` package) and the worker's code
// runs unchanged on it: backend choice, the benchmark steps, and the recipe with and without the
// frozen-layer cache (TrainingSession, no IndexedDB). Prints JSON, also written to --out after each part so
// that a run cut short keeps what it measured. bench/gpu/pack.sh makes what a GPU machine needs.
import './node-globals'; // first: the WebGPU backend registers only where navigator.gpu exists
import '@tensorflow/tfjs-backend-webgpu';
import * as tf from '@tensorflow/tfjs';
import { setWasmPaths } from '@tensorflow/tfjs-backend-wasm';
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { dirname, join } from 'node:path';
import { parseArgs } from 'node:util';
import { probeBackend } from '../../src/backend/probe';
import { activate, selectBackends } from '../../src/backend/select';
import type { BackendName, DatasetSource, TrainEvent } from '../../src/protocol';
import { benchmark, type BenchKind } from '../../src/run/benchmark';
import { TrainingSession } from '../../src/train/session';
import { compareCache, type RecipeDriver } from '../cache';

const { values } = parseArgs({
  options: {
    out: { type: 'string', default: 'out/bench-gpu.json' },
    sizes: { type: 'string', default: '64,224' },
    'wasm-sizes': { type: 'string', default: '64' },
    'big-batch': { type: 'string', default: '32' },
    seconds: { type: 'string', default: '3' },
    'cache-size': { type: 'string', default: '224' },
    'cache-batch': { type: 'string', default: '8,32' },
    'head-epochs': { type: 'string', default: '25' },
    'finetune-epochs': { type: 'string', default: '3' },
    dataset: { type: 'string', default: 'samples/flowers4' },
    parts: { type: 'string', default: 'adapter,autoChoice,webgpu,wasm,readLatency,metricReads,flags,frozenLayers,cache' },
    'wasm-dir': { type: 'string', default: 'node_modules/@tensorflow/tfjs-backend-wasm/dist/' },
  },
});

setWasmPaths(values['wasm-dir'].endsWith('/') ? values['wasm-dir'] : `${values['wasm-dir']}/`);

const report: Record<string, unknown> = {
  date: new Date().toISOString(),
  machine: { cpus: cpus().length, cpuModel: cpus()[0]?.model ?? 'unknown', node: process.version },
  unit: 'images per second (higher is better); warmupMs includes shader compilation',
};
mkdirSync(dirname(values.out), { recursive: true });
const save = (): void => writeFileSync(values.out, JSON.stringify(report, null, 2));
const log = (line: string): boolean => process.stderr.write(`bench:gpu: ${line}\n`);
const round = (x: number, digits = 3): number => Number(x.toFixed(digits));

async function part(name: string, work: () => Promise<unknown>): Promise<void> {
  if (!values.parts.split(',').includes(name.split(',')[0]!)) return;
  const started = performance.now();
  try {
    report[name] = await work();
  } catch (error) {
    report[name] = { error: (error as Error).message.split('\n')[0] };
  }
  log(`${name} done in ${((performance.now() - started) / 1000).toFixed(1)} s`);
  save();
}

async function speeds(backend: BackendName, sizes: number[], batches: number[]): Promise<object[]> {
  const failure = await activate(backend);
  if (failure) return [{ backend, error: failure }];
  const results: object[] = [];
  for (const batchSize of batches) {
    for (const inputSize of sizes) {
      for (const kind of ['forward', 'stage1', 'stage2'] as BenchKind[]) {
        try {
          const r = await benchmark({ kind, inputSize, batchSize, minSeconds: Number(values.seconds), maxSteps: 50 });
          log(`${backend} ${kind} ${inputSize}px batch ${batchSize}: ${r.imagesPerSecond.toFixed(2)} img/s`);
          results.push({ ...r, imagesPerSecond: round(r.imagesPerSecond), msPerStep: round(r.msPerStep, 1), warmupMs: Math.round(r.warmupMs), peakMB: round(r.peakBytes / 2 ** 20, 1) });
        } catch (error) {
          results.push({ backend, kind, inputSize, batchSize, error: (error as Error).message.split('\n')[0] });
        }
      }
    }
  }
  results.push({ backend, numTensorsAfter: tf.memory().numTensors });
  return results;
}

/** Milliseconds for one small result to come back from the device (median of 20): what a read per step costs. */
async function readLatency(backend: BackendName): Promise<object> {
  const failure = await activate(backend);
  if (failure) return { backend, error: failure };
  const times: number[] = [];
  for (let i = 0; i < 21; i++) {
    const x = tf.tidy(() => tf.fill([4096], i).sum()); // big enough that WebGPU does not hand it to the CPU
    const started = performance.now();
    await x.data();
    if (i > 0) times.push(performance.now() - started);
    x.dispose();
  }
  times.sort((a, b) => a - b);
  return { backend, medianMs: round(times[10]!), minMs: round(times[0]!), maxMs: round(times.at(-1)!) };
}

/** Training steps with the values read every step (TF.js' trainOnBatch) and in groups (the stage loop). */
async function metricReads(backend: BackendName, sizes: number[]): Promise<object[]> {
  const failure = await activate(backend);
  if (failure) return [{ backend, error: failure }];
  const results: object[] = [];
  for (const inputSize of sizes) {
    for (const kind of ['stage1', 'stage2'] as BenchKind[]) {
      const rates: Record<string, number> = {};
      for (const metricsRead of ['each-step', 'grouped'] as const) {
        const r = await benchmark({ kind, inputSize, batchSize: 4, minSeconds: Number(values.seconds), maxSteps: 100, metricsRead });
        rates[metricsRead] = round(r.imagesPerSecond);
      }
      log(`${backend} ${kind} ${inputSize}px batch 4: ${JSON.stringify(rates)} img/s`);
      results.push({ backend, kind, inputSize, batchSize: 4, imagesPerSecond: rates, 'grouped / each-step': round(rates['grouped']! / rates['each-step']!) });
    }
  }
  return results;
}

/** Training steps with the frozen layers inside TF.js' gradient tape (the whole model trains) and outside it. */
async function frozenLayers(backend: BackendName, sizes: number[], batchSize: number): Promise<object[]> {
  const failure = await activate(backend);
  if (failure) return [{ backend, error: failure }];
  const results: object[] = [];
  for (const inputSize of sizes) {
    for (const kind of ['stage1', 'stage2'] as BenchKind[]) {
      const row: Record<string, { imagesPerSecond: number; peakMB: number }> = {};
      for (const frozen of ['in-tape', 'outside-tape'] as const) {
        const r = await benchmark({ kind, inputSize, batchSize, minSeconds: Number(values.seconds), maxSteps: 50, frozen });
        row[frozen] = { imagesPerSecond: round(r.imagesPerSecond), peakMB: round(r.peakBytes / 2 ** 20, 1) };
      }
      log(`${backend} ${kind} ${inputSize}px batch ${batchSize}: ${JSON.stringify(row)}`);
      results.push({ backend, kind, inputSize, batchSize, ...row });
    }
  }
  return results;
}

/** Training steps at 64 px, batch 4 under each value of TF.js' WebGPU flags that trade dispatch cost. */
async function flagSweep(): Promise<object[]> {
  const failure = await activate('webgpu');
  if (failure) return [{ error: failure }];
  const variants: Record<string, number | boolean>[] = [
    {},
    { WEBGPU_DEFERRED_SUBMIT_BATCH_SIZE: 64 },
    { WEBGPU_DEFERRED_SUBMIT_BATCH_SIZE: 512 },
    { WEBGPU_CPU_FORWARD: false },
    {}, // again: the spread between the two default runs is the noise
  ];
  const results: object[] = [];
  for (const flags of variants) {
    const saved = Object.fromEntries(Object.keys(flags).map((name) => [name, tf.env().get(name)]));
    for (const [name, value] of Object.entries(flags)) tf.env().set(name, value);
    const rates: Record<string, number> = {};
    for (const kind of ['stage1', 'stage2'] as BenchKind[]) {
      rates[kind] = round((await benchmark({ kind, inputSize: 64, batchSize: 4, minSeconds: Number(values.seconds), maxSteps: 200 })).imagesPerSecond);
    }
    for (const [name, value] of Object.entries(saved)) tf.env().set(name, value);
    log(`flags ${JSON.stringify(flags)}: ${JSON.stringify(rates)} img/s`);
    results.push({ flags, imagesPerSecond: rates });
  }
  return results;
}

function folderDataset(root: string): DatasetSource {
  const classes = readdirSync(root).filter((name) => !name.startsWith('.')).sort();
  const items = classes.flatMap((className) =>
    readdirSync(join(root, className))
      .sort()
      .map((file) => ({ path: `${className}/${file}`, className, blob: new Blob([readFileSync(join(root, className, file))]) })),
  );
  return { classes, items };
}

function sessionDriver(): RecipeDriver {
  let session: TrainingSession | null = null;
  const events: TrainEvent[] = [];
  return {
    async open(input) {
      session = await TrainingSession.open({ config: input.config ?? {}, dataset: input.dataset!, root: input.root ?? '' }, (e) => void events.push(e));
    },
    trainStage: (stage) => session!.trainStage(stage),
    takeEvents: () => Promise.resolve(events.splice(0)),
    close: async () => {
      session?.dispose();
      session = null;
    },
  };
}

const numbers = (list: string): number[] => list.split(',').filter(Boolean).map(Number);

await part('adapter', async () => {
  const probe = await probeBackend('webgpu');
  const adapter = await navigator.gpu.requestAdapter({ powerPreference: 'high-performance' });
  const limits = adapter ? { maxBufferSize: adapter.limits.maxBufferSize, maxStorageBufferBindingSize: adapter.limits.maxStorageBufferBindingSize } : null;
  return { ...probe, limits };
});
await part('autoChoice', async () => {
  const [stage1, stage2] = await selectBackends('auto', 'auto');
  return [stage1, stage2].map(({ stage, backend, reason, detail }) => ({ stage, backend, reason, detail }));
});
await part('webgpu', () => speeds('webgpu', numbers(values.sizes), numbers(`4,${values['big-batch']}`).filter((b) => b > 0)));
await part('wasm', () => speeds('wasm', numbers(values['wasm-sizes']), [4]));
await part('readLatency', async () => [await readLatency('webgpu'), await readLatency('wasm')]);
await part('metricReads', () => metricReads('webgpu', numbers(values.sizes)));
await part('flags', flagSweep);
await part('frozenLayers', () => frozenLayers('webgpu', numbers(values.sizes), Number(values['big-batch'])));
for (const batchSize of numbers(values['cache-batch'])) {
  await part(`cache, batch ${batchSize}`, async () => {
    const spec = { dataset: values.dataset, inputSize: Number(values['cache-size']), batchSize, backend: 'webgpu', headEpochs: Number(values['head-epochs']), finetuneEpochs: Number(values['finetune-epochs']) };
    return compareCache(sessionDriver(), spec, folderDataset(values.dataset));
  });
}
console.log(JSON.stringify(report, null, 2));
