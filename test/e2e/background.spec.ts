import { join } from 'node:path';
import { expect, inputFor, sampleSubset, test } from './fixtures';

// Training lives in the worker and never waits on the page: no animation frame, no page timer, no reply
// from the page inside the step loop. A background tab throttles its timers and stops its animation
// frames. Headless Chromium cannot hide a page (it reports every page as visible, even behind another
// brought to front, headed under Xvfb too, and CDP's "frozen" state leaves its timers running), so the
// test takes the harder case it can make: a page whose main thread is held busy runs no timer, no
// animation frame and no message at all. The epoch rate then is compared with the rate before, in one run.

const VISIBLE_MS = 3000;
const BLOCKED_MS = 6000;

test('training keeps its pace while the page runs nothing (no timers, no animation frames, no messages)', async ({ runner, dataRoot }) => {
  await sampleSubset(join(dataRoot, 'busy-page'), ['daisy', 'rose'], 10);
  const config = { inputSize: 32, batchSize: 3, backend: 'wasm', head: { epochs: 200 }, finetune: { epochs: 0 }, cache: { head: false, finetune: false } } as const;
  await runner.open(await inputFor(dataRoot, 'busy-page', config));
  const page = runner.page;
  const epochs = (): Promise<number> => page.evaluate(() => window.finetune.events.filter((e) => e.type === 'epoch').length);
  // The page's own clock: a 10 ms interval whose ticks stop while the page is frozen.
  await page.evaluate(() => {
    const ticks: number[] = [];
    (window as unknown as { ticks: number[] }).ticks = ticks;
    setInterval(() => ticks.push(performance.now()), 10);
  });
  const done = page.evaluate(() => window.finetune.api.runRecipe().catch((error: Error) => error.name));
  await page.waitForFunction(() => window.finetune.events.filter((e) => e.type === 'epoch').length >= 3);

  const before = await epochs();
  await page.waitForTimeout(VISIBLE_MS);
  const visibleRate = ((await epochs()) - before) / VISIBLE_MS;

  const blockedAt = await epochs();
  await page.evaluate((ms) => {
    const end = performance.now() + ms;
    while (performance.now() < end); // the page's main thread does nothing else meanwhile
  }, BLOCKED_MS);
  await page.waitForTimeout(200); // the worker's messages queued meanwhile arrive at once
  const blockedRate = ((await epochs()) - blockedAt) / (BLOCKED_MS + 200);

  const longestPause = await page.evaluate(() => {
    const ticks = (window as unknown as { ticks: number[] }).ticks;
    return Math.max(...ticks.slice(1).map((t, i) => t - ticks[i]!));
  });
  await page.evaluate(() => window.finetune.api.cancel());
  expect(await done).toBe('CancelledError');

  const ratio = blockedRate / visibleRate;
  test.info().annotations.push({
    type: 'epochs per second',
    description: `running ${(visibleRate * 1000).toFixed(2)}, page blocked ${(blockedRate * 1000).toFixed(2)} (ratio ${ratio.toFixed(2)}); page's longest timer gap ${Math.round(longestPause)} ms`,
  });
  expect(longestPause).toBeGreaterThan(BLOCKED_MS - 500); // the page really ran nothing
  // Measured here: 0.83-1.04 (two runs; the busy page takes one of the 2 cores). Waiting on the page would give ~0.
  expect(ratio).toBeGreaterThan(0.5);
});
