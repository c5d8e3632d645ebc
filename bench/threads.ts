// All threads against one, for the wasm backend: forward, stage-1 and stage-2 steps at 64 px, batch 8,
// each thread count in a page (and so a worker) of its own, since wasm settles its count once a worker.
// The counts take turns, ROUNDS times each, and each keeps its best rate, so that a passing load on this
// shared machine does not land on one count only.
import type { Browser } from 'playwright-core';
import { newPage } from '../cli/chromium';
import type { BenchKind, BenchResult, BenchSpec } from '../src/run/benchmark';

const KINDS: BenchKind[] = ['forward', 'stage1', 'stage2'];
const ROUNDS = 2;

export interface ThreadsComparison {
  cores: number;
  /** Threads wasm ran with all of them asked for. */
  wasm: number;
  speedup: Record<BenchKind, number>;
  imagesPerSecond: Record<'1' | 'all', Record<BenchKind, number>>;
  /** Each step's costliest kernels (ms in one profiled step, from the best round). */
  slowestKernels: Record<'1' | 'all', Record<BenchKind, Record<string, number>>>;
}

interface Measured {
  detail: string;
  rates: Record<BenchKind, number>;
  kernels: Record<BenchKind, Record<string, number>>;
  cores: number;
}

async function measure(browser: Browser, url: string, threads: number | undefined, seconds: number): Promise<Measured> {
  const page = await newPage(browser);
  try {
    await page.goto(`${url}/runner.html`);
    await page.waitForFunction(() => document.body.dataset['ready'] === 'true');
    const rates = {} as Record<BenchKind, number>;
    const kernels = {} as Record<BenchKind, Record<string, number>>;
    let detail = '';
    for (const kind of KINDS) {
      const spec: BenchSpec = { kind, inputSize: 64, batchSize: 8, minSeconds: seconds, maxSteps: 20 };
      process.stderr.write(`bench threads: ${threads ?? 'all'} ${kind} 64px batch 8... `);
      const result = (await page.evaluate(([s, t]) => window.finetune.api.benchmark('wasm', s, t), [spec, threads] as const)) as BenchResult & { detail: string };
      process.stderr.write(`${result.imagesPerSecond.toFixed(2)} img/s (${result.detail})\n`);
      rates[kind] = result.imagesPerSecond;
      kernels[kind] = result.slowestKernels;
      detail = result.detail;
    }
    return { detail, rates, kernels, cores: await page.evaluate(() => navigator.hardwareConcurrency) };
  } finally {
    await page.close();
  }
}

export async function compareThreads(browser: Browser, url: string, seconds: number): Promise<ThreadsComparison> {
  const best = (a: Measured | null, b: Measured): Measured => {
    if (!a) return b;
    const pick = (k: BenchKind): Measured => (b.rates[k] > a.rates[k] ? b : a);
    return { ...b, rates: Object.fromEntries(KINDS.map((k) => [k, pick(k).rates[k]])) as Record<BenchKind, number>, kernels: Object.fromEntries(KINDS.map((k) => [k, pick(k).kernels[k]])) as Measured['kernels'] };
  };
  let [one, all] = [null as Measured | null, null as Measured | null];
  for (let round = 0; round < ROUNDS; round++) {
    one = best(one, await measure(browser, url, 1, seconds));
    all = best(all, await measure(browser, url, undefined, seconds));
  }
  if (!one || !all) throw new Error('no round of the threads benchmark ran');
  const round = (x: number): number => Number(x.toFixed(2));
  return {
    cores: all.cores,
    wasm: Number(/(\d+) thread/.exec(all.detail)?.[1] ?? NaN),
    speedup: Object.fromEntries(KINDS.map((k) => [k, round(all.rates[k] / one.rates[k])])) as Record<BenchKind, number>,
    imagesPerSecond: {
      '1': Object.fromEntries(KINDS.map((k) => [k, round(one.rates[k])])) as Record<BenchKind, number>,
      all: Object.fromEntries(KINDS.map((k) => [k, round(all.rates[k])])) as Record<BenchKind, number>,
    },
    slowestKernels: { '1': one.kernels, all: all.kernels },
  };
}
