import { join } from 'node:path';
import { launchChromium } from '../../cli/chromium';
import { DemoPage } from './demo-page';
import { expect, sampleSubset, test } from './fixtures';

// What the element shows when what it stands on is missing: never a spinner, always the reason, in seconds.

test('a worker script that does not load: an error in the element and a finetune-error event within seconds', async ({ page, server }) => {
  await page.route(/trainer\.worker[^/]*\.js$/, (route) => route.fulfill({ status: 404, body: 'not here' }));
  await page.addInitScript(() => {
    const heard: string[] = [];
    Object.assign(window, { heard });
    document.addEventListener('finetune-error', (e) => heard.push((e as CustomEvent<{ name: string; message: string }>).detail.name));
  });
  const demo = new DemoPage(page);
  const started = Date.now();
  await demo.open(server.url);
  const alert = demo.trainer.getByRole('alert');
  await expect(alert).toContainText("WorkerError: the trainer's worker could not be loaded", { timeout: 10_000 });
  expect(Date.now() - started).toBeLessThan(10_000);
  expect(await page.evaluate(() => (window as unknown as { heard: string[] }).heard)).toEqual(['WorkerError']);
  await demo.screenshotWidths('worker-404');

  // Importing now fails at once with the same reason instead of waiting on a worker that is not there.
  await demo.trainer.getByLabel('Project name').fill('never');
  await demo.trainer.locator('#folder').setInputFiles('samples/flowers4');
  await expect(alert).toContainText('WorkerError', { timeout: 5_000 });
});

/** The demo with a small two-class project imported and set to train at 32 px with no epochs: only the backend matters here. */
async function importedDemo(demo: DemoPage, url: string, folder: string, backend: string): Promise<void> {
  await demo.open(url);
  await demo.trainer.getByLabel('Project name').fill('fallback');
  await demo.trainer.locator('#folder').setInputFiles(folder);
  await expect(demo.trainer.getByRole('heading', { name: /^fallback: 6 images in 2 classes/ })).toBeVisible({ timeout: 30_000 });
  await demo.configure({ 'Image size (px)': '32', 'Stage 1 epochs': '0', 'Stage 2 epochs': '0', Backend: backend });
  await demo.button('Start training').click();
}

test('no WebGPU where WebGPU is asked for: the element says so and which backend it trains on instead', async ({ server, dataRoot }) => {
  await sampleSubset(join(dataRoot, 'no-webgpu'), ['daisy', 'rose'], 3);
  const browser = await launchChromium({ webgpu: false });
  try {
    const demo = new DemoPage(await browser.newPage());
    await importedDemo(demo, server.url, join(dataRoot, 'no-webgpu'), 'webgpu');
    const backend = demo.trainer.locator('.backend').first();
    await expect(backend).toContainText(/^Backend: webgl/, { timeout: 30_000 });
    await expect(backend).toContainText(/webgpu was requested but is unavailable \(webgpu: no WebGPU adapter/);
    await demo.screenshotWidths('no-webgpu');
  } finally {
    await browser.close();
  }
});

test('wasm binaries that 404: the element names the wasm failure and the backend it fell back to', async ({ page, server, dataRoot }) => {
  await sampleSubset(join(dataRoot, 'no-wasm'), ['daisy', 'rose'], 3);
  await page.route(/\.wasm$/, (route) => route.fulfill({ status: 404, body: 'not here' }));
  const demo = new DemoPage(page);
  await importedDemo(demo, server.url, join(dataRoot, 'no-wasm'), 'wasm');
  const backend = demo.trainer.locator('.backend').first();
  await expect(backend).toContainText(/^Backend: cpu/, { timeout: 30_000 });
  await expect(backend).toContainText(/wasm was requested but is unavailable \(wasm: failed to start: wasm streaming compile failed: .*HTTP status code is not ok.*Make sure the server can serve the `\.wasm` file/);
  await demo.screenshotWidths('no-wasm');
});

test('a folder with one class is refused at import, naming the class; nothing is kept', async ({ page, server, dataRoot }) => {
  await sampleSubset(join(dataRoot, 'one-class'), ['daisy'], 3);
  const demo = new DemoPage(page);
  await demo.open(server.url);
  await demo.trainer.getByLabel('Project name').fill('one-class');
  await demo.trainer.locator('#folder').setInputFiles(join(dataRoot, 'one-class'));
  await expect(demo.trainer.getByRole('alert')).toHaveText(/^DatasetError: only one class folder \('daisy'\) in what was picked: pick the folder that holds one folder of images per class/);
  await expect(demo.trainer.getByRole('heading', { name: '1. Your images' })).toBeVisible();
  await expect(page.locator('#projects')).toHaveText('None yet.');
  await demo.screenshotWidths('one-class');
});

