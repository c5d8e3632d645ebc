import * as tf from '@tensorflow/tfjs';
import { execFile, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { promisify } from 'node:util';
import * as ort from 'onnxruntime-node';
import { writeKerasVgg16 } from '../fixtures/keras-h5';
import { expect, sampleSubset, SAMPLE, test, writeFiles } from './fixtures';

const run = promisify(execFile);

/** Runs `npm run finetune`'s program; resolves with its exit code and output whatever the code. */
async function finetune(args: string[], env: NodeJS.ProcessEnv = {}): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await run(process.execPath, ['--import', 'tsx', 'cli/finetune.ts', ...args], {
      env: { ...process.env, ...env },
      maxBuffer: 16 * 1024 * 1024,
    });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const e = error as { code: number; stdout: string; stderr: string };
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
}

test('the command line trains both stages, prints the recipe log, skips bad files and writes a loadable model', async ({ dataRoot }) => {
  const dataset = join(dataRoot, 'cli');
  const out = join(dataRoot, 'cli-out');
  await sampleSubset(dataset, ['daisy', 'rose'], 5);
  const jpeg = await readFile(join(SAMPLE, 'daisy/daisy_010.jpg'));
  await writeFiles(dataset, {
    'daisy/empty.jpg': new Uint8Array(0),
    'daisy/truncated.jpg': jpeg.subarray(0, 900),
    'rose/notes.png': 'not a picture',
    'rose/readme.txt': 'ignored: not an image extension',
  });
  const result = await finetune(['--dataset', dataset, '--model', out, '--size', '32', '--head-epochs', '2', '--finetune-epochs', '1', '--batch', '4', '--export', 'onnx,keras-h5']);
  expect(result.code, result.stderr).toBe(0);
  const log = result.stdout;
  expect(log).toContain('[INFO] processed 13/13');
  expect(log).toMatch(/\[INFO\] backend: \w+ \(/);
  expect(result.stderr).toContain('[WARN] base: VGG16, NOT pretrained: seeded random weights (seed 42)');
  expect(result.stderr).toContain('[WARN] skipped rose/readme.txt: not an image file');
  expect(result.stderr).toContain('[WARN] skipped daisy/empty.jpg: is empty (0 bytes)');
  expect(result.stderr).toMatch(/\[WARN\] skipped daisy\/truncated.jpg: could not be decoded/);
  expect(result.stderr).toMatch(/\[WARN\] skipped rose\/notes.png: could not be decoded/);
  expect(log).toContain('[INFO] split: 6 train / 2 validation / 2 test (stratified); 4 file(s) skipped');
  expect(log).toMatch(/\[INFO\] stage 1: lr \de-\d chosen \(tried 1e-3: \d\.\d{4}, .*; val_loss on 2 validation images, lower by more than its standard error to count, 2 epochs each on 6 images, \d+s\)/);
  // Keras' epoch lines one after another: checkpoints are written (see the resume test) but said only with --verbose.
  expect(log).toMatch(/\[INFO\] training head\.\.\.[\s\S]*Epoch 1\/2\n\d+s - loss: \d\.\d{4} - acc: \d\.\d{4} - val_loss: \d\.\d{4} - val_acc: \d\.\d{4}\n\[INFO\] memory after epoch 1: \d+ tensors, \d+\.\d MB; images and cached outputs \d+\.\d MB\nEpoch 2\/2/);
  expect(log).not.toContain('[INFO] checkpoint:');
  // The backend in one line, its long reasons left to --verbose.
  expect(log.split('\n').filter((l) => l.includes('backend:')).every((l) => l.length < 320)).toBe(true);
  expect(log).toMatch(/\[INFO\] evaluating after initialization\.\.\.\n +precision +recall +f1-score +support\n\n +daisy +\d\.\d\d/);
  expect(log).toMatch(/\[INFO\] fine-tuning model\.\.\.[\s\S]*Epoch 1\/1[\s\S]*\[INFO\] evaluating after fine-tuning\.\.\.\n +precision[\s\S]* +rose +\d\.\d\d/);
  expect(log.indexOf('[INFO] serializing model...')).toBeGreaterThan(log.indexOf('evaluating after fine-tuning'));

  const modelJson = JSON.parse(await readFile(join(out, 'model.json'), 'utf8')) as tf.io.ModelJSON;
  const weights = await readFile(join(out, 'weights.bin'));
  expect(modelJson.userDefinedMetadata).toMatchObject({ classes: ['daisy', 'rose'], inputSize: 32, preprocessing: 'unit' });
  tf.env().set('PROD', true);
  await tf.setBackend('cpu');
  const model = await tf.loadLayersModel(
    tf.io.fromMemory({
      modelTopology: modelJson.modelTopology,
      weightSpecs: modelJson.weightsManifest[0]!.weights,
      weightData: weights.buffer.slice(weights.byteOffset, weights.byteOffset + weights.byteLength),
    }),
  );
  const probabilities = tf.tidy(() => (model.predict(tf.randomUniform([1, 32, 32, 3])) as tf.Tensor).dataSync());
  expect(probabilities).toHaveLength(2);
  expect(probabilities[0]! + probabilities[1]!).toBeCloseTo(1, 5);

  // The ONNX file, run by ONNX Runtime on 20 images of raw pixels, gives what TF.js gives on them preprocessed.
  expect(log).toMatch(/\[INFO\] wrote .*cli-out\/model\.onnx \(\d+\.\d MB\): ONNX opset 17: RGB pixels 0-255 in, class probabilities out, preprocessing inside\n/);
  expect(log).toMatch(/\[INFO\] wrote .*cli-out\/weights\.h5 \(\d+\.\d MB\): Keras weights/);
  const pixels = Float32Array.from({ length: 20 * 32 * 32 * 3 }, (_, i) => (i * 7919) % 256);
  const expected = tf.tidy(() => (model.predict(tf.div(tf.tensor4d(pixels, [20, 32, 32, 3]), 255)) as tf.Tensor).dataSync());
  const session = await ort.InferenceSession.create(await readFile(join(out, 'model.onnx')));
  const got = (await session.run({ pixels: new ort.Tensor('float32', pixels, [20, 32, 32, 3]) }))['probabilities']!.data as Float32Array;
  expect(Math.max(...Array.from(expected, (p, i) => Math.abs(p - got[i]!)))).toBeLessThan(1e-4);
  await session.release();
  model.dispose();

  const report = JSON.parse(await readFile(join(out, 'report.json'), 'utf8'));
  expect(report.classes).toEqual(['daisy', 'rose']);
  expect(report.stages.map((s: { stage: number }) => s.stage)).toEqual([1, 2]);
  expect(report.skipped).toHaveLength(4);
  expect(report.stages[1].report.total).toBe(2);

  // The model it wrote is a base too, cut at any layer: its preprocessing comes from its metadata, and
  // the new head's names step aside from the ones the base already has.
  const again = await finetune(['--dataset', dataset, '--model', join(dataRoot, 'cli-again'), '--weights', `${out}/model.json#flatten`, '--head-epochs', '1', '--finetune-epochs', '1', '--batch', '4']);
  expect(again.code, again.stderr).toBe(0);
  expect(again.stdout).toMatch(/\[INFO\] base: a model exported by finetune-trainer from http:\/\/127\.0\.0\.1:\d+\/weights\/model\.json, cut at flatten \(sha256 [0-9a-f]{12}\)/);
  expect(again.stdout).toContain("[INFO] stage 2 unfreezes from block5_conv1, VGG16's block 5 as in the recipe");
  expect(again.stdout).toContain('[INFO] preprocessing: unit (pixels / 255, as in the recipe)');
  const rebased = JSON.parse(await readFile(join(dataRoot, 'cli-again', 'model.json'), 'utf8')) as { modelTopology: { config: { layers: { config: { name: string } }[] } } };
  expect(rebased.modelTopology.config.layers.map((l) => l.config.name).slice(-5)).toEqual(['flatten', 'flatten_2', 'head_fc', 'head_dropout', 'head_predictions']);
});

test('a dataset that cannot train stops with a message naming the folder, writing nothing', async ({ dataRoot }) => {
  const out = join(dataRoot, 'never-written');
  const oneClass = join(dataRoot, 'one-class');
  await sampleSubset(oneClass, ['daisy'], 2);
  const withEmpty = join(dataRoot, 'with-empty');
  await sampleSubset(withEmpty, ['daisy', 'rose'], 2);
  await mkdir(join(withEmpty, 'tulip'));
  const empty = join(dataRoot, 'empty');
  await mkdir(empty);
  const cases: [string, RegExp][] = [
    [oneClass, /error: one-class has only one class folder \('daisy'\): a classifier needs at least two/],
    [withEmpty, /error: class folder 'with-empty\/tulip' holds no usable images: add images or remove the folder/],
    [empty, /error: no images found in empty/],
    [join(dataRoot, 'missing'), /error: dataset folder .*missing does not exist/],
  ];
  for (const [dir, message] of cases) {
    const result = await finetune(['--dataset', dir, '--model', out]);
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(message);
  }
  expect(existsSync(out)).toBe(false);
});

test('a missing browser and bad flags get a clear way out', async ({ dataRoot }) => {
  const dataset = join(dataRoot, 'flags');
  await sampleSubset(dataset, ['daisy', 'rose'], 2);
  const noChrome = await finetune(['--dataset', dataset, '--model', join(dataRoot, 'flags-out')], { CHROME_PATH: '/nowhere/chrome' });
  expect(noChrome.code).toBe(1);
  expect(noChrome.stderr).toContain('CHROME_PATH is set to /nowhere/chrome, but no file is there');
  const badFlag = await finetune(['--batch', '0']);
  expect(badFlag.code).toBe(2);
  // One line that says what is wrong and where to look, not the whole help after it.
  // In the flag's name, not the setting's.
  expect(badFlag.stderr).toBe('error: --batch must be an integer from 1 to 4096, got 0 (see --help)\n');
  const help = await finetune(['--help']);
  expect(help.code).toBe(0);
  expect(help.stdout).toContain('--finetune-epochs N');
  // `npm run finetune -- --help` answers without building the app (dist/ untouched).
  const built = (await stat(join('dist', 'index.html'))).mtimeMs;
  const npmHelp = await run('npm', ['run', 'finetune', '--silent', '--', '--help']);
  expect(npmHelp.stdout).toMatch(/^Usage: npx finetune-trainer --dataset DIR \[--model OUT\]/);
  expect((await stat(join('dist', 'index.html'))).mtimeMs).toBe(built);
});

test('--resume continues a killed command-line run to the weights of an uninterrupted one', async ({ dataRoot }) => {
  const dataset = join(dataRoot, 'cli-resume');
  await sampleSubset(dataset, ['daisy', 'rose'], 8);
  // --verbose: the kill below counts the checkpoint lines it prints.
  const flags = (out: string): string[] => ['--dataset', dataset, '--model', out, '--size', '32', '--head-epochs', '3', '--finetune-epochs', '2', '--batch', '4', '--backend', 'wasm', '--checkpoint-every', '1', '--verbose'];
  const whole = join(dataRoot, 'cli-whole');
  expect((await finetune(flags(whole))).code).toBe(0);

  // Killed (the command line and its browser, at once) after a random checkpoint of stage 1 or 2: 10
  // training images (2 validate) make 2 batches an epoch, so 5 checkpoints in stage 1 and its end, then
  // 3 in stage 2 and the finished run's; the kill comes after one of the first 8.
  const interrupted = join(dataRoot, 'cli-interrupted');
  const stop = 1 + Math.floor(Math.random() * 8);
  test.info().annotations.push({ type: 'killed after checkpoint', description: String(stop) });
  const child = spawn(process.execPath, ['--import', 'tsx', 'cli/finetune.ts', ...flags(interrupted)], { detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
  let seen = 0;
  await new Promise<void>((resolve) => {
    child.stdout.on('data', (chunk: Buffer) => {
      seen += (chunk.toString().match(/^\[INFO\] checkpoint: /gm) ?? []).length;
      if (seen >= stop) {
        process.kill(-child.pid!, 'SIGKILL');
        resolve();
      }
    });
  });
  expect(existsSync(join(interrupted, 'checkpoint.bin'))).toBe(true);
  expect(existsSync(join(interrupted, 'weights.bin'))).toBe(false);

  // The same command with --resume would change the run's settings if its flags differed: refused, the checkpoint kept.
  const checkpoint = await readFile(join(interrupted, 'checkpoint.bin'));
  const sameFlags = await finetune([...flags(interrupted), '--resume']);
  expect(sameFlags.code).toBe(2);
  expect(sameFlags.stderr).toBe(
    "error: --size, --head-epochs, --finetune-epochs, --batch cannot change a run with --resume: it continues with its checkpoint's settings (drop them, or start over with --restart) (see --help)\n",
  );
  expect(Buffer.compare(await readFile(join(interrupted, 'checkpoint.bin')), checkpoint)).toBe(0);

  const resumeFlags = ['--dataset', dataset, '--model', interrupted, '--backend', 'wasm', '--checkpoint-every', '1', '--resume'];
  const resumed = await finetune(resumeFlags);
  expect(resumed.code, resumed.stderr).toBe(0);
  expect(resumed.stdout).toMatch(/\[INFO\] resuming from the output folder: stage [12], epoch \d, batch \d/);
  expect(Buffer.compare(await readFile(join(interrupted, 'weights.bin')), await readFile(join(whole, 'weights.bin')))).toBe(0);
  expect(existsSync(join(interrupted, 'checkpoint.bin'))).toBe(false);
  const again = await finetune(resumeFlags);
  expect(again.code).toBe(1);
  expect(again.stderr).toContain('nothing to resume: no checkpoint in the output folder');
});

test('--mode features with Keras weights: the log names the base and its preprocessing, then a report and a model', async ({ dataRoot }) => {
  const h5 = join(dataRoot, 'cli-weights', 'vgg16.h5');
  await writeKerasVgg16(h5, { layout: 'flat', seed: 11 });
  const out = join(dataRoot, 'cli-features');
  const result = await finetune(['--mode', 'features', '--weights', h5, '--model', out]); // the bundled sample
  expect(result.code, result.stderr).toBe(0);
  expect(result.stdout).toMatch(/\[INFO\] base: VGG16 with Keras weights from http:\/\/127\.0\.0\.1:\d+\/weights\/vgg16\.h5 \(56\.1 MB, sha256 [0-9a-f]{12}\)/);
  expect(result.stdout).toContain('[INFO] preprocessing: caffe (RGB to BGR, ImageNet mean subtracted, 0-255 scale)');
  expect(result.stdout).toMatch(/\[INFO\] logistic regression on 512 pooled features, fitted in [\d.]+s; evaluating\.\.\.\n +precision +recall +f1-score +support\n\n +bluebell/);
  expect(result.stdout).not.toContain('training head');
  const json = JSON.parse(await readFile(join(out, 'model.json'), 'utf8')) as tf.io.ModelJSON;
  const layers = (json.modelTopology as { config: { layers: { name: string }[] } }).config.layers.map((l) => l.name);
  expect(layers.slice(-3)).toEqual(['block5_pool', 'pool', 'logistic']);
  expect(json.userDefinedMetadata).toMatchObject({ classes: ['bluebell', 'daisy', 'rose', 'sunflower'], preprocessing: 'caffe' });

  // A remote .h5 is downloaded once on this side, with progress, into the user's cache.
  const home = join(dataRoot, 'home');
  const remote = createServer((_, res) => void readFile(h5).then((bytes) => res.writeHead(200, { 'Content-Length': bytes.length }).end(bytes)));
  await new Promise<void>((ready) => remote.listen(0, '127.0.0.1', ready));
  try {
    const url = `http://127.0.0.1:${(remote.address() as AddressInfo).port}/models/vgg16.h5`;
    const small = join(dataRoot, 'cli-remote');
    await sampleSubset(small, ['daisy', 'rose'], 3);
    const fetched = await finetune(['--mode', 'features', '--weights', url, '--dataset', small, '--model', join(dataRoot, 'cli-remote-out')], { HOME: home });
    expect(fetched.code, fetched.stderr).toBe(0);
    expect(fetched.stdout).toMatch(new RegExp(`\\[INFO\\] downloading ${url} to ${home}/\\.cache/finetune-trainer/[0-9a-f]{12}-vgg16\\.h5\\.\\.\\.`));
    expect(fetched.stderr).toContain('vgg16.h5: 56.1 MB of 56.1 MB (100%)');
  } finally {
    await new Promise<void>((done) => remote.close(() => done()));
  }
});
