import { defineConfig } from '@playwright/test';
import { CHROMIUM_ARGS, findChromium } from './cli/chromium';

// Real Chromium (Debian's, or CHROME_PATH) with software WebGPU enabled; one test at a time, since every
// test trains a network on this machine's few cores.
export default defineConfig({
  testDir: 'test/e2e',
  timeout: 5 * 60_000,
  fullyParallel: false,
  workers: 1,
  reporter: [['list']],
  outputDir: 'test-results',
  use: {
    // Eager memory measurement: measureUserAgentSpecificMemory() answers at once instead of at the next GC.
    launchOptions: { executablePath: findChromium(), args: [...CHROMIUM_ARGS, '--enable-blink-features=ForceEagerMeasureMemory'] },
    screenshot: 'only-on-failure',
  },
});
