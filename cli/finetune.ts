// npm run finetune -- --dataset DIR --model OUT: the recipe's command line, running the browser worker
// in headless Chromium against files served from 127.0.0.1.
import { existsSync } from 'node:fs';
import { mkdir, rm, writeFile } from 'node:fs/promises';
import { basename, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Browser, Page } from 'playwright-core';
import { resolveConfig } from '../src/config';
import { listDataset } from '../src/data/listing';
import type { RecipeResult } from '../src/protocol';
import type { OpenInput } from '../src/train/open-session';
import { BUNDLED_DATASET, BUNDLED_MODEL_DIR, FINETUNE_USAGE, parseFinetuneArgs } from './args';
import { launchChromium, newPage } from './chromium';
import { makePrinter } from './progress-printer';
import { resolveLocalWeights, type LocalWeights } from './weights';
import { listDirectory } from './dataset-dir';
import { CHECKPOINT_FILE, OUTPUT_ROUTE, startServer } from './server';

const inPackage = (path: string): string => fileURLToPath(new URL(`../${path}`, import.meta.url));
export const APP_DIR = inPackage('dist');
/** Exit codes: 1 a failed run, 2 a usage or settings error, 130 cancelled with Ctrl-C. */
const EXIT = { ok: 0, failed: 1, usage: 2, cancelled: 130 } as const;

type Outcome = { ok: true; result: RecipeResult } | { ok: false; name: string; message: string };

/** The runner page, its events printed here as the recipe logs them. */
async function openRunner(browser: Browser, appUrl: string, verbose: boolean): Promise<Page> {
  const page = await newPage(browser);
  page.on('pageerror', (error) => console.error(`[browser] ${error.message}`));
  if (verbose) page.on('console', (message) => console.error(`[browser ${message.type()}] ${message.text()}`));
  await page.exposeFunction('onFinetuneEvent', makePrinter(process.stdout.isTTY === true));
  await page.goto(`${appUrl}/runner.html`);
  await page.waitForFunction(() => document.body.dataset['ready'] === 'true');
  return page;
}

/** Both stages (or the features baseline) in the worker; Ctrl-C cancels between two batches. */
async function runInPage(page: Page, input: OpenInput, mode: 'finetune' | 'features'): Promise<Outcome> {
  const cancel = (): void => {
    console.error('\n[INFO] cancelling after the current batch (Ctrl-C again to quit at once)...');
    process.once('SIGINT', () => process.exit(EXIT.cancelled));
    void page.evaluate(() => window.finetune.api.cancel()).catch(() => undefined);
  };
  process.once('SIGINT', cancel);
  try {
    return await page.evaluate(
      async ([sessionInput, how]): Promise<Outcome> => {
        try {
          const prepared = await window.finetune.open(sessionInput);
          if (how === 'features') return { ok: true, result: { ...prepared, stages: [await window.finetune.api.runFeatures()] } };
          return { ok: true, result: await window.finetune.api.runRecipe() };
        } catch (error) {
          const e = error as Error;
          return { ok: false, name: e.name, message: e.message };
        }
      },
      [input, mode] as const,
    );
  } finally {
    process.off('SIGINT', cancel);
  }
}

export async function main(argv: string[]): Promise<number> {
  let args;
  try {
    args = parseFinetuneArgs(argv);
    if (!args.help) resolveConfig(args.config);
  } catch (error) {
    console.error(`error: ${(error as Error).message}\n\n${FINETUNE_USAGE}`);
    return EXIT.usage;
  }
  if (args.help) {
    console.log(FINETUNE_USAGE);
    return EXIT.ok;
  }
  // npm runs scripts in the package folder; paths the user typed are relative to where they typed them.
  const cwd = process.env['INIT_CWD'] ?? process.cwd();
  const datasetDir = args.datasetDir ? resolve(cwd, args.datasetDir) : inPackage(BUNDLED_DATASET);
  const outDir = args.outDir ? resolve(cwd, args.outDir) : inPackage(BUNDLED_MODEL_DIR);
  if (!args.datasetDir) {
    console.log(`[INFO] no --dataset given: using the bundled sample ${BUNDLED_DATASET} with a quick preset (see --help)`);
  }
  if (!existsSync(join(APP_DIR, 'runner.html'))) {
    console.error(`error: the app is not built (${APP_DIR}/runner.html is missing): run \`npm run build\` first`);
    return EXIT.failed;
  }
  if (!existsSync(datasetDir)) {
    console.error(`error: dataset folder ${datasetDir} does not exist`);
    return EXIT.failed;
  }
  const started = Date.now();
  let input: OpenInput;
  let weights: LocalWeights;
  try {
    const { files, folders } = await listDirectory(datasetDir);
    const listing = listDataset(files, basename(datasetDir), folders);
    weights = await resolveLocalWeights(args.config.weights ?? 'random', cwd);
    input = {
      config: args.config,
      dataset: listing.source,
      root: datasetDir,
      skipped: listing.skipped,
      resume: args.resume,
      checkpoint: { target: { kind: 'http', url: OUTPUT_ROUTE + CHECKPOINT_FILE }, everyBatches: args.checkpointEvery, ...(args.checkpointOverhead !== null && { maxOverhead: args.checkpointOverhead }) },
      recovery: args.recovery,
    };
  } catch (error) {
    console.error(`error: ${(error as Error).message}`);
    return EXIT.failed;
  }
  const server = await startServer({ appDir: APP_DIR, datasetDir, outputDir: outDir, weightsDir: weights.dir });
  input.config = { ...input.config, weights: weights.setting(server.url) };
  let browser: Browser | null = null;
  try {
    browser = await launchChromium();
    const page = await openRunner(browser, server.url, args.verbose);
    const outcome = await runInPage(page, input, args.mode);
    if (!outcome.ok) {
      console.error(`error: ${outcome.name}: ${outcome.message}`);
      return outcome.name === 'CancelledError' ? EXIT.cancelled : EXIT.failed;
    }
    console.log('[INFO] serializing model...');
    await mkdir(outDir, { recursive: true });
    const saved = await page.evaluate((prefix) => window.finetune.exportTo(prefix), OUTPUT_ROUTE.slice(0, -1));
    const report = { createdAt: new Date().toISOString(), seconds: (Date.now() - started) / 1000, dataset: datasetDir, ...outcome.result };
    await writeFile(join(outDir, 'report.json'), `${JSON.stringify(report, null, 2)}\n`);
    await rm(join(outDir, CHECKPOINT_FILE), { force: true }); // the run is complete: nothing left to resume
    console.log(`[INFO] wrote ${outDir}: ${[...saved.files, 'report.json'].join(', ')} (${(saved.bytes / 1e6).toFixed(1)} MB)`);
    return EXIT.ok;
  } catch (error) {
    console.error(`error: ${(error as Error).message}`);
    return EXIT.failed;
  } finally {
    await browser?.close();
    await server.close();
  }
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  process.exitCode = await main(process.argv.slice(2));
}
