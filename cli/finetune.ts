// npm run finetune -- --dataset DIR --model OUT: the recipe's command line, running the browser worker
// in headless Chromium against files served from 127.0.0.1.
import { randomBytes } from 'node:crypto';
import { existsSync, rmSync } from 'node:fs';
import { rm, stat } from 'node:fs/promises';
import { basename, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Browser, Page } from 'playwright-core';
import { resolveConfig } from '../src/config';
import { listDataset } from '../src/data/listing';
import { KERAS_VGG16_NOTOP } from '../src/model/backbones/vgg16';
import type { DatasetSource, RecipeResult } from '../src/protocol';
import type { OpenInput } from '../src/run/open-session';
import { EXPORT_LABEL } from '../src/export/formats';
import { writeAtomically } from './atomic-write';
import { writeExports } from './export-files';
import { BUNDLED_DATASET, BUNDLED_MODEL_DIR, FINETUNE_USAGE, inFlagTerms, parseFinetuneArgs, resumeCommand } from './args';
import { launchChromium, newPage } from './chromium';
import { makePrinter } from './progress-printer';
import { resolveLocalWeights, type LocalWeights } from './weights';
import { listDirectory, type DirectoryListing } from './dataset-dir';
import { claimOutput, LOCK_FILE } from './output-folder';
import { escapeControls } from './safe-text';
import { CHECKPOINT_FILE, OUTPUT_ROUTE, startServer } from './server';
import { APP_DIR, INSTALLED, REPOSITORY_ROOT } from './app-dir';
import { formatMB } from '../src/units';
import { runReport } from '../src/run/report';

/** Exit codes: 1 a failed run, 2 a usage or settings error, 130 cancelled with Ctrl-C. */
const EXIT = { ok: 0, failed: 1, usage: 2, cancelled: 130 } as const;
/** An untrained VGG16's weights without top, for how much room a checkpoint needs. */
const VGG16_NOTOP_BYTES = KERAS_VGG16_NOTOP.expected.bytes;

type Outcome = { ok: true; result: RecipeResult } | { ok: false; name: string; message: string };

/** The runner page, its events printed here as the recipe logs them; its first visit carries the run's token. */
async function openRunner(browser: Browser, appUrl: string, token: string, verbose: boolean): Promise<Page> {
  const page = await newPage(browser);
  page.on('pageerror', (error) => console.error(`[browser] ${escapeControls(error.message)}`));
  if (verbose) page.on('console', (message) => console.error(`[browser ${message.type()}] ${escapeControls(message.text())}`));
  await page.exposeFunction('onFinetuneEvent', makePrinter({ tty: process.stdout.isTTY === true, verbose }));
  await page.goto(`${appUrl}/runner.html?token=${token}`);
  await page.waitForFunction(() => document.body.dataset['ready'] === 'true');
  return page;
}

/**
 * Both stages (or the features baseline) in the worker. Ctrl-C or SIGTERM stops between two batches and
 * writes a checkpoint first; a second one quits at once.
 */
async function runInPage(page: Page, input: OpenInput, mode: 'finetune' | 'features', quit: () => void): Promise<Outcome> {
  let stopping = false;
  const stop = (signal: NodeJS.Signals): void => {
    if (stopping) return quit();
    stopping = true;
    console.error(`\n[INFO] ${signal}: stopping after the current batch and writing a checkpoint (${signal === 'SIGINT' ? 'Ctrl-C' : signal} again to quit at once)...`);
    void page.evaluate(() => window.finetune.api.cancel(true)).catch(() => undefined);
  };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
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
    process.off('SIGINT', stop);
    process.off('SIGTERM', stop);
  }
}

/** What the run serves: the images the listing keeps and the weights' files, by URL path; nothing else. */
function servedFiles(listing: DirectoryListing, items: DatasetSource['items'], weights: LocalWeights): Map<string, string> {
  const files = new Map(weights.files);
  for (const item of items) files.set(new URL(item.url!, 'http://127.0.0.1').pathname, listing.fileOf.get(item.url!)!);
  return files;
}

/** What a checkpoint of this run may take on disk: a few copies of the trained layers, from the base's size. */
async function checkpointEstimate(weights: LocalWeights): Promise<number> {
  const sizes = await Promise.all([...weights.files.values()].map(async (file) => (await stat(file)).size));
  return 3 * (sizes.reduce((a, b) => a + b, 0) || VGG16_NOTOP_BYTES);
}

