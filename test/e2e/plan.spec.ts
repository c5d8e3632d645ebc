import { join } from 'node:path';
import { writeTfjsModel } from '../fixtures/tfjs-model';
import { DemoPage } from './demo-page';
import { expect, sampleSubset, test } from './fixtures';

// Before Start: the layers and a measured estimate. After a reload in stage 2: every epoch back, Resume
// first, and a resumed run that ends exactly as an uninterrupted one.

type Plan = { estimate: { total: number; stages: Record<1 | 2, { total: number }> }; probeSeconds: number };
type Shown = {
  planner: { plan: Plan | null; planning: boolean };
  controller: { history: { stage: number; epoch: number; loss: number; acc: number; valLoss: number | null }[]; stages: { history: unknown[] }[] };
};
const element = 'document.querySelector("finetune-trainer")';

test('the estimate shown before Start is within 2x of the run it measures, on the sample', async ({ page, server }) => {
  test.setTimeout(5 * 60_000);
  const demo = new DemoPage(page);
  await demo.open(server.url);
  await page.getByRole('button', { name: 'Use the sample dataset' }).click();
  await expect(demo.trainer.getByRole('heading', { name: 'flowers4 sample: 160 images in 4 classes' })).toBeVisible({ timeout: 60_000 });
  // The demo's preset is Quick try; fewer epochs keep this test short (the run is then Custom).
  await expect(demo.trainer.getByRole('radio', { name: /Quick try/ })).toBeChecked();
  await demo.configure({ 'Stage 1 epochs': '15', 'Stage 2 epochs': '4', Backend: 'wasm' });
  await expect(demo.trainer.getByRole('radio', { name: /Custom/ })).toBeChecked();
  const estimate = demo.trainer.locator('.estimate');
  await expect(estimate).toContainText(/^About (\d+ min )?\d+ s on wasm/, { timeout: 60_000 });
  // Before Start, the layer table: what each stage trains, Keras' names, stage 2's first layer to pick.
  await demo.trainer.getByText('Layers', { exact: true }).click();
  const layers = demo.trainer.locator('section[part=layers] tbody tr');
  await expect(layers).toHaveCount(23);
  await expect(layers.nth(21)).toContainText('Dropout');
  await expect(demo.trainer.locator('section[part=layers]')).not.toContainText('StreamDropout');
  await expect(demo.trainer.getByRole('radio', { name: 'Stage 2 trains from block5_conv1' })).toBeChecked();
  await demo.screenshotWidths('plan-before-start');
  const plan = await page.evaluate(`${element}.planner.plan`) as Plan;
  expect(plan.estimate.stages[1].total).toBeGreaterThan(0);
  expect(plan.estimate.stages[2].total).toBeGreaterThan(0);

  const started = Date.now();
  await demo.button('Start training').click();
  // While stage 1 runs, its time left is its own pace, and stage 2's comes from the estimate.
  await expect(demo.trainer.locator('.eta')).toHaveText(/ left in stage 1, then about .+ for stage 2$/, { timeout: 120_000 });
  await expect(demo.trainer.getByRole('heading', { name: /^After stage 2 \(fine-tuned\): accuracy/ })).toBeVisible({ timeout: 240_000 });
  const measured = (Date.now() - started) / 1000;
  test.info().annotations.push({ type: 'estimate', description: `${plan.estimate.total.toFixed(1)} s estimated, ${measured.toFixed(1)} s measured` });
  expect(measured / plan.estimate.total).toBeGreaterThan(0.5);
  expect(measured / plan.estimate.total).toBeLessThan(2);
  await expect(demo.trainer.locator('.eta')).toHaveText(/^Finished in /);
  await expect(demo.trainer.getByText(/These results come from an untrained VGG16 \(random weights, NOT pretrained\)/)).toBeVisible();
});

