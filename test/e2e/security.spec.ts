import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { chromium } from 'playwright-core';
import { CHROMIUM_ARGS, findChromium } from '../../cli/chromium';
import { startServer } from '../../cli/server';
import { APP, expect, sampleSubset, test } from './fixtures';

// A page on another site that rebinds its DNS name to 127.0.0.1 becomes same-origin with a local server;
// Chromium's --host-resolver-rules plays that attack without a DNS server.
test('a DNS-rebinding page gets 403 from both servers: nothing read, nothing written', async ({ dataRoot }) => {
  const home = join(dataRoot, 'victim');
  await mkdir(home, { recursive: true });
  await writeFile(join(home, 'photo.jpg'), 'a private photo');
  const cli = await startServer({ appDir: APP, files: new Map([['/dataset/photo.jpg', join(home, 'photo.jpg')]]), outputDir: join(dataRoot, 'victim-out'), token: 'secret' });
  const demo = await startServer({ appDir: APP });
  const browser = await chromium.launch({ executablePath: findChromium(), args: [...CHROMIUM_ARGS, '--host-resolver-rules=MAP evil.example 127.0.0.1'] });
  try {
    for (const server of [cli, demo]) {
      const port = new URL(server.url).port;
      const page = await browser.newPage();
      const landing = await page.goto(`http://evil.example:${port}/index.html`);
      expect(landing!.status()).toBe(403);
      const attempts = await page.evaluate(async () => {
        const status = async (path: string, init?: RequestInit): Promise<number> => (await fetch(path, init)).status;
        return [await status('/dataset/photo.jpg'), await status('/output/checkpoint.bin'), await status('/output/model.json', { method: 'PUT', body: 'forged' }), await status('/runner.html')];
      });
      expect(attempts).toEqual([403, 403, 403, 403]);
      // The same server on its own address answers.
      expect((await page.goto(`${server.url}/index.html`))!.status()).toBe(200);
      await page.close();
    }
    expect(existsSync(join(dataRoot, 'victim-out', 'model.json'))).toBe(false);
  } finally {
    await browser.close();
    await cli.close();
    await demo.close();
  }
});

/** Starts the command line; resolves each time its output has shown `count` checkpoint lines. */
function startCli(args: string[]) {
  const child = spawn(process.execPath, ['--import', 'tsx', 'cli/finetune.ts', ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const exited = new Promise<number>((done) => child.on('exit', (code) => done(code ?? -1)));
  const checkpoints = (): number => (stdout.match(/^\[INFO\] checkpoint: /gm) ?? []).length;
  const waitFor = async (test: () => boolean): Promise<void> => {
    while (!test()) await new Promise((r) => setTimeout(r, 100));
  };
  return { child, exited, checkpoints, waitFor, output: () => ({ stdout, stderr }) };
}

test('one run per output folder; Ctrl-C stops after a batch with a checkpoint and the line to resume it', async ({ dataRoot }) => {
  const dataset = join(dataRoot, 'ctrl-c');
  await sampleSubset(dataset, ['daisy', 'rose'], 8);
  const out = join(dataRoot, 'ctrl-c-out');
  // A long stage 1 that nothing stops early: the Ctrl-C comes while its epochs run (not in a search or a cache build).
  // --verbose: the waits below count the checkpoint lines it prints.
  const flags = ['--dataset', dataset, '--model', out, '--size', '32', '--head-epochs', '60', '--patience', 'off', '--finetune-epochs', '1', '--batch', '4', '--backend', 'wasm', '--checkpoint-every', '1', '--verbose'];
  const first = startCli(flags);
  await first.waitFor(() => first.checkpoints() >= 2);

  const second = startCli([...flags.slice(0, 4), '--size', '32']);
  expect(await second.exited).toBe(1);
  expect(second.output().stderr).toMatch(new RegExp(`^error: another run \\(pid ${first.child.pid} on .+\\) is writing to ${out}: wait for it to end, or give another --model`, 'm'));

  const before = first.checkpoints();
  first.child.kill('SIGINT');
  expect(await first.exited).toBe(130);
  const { stdout, stderr } = first.output();
  expect(stderr).toContain('[INFO] SIGINT: stopping after the current batch and writing a checkpoint (Ctrl-C again to quit at once)...');
  expect(first.checkpoints()).toBeGreaterThan(before); // the one written at the stop
  expect(stderr).toContain(`[INFO] stopped; continue with: npm run finetune -- --dataset ${dataset} --model ${out} --backend wasm --checkpoint-every 1 --verbose --resume`);
  expect(stdout).not.toMatch(/Target page.*closed/);
  expect(existsSync(join(out, 'checkpoint.bin'))).toBe(true);
  expect(existsSync(join(out, '.finetune-trainer.lock'))).toBe(false);

  const resumed = startCli(['--dataset', dataset, '--model', out, '--backend', 'wasm', '--resume']);
  expect(await resumed.exited, resumed.output().stderr).toBe(0);
  expect(resumed.output().stdout).toMatch(/\[INFO\] resuming from the output folder: stage 1, epoch \d+, batch \d/);
  expect(existsSync(join(out, 'weights.bin'))).toBe(true);
});
