import { join } from 'node:path';
import { changedLayers, expect, inputFor, sampleSubset, test } from './fixtures';

const CLASSES = ['bluebell', 'daisy', 'rose', 'sunflower'];

test('the two stages on wasm: what each stage trains, loss falls, no tensor leaks', async ({ runner, dataRoot }) => {
  await sampleSubset(join(dataRoot, 'flowers'), CLASSES, 16);
  // The recipe as it ran: its rates, and every epoch validated on the test split (no validation slice, so
  // nothing picks an earlier epoch or stage 1's model: what each stage trained is what it ends with).
  const recipe = { validationFraction: 0, head: { epochs: 4, learningRate: 1e-3 }, finetune: { epochs: 3, learningRate: 1e-3 } };
  const input = await inputFor(dataRoot, 'flowers', { inputSize: 32, batchSize: 8, backend: 'wasm', ...recipe });
  const before = await runner.memory();
  const prepared = await runner.open(input);
  expect(prepared.backend.backend).toBe('wasm');
  expect(prepared).toMatchObject({ classes: CLASSES, counts: [16, 16, 16, 16], trainSize: 48, validationSize: 0, testSize: 16 });

  const initial = await runner.fingerprints();
  const head = await runner.trainStage(1);
  const afterHead = await runner.fingerprints();
  // Stage 1: every base weight bit for bit as it was; both head Dense layers trained.
  expect(changedLayers(initial, afterHead)).toEqual([20, 22]);

  const finetune = await runner.trainStage(2);
  const afterFinetune = await runner.fingerprints();
  // Stage 2: layers 0-14 untouched; block5's convolutions (15-17; 18 is a pool) and the head trained.
  expect(changedLayers(afterHead, afterFinetune)).toEqual([15, 16, 17, 20, 22]);
  expect(finetune.trainableFrom).toBe(15);

  for (const stage of [head, finetune]) {
    const first = stage.history[0]!;
    const last = stage.history.at(-1)!;
    expect(last.loss).toBeLessThan(first.loss);
    expect(last.valLoss!).toBeLessThan(first.valLoss!);
    // The same tensors live at the end of every epoch of a stage.
    expect(new Set(stage.history.map((h) => h.numTensors)).size).toBe(1);
  }
  expect(finetune.report!.classes.map((c) => c.className)).toEqual(CLASSES);
  expect(finetune.report!.total).toBe(16);
  expect(finetune.confusion!.flat().reduce((a, b) => a + b, 0)).toBe(16);

  // Each stage ran its frozen layers once (plain + 2 augmented views of 48 images, and the 16 held out).
  const cached = (await runner.events()).flatMap((e) => (e.type === 'cache' ? [[e.stage, e.layer, e.shape, e.views, e.bytes]] : []));
  expect(cached).toEqual([
    [1, 'block5_pool', '1x1x512', 3, (3 * 48 + 16) * 512 * 4],
    [2, 'block4_pool', '2x2x512', 3, (3 * 48 + 16) * 2048 * 4],
  ]);

  await runner.close();
  expect((await runner.memory()).numTensors).toBe(before.numTensors);
});

test('batch size auto: measured, said in the log, and it trains as that number given by hand would', async ({ runner, dataRoot }) => {
  await sampleSubset(join(dataRoot, 'auto-batch'), ['daisy', 'rose'], 8);
  const config = { inputSize: 32, backend: 'wasm', head: { epochs: 1 }, finetune: { epochs: 1 } } as const;
  const trained = async (batchSize: number | 'auto'): Promise<{ batch: number; hashes: string[] }> => {
    const prepared = await runner.open(await inputFor(dataRoot, 'auto-batch', { ...config, batchSize }));
    await runner.page.evaluate(() => window.finetune.api.runRecipe());
    return { batch: prepared.config.batchSize as number, hashes: (await runner.fingerprints()).map((f) => f.hash) };
  };
  const auto = await trained('auto');
  // 10 training images cap it at 8; a 32-px VGG16 step is far below wasm's 2 GB budget.
  expect(auto.batch).toBe(8);
  const said = (await runner.events()).find((e) => e.type === 'info' && e.message.startsWith('batch size auto'));
  expect(said).toMatchObject({ message: expect.stringMatching(/^batch size auto: 8 \(a training step from layer 15 takes [\d.]+ MB \+ [\d.]+ MB an image on wasm; budget 2048.0 MB, at most 10\)$/) });
  // Measuring touched no weight and no random stream.
  expect((await trained(8)).hashes).toEqual(auto.hashes);
});

test('the same seed trains to the same weights; another seed does not', async ({ runner, dataRoot }) => {
  await sampleSubset(join(dataRoot, 'repeat'), ['daisy', 'rose'], 6);
  const fingerprintAfterTraining = async (seed: number): Promise<string[]> => {
    await runner.open(await inputFor(dataRoot, 'repeat', { inputSize: 32, batchSize: 4, backend: 'wasm', seed, head: { epochs: 1 }, finetune: { epochs: 1 } }));
    await runner.trainStage(1);
    await runner.trainStage(2);
    return (await runner.fingerprints()).map((f) => f.hash);
  };
  const first = await fingerprintAfterTraining(7);
  expect(await fingerprintAfterTraining(7)).toEqual(first);
  expect(await fingerprintAfterTraining(8)).not.toEqual(first);
});

test('pause holds training between batches, resume continues it, cancel stops it', async ({ runner, dataRoot }) => {
  await sampleSubset(join(dataRoot, 'control'), ['daisy', 'rose'], 12);
  // Stage 2 runs 50 epochs without early stopping, so that the cancel below lands while it trains: one
  // epoch on the cache once ended before a cancel sent at its first batch reached the worker.
  await runner.open(await inputFor(dataRoot, 'control', { inputSize: 32, batchSize: 2, backend: 'wasm', patience: null, head: { epochs: 3 }, finetune: { epochs: 50 } }));
  const batches = (): Promise<number> => runner.page.evaluate(() => window.finetune.events.filter((e) => e.type === 'batch').length);
  const stage = runner.page.evaluate(() => window.finetune.api.trainStage(1));
  await runner.page.waitForFunction(() => window.finetune.events.some((e) => e.type === 'batch'));
  await runner.page.evaluate(() => window.finetune.api.pause());
  await runner.page.waitForFunction(() => window.finetune.events.some((e) => e.type === 'status' && e.state === 'paused' && e.where.startsWith('in stage 1')));
  const whilePaused = await batches();
  await runner.page.waitForTimeout(1500);
  expect(await batches()).toBe(whilePaused);
  await runner.page.evaluate(() => window.finetune.api.resume());
  const result = await stage;
  expect(result.history).toHaveLength(3);
  expect(await batches()).toBeGreaterThan(whilePaused);

  const cancelled = runner.page.evaluate(() => window.finetune.api.trainStage(2).then(() => 'finished', (e: Error) => e.name));
  await runner.page.waitForFunction(() => window.finetune.events.some((e) => e.type === 'batch' && e.stage === 2));
  await runner.page.evaluate(() => window.finetune.api.cancel());
  expect(await cancelled).toBe('CancelledError');
});
