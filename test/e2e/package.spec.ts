import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { cp, mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { createServer, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { promisify } from 'node:util';
import type { Page } from '@playwright/test';
import type { RecipeResult } from '../../src/protocol';
import { serveStatic, type StaticServer } from '../package/static-server';
import { expect, SAMPLE, test } from './fixtures';

// `npm install finetune-trainer` as a third party would: the packed tarball installed into fresh apps
// outside the repository, each built its own way, each training the bundled sample in real Chromium.
const run = promisify(execFile);
const repo = process.cwd();
const bin = (name: string): string => join(repo, 'node_modules', '.bin', name);
const npm = (args: string[], cwd: string) => run('npm', [...args, '--no-audit', '--no-fund', '--prefer-offline', '--loglevel=error'], { cwd, maxBuffer: 64 << 20 });

test.describe.configure({ mode: 'serial' });

let work: string;
let tarball: string;
/** An app folder with the tarball installed without its optional (command line) dependencies. */
let embed: string;

test.beforeAll(async () => {
  test.setTimeout(5 * 60_000);
  work = await mkdtemp(join(tmpdir(), 'finetune-package-'));
  const packed = JSON.parse((await npm(['pack', '--json', '--pack-destination', work], repo)).stdout) as { filename: string }[];
  tarball = join(work, packed[0]!.filename);
  embed = join(work, 'embed');
  await cp(join(repo, 'test/package/apps'), embed, { recursive: true });
  await cp(join(repo, 'test/package/consumer'), embed, { recursive: true });
  await writeFile(join(embed, 'package.json'), JSON.stringify({ name: 'embed-fixture', private: true, type: 'module' }));
  await npm(['install', tarball, '--omit=optional'], embed);
});

test.afterAll(async () => {
  if (work) await rm(work, { recursive: true, force: true });
});

/** The sample's images as {path, base64}, to hand to a page. */
async function sampleFiles(): Promise<{ path: string; base64: string }[]> {
  const entries = (await readdir(SAMPLE, { recursive: true, withFileTypes: true })).filter((e) => e.isFile() && e.name.endsWith('.jpg'));
  return Promise.all(entries.map(async (e) => ({ path: relative(SAMPLE, join(e.parentPath, e.name)), base64: (await readFile(join(e.parentPath, e.name))).toString('base64') })));
}

interface Trained {
  result: RecipeResult;
  isolated: boolean;
  cores: number;
}

/** Opens the app, imports the sample into its element, trains one epoch per stage at 32 px, and waits for finetune-complete. */
async function trainIn(page: Page, url: string): Promise<Trained> {
  const errors: string[] = [];
  page.on('pageerror', (error) => errors.push(error.message));
  page.on('worker', (worker) => worker.on('console', (message) => message.type() === 'error' && errors.push(message.text())));
  await page.goto(url);
  // body?: the opt-in service worker reloads the page once, and a poll can land while the new document has no body yet.
  await page.waitForFunction(() => document.body?.dataset['embedded'] === 'true');
  const outcome = await page.evaluate(async (files) => {
    const trainer = document.querySelector('finetune-trainer')!;
    Object.assign(trainer, { inputSize: 32, headEpochs: 1, finetuneEpochs: 1, batchSize: 8, headLr: '0.001', finetuneLr: '0.001', backend: 'wasm' });
    const settled = new Promise<{ ok: true; result: RecipeResult } | { ok: false; error: string }>((resolve) => {
      trainer.addEventListener('finetune-complete', (event) => resolve({ ok: true, result: event.detail }));
      trainer.addEventListener('finetune-error', (event) => resolve({ ok: false, error: `${event.detail.name}: ${event.detail.message}` }));
    });
    const blobs = files.map((f) => ({ path: f.path, blob: new Blob([Uint8Array.from(atob(f.base64), (c) => c.charCodeAt(0))], { type: 'image/jpeg' }) }));
    if ((await trainer.importDataset('flowers4', { files: blobs })) === null) return { ok: false as const, error: `the import failed: ${trainer.shadowRoot!.querySelector('.error')?.textContent}` };
    await trainer.updateComplete;
    void trainer.start();
    return { ...(await settled), isolated: crossOriginIsolated, cores: navigator.hardwareConcurrency, charts: trainer.shadowRoot!.querySelectorAll('ft-chart').length, chartDefined: customElements.get('ft-chart') !== undefined };
  }, await sampleFiles());
  expect(errors).toEqual([]);
  if (!outcome.ok) throw new Error(`${url}: ${outcome.error}`);
  // The charts are an element of their own, defined by the element's module: a tree-shaker must keep it.
  expect([outcome.charts, outcome.chartDefined]).toEqual([2, true]);
  return { result: outcome.result, isolated: outcome.isolated, cores: outcome.cores };
}

/** Both stages trained on wasm; with COOP/COEP a thread per core (minified by the app's bundler or not), else one and why. */
function expectTrained({ result, isolated, cores }: Trained, served: 'isolated' | 'not isolated'): void {
  expect(result.classes).toEqual(['bluebell', 'daisy', 'rose', 'sunflower']);
  expect(result.stages.map((s) => [s.stage, s.history.length])).toEqual([[1, 1], [2, 1]]);
  expect(result.backend.backend).toBe('wasm');
  expect(isolated).toBe(served === 'isolated');
  if (isolated) expect(result.backend.detail).toContain(`${cores} thread(s) of ${cores} core(s)`);
  else expect(result.backend.detail).toContain('no threads: the page is not cross-origin isolated; serve it with Cross-Origin-Opener-Policy: same-origin');
}

async function served<T>(root: string, use: (server: StaticServer) => Promise<T>, isolated = true): Promise<T> {
  const server = await serveStatic(root, isolated);
  try {
    return await use(server);
  } finally {
    await server.close();
  }
}

function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const probe = createServer().listen(0, '127.0.0.1', () => {
      const { port } = probe.address() as AddressInfo;
      probe.close(() => resolve(port));
    });
  });
}

