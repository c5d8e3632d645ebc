import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { launchPersistent } from '../../cli/chromium';
import type { TrainConfigInput } from '../../src/config';
import { expect, importProject, Runner, sampleSubset, test, waitForEvents, writeFiles } from './fixtures';

// The naive loop: these tests act between epochs, which the frozen-layer cache makes too short to catch.
const CONFIG: TrainConfigInput = { inputSize: 32, batchSize: 4, backend: 'wasm', head: { epochs: 2 }, finetune: { epochs: 1 }, cache: { head: false, finetune: false } };

test('a project is imported once: reimporting adds no duplicates, and it reopens after a browser restart', async ({ server, dataRoot }) => {
  await sampleSubset(join(dataRoot, 'reopen'), ['daisy', 'rose', 'sunflower'], 4);
  await writeFiles(join(dataRoot, 'reopen'), { 'daisy/.DS_Store': 'junk', 'rose/notes.txt': 'not an image' });
  const profile = await mkdtemp(join(tmpdir(), 'finetune-profile-'));
  const open = async (): Promise<Runner> => {
    const page = await (await launchPersistent(profile)).newPage();
    await page.goto(`${server.url}/runner.html`);
    await page.waitForFunction(() => document.body.dataset['ready'] === 'true');
    return new Runner(page);
  };
  try {
    let runner = await open();
    const projectId = await importProject(runner, dataRoot, 'reopen', CONFIG);
    const first = await runner.page.evaluate((id) => window.finetune.api.listProjects().then((ps) => ps.find((p) => p.id === id)!), projectId);
    expect(first).toMatchObject({ name: 'reopen', classes: ['daisy', 'rose', 'sunflower'], imageCount: 12, status: 'new' });
    expect(first.skipped.map((s) => s.path).sort()).toEqual(['daisy/.DS_Store', 'rose/notes.txt']);

    // The same folder again: every image is a duplicate, nothing is added.
    const again = await runner.page.evaluate(async (id) => {
      const files = await Promise.all(
        ['daisy/daisy_001.jpg', 'rose/rose_002.jpg'].map(async (p) => ({ path: `reopen/${p}`, blob: await (await fetch(`/dataset/reopen/${p}`)).blob() })),
      );
      return window.finetune.api.importFiles(id, files);
    }, projectId);
    expect(again).toMatchObject({ added: 0, duplicates: 2, imageCount: 12 });
    const before = await runner.open({ projectId });
    await runner.close();
    await runner.page.context().close();

    runner = await open();
    const after = await runner.open({ projectId });
    expect(after.classes).toEqual(before.classes);
    expect(after.testPaths).toEqual(before.testPaths);
    expect(after.trainSize).toBe(before.trainSize);
    await runner.page.evaluate((id) => window.finetune.api.deleteProject(id), projectId);
    expect(await runner.page.evaluate(() => window.finetune.api.listProjects())).toEqual([]);
    await runner.page.context().close();
  } finally {
    await rm(profile, { recursive: true, force: true });
  }
});

test('only one tab trains a project; another sees its progress', async ({ runner, context, server, dataRoot }) => {
  await sampleSubset(join(dataRoot, 'tabs'), ['daisy', 'rose'], 8);
  const projectId = await importProject(runner, dataRoot, 'tabs', { ...CONFIG, batchSize: 2, head: { epochs: 40 } });
  void runner.page.evaluate(async (id) => {
    await window.finetune.open({ projectId: id });
    await window.finetune.api.runRecipe();
  }, projectId).catch(() => undefined);
  await waitForEvents(runner.page, 'epoch', 1);

  const second = new Runner(await context.newPage());
  await second.page.goto(`${server.url}/runner.html`);
  await second.page.waitForFunction(() => document.body.dataset['ready'] === 'true');
  expect(await second.openError({ projectId })).toEqual({
    name: 'ProjectBusyError',
    message: "project 'tabs' is training in another tab or window: this one can only watch its progress",
  });
  await second.page.evaluate((id) => void window.finetune.watch(id), projectId);
  await waitForEvents(second.page, 'epoch', 1);
  const watched = await second.events();
  expect(watched.filter((e) => e.type === 'epoch').every((e) => e.type === 'epoch' && e.metrics.stage === 1)).toBe(true);

  await runner.page.evaluate(() => window.finetune.api.cancel());
  await waitForEvents(runner.page, 'info', 1); // the first tab winds down
  await runner.page.close();
  const prepared = await second.open({ projectId, resume: true });
  expect(prepared.resumedAt).toMatch(/^stage 1, epoch \d+, batch 0$/);
});

