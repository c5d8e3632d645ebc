// The cached head at a real size: 300 of ../shared/data's caltech20 photos (the first 15 of each class) at
// 224 px on ml5's Darknet-Tiny cut at leaky_re_lu_15 (14x14x128: a 25,088-wide flatten head), wasm on every
// core, checkpoints to IndexedDB as the element keeps them (the default policy). Stage 1 without the
// frozen-layer cache, then with it, in one page: the wall time of an epoch, as the mean from the first
// epoch's end to the last (steps, validation and the checkpoints written in between, which the policy
// spaces out when they are large against the epochs), and the cache build's images per second against the
// base's own forward pass (the mean of one measured before both runs and one after).
import { existsSync } from 'node:fs';
import { basename, resolve } from 'node:path';
import type { Browser } from 'playwright-core';
import { newPage } from '../cli/chromium';
import { DATASET_ROUTE, listDirectory } from '../cli/dataset-dir';
import { APP_DIR } from '../cli/app-dir';
import { startServer } from '../cli/server';
import { resolveLocalWeights } from '../cli/weights';
import { listDataset } from '../src/data/listing';
import type { TrainConfigInput } from '../src/config';
import type { PrepareResult, TrainEvent } from '../src/protocol';
import type { BenchResult } from '../src/run/benchmark';

const SHARED = resolve('../shared/data');
const DATASET = `${SHARED}/caltech20`;
const WEIGHTS = `${SHARED}/models/darknettiny/model.json#leaky_re_lu_15`;
const PER_CLASS = 15;
const SIZE = 224;
const BATCH = 32;
const EPOCHS = { naive: 3, cached: 12 };

type Event<T extends TrainEvent['type']> = Extract<TrainEvent, { type: T }>;

export interface Head224 {
  'cached epoch / naive epoch': number;
  'cache build / forward images per second': number;
  images: { train: number; validation: number; test: number; classes: number };
  backend: string;
  /** Seconds from one epoch's end to the next (steps, validation, and a checkpoint where one was written). */
  epochSeconds: { naive: number[]; cached: number[] };
  cache: { seconds: number; passes: number; imagesPerSecond: number; mb: number };
  /** The base's forward pass, before both runs and after them, and their mean. */
  forward: { imagesPerSecond: number; before: number; after: number; batchSize: number };
  checkpoints: { naive: Saves; cached: Saves };
}

interface Saves {
  count: number;
  mb: number;
  /** Each save's milliseconds in all, and of them the building (weights read, encoded) before the write. */
  msEach: number[];
  buildMsEach: number[];
}

const round = (x: number, digits = 3): number => Number(x.toFixed(digits));
const mean = (xs: number[]): number => xs.reduce((a, b) => a + b, 0) / xs.length;

/** Why the benchmark cannot run here, or null. */
export function head224Missing(): string | null {
  const missing = [DATASET, WEIGHTS.split('#')[0]!].filter((path) => !existsSync(path));
  return missing.length ? `head224: skipped, ${missing.join(' and ')} not found (real photos and a real base from ../shared/data, next to this repository)` : null;
}

/** The first PER_CLASS photos of each class, in name order. */
async function subset(): Promise<{ listing: ReturnType<typeof listDataset>; fileOf: Map<string, string> }> {
  const directory = await listDirectory(DATASET, `${DATASET_ROUTE}${basename(DATASET)}/`);
  const byClass = new Map<string, typeof directory.files>();
  for (const file of [...directory.files].sort((a, b) => a.path.localeCompare(b.path))) {
    const name = file.path.split('/')[0]!;
    const kept = byClass.get(name) ?? [];
    if (kept.length < PER_CLASS) byClass.set(name, [...kept, file]);
  }
  const files = [...byClass.values()].flat();
  return { listing: listDataset(files, basename(DATASET), directory.folders), fileOf: directory.fileOf };
}

function savesOf(events: TrainEvent[]): Saves {
  const of = (state: Event<'checkpoint'>['state']) => events.filter((e): e is Event<'checkpoint'> => e.type === 'checkpoint' && e.state === state);
  const saved = of('saved');
  return { count: saved.length, mb: round((saved[0]?.bytes ?? 0) / 1e6, 1), msEach: saved.map((s) => Math.round(s.ms)), buildMsEach: of('writing').map((s) => Math.round(s.ms)) };
}