export async function main(argv: string[]): Promise<number> {
  let args;
  try {
    args = parseFinetuneArgs(argv);
    if (!args.help) resolveConfig(args.config);
  } catch (error) {
    console.error(`error: ${escapeControls(inFlagTerms((error as Error).message))} (see --help)`);
    return EXIT.usage;
  }
  if (args.help) {
    console.log(FINETUNE_USAGE);
    return EXIT.ok;
  }
  // `npm run finetune` runs in the repository's folder; paths the user typed are relative to where they
  // typed them. Installed (npx, a package script, main() from code), the process's own folder is that.
  const cwd = (REPOSITORY_ROOT && process.env['INIT_CWD']) || process.cwd();
  if (!args.datasetDir && !REPOSITORY_ROOT) {
    console.error(`error: --dataset DIR is required (one folder of images per class); the bundled sample comes only with the repository (see --help)`);
    return EXIT.usage;
  }
  const datasetDir = args.datasetDir ? resolve(cwd, args.datasetDir) : join(REPOSITORY_ROOT!, BUNDLED_DATASET);
  const outDir = args.outDir ? resolve(cwd, args.outDir) : args.datasetDir ? resolve(cwd, 'out', basename(datasetDir)) : join(REPOSITORY_ROOT!, BUNDLED_MODEL_DIR);
  if (args.datasetDir && !args.outDir) console.log(`[INFO] no --model given: writing to ${escapeControls(outDir)}`);
  if (!args.datasetDir) {
    console.log(`[INFO] no --dataset given: using the bundled sample ${BUNDLED_DATASET} with a quick preset (see --help)`);
  }
  if (!existsSync(join(APP_DIR, 'runner.html'))) {
    console.error(
      INSTALLED
        ? `error: this installed copy is incomplete (${APP_DIR}/runner.html is missing): reinstall finetune-trainer`
        : `error: the app is not built (${APP_DIR}/runner.html is missing): run \`npm run build\` first`,
    );
    return EXIT.failed;
  }
  if (!existsSync(datasetDir)) {
    console.error(`error: dataset folder ${escapeControls(datasetDir)} does not exist`);
    return EXIT.failed;
  }
  const started = Date.now();
  let input: OpenInput;
  let files: Map<string, string>;
  let weights: LocalWeights;
  let release: () => Promise<void>;
  try {
    const directory = await listDirectory(datasetDir);
    const listing = listDataset(directory.files, basename(datasetDir), directory.folders);
    weights = await resolveLocalWeights(args.config.weights ?? 'random', cwd);
    files = servedFiles(directory, listing.source.items, weights);
    // The bundled sample's own output folder is the sample's to replace; any other (named, or out/NAME) is the user's.
    const overwrite = args.overwrite || !args.datasetDir;
    const claim = await claimOutput(outDir, { datasetDir, resume: args.resume, restart: args.restart, overwrite, checkpointBytes: await checkpointEstimate(weights) });
    release = claim.release;
    for (const note of claim.notes) console.log(`[INFO] ${escapeControls(note)}`);
    input = {
      config: args.config,
      dataset: listing.source,
      root: datasetDir,
      skipped: [...directory.skipped, ...listing.skipped],
      resume: args.resume,
      checkpoint: { target: { kind: 'http', url: OUTPUT_ROUTE + CHECKPOINT_FILE }, everyBatches: args.checkpointEvery, ...(args.checkpointOverhead !== null && { maxOverhead: args.checkpointOverhead }) },
      recovery: args.recovery,
    };
  } catch (error) {
    console.error(`error: ${escapeControls((error as Error).message)}`);
    return EXIT.failed;
  }
  const token = randomBytes(24).toString('base64url');
  const server = await startServer({ appDir: APP_DIR, files, outputDir: outDir, token });
  input.config = { ...input.config, weights: weights.setting(server.url) };
  let browser: Browser | null = null;
  const quit = (): void => {
    console.error('[INFO] quitting at once: the last checkpoint written stays');
    rmSync(join(outDir, LOCK_FILE), { force: true });
    process.exit(EXIT.cancelled);
  };
  try {
    browser = await launchChromium({ closeOnSignals: false });
    const page = await openRunner(browser, server.url, token, args.verbose);
    const outcome = await runInPage(page, input, args.mode, quit);
    if (!outcome.ok) {
      if (outcome.name !== 'CancelledError') {
        console.error(`error: ${outcome.name}: ${escapeControls(outcome.message)}`);
        return EXIT.failed;
      }
      const saved = existsSync(join(outDir, CHECKPOINT_FILE));
      console.error(saved ? `[INFO] stopped; continue with: ${resumeCommand(argv, INSTALLED ? 'npx finetune-trainer' : undefined)}` : '[INFO] stopped before its first checkpoint: nothing to resume');
      return EXIT.cancelled;
    }
    console.log('[INFO] serializing model...');
    const saved = await page.evaluate((prefix) => window.finetune.exportTo(prefix), OUTPUT_ROUTE.slice(0, -1));
    const report = runReport(outcome.result, datasetDir, (Date.now() - started) / 1000);
    await writeAtomically(join(outDir, 'report.json'), `${JSON.stringify(report, null, 2)}\n`);
    await rm(join(outDir, CHECKPOINT_FILE), { force: true }); // the run is complete: nothing left to resume
    console.log(`[INFO] wrote ${escapeControls(outDir)}: ${[...saved.files, 'report.json'].join(', ')} (${formatMB(saved.bytes)})`);
    let failed = false;
    for (const written of await writeExports(outDir, args.exports)) {
      const path = escapeControls(join(outDir, written.file));
      if ('bytes' in written) console.log(`[INFO] wrote ${path} (${formatMB(written.bytes)}): ${EXPORT_LABEL[written.format]}`);
      else console.error(`error: no ${written.format} export: ${escapeControls(written.error)}; the TF.js model and report beside it are complete`);
      failed ||= !('bytes' in written);
    }
    return failed ? EXIT.failed : EXIT.ok;
  } catch (error) {
    console.error(`error: ${escapeControls((error as Error).message)}`);
    return EXIT.failed;
  } finally {
    await browser?.close();
    await server.close();
    await release();
  }
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  process.exitCode = await main(process.argv.slice(2));
}
