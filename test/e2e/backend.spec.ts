import { join } from 'node:path';
import { launchChromium } from '../../cli/chromium';
import { writeTfjsModel } from '../fixtures/tfjs-model';
import { changedLayers, expect, inputFor, Runner, sampleSubset, test } from './fixtures';

test('both stages run on WebGPU (software adapter here) and train what they should', async ({ runner, dataRoot }) => {
  // SwiftShader's WebGPU runs ~0.3 GFLOP/s: two steps per stage (2 images each at 32 px) through the whole
  // model (no frozen-layer cache, which would first run 3 views of each image), at given rates (a search
  // would train more), is all this proves. Two steps: the head's classifier starts at zero, so a first
  // step moves only the classifier.
  await sampleSubset(join(dataRoot, 'gpu'), ['daisy', 'sunflower'], 3);
  const config = { inputSize: 32, batchSize: 2, backend: 'webgpu', head: { epochs: 1, learningRate: 1e-3 }, finetune: { epochs: 1, learningRate: 1e-3 }, cache: { head: false, finetune: false } } as const;
  const input = await inputFor(dataRoot, 'gpu', config);
  const prepared = await runner.open(input);
  expect(prepared.backend).toMatchObject({ backend: 'webgpu', skipped: [] });
  expect(prepared.backend.detail).toMatch(/swiftshader/i);
  expect(prepared.trainSize).toBe(4);
  expect((await runner.memory()).backend).toBe('webgpu');

  const initial = await runner.fingerprints();
  const head = await runner.trainStage(1);
  const afterHead = await runner.fingerprints();
  expect(changedLayers(initial, afterHead)).toEqual([20, 22]);
  await runner.trainStage(2);
  expect(changedLayers(afterHead, await runner.fingerprints())).toEqual([15, 16, 17, 20, 22]);
  expect(head.history[0]!.loss).toBeGreaterThan(0);
  expect((await runner.memory()).backend).toBe('webgpu');
});

test('auto passes over software GPUs and says why', async ({ runner, dataRoot }) => {
  await sampleSubset(join(dataRoot, 'auto'), ['daisy', 'rose'], 2);
  const prepared = await runner.open(await inputFor(dataRoot, 'auto', { inputSize: 32, backend: 'auto', head: { epochs: 0 }, finetune: { epochs: 0 } }));
  expect(prepared.backend.backend).toBe('wasm');
  expect(prepared.backend.skipped.map((s) => s.backend)).toEqual(['webgpu', 'webgl']);
  expect(prepared.backend.reason).toMatch(/webgpu: software adapter \(.*swiftshader.*isFallbackAdapter\)/i);
  const events = await runner.events();
  expect(events.find((e) => e.type === 'backend')).toMatchObject({ choice: { backend: 'wasm' } });
});

test('a WebGPU run without WebGPU falls back to the next backend and says why', async ({ server, dataRoot }) => {
  await sampleSubset(join(dataRoot, 'fallback'), ['daisy', 'rose'], 2);
  const browser = await launchChromium({ webgpu: false });
  try {
    const page = await browser.newPage();
    await page.goto(`${server.url}/runner.html`);
    await page.waitForFunction(() => document.body.dataset['ready'] === 'true');
    const prepared = await new Runner(page).open(
      await inputFor(dataRoot, 'fallback', { inputSize: 32, backend: 'webgpu', head: { epochs: 0 }, finetune: { epochs: 0 } }),
    );
    expect(prepared.backend.backend).toBe('webgl');
    expect(prepared.backend.skipped).toEqual([{ backend: 'webgpu', reason: expect.stringMatching(/^no WebGPU adapter/) }]);
    expect(prepared.backend.reason).toMatch(/^webgpu was requested but is unavailable \(webgpu: no WebGPU adapter.*\); fell back to webgl$/);
  } finally {
    await browser.close();
  }
});