export async function compareHead224(browser: Browser, seconds: number): Promise<Head224> {
  const { listing, fileOf } = await subset();
  const local = await resolveLocalWeights(WEIGHTS, process.cwd());
  const files = new Map([...local.files, ...[...fileOf].map(([url, file]) => [new URL(url, 'http://x').pathname, file] as const)]);
  const server = await startServer({ appDir: APP_DIR, files });
  const timeline: { at: number; event: TrainEvent }[] = [];
  const page = await newPage(browser);
  try {
    await page.exposeFunction('onFinetuneEvent', (event: TrainEvent) => void timeline.push({ at: performance.now(), event }));
    await page.goto(`${server.url}/runner.html`);
    await page.waitForFunction(() => document.body.dataset['ready'] === 'true');
    const weights = local.setting(server.url);
    const config = (cached: boolean): TrainConfigInput => ({
      weights,
      preprocessing: 'unit', // pixels / 255, as ../shared/data/README.md says the model was trained
      inputSize: SIZE,
      batchSize: BATCH,
      backend: 'wasm',
      headKind: 'flatten',
      // A fixed rate and no early stop: every run trains the same epochs, so only their cost differs.
      head: { epochs: cached ? EPOCHS.cached : EPOCHS.naive, learningRate: 1e-3 },
      finetune: { epochs: 0 },
      patience: null,
      cache: { head: cached, finetune: cached },
    });
    const stage1 = async (cached: boolean): Promise<{ events: TrainEvent[]; epochEnds: number[]; prepared: PrepareResult }> => {
      timeline.length = 0;
      process.stderr.write(`bench head224: stage 1 ${cached ? 'cached' : 'naive'}, ${listing.source.items.length} photos at ${SIZE} px... `);
      const input = { config: config(cached), dataset: listing.source, root: basename(DATASET), checkpoint: { target: { kind: 'indexeddb', projectId: `bench-head224-${cached ? 'cached' : 'naive'}` } } } as const;
      const prepared = await page.evaluate(async (i) => {
        const opened = await window.finetune.open(i);
        await window.finetune.api.trainStage(1);
        await window.finetune.api.close();
        return opened;
      }, input);
      const events = timeline.map((t) => t.event);
      const epochEnds = timeline.filter((t) => t.event.type === 'epoch').map((t) => t.at);
      process.stderr.write('done\n');
      return { events, epochEnds, prepared };
    };
    const between = (ends: number[]): number[] => ends.slice(1).map((at, i) => round((at - ends[i]!) / 1000, 2));
    // The forward pass before and after both runs: this shared machine's speed drifts by a tenth or more
    // between minutes, and the mean of the two brackets the cache build in time.
    const forwardRate = async (when: string): Promise<number> => {
      process.stderr.write(`bench head224: the base's forward pass ${when}, batch ${BATCH}... `);
      const result = (await page.evaluate(
        ([s]) => window.finetune.api.benchmark('wasm', s),
        [{ kind: 'forward', inputSize: SIZE, batchSize: BATCH, minSeconds: seconds, maxSteps: 10, base: weights }] as const,
      )) as BenchResult;
      process.stderr.write(`${result.imagesPerSecond.toFixed(2)} img/s\n`);
      return result.imagesPerSecond;
    };
    const before = await forwardRate('before');
    const naive = await stage1(false);
    const cached = await stage1(true);
    const after = await forwardRate('after');
    const built = cached.events.find((e): e is Event<'cache'> => e.type === 'cache' && e.stage === 1)!;
    const progress = cached.events.filter((e): e is Event<'cache-progress'> => e.type === 'cache-progress' && e.stage === 1).at(-1)!;
    const backend = naive.events.find((e): e is Event<'backend'> => e.type === 'backend')!.choice.detail;
    const epochSeconds = { naive: between(naive.epochEnds), cached: between(cached.epochEnds) };
    const buildRate = progress.total / built.seconds;
    const { prepared } = cached;
    return {
      'cached epoch / naive epoch': round(mean(epochSeconds.cached) / mean(epochSeconds.naive)),
      'cache build / forward images per second': round(buildRate / mean([before, after])),
      images: { train: prepared.trainSize, validation: prepared.validationSize, test: prepared.testSize, classes: prepared.classes.length },
      backend,
      epochSeconds,
      cache: { seconds: round(built.seconds, 2), passes: progress.total, imagesPerSecond: round(buildRate, 2), mb: round(built.bytes / 1e6, 1) },
      forward: { imagesPerSecond: round(mean([before, after]), 2), before: round(before, 2), after: round(after, 2), batchSize: BATCH },
      checkpoints: { naive: savesOf(naive.events), cached: savesOf(cached.events) },
    };
  } finally {
    await page.close();
    await server.close();
  }
}
