import { join } from 'node:path';
import type { EpochMetrics, TrainEvent } from '../../src/protocol';
import { writeTfjsModel } from '../fixtures/tfjs-model';
import { expect, inputFor, sampleSubset, test } from './fixtures';

interface MemoryMeasurement {
  bytes: number;
  breakdown: { bytes: number; attribution: { scope: string; url: string }[] }[];
}

// 10,000 images streamed from IndexedDB: with the pixel budget at 0 nothing decoded stays in memory;
// every batch decodes its images from the stored blobs, two batches ahead. A small TF.js conv base
// (VGG16 on wasm would need about 4 minutes an epoch here) keeps the training itself short.
const IMAGES_PER_CLASS = 5000;

test('10,000 images train with flat memory: tensors equal and JS heap within 10% between epochs 1 and 2', async ({ runner, server, dataRoot }) => {
  test.setTimeout(10 * 60_000);
  await writeTfjsModel(join(dataRoot, 'files', 'scale-base'));
  const config = {
    inputSize: 32,
    batchSize: 50,
    backend: 'wasm',
    weights: `${server.url}/dataset/files/scale-base/model.json#gap`,
    preprocessing: 'tf',
    unfreezeFrom: 'conv_b',
    // Memory is the point here: a given rate and no validation slice keep every pass over the 10,000 streamed images an epoch's.
    head: { epochs: 2, learningRate: 1e-3 },
    validationFraction: 0,
    finetune: { epochs: 0 },
    cache: { head: false, finetune: false },
    pixelBudgetMB: 0,
  } as const;
  const projectId = await runner.page.evaluate(
    async ([perClass, cfg]) => {
      // Stripes across (class "across") or down (class "down"), each image a different colour, so none is a duplicate.
      const canvas = new OffscreenCanvas(32, 32);
      const ctx = canvas.getContext('2d')!;
      const files: { path: string; blob: Blob }[] = [];
      for (const [c, name] of ['across', 'down'].entries()) {
        for (let i = 0; i < perClass; i++) {
          ctx.fillStyle = `rgb(${i % 256}, ${(i >> 8) % 256}, ${c * 255})`;
          ctx.fillRect(0, 0, 32, 32);
          ctx.fillStyle = '#fff';
          for (let k = 0; k < 32; k += 8) (c === 0 ? ctx.fillRect(0, k, 32, 4) : ctx.fillRect(k, 0, 4, 32));
          files.push({ path: `synthetic/${name}/${i}.png`, blob: await canvas.convertToBlob({ type: 'image/png' }) });
        }
      }
      const project = await window.finetune.createProject('synthetic', cfg);
      const imported = await window.finetune.api.importFiles(project.id, files);
      if (imported.added !== files.length) throw new Error(`imported ${imported.added} of ${files.length}`);
      return project.id;
    },
    [IMAGES_PER_CLASS, config] as const,
  );

  await runner.open({ projectId });
  // At each epoch's end the page pauses the run and measures the worker's JS heap (Chromium's
  // measureUserAgentSpecificMemory, which collects garbage first: eager under playwright.config.ts' flag).
  const heap = await runner.page.evaluate(async () => {
    const bytes: number[] = [];
    window.onFinetuneEvent = async (event) => {
      if (event.type !== 'epoch') return;
      await window.finetune.api.pause();
      const measured = await (performance as unknown as { measureUserAgentSpecificMemory(): Promise<MemoryMeasurement> }).measureUserAgentSpecificMemory();
      const inWorker = measured.breakdown.filter((b) => b.attribution.some((a) => a.scope === 'DedicatedWorkerGlobalScope'));
      bytes.push(inWorker.reduce((sum, b) => sum + b.bytes, 0));
      await window.finetune.api.resume();
    };
    await window.finetune.api.runRecipe();
    return bytes;
  });
  const events: TrainEvent[] = await runner.events();
  const info = events.flatMap((e) => (e.type === 'info' ? [e.message] : []));
  expect(info).toContain('pixels: 10000 images at 32x32 would take 29 MB (budget 0 MB): decoded from their files batch by batch, 2 batches ahead');
  const dataset = events.find((e) => e.type === 'dataset');
  expect(dataset).toMatchObject({ train: 7500, validation: 0, test: 2500, skipped: 0 });
  const [one, two] = events.flatMap((e) => (e.type === 'epoch' ? [e.metrics] : [])) as [EpochMetrics, EpochMetrics];
  expect(two.epoch).toBe(2);
  expect([two.numTensors, two.tensorBytes]).toEqual([one.numTensors, one.tensorBytes]);
  expect([one.dataBytes, two.dataBytes]).toEqual([0, 0]);
  expect(heap).toHaveLength(2);
  const growth = (heap[1]! - heap[0]!) / heap[0]!;
  test.info().annotations.push({
    type: 'memory at epoch ends',
    description: `tensors ${one.numTensors} / ${two.numTensors} (${one.tensorBytes} bytes), worker JS heap ${(heap[0]! / 2 ** 20).toFixed(1)} / ${(heap[1]! / 2 ** 20).toFixed(1)} MB, images and cached outputs ${two.dataBytes} bytes (${(growth * 100).toFixed(1)}%), epochs ${one.seconds.toFixed(1)} / ${two.seconds.toFixed(1)} s, val_acc ${two.valAcc}`,
  });
  expect(growth).toBeLessThan(0.1);
  expect(two.valAcc).toBeGreaterThan(0.9); // stripes across or down: trained, not just streamed
});

test('streamed from their files or kept in memory, the images train to bit-identical weights', async ({ runner, dataRoot }) => {
  await sampleSubset(join(dataRoot, 'stream-same'), ['daisy', 'rose'], 6);
  const config = { inputSize: 32, batchSize: 3, backend: 'wasm', head: { epochs: 2 }, finetune: { epochs: 1 }, cache: { head: false, finetune: true } } as const;
  const hashesWith = async (pixelBudgetMB: number): Promise<string[]> => {
    await runner.open(await inputFor(dataRoot, 'stream-same', { ...config, pixelBudgetMB }));
    await runner.page.evaluate(() => window.finetune.api.runRecipe());
    return (await runner.fingerprints()).map((f) => f.hash);
  };
  const inMemory = await hashesWith(512);
  const streamed = await hashesWith(0);
  expect(streamed).toEqual(inMemory);
  const pixels = (await runner.events()).flatMap((e) => (e.type === 'info' && e.message.startsWith('pixels:') ? [e.message] : []));
  expect(pixels).toEqual(['pixels: 12 images at 32x32 kept in memory, 0.0 MB', expect.stringMatching(/^pixels: 12 images at 32x32 would take 0 MB \(budget 0 MB\): decoded from their files/)]);
});
