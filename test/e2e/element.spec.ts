import * as tf from '@tensorflow/tfjs';
import * as ort from 'onnxruntime-node';
import { listWithH5py } from '../fixtures/h5py';
import { unzipSync, strFromU8 } from 'fflate';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { DemoPage } from './demo-page';
import { startServer } from '../../cli/server';
import { APP, expect, sampleSubset, test } from './fixtures';

// A person's first run of the demo, at a small size on wasm: 3 classes of 8 images, 18 of them trained
// in 3 batches of 6, 6 held out.
const CLASSES = ['daisy', 'rose', 'sunflower'];
const HEAD_EPOCHS = 20;
// The naive loop (no frozen-layer cache), so that stage 1 lasts long enough to reload in the middle of it.
const SETTINGS = { 'Image size (px)': '32', 'Batch size': '6', 'Stage 1 epochs': String(HEAD_EPOCHS), 'Stage 2 epochs': '2', Backend: 'wasm', 'Frozen-layer cache': 'none' };

test('import by the folder picker, train, reload mid-run, resume, read the results and export a model TF.js loads', async ({ page, context, server, dataRoot }) => {
  test.setTimeout(6 * 60_000);
  const requests: string[] = [];
  context.on('request', (request) => requests.push(request.url()));
  const folder = join(dataRoot, 'ui-flowers');
  await sampleSubset(folder, CLASSES, 8);
  const demo = new DemoPage(page);
  await demo.open(server.url);
  await demo.screenshotWidths('1-empty');

  // Keyboard only: the drop zone opens the folder picker with Enter.
  await demo.trainer.getByLabel('Project name').fill('ui-flowers');
  const chooser = page.waitForEvent('filechooser');
  await demo.trainer.getByRole('button', { name: /Drop a folder/ }).focus();
  await page.keyboard.press('Enter');
  await (await chooser).setFiles(folder);
  await expect(demo.trainer.getByRole('heading', { name: 'ui-flowers: 24 images in 3 classes' })).toBeVisible({ timeout: 60_000 });
  for (const name of CLASSES) await expect(demo.trainer.locator('.classes li', { hasText: name })).toContainText('8 images');
  await demo.configure(SETTINGS);
  await demo.screenshotWidths('2-imported');

  await demo.button('Start training').click();
  await expect(demo.trainer.getByText(/^Backend: wasm/)).toBeVisible({ timeout: 60_000 });
  await expect(demo.barText('Epoch')).toHaveText(/^([4-9]|1\d) of 20$/, { timeout: 120_000 });
  await demo.screenshotWidths('3-training');

  expect(await demo.cspViolations()).toEqual([]);
  // The policy is in force: an injected inline script does not run, and the page hears why.
  const ran = await page.evaluate(() => {
    const script = Object.assign(document.createElement('script'), { textContent: 'window.injected = true' });
    document.head.append(script);
    return 'injected' in window;
  });
  expect(ran).toBe(false);
  // Both the page's <meta> and the server's header refuse it: one report per policy.
  await expect.poll(() => demo.cspViolations()).toEqual(['script-src-elem inline', 'script-src-elem inline']);
  // A worker, which the page's <meta> does not reach, gets the server's policy with its script: eval is
  // refused there too. (Playwright's own evaluate in a worker bypasses CSP, so a worker tries it itself.)
  await writeFile(join(dataRoot, 'eval-probe.js'), "try { eval('1'); postMessage('eval ran'); } catch (error) { postMessage(error.name); }");
  const inWorker = await page.evaluate(
    () => new Promise<string>((answer) => (new Worker('/dataset/eval-probe.js').onmessage = (event: MessageEvent<string>) => answer(event.data))),
  );
  expect(inWorker).toBe('EvalError');

  // Reload mid-run: the project is listed with its checkpoint, and training resumes from it.
  await page.reload();
  await expect(demo.trainer.getByRole('heading', { name: '1. Your images' })).toBeVisible();
  const listed = page.locator('#projects li', { hasText: 'ui-flowers' });
  await expect(listed).toContainText('stage 1');
  await expect(listed).toContainText(/stopped at stage 1, epoch \d+/);
  await listed.getByRole('button', { name: 'Open' }).click();
  // The form shows the project's own settings again, not the page's defaults.
  for (const [label, value] of Object.entries(SETTINGS)) await expect(demo.trainer.getByLabel(label, { exact: true })).toHaveValue(value);
  // Reopened where it was: the state, the epochs trained before the reload (from the checkpoint) in the
  // charts, Resume as the primary action and starting over behind a question.
  await expect(demo.trainer.getByRole('heading', { name: /^3\. Training: interrupted at stage 1, epoch \d+/ })).toBeVisible();
  type Shown = { controller: { history: { stage: number; epoch: number }[]; stages: { history: { stage: number; epoch: number }[] }[] } };
  const shownEpochs = () => page.evaluate(() => (document.querySelector('finetune-trainer') as unknown as Shown).controller.history.map((m) => [m.stage, m.epoch]));
  const reopened = await shownEpochs();
  expect(reopened.length).toBeGreaterThanOrEqual(3);
  expect(reopened).toEqual(reopened.map((_, i) => [1, i + 1]));
  await expect(demo.trainer.locator('ft-chart .plot').first()).toHaveAttribute('aria-label', /^Loss per epoch: train loss \d\.\d{3}, val loss \d\.\d{3}$/);
  await expect(demo.button(/^Resume \(stage 1/)).not.toHaveClass(/secondary/);
  await expect(demo.button('Start training')).toHaveCount(0);
  await demo.button('Start over…').click();
  await expect(demo.trainer.getByRole('group', { name: 'Start over?' })).toContainText('Starting over discards what is trained up to stage 1');
  await demo.screenshotWidths('reopened-asking');
  await demo.button('Keep it').click();
  await expect(demo.button('Start over…')).toBeVisible();
  await page.evaluate(() => {
    const seen: number[] = [];
    Object.assign(window, { epochsSeen: seen });
    document.addEventListener('finetune-epoch', (e) => {
      const { stage, epoch } = (e as Event & { detail: { stage: number; epoch: number } }).detail;
      if (stage === 1) seen.push(epoch);
    });
  });
  await demo.button(/^Resume \(stage 1/).click();
  await expect(demo.trainer.getByRole('heading', { name: /^After stage 2 \(fine-tuned\): accuracy/ })).toBeVisible({ timeout: 180_000 });
  await expect(demo.trainer.getByRole('status')).toHaveText('Training finished.');
  // The heading says the state in words, and the time left becomes the time taken.
  await expect(demo.trainer.getByRole('heading', { name: '3. Training: done' })).toBeVisible();
  // (this run was resumed: the time counts from Resume, and says so)
  await expect(demo.trainer.locator('.eta')).toHaveText(/^Finished in \d+( min \d+)? s after resuming$/);
  const resumedEpochs = await page.evaluate(() => (window as unknown as { epochsSeen: number[] }).epochsSeen);
  expect(resumedEpochs[0]).toBe(reopened.length + 1); // continued after the checkpoint's last epoch, not restarted
  expect(resumedEpochs.at(-1)).toBe(HEAD_EPOCHS);
  // The charts' history is the whole run's, as the worker's finished stages record it: every epoch once, from stage 1's first.
  const whole = await page.evaluate(() => (document.querySelector('finetune-trainer') as unknown as Shown).controller.stages.flatMap((s) => s.history.map((m) => [m.stage, m.epoch])));
  expect(await shownEpochs()).toEqual(whole);
  expect(whole.slice(0, HEAD_EPOCHS)).toEqual(Array.from({ length: HEAD_EPOCHS }, (_, i) => [1, i + 1]));

  // The report, the confusion matrix and a gallery that agrees with it.
  const finished = demo.trainer.getByRole('region', { name: 'After stage 2 (fine-tuned)' });
  const report = finished.locator('table[part=report]');
  for (const name of [...CLASSES, 'accuracy', 'macro avg', 'weighted avg']) await expect(report.getByRole('rowheader', { name, exact: true })).toBeVisible();
  const matrix = (await finished.locator('table[part=confusion] tbody tr').evaluateAll((rows) => rows.map((r) => [...r.querySelectorAll('td')].map((td) => Number(td.textContent))))) as number[][];
  expect(matrix.flat().reduce((a, b) => a + b, 0)).toBe(6);
  const wrong = matrix.flatMap((row, i) => row.filter((_, j) => j !== i)).reduce((a, b) => a + b, 0);
  if (wrong) await expect(finished.locator('figure.miss img')).toHaveCount(wrong);
  else await expect(finished.getByText('No held-out image was misclassified.')).toBeVisible();
  // The charts' legends show the last epoch's values, not uPlot's '--' until hovered.
  for (const legend of await demo.trainer.locator('ft-chart .u-legend').all()) await expect(legend).not.toContainText('--');
  await demo.screenshotWidths('4-finished');

  // Predict on a black image in the page, then load the downloaded model with plain TF.js here and compare.
  await demo.trainer.locator('#predict-files').setInputFiles({ name: 'black.png', mimeType: 'image/png', buffer: await demo.blackPng(48) });
  const prediction = demo.trainer.locator('.predictions li', { hasText: 'black.png' });
  await expect(prediction).toContainText('%', { timeout: 60_000 });
  const [top] = (await prediction.locator('span').allTextContents()).map((t) => t.match(/^(\S+) ([\d.]+)%$/)!);
  const download = page.waitForEvent('download');
  await demo.button('Download model (.zip)').click();
  const zipPath = test.info().outputPath('model.zip');
  expect((await download).suggestedFilename()).toBe('ui-flowers-tfjs.zip');
  await (await download).saveAs(zipPath);
  const files = unzipSync(new Uint8Array(await readFile(zipPath)));
  const modelJson = JSON.parse(strFromU8(files['model.json']!)) as { modelTopology: object; weightsManifest: { paths: string[]; weights: tf.io.WeightsManifestEntry[] }[] };
  const weights = files[modelJson.weightsManifest[0]!.paths[0]!]!;
  const model = await tf.loadLayersModel(tf.io.fromMemory({ modelTopology: modelJson.modelTopology, weightSpecs: modelJson.weightsManifest[0]!.weights, weightData: weights.slice().buffer }));
  const probabilities = tf.tidy(() => (model.predict(tf.zeros([1, 32, 32, 3])) as tf.Tensor).dataSync());
  const best = probabilities.indexOf(Math.max(...probabilities));
  expect(top![1]).toBe(CLASSES[best]);
  expect(Math.abs(Number(top![2]) - probabilities[best]! * 100)).toBeLessThanOrEqual(0.051);
  // The other formats, made in the worker: ONNX Runtime on raw pixels gives what TF.js gives on them scaled.
  const onnxDownload = page.waitForEvent('download');
  await demo.button('ONNX (.onnx)').click();
  const onnxFile = await onnxDownload;
  expect(onnxFile.suggestedFilename()).toMatch(/\.onnx$/);
  const session = await ort.InferenceSession.create(await readFile(await onnxFile.path()));
  const pixels = Float32Array.from({ length: 4 * 32 * 32 * 3 }, (_, i) => (i * 7919) % 256);
  const fromTfjs = tf.tidy(() => (model.predict(tf.div(tf.tensor4d(pixels, [4, 32, 32, 3]), 255)) as tf.Tensor).dataSync());
  const fromOnnx = (await session.run({ pixels: new ort.Tensor('float32', pixels, [4, 32, 32, 3]) }))['probabilities']!.data as Float32Array;
  expect(Math.max(...Array.from(fromTfjs, (p, i) => Math.abs(p - fromOnnx[i]!)))).toBeLessThan(1e-4);
  model.dispose();
  await session.release();
  const kerasDownload = page.waitForEvent('download');
  await demo.button('Keras (.h5)').click();
  const kerasFile = await kerasDownload;
  expect(kerasFile.suggestedFilename()).toMatch(/-keras\.h5$/);
  const keras = listWithH5py(await kerasFile.path());
  expect(keras.layer_names.slice(-4)).toEqual(['flatten', 'head_fc', 'head_dropout', 'head_predictions']);
  expect(keras.layers['head_predictions']).toEqual([['head_predictions/kernel:0', [256, 3]], ['head_predictions/bias:0', [3]]]);
  await demo.screenshotWidths('5-predicted');
  // Nothing left this machine: every request went to the app's own server (or stayed in the browser).
  test.info().annotations.push({ type: 'requests', description: String(requests.length) });
  expect(requests.length).toBeGreaterThan(10);
  expect(requests.filter((url) => !url.startsWith(`${server.url}/`) && !/^(blob|data):/.test(url))).toEqual([]);
  // And the page's strict Content-Security-Policy (no eval, nothing from elsewhere) blocked nothing it needed.
  expect(await demo.cspViolations()).toEqual([]);
});

test('after one visit the demo reloads and trains with the server gone and the browser offline', async ({ page, context }) => {
  const own = await startServer({ appDir: APP });
  const demo = new DemoPage(page);
  await demo.open(own.url);
  await page.waitForFunction(async () => (await navigator.serviceWorker.ready) && navigator.serviceWorker.controller !== null);
  await own.close();
  await context.setOffline(true);

  await page.reload();
  await expect(demo.trainer.getByRole('heading', { name: '1. Your images' })).toBeVisible();
  await page.getByRole('button', { name: 'Use the sample dataset' }).click();
  await expect(demo.trainer.getByRole('heading', { name: 'flowers4 sample: 160 images in 4 classes' })).toBeVisible({ timeout: 60_000 });
  await demo.configure({ 'Image size (px)': '32', 'Batch size': '8', 'Stage 1 epochs': '1', 'Stage 2 epochs': '1', Backend: 'wasm' });
  await demo.button('Start training').click();
  await expect(demo.trainer.getByRole('heading', { name: /^After stage 2 \(fine-tuned\): accuracy/ })).toBeVisible({ timeout: 180_000 });
  // Nothing outside the browser could answer: a request the service worker has not cached fails (navigator.onLine
  // cannot show the offline context here: Chromium reports a reloaded page of an offline context as online).
  expect(await page.evaluate((url) => fetch(`${url}/not-cached.txt`).then(() => 'answered', () => 'unreachable'), own.url)).toBe('unreachable');
  await demo.screenshotWidths('offline-finished');
});

/** What a page listening on `document` hears from every element: target, type and the detail's key facts. */
interface Heard {
  target: string;
  type: string;
  stage?: number;
  phase?: string;
  epoch?: number | null;
  done?: number;
  total?: number | null;
  name?: string;
  classes?: string[];
}

test('events bubble out in order with typed details, and two elements train two projects independently', async ({ page, server }) => {
  const demo = new DemoPage(page);
  await demo.open(server.url);
  const XSS = '<img src=x onerror=alert(1)>';
  await page.evaluate(async (xss) => {
    const heard: Heard[] = [];
    Object.assign(window, { heard });
    for (const type of ['finetune-progress', 'finetune-epoch', 'finetune-stage', 'finetune-complete', 'finetune-error'] as const) {
      document.addEventListener(type, (e) => {
        const d = (e as Event & { detail: Record<string, unknown> }).detail;
        const stages = (d['stages'] as { report: { classes: { className: string }[] } }[] | undefined) ?? [];
        heard.push({
          target: (e.target as HTMLElement).id,
          type,
          ...(typeof d['stage'] === 'number' && { stage: d['stage'] }),
          ...(typeof d['phase'] === 'string' && { phase: d['phase'] }),
          ...('epoch' in d && { epoch: d['epoch'] as number | null }),
          ...(type === 'finetune-progress' && { done: d['done'] as number, total: d['total'] as number | null }),
          ...(type === 'finetune-error' && { name: d['name'] as string }),
          ...(stages.length && { classes: stages.at(-1)!.report.classes.map((c) => c.className) }),
        });
      });
    }
    const second = Object.assign(document.createElement('finetune-trainer'), { id: 'second' });
    document.querySelector('main')!.append(second);
    const index = (await (await fetch('samples/flowers4/index.json')).json()) as { files: string[] };
    const pick = async (cls: string, as: string) =>
      Promise.all(index.files.filter((f) => f.startsWith(`${cls}/`)).slice(0, 8).map(async (f) => ({ path: f.replace(cls, as), blob: await (await fetch(`samples/flowers4/${f}`)).blob() })));
    const first = document.querySelector<HTMLElementTagNameMap['finetune-trainer']>('#trainer')!;
    for (const el of [first, second]) Object.assign(el, { inputSize: 32, batchSize: 4, headEpochs: 2, finetuneEpochs: 1, backend: 'wasm' });
    await first.importDataset('two-a', { files: [...(await pick('daisy', 'daisy')), ...(await pick('rose', 'rose'))] });
    await second.importDataset('two-b', { files: [...(await pick('bluebell', xss)), ...(await pick('sunflower', 'sunflower'))] });
    await Promise.all([first.start(), second.start()]);
  }, XSS);
  // A hostile folder name is shown as text: no image element made from it, no script run (a dialog fails the test).
  const second = page.locator('#second');
  await expect(second.getByText(XSS, { exact: true }).first()).toBeVisible();
  expect(await second.locator('img[src="x"]').count()).toBe(0);
  await demo.screenshotWidths('two-elements');

  const heard = await page.evaluate(() => (window as unknown as { heard: Heard[] }).heard);
  const expected = { trainer: ['daisy', 'rose'], second: ['sunflower', XSS].sort() };
  for (const [target, classes] of Object.entries(expected)) {
    const mine = heard.filter((h) => h.target === target);
    const milestones = mine.filter((h) => h.type !== 'finetune-progress').map((h) => `${h.type.slice(9)} ${h.stage ?? ''}${h.phase ? ` ${h.phase}` : ''}${h.type === 'finetune-epoch' ? ` ${h.epoch}` : ''}`.trim());
    expect(milestones).toEqual(['stage 1 start', 'epoch 1 1', 'epoch 1 2', 'stage 1 end', 'stage 2 start', 'epoch 2 1', 'stage 2 end', 'complete']);
    const training = mine.filter((h) => h.type === 'finetune-progress' && h.phase === 'train');
    expect(training.length).toBeGreaterThan(0);
    for (const p of training) expect(p.done).toBeLessThanOrEqual(p.total!);
    // Stage 1 ran its frozen layers once, before its first epoch.
    const caching = mine.findIndex((h) => h.type === 'finetune-progress' && h.phase === 'cache' && h.stage === 1);
    expect(caching).toBeGreaterThan(-1);
    expect(caching).toBeLessThan(mine.findIndex((h) => h.type === 'finetune-epoch'));
    // Each element's report names its own project's classes.
    expect(mine.find((h) => h.type === 'finetune-complete')!.classes).toEqual(classes);
    expect(mine.filter((h) => h.type === 'finetune-error')).toEqual([]);
  }

  // Cancelling a run ends it with a finetune-error named CancelledError.
  await page.evaluate(async () => {
    const first = document.querySelector<HTMLElementTagNameMap['finetune-trainer']>('#trainer')!;
    let cancelled = false;
    first.addEventListener('finetune-progress', (e) => {
      if (e.detail.phase !== 'train' || cancelled) return;
      cancelled = true;
      void first.cancel();
    });
    await first.start();
  });
  const errors = (await page.evaluate(() => (window as unknown as { heard: Heard[] }).heard)).filter((h) => h.type === 'finetune-error');
  expect(errors).toEqual([{ target: 'trainer', type: 'finetune-error', name: 'CancelledError' }]);
  await expect(demo.trainer.getByRole('alert')).toContainText('CancelledError');
  expect(await demo.cspViolations()).toEqual([]);

  // Themed from the page: a custom property on the element and a ::part rule.
  await page.addStyleTag({ content: 'finetune-trainer { --ft-accent: rgb(200, 0, 0); } finetune-trainer::part(settings) { border-color: rgb(0, 128, 0); }' });
  // The toolbar's primary action (Resume here: this element's run was cancelled, its checkpoint kept).
  expect(await demo.trainer.locator('.toolbar button:not(.secondary)').first().evaluate((b) => getComputedStyle(b).backgroundColor)).toBe('rgb(200, 0, 0)');
  expect(await demo.trainer.locator('section[part=settings]').evaluate((s) => getComputedStyle(s).borderTopColor)).toBe('rgb(0, 128, 0)');
});
