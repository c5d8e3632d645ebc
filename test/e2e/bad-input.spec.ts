import { readFile, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import type { TrainConfigInput } from '../../src/config';
import { writeKerasVgg16 } from '../fixtures/keras-h5';
import { expect, importProject, type Runner, SAMPLE, sampleSubset, test } from './fixtures';

// Every kind of bad input in one session, after a project has saved a checkpoint: each gets its
// message (naming the file, folder, layer or setting), and the saved project and checkpoint come out
// whole: same images, same checkpoint, and it resumes to the weights it had.

const CONFIG: TrainConfigInput = { inputSize: 32, batchSize: 4, backend: 'wasm', head: { epochs: 1 }, finetune: { epochs: 1 } };
const HOSTILE = '<img src=x onerror=alert(1)>';

/** Creates a project and imports `files` (path -> bytes) into it as a picker would; returns its id and what import skipped. */
async function importBytes(runner: Runner, name: string, files: Record<string, Buffer>) {
  return runner.page.evaluate(
    async ([project, cfg, entries]) => {
      const { id } = await window.finetune.createProject(project, cfg);
      const picked = entries.map(([path, bytes]) => ({ path, blob: new Blob([new Uint8Array(bytes)]) }));
      const result = await window.finetune.api.importFiles(id, picked);
      return { id, skipped: result.skipped };
    },
    [name, CONFIG, Object.entries(files).map(([p, b]) => [p, Array.from(b)] as [string, number[]])] as const,
  );
}

async function openError(runner: Runner, projectId: string, config: TrainConfigInput = {}): Promise<string | null> {
  return runner.page.evaluate(
    ([id, cfg]) =>
      window.finetune.open({ projectId: id, config: cfg }).then(
        () => null,
        (error: Error) => `${error.name}: ${error.message}`,
      ),
    [projectId, config] as const,
  );
}

async function summaryOf(runner: Runner, projectId: string) {
  const projects = await runner.page.evaluate(() => window.finetune.api.listProjects());
  const project = projects.find((p) => p.id === projectId)!;
  return { imageCount: project.imageCount, checkpoint: project.checkpoint, checkpointBytes: project.checkpointBytes, config: project.config };
}

test('every kind of bad input gets its message, and the saved project and its checkpoint stay whole', async ({ runner, server, dataRoot }) => {
  test.setTimeout(4 * 60_000);
  await sampleSubset(join(dataRoot, 'kept'), ['daisy', 'rose'], 4);
  const keptId = await importProject(runner, dataRoot, 'kept', CONFIG);
  await runner.open({ projectId: keptId });
  await runner.trainStage(1);
  const keptWeights = (await runner.fingerprints()).map((f) => f.hash);
  await runner.close();
  const kept = await summaryOf(runner, keptId);
  expect(kept.checkpoint).toBe('stage 2, epoch 1, batch 0');

  const jpeg = async (c: string, i: number): Promise<Buffer> => readFile(join(SAMPLE, c, (await readdir(join(SAMPLE, c))).sort()[i]!));
  const photo = await jpeg('daisy', 0);
  const messy = await importBytes(runner, 'messy', {
    'messy/with space/a.jpg': photo,
    'messy/with space/b.jpg': await jpeg('daisy', 1),
    'messy/with space/zero.jpg': Buffer.alloc(0),
    'messy/with space/truncated.jpg': photo.subarray(0, Math.floor(photo.length / 3)),
    'messy/ünïcode 花/c.jpg': await jpeg('rose', 0),
    'messy/ünïcode 花/notes.jpg': Buffer.from('a text file with an image extension'),
    'messy/ünïcode 花/nested/deeper/d.jpg': await jpeg('rose', 1),
    [`messy/${HOSTILE}/e.jpg`]: await jpeg('sunflower', 0),
    [`messy/${HOSTILE}/cmyk.jpg`]: await readFile('test/fixtures/cmyk.jpg'),
    'messy/.DS_Store': Buffer.from('junk'),
    'messy/with space/Thumbs.db': Buffer.from('junk'),
    'messy/readme.txt': Buffer.from('about these photos'),
    'messy/with space/list.csv': Buffer.from('a,b'),
  });
  expect(Object.fromEntries(messy.skipped.map((s) => [s.path, s.reason]))).toEqual({
    // Files at the picked folder's top do not make it a class.
    '.DS_Store': 'hidden file',
    'readme.txt': 'not inside a class folder (expected class_name/image.jpg)',
    'with space/Thumbs.db': 'system file',
    'with space/list.csv': "not an image file (extension 'csv'; expected jpg, jpeg, png, webp, bmp, gif)",
  });
  // Undecodable files are found when a run opens: skipped with their reason, and the rest trains.
  expect(await openError(runner, messy.id)).toBeNull();
  const events = await runner.events();
  const dataset = events.filter((e) => e.type === 'dataset').at(-1);
  expect(dataset).toMatchObject({ classes: [HOSTILE, 'with space', 'ünïcode 花'], counts: [2, 2, 2], skipped: 3 });
  const decodeSkips = Object.fromEntries(events.flatMap((e) => (e.type === 'skipped' ? [[e.file.path, e.file.reason]] : [])));
  expect(decodeSkips).toMatchObject({
    'with space/zero.jpg': 'is empty (0 bytes)',
    'with space/truncated.jpg': expect.stringMatching(/^could not be decoded \(corrupt, truncated or not an image/),
    'ünïcode 花/notes.jpg': expect.stringMatching(/^could not be decoded \(corrupt, truncated or not an image; 35 bytes\)$/),
  });
  await runner.close();

  const single = await importBytes(runner, 'single', { 'single/daisy/a.jpg': photo, 'single/daisy/b.jpg': await jpeg('daisy', 1) });
  expect(await openError(runner, single.id)).toBe(
    "DatasetError: single has only one class folder ('daisy'): a classifier needs at least two, e.g. single/cats/*.jpg and single/dogs/*.jpg",
  );
  const emptied = await importBytes(runner, 'emptied', { 'emptied/daisy/a.jpg': photo, 'emptied/rose/broken.jpg': Buffer.alloc(0) });
  expect(await openError(runner, emptied.id)).toBe("DatasetError: class folder 'emptied/rose' holds no usable images: add images or remove the folder");

  await writeKerasVgg16(join(dataRoot, 'files', 'other-model.h5'), { layout: 'flat', corrupt: { layer: 'block1_conv1', shape: [3, 3, 1, 64] } });
  const settings: [TrainConfigInput, RegExp][] = [
    [{ weights: `${server.url}/dataset/files/other-model.h5` }, /^WeightsError: layer block1_conv1: kernel expects shape \[3, 3, 3, 64\], .*has \[3, 3, 1, 64\]/],
    [{ batchSize: 0 }, /^ConfigError: batchSize must be an integer from 1 to 4096, got 0$/],
    [{ head: { learningRate: -0.01 } }, /^ConfigError: head.learningRate must be above 0 and at most 10, got -0.01$/],
    [{ unfreezeFrom: 40 }, /^ConfigError: unfreezeFrom: layer index 40 is outside 0..22 of /],
    [{ unfreezeFrom: 'head_fc' }, /^ConfigError: unfreezeFrom: layer head_fc is in the head: stage 2 unfreezes base layers, 0-18$/],
    [{ inputSize: 16 }, /^ConfigError: inputSize must be an integer from 32 to 1024, got 16$/],
  ];
  for (const [config, message] of settings) expect(await openError(runner, keptId, config), JSON.stringify(config)).toMatch(message);

  // The saved project: same images and checkpoint, settings untouched by the refused ones, and it resumes to its weights.
  expect(await summaryOf(runner, keptId)).toEqual(kept);
  const resumed = await runner.open({ projectId: keptId, resume: true });
  expect(resumed.resumedAt).toBe('stage 2, epoch 1, batch 0');
  expect((await runner.fingerprints()).map((f) => f.hash)).toEqual(keptWeights);
  await runner.trainStage(2);
});
