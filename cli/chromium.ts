import { existsSync } from 'node:fs';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';

/**
 * WebGPU on Linux is behind --enable-unsafe-webgpu; the rest keeps a headless Chromium from calling
 * home (updates, sync, QUIC), which on a closed network floods it with failed connections.
 */
export const CHROMIUM_ARGS = [
  '--no-sandbox',
  '--enable-unsafe-webgpu',
  '--enable-unsafe-swiftshader',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
  '--disable-quic',
];

const CANDIDATES = ['/usr/bin/chromium', '/usr/bin/chromium-browser', '/usr/bin/google-chrome', '/usr/bin/google-chrome-stable'];

export class MissingChromiumError extends Error {
  override name = 'MissingChromiumError';
}

/** CHROME_PATH, else the usual system locations; a clear way out when there is none. */
export function findChromium(env: NodeJS.ProcessEnv = process.env): string {
  const fromEnv = env['CHROME_PATH'];
  if (fromEnv) {
    if (existsSync(fromEnv)) return fromEnv;
    throw new MissingChromiumError(`CHROME_PATH is set to ${fromEnv}, but no file is there`);
  }
  const found = CANDIDATES.find((path) => existsSync(path));
  if (found) return found;
  throw new MissingChromiumError(
    'no Chromium found (looked in ' + CANDIDATES.join(', ') + '). Install one, e.g. ' +
      '`sudo apt-get install -y chromium` on Debian/Ubuntu, or set CHROME_PATH to a Chrome or Chromium binary.',
  );
}

export interface LaunchOptions {
  /** false starts Chromium without WebGPU, e.g. to exercise the fallback chain. */
  webgpu?: boolean;
  /** false leaves Ctrl-C and SIGTERM to the caller: Playwright otherwise closes the browser at once. */
  closeOnSignals?: boolean;
}

export function launchChromium(options: LaunchOptions = {}): Promise<Browser> {
  const args = options.webgpu === false ? CHROMIUM_ARGS.filter((a) => a !== '--enable-unsafe-webgpu') : CHROMIUM_ARGS;
  const signals = options.closeOnSignals ?? true;
  return chromium.launch({ executablePath: findChromium(), headless: true, args, handleSIGINT: signals, handleSIGTERM: signals, handleSIGHUP: signals });
}

/** A browser whose profile (IndexedDB included) lives in `userDataDir` and outlasts the process. */
export function launchPersistent(userDataDir: string): Promise<BrowserContext> {
  return chromium.launchPersistentContext(userDataDir, { executablePath: findChromium(), headless: true, args: CHROMIUM_ARGS });
}

/**
 * A page for evaluating functions written in this repo's TypeScript: tsx (esbuild, keepNames) wraps
 * named inner functions in a `__name` helper that exists only in Node, so the page gets a no-op one.
 */
export async function newPage(browser: Browser): Promise<Page> {
  const page = await browser.newPage();
  await page.addInitScript({ content: 'globalThis.__name = (fn) => fn;' });
  return page;
}