// A full disk, as IndexedDB reports it: a put that throws QuotaExceededError. (Chromium's CDP quota
// override, Storage.overrideQuotaForOrigin, binds page writes but not a worker's, measured here.)
const STORAGE_FULL_PATCH = `{
  const put = IDBObjectStore.prototype.put;
  IDBObjectStore.prototype.put = function (...args) {
    if (self.__storageFull && this.name === 'checkpoints') throw new DOMException('The quota has been exceeded.', 'QuotaExceededError');
    return put.apply(this, args);
  };
}
`;

test('a full disk keeps the last good checkpoint, pauses and says how much space is needed', async ({ runner, dataRoot }) => {
  await runner.page.route('**/assets/trainer.worker-*.js', async (route) => {
    const response = await route.fetch();
    await route.fulfill({ response, body: STORAGE_FULL_PATCH + (await response.text()) });
  });
  await runner.page.reload();
  await runner.page.waitForFunction(() => document.body.dataset['ready'] === 'true');
  await sampleSubset(join(dataRoot, 'quota'), ['daisy', 'rose'], 8);
  const projectId = await importProject(runner, dataRoot, 'quota', { ...CONFIG, head: { epochs: 6 } });
  const storedCheckpoint = (): Promise<string> =>
    runner.page.evaluate((id) => window.finetune.api.listProjects().then((ps) => ps.find((p) => p.id === id)!.checkpoint), projectId);
  void runner.page.evaluate(async (id) => {
    // A save tried at every epoch end (the default spaces them out when they are slow against the epochs).
    await window.finetune.open({ projectId: id, checkpoint: { target: { kind: 'indexeddb', projectId: id }, maxOverhead: 1 } });
    await window.finetune.api.runRecipe();
  }, projectId).catch(() => undefined);
  await waitForEvents(runner.page, 'checkpoint', 1, 'saved');
  await runner.page.evaluate(() => window.finetune.api.pause());
  await waitForEvents(runner.page, 'status', 1, 'paused');
  const trainer = runner.page.workers().find((w) => w.url().includes('trainer.worker'))!;
  await trainer.evaluate(() => ((self as unknown as { __storageFull: boolean }).__storageFull = true));
  await runner.page.evaluate(() => window.finetune.api.resume());

  await waitForEvents(runner.page, 'warning', 2); // the first warning says the base is not pretrained
  const warning = (await runner.events()).filter((e) => e.type === 'warning').at(-1);
  expect(warning).toMatchObject({
    message: expect.stringMatching(
      /^checkpoint not saved to IndexedDB \(storage is full: it needs about \d+\.\d MB more; this site uses [\d.]+ MB of its [\d.]+ MB quota\); the last good checkpoint \(stage 1, epoch 2, batch 0\) is kept\. Training is paused: free some space, then resume\.$/,
    ),
  });
  await waitForEvents(runner.page, 'status', 2, 'paused'); // paused again, by the failed save
  expect(await storedCheckpoint()).toBe('stage 1, epoch 2, batch 0');

  await trainer.evaluate(() => ((self as unknown as { __storageFull: boolean }).__storageFull = false));
  await runner.page.evaluate(() => window.finetune.api.resume());
  await waitForEvents(runner.page, 'stage-end', 2);
  await waitForEvents(runner.page, 'checkpoint', 1 + 5, 'saved');
  expect(await storedCheckpoint()).toBe('finished');
});