/** `vite` in the app folder until it says where it listens. */
async function viteDevServer(cwd: string): Promise<{ url: string; child: ChildProcess }> {
  const port = await freePort();
  const child = spawn(process.execPath, [join(repo, 'node_modules/vite/bin/vite.js'), '--host', '127.0.0.1', '--port', String(port), '--strictPort'], { cwd, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`vite did not start: ${output}`)), 30_000);
    const read = (chunk: Buffer): void => {
      output += chunk.toString();
      const found = /http:\/\/127\.0\.0\.1:\d+\//.exec(output.replace(/\x1b\[[0-9;]*m/g, ''));
      if (found) {
        clearTimeout(timer);
        resolve(found[0]);
      }
    };
    child.stdout!.on('data', read);
    child.stderr!.on('data', read);
    child.on('exit', (code) => reject(new Error(`vite exited with ${code}: ${output}`)));
  });
  return { url, child };
}

test('the tarball holds the built library, its typings, the command line and the docs, nothing else', async () => {
  const listed = (await run('tar', ['-tzf', tarball])).stdout.split('\n').filter(Boolean);
  const files = listed.map((f) => f.replace(/^package\//, '')).sort();
  for (const file of files) expect(file).toMatch(/^(lib\/(browser|cli|types)\/|lib\/types\.js$|README\.md$|LICENSE$|custom-elements\.json$|package\.json$)/);
  for (const needed of ['lib/browser/finetune-trainer.js', 'lib/browser/worker/trainer.worker.js', 'lib/browser/worker/tfjs-backend-wasm-threaded-simd.wasm', 'lib/browser/runner.html', 'lib/cli/bin.js', 'lib/types/web/finetune-trainer.d.ts', 'custom-elements.json', 'LICENSE']) {
    expect(files).toContain(needed);
  }
  const manifest = JSON.parse(await readFile(join(embed, 'node_modules/finetune-trainer/package.json'), 'utf8')) as { dependencies: Record<string, string> };
  // The browser files carry their own copies of tfjs, comlink and idb; lit stays for the typings.
  expect(Object.keys(manifest.dependencies)).toEqual(['lit']);
  const installed = await readdir(join(embed, 'node_modules'));
  expect(installed).not.toContain('playwright-core');
  expect(installed).not.toContain('@tensorflow');
  console.log(`[package] ${files.length} files, ${((await readFile(tarball)).length / 1e6).toFixed(2)} MB packed`);
});

test('a consumer type-checks against the typings alone (strict, lib es2022 + dom, skipLibCheck off)', async () => {
  const checked = await run(process.execPath, [join(repo, 'node_modules/typescript/bin/tsc'), '-p', 'tsconfig.json'], { cwd: embed }).then(
    ({ stdout }) => ({ code: 0, stdout }),
    (error: { code: number; stdout: string }) => ({ code: error.code, stdout: error.stdout }),
  );
  expect(checked).toEqual({ code: 0, stdout: '' });
});

test('a Vite app: the dev server, unconfigured, trains the sample', async ({ page }) => {
  const { url, child } = await viteDevServer(join(embed, 'vite'));
  try {
    // Vite's dev server sends no COOP/COEP unless configured to.
    expectTrained(await trainIn(page, url), 'not isolated');
  } finally {
    child.kill();
  }
});

test('a Vite app: the production build (minified) trains the sample', async ({ page }) => {
  await run(process.execPath, [join(repo, 'node_modules/vite/bin/vite.js'), 'build', '--logLevel', 'error'], { cwd: join(embed, 'vite') });
  const built = await readdir(join(embed, 'vite/dist/assets'));
  expect(built.some((f) => /^trainer\.worker-.*\.js$/.test(f))).toBe(true);
  expect(built.filter((f) => f.endsWith('.wasm'))).toHaveLength(3);
  expectTrained(await served(join(embed, 'vite/dist'), (server) => trainIn(page, `${server.url}/`)), 'isolated');
});

test('an esbuild app (the worker folder copied beside the bundle) trains the sample', async ({ page }) => {
  const app = join(embed, 'esbuild');
  await run(bin('esbuild'), ['main.js', '--bundle', '--format=esm', '--minify', '--outdir=out', '--log-level=error'], { cwd: app });
  await cp(join(embed, 'node_modules/finetune-trainer/lib/browser/worker'), join(app, 'out/worker'), { recursive: true });
  expectTrained(await served(app, (server) => trainIn(page, `${server.url}/`)), 'isolated');
});

test('a page with no bundler, importing lib/ through an import map, trains the sample', async ({ page }) => {
  expectTrained(await served(embed, (server) => trainIn(page, `${server.url}/static/`)), 'isolated');
});

test('a host that cannot send COOP/COEP: the opt-in service worker isolates the page, and wasm gets its threads', async ({ page }) => {
  await cp(join(embed, 'node_modules/finetune-trainer/lib/browser/coi-serviceworker.js'), join(embed, 'coi-serviceworker.js'));
  expectTrained(await served(embed, (server) => trainIn(page, `${server.url}/coi/`), false), 'isolated');
});

test('npx finetune-trainer: --help from a fresh folder; a left-out dependency named; a run on the sample', async () => {
  test.setTimeout(6 * 60_000);
  const help = await run('npx', ['--no-install', 'finetune-trainer', '--help'], { cwd: embed });
  expect(help.stdout).toContain('Usage: npx finetune-trainer --dataset DIR [--model OUT]');
  const missing = await run('npx', ['--no-install', 'finetune-trainer', '--dataset', 'x', '--model', 'y'], { cwd: embed }).then(
    () => null,
    (error: { code: number; stderr: string }) => error,
  );
  expect(missing?.code).toBe(1);
  // The first of its packages the module loader missed, and the one command that brings them all back.
  expect(missing?.stderr).toMatch(/^error: the command line needs (playwright-core|@tensorflow\/tfjs|h5wasm|hash-wasm|onnx-proto), which is not installed .*run `npm install playwright-core @tensorflow\/tfjs h5wasm hash-wasm onnx-proto`/m);

  const full = join(work, 'cli');
  await mkdir(full);
  await writeFile(join(full, 'package.json'), JSON.stringify({ name: 'cli-fixture', private: true }));
  await npm(['install', tarball], full);
  const noDataset = await run('npx', ['--no-install', 'finetune-trainer'], { cwd: full }).then(
    () => null,
    (error: { code: number; stderr: string }) => error,
  );
  expect(noDataset?.code).toBe(2);
  expect(noDataset?.stderr).toContain('--dataset DIR is required');
  const { stdout } = await run('npx', ['--no-install', 'finetune-trainer', '--dataset', join(repo, SAMPLE), '--model', 'model', '--size', '32', '--head-epochs', '1', '--finetune-epochs', '1', '--batch', '8', '--head-lr', '1e-3', '--finetune-lr', '1e-3', '--backend', 'wasm'], { cwd: full, maxBuffer: 64 << 20 });
  expect(stdout).toContain('stage 2');
  const report = JSON.parse(await readFile(join(full, 'model/report.json'), 'utf8')) as { stages: unknown[] };
  expect(report.stages).toHaveLength(2);
  expect((await readdir(join(full, 'model'))).sort()).toEqual(expect.arrayContaining(['model.json', 'report.json', 'weights.bin']));
});