test('stage 2 can run on another backend: the weights move over and train there', async ({ runner, dataRoot }) => {
  await sampleSubset(join(dataRoot, 'switch'), ['daisy', 'rose'], 3);
  const input = await inputFor(dataRoot, 'switch', { inputSize: 32, batchSize: 2, backend: 'wasm', finetuneBackend: 'cpu', head: { epochs: 1, learningRate: 1e-3 }, finetune: { epochs: 1, learningRate: 1e-3 } });
  const prepared = await runner.open(input);
  expect([prepared.backend.backend, prepared.finetuneBackend.backend]).toEqual(['wasm', 'cpu']);
  const initial = await runner.fingerprints();
  await runner.trainStage(1);
  expect((await runner.memory()).backend).toBe('wasm');
  const afterHead = await runner.fingerprints();
  expect(changedLayers(initial, afterHead)).toEqual([20, 22]);
  await runner.trainStage(2);
  expect((await runner.memory()).backend).toBe('cpu');
  expect(changedLayers(afterHead, await runner.fingerprints())).toEqual([15, 16, 17, 20, 22]);
  const events = await runner.events();
  expect(events).toContainEqual({ type: 'backend', choice: expect.objectContaining({ stage: 2, backend: 'cpu', reason: 'cpu was requested' }) });
  expect(events).toContainEqual({ type: 'info', message: 'stage 2 runs on cpu: weights move over from wasm' });
});

test('on WebGPU the frozen-layer cache stays on the GPU and batches are gathered there', async ({ runner, server, dataRoot }) => {
  // A small TF.js conv base: VGG16's cache build on SwiftShader would take minutes.
  await writeTfjsModel(join(dataRoot, 'files', 'gpu-base'));
  await sampleSubset(join(dataRoot, 'gpu-cache'), ['daisy', 'rose'], 4);
  const weights = `${server.url}/dataset/files/gpu-base/model.json#gap`;
  const config = { inputSize: 32, batchSize: 3, backend: 'webgpu', weights, preprocessing: 'tf', unfreezeFrom: 'conv_b', head: { epochs: 2 }, finetune: { epochs: 2 } } as const;
  await runner.open(await inputFor(dataRoot, 'gpu-cache', config));
  const initial = await runner.fingerprints();
  const result = await runner.page.evaluate(() => window.finetune.api.runRecipe());
  const cached = (await runner.events()).flatMap((e) => (e.type === 'cache' ? [[e.stage, e.layer, e.where]] : []));
  expect(cached).toEqual([
    [1, 'gap', 'gpu'],
    [2, 'pool_a', 'gpu'],
  ]);
  for (const stage of result.stages) {
    const pixels = 8 * 32 * 32 * 3; // the decoded images; the stored outputs count as tensors
    expect(stage.history.map((h) => h.dataBytes)).toEqual([pixels, pixels]);
    expect(new Set(stage.history.map((h) => h.numTensors)).size).toBe(1);
  }
  // Stage 2 trained conv_b and the head from pool_a's stored outputs.
  expect(changedLayers(initial, await runner.fingerprints())).toEqual([3, 6, 8]);
  expect((await runner.memory()).backend).toBe('webgpu');
});

test('wasm runs a thread on every core, or the number asked; the count is settled once a worker', async ({ runner, dataRoot }) => {
  await sampleSubset(join(dataRoot, 'threads'), ['daisy', 'rose'], 3);
  const config = { inputSize: 32, batchSize: 2, backend: 'wasm', head: { epochs: 1, learningRate: 1e-3 }, finetune: { epochs: 0 }, cache: { head: false, finetune: false } } as const;
  const cores = await runner.page.evaluate(() => navigator.hardwareConcurrency);
  const trainedWith = async (threads?: number): Promise<{ detail: string; hashes: string[] }> => {
    await runner.page.reload();
    await runner.page.waitForFunction(() => document.body.dataset['ready'] === 'true');
    const prepared = await runner.open(await inputFor(dataRoot, 'threads', threads ? { ...config, threads } : config));
    await runner.trainStage(1);
    return { detail: prepared.backend.detail, hashes: (await runner.fingerprints()).map((f) => f.hash) };
  };
  const all = await trainedWith();
  expect(all.detail).toBe(`wasm simd, ${cores} thread(s) of ${cores} core(s)`);
  const one = await trainedWith(1);
  expect(one.detail).toBe(`wasm simd, 1 thread(s) of ${cores} core(s)${cores > 1 ? ' (1 asked)' : ''}`);
  expect(one.hashes).toEqual(all.hashes); // threads change the speed, never the weights

  await runner.close();
  await runner.open(await inputFor(dataRoot, 'threads', { ...config, threads: 2 }));
  expect(await runner.events()).toContainEqual({ type: 'warning', message: 'wasm keeps the 1 thread(s) it started with in this worker; 2 takes effect after a reload' });
});
