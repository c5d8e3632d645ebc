import { test as base, expect, type Page } from '@playwright/test';
import { copyFile, mkdir, mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { listDirectory, DATASET_ROUTE } from '../../cli/dataset-dir';
import { startServer, type LocalServer } from '../../cli/server';
import type { TrainConfigInput } from '../../src/config';
import { listDataset, type ListedFile } from '../../src/data/listing';
import type { LayerFingerprint, PrepareResult, StageResult, TrainEvent } from '../../src/protocol';
import type { OpenInput } from '../../src/run/open-session';

export const SAMPLE = 'samples/flowers4';
export const APP = 'dist';

/** Copies the first `perClass` images of each named class of the bundled sample into `dir`. */
export async function sampleSubset(dir: string, classes: string[], perClass: number): Promise<void> {
  for (const name of classes) {
    await mkdir(join(dir, name), { recursive: true });
    const files = (await readdir(join(SAMPLE, name))).sort().slice(0, perClass);
    for (const file of files) await copyFile(join(SAMPLE, name, file), join(dir, name, file));
  }
}

export async function writeFiles(dir: string, files: Record<string, string | Uint8Array>): Promise<void> {
  for (const [path, content] of Object.entries(files)) {
    await mkdir(join(dir, path, '..'), { recursive: true });
    await writeFile(join(dir, path), content);
  }
}

/** A session input for a folder below the served data root, as the command line builds it. */
export async function inputFor(dataRoot: string, name: string, config: TrainConfigInput): Promise<OpenInput> {
  const { files, folders } = await listDirectory(join(dataRoot, name), `${DATASET_ROUTE}${name}/`);
  const listing = listDataset(files, name, folders);
  return { config, dataset: listing.source, root: name, skipped: listing.skipped };
}

/** The runner page's worker API, driven from the test. */
export class Runner {
  constructor(readonly page: Page) {}

  open(input: OpenInput): Promise<PrepareResult> {
    return this.page.evaluate((i) => window.finetune.open(i), input);
  }

  /** The error a call ends with, as {name, message}: names cross the worker boundary, classes do not. */
  openError(input: OpenInput): Promise<{ name: string; message: string } | null> {
    return this.page.evaluate(async (i) => {
      try {
        await window.finetune.open(i);
        return null;
      } catch (error) {
        return { name: (error as Error).name, message: (error as Error).message };
      }
    }, input);
  }

  trainStage(stage: 1 | 2): Promise<StageResult> {
    return this.page.evaluate((s) => window.finetune.api.trainStage(s), stage);
  }

  fingerprints(): Promise<LayerFingerprint[]> {
    return this.page.evaluate(() => window.finetune.api.fingerprints());
  }

  memory(): Promise<{ numTensors: number; numBytes: number; backend: string | null }> {
    return this.page.evaluate(() => window.finetune.api.memory());
  }

  events(): Promise<TrainEvent[]> {
    return this.page.evaluate(() => window.finetune.events);
  }

  close(): Promise<void> {
    return this.page.evaluate(() => window.finetune.api.close());
  }
}

/** Indices of layers whose weights differ between two fingerprints (layers without weights never do). */
export function changedLayers(before: LayerFingerprint[], after: LayerFingerprint[]): number[] {
  return after.filter((l, i) => l.hash !== before[i]!.hash).map((l) => l.index);
}

export const test = base.extend<{ runner: Runner }, { dataRoot: string; server: LocalServer }>({
  dataRoot: [
    async ({}, use) => {
      const dir = await mkdtemp(join(tmpdir(), 'finetune-e2e-'));
      await use(dir);
      await rm(dir, { recursive: true, force: true });
    },
    { scope: 'worker' },
  ],
  server: [
    async ({ dataRoot }, use) => {
      const server = await startServer({ appDir: APP, datasetDir: dataRoot });
      await use(server);
      await server.close();
    },
    { scope: 'worker' },
  ],
  runner: async ({ page, server }, use) => {
    page.on('pageerror', (error) => console.error(`[page] ${error.message}`));
    await page.goto(`${server.url}/runner.html`);
    await page.waitForFunction(() => document.body.dataset['ready'] === 'true');
    await use(new Runner(page));
  },
});

export { expect };

/** Creates a project in the page and imports a folder below the data root into it, as a picker would. */
export async function importProject(runner: Runner, dataRoot: string, folder: string, config: TrainConfigInput): Promise<string> {
  const { files } = await listDirectory(join(dataRoot, folder), `${DATASET_ROUTE}${folder}/`);
  return runner.page.evaluate(
    async ([name, cfg, list]) => {
      const project = await window.finetune.createProject(name, cfg);
      const picked = await Promise.all(list.map(async (f: ListedFile) => ({ path: `${name}/${f.path}`, blob: await (await fetch(f.url!)).blob() })));
      await window.finetune.api.importFiles(project.id, picked);
      return project.id;
    },
    [folder, config, files] as const,
  );
}

/** Resolves once the page has seen `count` events of `type` (and, for checkpoints, `state`). */
export async function waitForEvents(page: Page, type: TrainEvent['type'], count: number, state?: string): Promise<void> {
  await page.waitForFunction(
    ([t, n, s]) => window.finetune.events.filter((e) => e.type === t && (!s || (e as { state?: string }).state === s)).length >= n,
    [type, count, state] as const,
  );
}