const CLASSES = ['daisy', 'rose', 'sunflower'];
const SETTINGS = {
  'Image size (px)': '32',
  'Batch size': '6',
  'Stage 1 epochs': '3',
  'Stage 2 epochs': '12',
  'Stage 1 learning rate': '0.001',
  'Stage 2 learning rate': '0.001',
  'Patience (epochs)': 'off',
  Backend: 'wasm',
};

test('reloaded in stage 2, a project reopens with every epoch since stage 1, Resume first, and ends as an uninterrupted run does', async ({ page, server, dataRoot }) => {
  test.setTimeout(5 * 60_000);
  const folder = join(dataRoot, 'stage2-flowers');
  await sampleSubset(folder, CLASSES, 8);
  const demo = new DemoPage(page);
  await demo.open(server.url);
  const history = async () => ((await page.evaluate(`${element}.controller.history`)) as Shown['controller']['history']).map((m) => [m.stage, m.epoch, m.loss, m.acc, m.valLoss]);
  const importAs = async (name: string): Promise<void> => {
    await demo.trainer.getByLabel('Project name').fill(name);
    await demo.trainer.locator('#folder').setInputFiles(folder);
    await expect(demo.trainer.getByRole('heading', { name: `${name}: 24 images in 3 classes` })).toBeVisible({ timeout: 60_000 });
    await demo.configure(SETTINGS);
  };

  // The uninterrupted run.
  await importAs('whole');
  await demo.button('Start training').click();
  await expect(demo.trainer.getByRole('heading', { name: '3. Training: done' })).toBeVisible({ timeout: 180_000 });
  const uninterrupted = await history();
  expect(uninterrupted.map(([stage, epoch]) => [stage, epoch])).toEqual([...[1, 2, 3].map((e) => [1, e]), ...Array.from({ length: 12 }, (_, i) => [2, i + 1])]);

  // The same images and settings, reloaded in the middle of stage 2.
  await demo.button('Another dataset').click();
  await importAs('cut');
  await demo.button('Start training').click();
  await expect(demo.barText('Stage')).toHaveText('2 of 2', { timeout: 120_000 });
  await expect(demo.barText('Epoch')).toHaveText(/^([4-9]|1[01]) of 12$/, { timeout: 60_000 });
  await page.reload();
  await expect(demo.trainer.getByRole('heading', { name: '1. Your images' })).toBeVisible();
  const listed = page.locator('#projects li', { hasText: 'cut' });
  await expect(listed).toContainText(/stopped at stage 2, epoch \d+/);
  await listed.getByRole('button', { name: 'Open' }).click();
  await expect(demo.trainer.getByRole('heading', { name: /^3\. Training: interrupted at stage 2, epoch \d+/ })).toBeVisible({ timeout: 30_000 });
  // The charts hold every epoch trained before the reload, stage 1's included, exactly as they were.
  const reopened = await history();
  expect(reopened.filter(([stage]) => stage === 2).length).toBeGreaterThanOrEqual(1);
  expect(reopened).toEqual(uninterrupted.slice(0, reopened.length));
  await expect(demo.trainer.getByRole('region', { name: 'After stage 1 (head)' })).toBeVisible();
  await expect(demo.button(/^Resume \(stage 2/)).not.toHaveClass(/secondary/);
  await expect(demo.button('Start over…')).toHaveClass(/secondary/);
  await expect(demo.trainer.locator('.estimate')).toContainText(/^Starting over takes about/, { timeout: 60_000 });
  await demo.screenshotWidths('reopened-stage2');

  await demo.button(/^Resume \(stage 2/).click();
  await expect(demo.trainer.getByRole('heading', { name: '3. Training: done' })).toBeVisible({ timeout: 180_000 });
  // Bit for bit the uninterrupted run's epochs: the same losses and accuracies, in the same order.
  expect(await history()).toEqual(uninterrupted);
  await expect(demo.trainer.locator('.eta')).toHaveText(/after resuming$/);
});

test('the base picker: a picked TF.js model offers its own layers to cut at, and the plan follows the cut', async ({ page, server, dataRoot }) => {
  test.setTimeout(3 * 60_000);
  const model = join(dataRoot, 'files', 'picker-tfjs');
  await writeTfjsModel(model);
  const folder = join(dataRoot, 'picker-flowers');
  await sampleSubset(folder, ['daisy', 'rose'], 4);
  const demo = new DemoPage(page);
  await demo.open(server.url);
  await demo.trainer.getByLabel('Project name').fill('picker');
  await demo.trainer.locator('#folder').setInputFiles(folder);
  await expect(demo.trainer.getByRole('heading', { name: 'picker: 8 images in 2 classes' })).toBeVisible({ timeout: 60_000 });
  // The untrained default says so where it is chosen.
  await expect(demo.trainer.locator('.base-picker')).toContainText('Not pretrained');
  await demo.trainer.getByLabel('Base network').selectOption({ label: 'A TF.js layers model, cut at a layer' });
  await expect(demo.trainer.locator('.plan')).toContainText('Give a TF.js model and the layer to cut it at');
  await expect(demo.button('Start training')).toBeDisabled();
  await demo.trainer.getByText('Or pick model.json and its weight files…').locator('input').setInputFiles([join(model, 'model.json'), join(model, 'group1-shard1of1.bin')]);
  // The model's own layers, cut by default at its last feature map.
  const cut = demo.trainer.getByLabel('Cut the model at');
  await expect(cut.locator('option')).toHaveText(['0. image (InputLayer, (None, 32, 32, 3))', '1. conv_a (Conv2D, (None, 32, 32, 8))', '2. pool_a (MaxPooling2D, (None, 16, 16, 8))', '3. conv_b (Conv2D, (None, 16, 16, 16))', '4. gap (GlobalAveragePooling2D, (None, 16))', '5. logits (Dense, (None, 10))'], { timeout: 30_000 });
  await expect(cut).toHaveValue('conv_b', { timeout: 30_000 });
  // A model this tool does not know needs its preprocessing said: the plan asks, naming the setting.
  await expect(demo.trainer.locator('.plan .error')).toContainText('say which preprocessing it expects', { timeout: 60_000 });
  await demo.configure({ Preprocessing: 'tf', 'Image size (px)': '32', 'Batch size': '2', 'Stage 1 epochs': '1', 'Stage 2 epochs': '1', Backend: 'wasm' });
  await expect(demo.trainer.locator('.estimate')).toContainText(/^About \d+ s on wasm/, { timeout: 60_000 });
  await demo.trainer.getByText('Layers', { exact: true }).click();
  const names = () => demo.trainer.locator('section[part=layers] tbody tr td:nth-child(2)').allTextContents();
  await expect.poll(names).toEqual(['image', 'conv_a', 'pool_a', 'conv_b', 'flatten', 'head_fc', 'head_dropout', 'head_predictions']);
  await demo.screenshotWidths('base-picker-tfjs');
  await cut.selectOption('gap');
  await expect.poll(names, { timeout: 60_000 }).toEqual(['image', 'conv_a', 'pool_a', 'conv_b', 'gap', 'flatten', 'head_fc', 'head_dropout', 'head_predictions']);
  // Stage 2's first layer, picked in the table before Start, is what the run trains from.
  await demo.trainer.getByRole('radio', { name: 'Stage 2 trains from conv_a' }).check();
  await demo.button('Start training').click();
  await expect(demo.trainer.getByRole('heading', { name: '3. Training: done' })).toBeVisible({ timeout: 120_000 });
  expect(await page.evaluate(`${element}.controller.prepared.config`)).toMatchObject({ preprocessing: 'tf', unfreezeFrom: 1 });
  await expect(demo.trainer.getByText(/NOT pretrained/)).toHaveCount(0); // a base of its own weights: no such notice
  expect(await page.evaluate(`${element}.controller.client.api.memory()`)).toMatchObject({ backend: 'wasm' });
});
