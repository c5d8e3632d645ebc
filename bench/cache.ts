// The frozen-layer cache against the naive loop, on the same data, backend and seed, in one run: stage 1's
// wall time and accuracy, stage 2's time per epoch, and the tensors alive at each epoch's end.
import type { Page } from '@playwright/test';
import type { TrainConfigInput } from '../src/config';
import type { DatasetSource, StageResult, TrainEvent } from '../src/protocol';
import type { OpenInput } from '../src/run/open-session';

/** Opens and trains runs: the worker behind a page (npm run bench), or a session in Node (bench/gpu). */
export interface RecipeDriver {
  open(input: OpenInput): Promise<void>;
  trainStage(stage: 1 | 2): Promise<StageResult>;
  /** The events since the last call. */
  takeEvents(): Promise<TrainEvent[]>;
  close(): Promise<void>;
}

export function pageDriver(page: Page): RecipeDriver {
  return {
    open: async (input) => {
      await page.evaluate((i) => window.finetune.open(i), input);
    },
    trainStage: (stage) => page.evaluate((n) => window.finetune.api.trainStage(n), stage),
    takeEvents: () => page.evaluate(() => window.finetune.events.splice(0)),
    close: () => page.evaluate(() => window.finetune.api.close()),
  };
}

export interface CacheBenchSpec {
  /** The folder of class folders, as messages name it. */
  dataset: string;
  inputSize: number;
  batchSize: number;
  backend: string;
  headEpochs: number;
  finetuneEpochs: number;
}

interface Run {
  stage1Seconds: number;
  stage2Seconds: number;
  stage2SecondsPerEpoch: number;
  stage1ValAcc: number | null;
  stage2ValAcc: number | null;
  cache: { stage: number; layer: string; views: number; mb: number; seconds: number }[];
  numTensorsAtEpochEnd: number[];
}

async function timedRun(driver: RecipeDriver, input: OpenInput, epochs: number): Promise<Run> {
  await driver.open(input);
  const stage = async (s: 1 | 2): Promise<{ result: StageResult; seconds: number }> => {
    const started = performance.now();
    const result = await driver.trainStage(s);
    return { result, seconds: (performance.now() - started) / 1000 };
  };
  const one = await stage(1);
  const two = await stage(2);
  const events = await driver.takeEvents();
  await driver.close();
  const cache = events.filter((e): e is Extract<TrainEvent, { type: 'cache' }> => e.type === 'cache');
  const built2 = cache.find((c) => c.stage === 2)?.seconds ?? 0;
  return {
    stage1Seconds: round(one.seconds),
    stage2Seconds: round(two.seconds),
    stage2SecondsPerEpoch: round((two.seconds - built2) / epochs),
    stage1ValAcc: one.result.report?.accuracy ?? null,
    stage2ValAcc: two.result.report?.accuracy ?? null,
    cache: cache.map((c) => ({ stage: c.stage, layer: c.layer, views: c.views, mb: round(c.bytes / 1e6), seconds: round(c.seconds) })),
    numTensorsAtEpochEnd: [...one.result.history, ...two.result.history].map((h) => h.numTensors),
  };
}

const round = (x: number): number => Number(x.toFixed(3));

/** Stage 1 alone with `views` augmented views cached per image: its wall time and held-out accuracy. */
async function stage1With(driver: RecipeDriver, input: OpenInput, views: number): Promise<{ views: number; seconds: number; valAcc: number | null }> {
  await driver.open({ ...input, config: { ...input.config, cache: { head: true, finetune: true, views } } });
  const started = performance.now();
  const result = await driver.trainStage(1);
  const seconds = round((performance.now() - started) / 1000);
  await driver.close();
  await driver.takeEvents();
  return { views, seconds, valAcc: result.report?.accuracy ?? null };
}

/** Trains the recipe twice, naive then cached, and returns both runs with their ratios; then stage 1 over a range of views. */
export async function compareCache(driver: RecipeDriver, spec: CacheBenchSpec, source: DatasetSource): Promise<object> {
  const config = (on: boolean): TrainConfigInput => ({
    inputSize: spec.inputSize,
    batchSize: spec.batchSize,
    backend: spec.backend as TrainConfigInput['backend'],
    head: { epochs: spec.headEpochs },
    finetune: { epochs: spec.finetuneEpochs },
    cache: { head: on, finetune: on },
  });
  const input = (on: boolean): OpenInput => ({ config: config(on), dataset: source, root: spec.dataset });
  process.stderr.write(`bench: naive recipe (${spec.headEpochs} + ${spec.finetuneEpochs} epochs at ${spec.inputSize} px on ${spec.backend})... `);
  const naive = await timedRun(driver, input(false), spec.finetuneEpochs);
  process.stderr.write(`${naive.stage1Seconds + naive.stage2Seconds} s\nbench: cached recipe... `);
  const cached = await timedRun(driver, input(true), spec.finetuneEpochs);
  process.stderr.write(`${cached.stage1Seconds + cached.stage2Seconds} s\nbench: stage 1 with 0, 1, 2, 4 cached views... `);
  const views = [];
  for (const k of [0, 1, 2, 4]) views.push(await stage1With(driver, input(true), k));
  process.stderr.write('done\n');
  return {
    spec: { ...spec, dataset: `${spec.dataset}: ${source.items.length} images in ${source.classes.length} classes` },
    naive,
    cached,
    ratios: {
      'stage 1 wall time, cached / naive': round(cached.stage1Seconds / naive.stage1Seconds),
      'stage 1 validation accuracy, cached - naive (points)': round(100 * ((cached.stage1ValAcc ?? 0) - (naive.stage1ValAcc ?? 0))),
      'stage 2 time per epoch, naive / cached': round(naive.stage2SecondsPerEpoch / cached.stage2SecondsPerEpoch),
      'stage 2 validation accuracy, cached - naive (points)': round(100 * ((cached.stage2ValAcc ?? 0) - (naive.stage2ValAcc ?? 0))),
    },
    stage1ByViews: views.map((v) => ({ ...v, 'wall time / naive': round(v.seconds / naive.stage1Seconds) })),
  };
}
