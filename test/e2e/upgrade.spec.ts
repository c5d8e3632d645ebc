import { join } from 'node:path';
import type { TrainConfigInput } from '../../src/config';
import { expect, importProject, inputFor, sampleSubset, test, waitForEvents } from './fixtures';

// A project and a checkpoint as an earlier version stored them: a format-1 checkpoint (before rate
// searches, validation slices and best epochs) and a project whose settings predate the head kinds and
// the frozen-layer cache. Opened by today's worker, it resumes through src/checkpoint/upgrade.ts to the
// weights of a run that never stopped. The run is made with the settings format 1 meant (given rates, no
// validation slice, the flatten head, BatchNormalization in training mode, no cache), so the upgrade's
// reading of what the file leaves out is checked bit for bit (a validation slice read in, for one, moves
// the weights; VGG16 has no BatchNormalization: the unit tests check that setting).

// 16 images, 12 for training: 3 batches an epoch, 6 in stage 1 and 3 in stage 2, a checkpoint after each.
const CONFIG: TrainConfigInput = {
  inputSize: 32,
  batchSize: 4,
  backend: 'wasm',
  validationFraction: 0,
  patience: null,
  headKind: 'flatten',
  bnTrain: true,
  cache: { head: false, finetune: false },
  head: { epochs: 2, learningRate: 1e-3 },
  finetune: { epochs: 1, learningRate: 1e-3 },
};
// Checkpoints: stage 1, epoch 1, batch 2. The worker may save one or two more before it is terminated,
// still in stage 1 (6 batches).
const STOP_AFTER = 2;

/**
 * Rewrites the stored project and checkpoint into what the first version wrote: fields it did not have are
 * removed, and the checkpoint's bytes are ArrayBuffers (today's are Blobs).
 */
async function toFormat1(projectId: string): Promise<number> {
  const request = <T>(r: IDBRequest<T>): Promise<T> => new Promise((resolve, reject) => ((r.onsuccess = () => resolve(r.result)), (r.onerror = () => reject(r.error))));
  const db = await request(indexedDB.open('finetune-trainer'));
  const checkpoint = await request(db.transaction('checkpoints').objectStore('checkpoints').get(projectId));
  // Read before the writing transaction, which would commit while a Blob was read.
  for (const part of [checkpoint.weights, checkpoint.optimizer]) if (part) part.data = await (part.data as Blob).arrayBuffer();
  const bytes = checkpoint.weights.data.byteLength + (checkpoint.optimizer?.data.byteLength ?? 0);
  const laterSettings = ['headKind', 'validationFraction', 'patience', 'bnTrain', 'cache', 'maxImageMegapixels'];
  checkpoint.format = 1;
  for (const key of laterSettings) delete checkpoint.config[key];
  for (const stage of checkpoint.stages) for (const key of ['settings', 'best', 'stoppedEarly']) delete stage[key];
  delete checkpoint.progress;
  delete checkpoint.stage1Head;
  const tx = db.transaction(['projects', 'checkpoints'], 'readwrite');
  const project = await request(tx.objectStore('projects').get(projectId));
  for (const key of laterSettings) delete project.config[key];
  tx.objectStore('projects').put(project);
  tx.objectStore('checkpoints').put(checkpoint);
  await new Promise((resolve, reject) => ((tx.oncomplete = resolve), (tx.onerror = () => reject(tx.error))));
  db.close();
  return bytes;
}

/** The format the project's stored checkpoint was written in, and what holds its weights' bytes. */
async function stored(projectId: string): Promise<{ format: number; bytesIn: string }> {
  const request = <T>(r: IDBRequest<T>): Promise<T> => new Promise((resolve, reject) => ((r.onsuccess = () => resolve(r.result)), (r.onerror = () => reject(r.error))));
  const db = await request(indexedDB.open('finetune-trainer'));
  const checkpoint = await request(db.transaction('checkpoints').objectStore('checkpoints').get(projectId));
  db.close();
  return { format: checkpoint.format, bytesIn: checkpoint.weights.data.constructor.name };
}

test('a project and a format-1 checkpoint from an earlier version open, upgrade and resume to the uninterrupted weights', async ({ runner, dataRoot }) => {
  await sampleSubset(join(dataRoot, 'upgrade'), ['daisy', 'rose'], 8);
  await runner.open(await inputFor(dataRoot, 'upgrade', CONFIG));
  const reference = await runner.page.evaluate(() => window.finetune.api.runRecipe());
  const expected = (await runner.fingerprints()).map((f) => f.hash);
  await runner.close();

  const projectId = await importProject(runner, dataRoot, 'upgrade', CONFIG);
  const checkpoint = { target: { kind: 'indexeddb', projectId }, everyBatches: 1 } as const;
  void runner.page
    .evaluate(async (c) => (await window.finetune.open({ projectId: c.target.projectId, checkpoint: c }), window.finetune.api.runRecipe()), checkpoint)
    .catch(() => undefined); // its worker is terminated on purpose
  await waitForEvents(runner.page, 'checkpoint', STOP_AFTER, 'saved');
  await runner.page.evaluate(() => window.finetune.client.terminate());

  expect(await runner.page.evaluate(stored, projectId)).toEqual({ format: 2, bytesIn: 'Blob' });
  const oldBytes = await runner.page.evaluate(toFormat1, projectId);
  expect(await runner.page.evaluate(stored, projectId)).toEqual({ format: 1, bytesIn: 'ArrayBuffer' });
  const prepared = await runner.open({ projectId, resume: true, checkpoint });
  const listedOld = await runner.page.evaluate((id) => window.finetune.api.listProjects().then((all) => all.find((p) => p.id === id)!.checkpointBytes), projectId);
  expect(listedOld).toBe(oldBytes);
  expect(oldBytes).toBeGreaterThan(0);
  expect(prepared.resumedAt).toMatch(/^stage 1, epoch [12], batch [0-2]$/);
  const result = await runner.page.evaluate(() => window.finetune.api.runRecipe());
  expect((await runner.fingerprints()).map((f) => f.hash)).toEqual(expected);
  // What format 1 did not record comes back as it ran: the rate as given, the flatten head, no search.
  expect(result.stages.map((s) => s.settings)).toEqual([
    { learningRate: 1e-3, head: 'flatten', restarts: 0, search: null },
    { learningRate: 1e-3, head: 'flatten', restarts: 0, search: null },
  ]);
  expect(result.stages.map((s) => s.settings)).toEqual(reference.stages.map((s) => s.settings));
  // The checkpoints since are written in today's format, and the project lists as finished.
  expect(await runner.page.evaluate(stored, projectId)).toEqual({ format: 2, bytesIn: 'Blob' });
  const listed = await runner.page.evaluate((id) => window.finetune.api.listProjects().then((all) => all.find((p) => p.id === id)), projectId);
  expect(listed).toMatchObject({ status: 'done' });
});
