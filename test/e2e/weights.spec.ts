import { readFile, writeFile } from 'node:fs/promises';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import type { TrainConfigInput } from '../../src/config';
import { writeKerasVgg16 } from '../fixtures/keras-h5';
import { fingerprintOf, writeTfjsModel } from '../fixtures/tfjs-model';
import { changedLayers, expect, importProject, inputFor, sampleSubset, test } from './fixtures';

// 6 training images in batches of 2: the head's classifier starts at zero, so it takes a second step for
// the layers below it to move.
const SMALL: TrainConfigInput = { inputSize: 32, batchSize: 2, backend: 'wasm', head: { epochs: 1 }, finetune: { epochs: 1 } };

test('Keras .h5 weights by URL load exactly, train, are cached, and load again with no request, offline too', async ({ runner, server, dataRoot }) => {
  const written = await writeKerasVgg16(join(dataRoot, 'files', 'vgg16_notop.h5'), { layout: 'flat', seed: 7 });
  await sampleSubset(join(dataRoot, 'h5-data'), ['daisy', 'rose'], 4);
  const url = `${server.url}/dataset/files/vgg16_notop.h5`;
  const projectId = await importProject(runner, dataRoot, 'h5-data', { ...SMALL, weights: url });
  const requests: string[] = [];
  runner.page.context().on('request', (r) => requests.push(r.url()));

  const prepared = await runner.open({ projectId });
  expect(prepared.base.label).toContain(`VGG16 with Keras weights from ${url}`);
  expect(prepared.config.preprocessing).toBe('caffe');
  const events = await runner.events();
  expect(events.filter((e) => e.type === 'download').at(-1)).toMatchObject({ loaded: 58_873_088, total: 58_873_088 });
  const loaded = await runner.fingerprints();
  for (const layer of loaded.filter((l) => written.has(l.name))) expect(layer.hash, layer.name).toBe(fingerprintOf(written.get(layer.name)!));
  expect(loaded.filter((l) => written.has(l.name))).toHaveLength(13);
  await runner.trainStage(1);
  expect(changedLayers(loaded, await runner.fingerprints())).toEqual([20, 22]);
  expect(await runner.page.evaluate(() => window.finetune.api.listBases())).toEqual([
    expect.objectContaining({ key: url, kind: 'keras-h5', bytes: 58_873_088, files: ['vgg16_notop.h5'] }),
  ]);
  await runner.close();
  expect(requests.filter((r) => r.endsWith('.h5'))).toEqual([url]);

  await runner.page.context().setOffline(true);
  const again = await runner.open({ projectId });
  expect(again.base.identity).toBe(prepared.base.identity);
  expect((await runner.fingerprints()).map((f) => f.hash)).toEqual(loaded.map((f) => f.hash));
  expect(requests.filter((r) => r.endsWith('.h5'))).toEqual([url]);
  const info = (await runner.events()).filter((e) => e.type === 'info').map((e) => (e.type === 'info' ? e.message : ''));
  expect(info).toContain(`using the cached copy of ${url} (56.1 MB): no download`);
});

test('bad weights get a clear error each, and nothing half-written is cached', async ({ runner, server, dataRoot }) => {
  await sampleSubset(join(dataRoot, 'bad-weights'), ['daisy', 'rose'], 2);
  const files = join(dataRoot, 'files');
  await writeKerasVgg16(join(files, 'wrong-shape.h5'), { layout: 'nested', corrupt: { layer: 'block4_conv1', shape: [3, 3, 256, 256] } });
  await writeKerasVgg16(join(files, 'no-block5.h5'), { layout: 'flat', omit: 'block5_conv3' });
  const whole = await readFile(join(files, 'no-block5.h5'));
  await writeFile(join(files, 'truncated.h5'), whole.subarray(0, whole.length / 2));
  await writeFile(join(files, 'not-hdf5.h5'), 'this is a text file');
  // A server that drops the connection half-way through (and allows the page's origin to read it).
  const dropping = createServer((_, res) => {
    res.writeHead(200, { 'Content-Length': whole.length, 'Access-Control-Allow-Origin': '*' });
    res.write(whole.subarray(0, 1_000_000), () => res.destroy());
  });
  await new Promise<void>((ready) => dropping.listen(0, '127.0.0.1', ready));
  const dropped = `http://127.0.0.1:${(dropping.address() as AddressInfo).port}/vgg16.h5`;
  const at = (name: string): string => `${server.url}/dataset/files/${name}`;
  const cases: [string, RegExp][] = [
    [at('wrong-shape.h5'), /^layer block4_conv1: kernel expects shape \[3, 3, 256, 512\], .*wrong-shape.h5 has \[3, 3, 256, 256\] \(block4_conv1\/kernel:0\)$/],
    [at('no-block5.h5'), /no-block5.h5 has no weights for layer block5_conv3 \(it has: block1_conv1, /],
    [at('truncated.h5'), /truncated.h5 could not be (opened|read): a truncated or corrupt HDF5 file/],
    [at('not-hdf5.h5'), /not-hdf5.h5 is not an HDF5 file \(19 bytes, no HDF5 signature\)/],
    [at('missing.h5'), /^could not download .*missing.h5: HTTP 404/],
    // The reset can overtake the last chunk sent: the browser may see less than the 1 MB written.
    [dropped, /^the download of .*vgg16.h5 broke off after (0\.\d|1\.0) MB of 47.1 MB: /],
  ];
  try {
    for (const [weights, message] of cases) {
      const error = await runner.openError(await inputFor(dataRoot, 'bad-weights', { ...SMALL, weights }));
      expect(error?.name, weights).toBe('WeightsError');
      expect(error?.message, weights).toMatch(message);
    }
  } finally {
    await new Promise<void>((done) => dropping.close(() => done()));
  }
  expect(await runner.page.evaluate(() => window.finetune.api.listBases())).toEqual([]);
});

test('a TF.js layers model cut at a layer is a base: its weights load, stage 2 trains from the named layer', async ({ runner, server, dataRoot }) => {
  const written = await writeTfjsModel(join(dataRoot, 'files', 'tiny-tfjs'));
  await sampleSubset(join(dataRoot, 'tfjs-data'), ['daisy', 'rose'], 4);
  const weights = `${server.url}/dataset/files/tiny-tfjs/model.json#gap`;
  const unknown = await runner.openError(await inputFor(dataRoot, 'tfjs-data', { ...SMALL, weights }));
  expect(unknown).toEqual({ name: 'ConfigError', message: expect.stringMatching(/is not a backbone this tool knows: say which preprocessing it expects/) });

  const prepared = await runner.open(await inputFor(dataRoot, 'tfjs-data', { ...SMALL, weights, preprocessing: 'tf', unfreezeFrom: 'conv_b' }));
  expect(prepared.layers.map((l) => l.name)).toEqual(['image', 'conv_a', 'pool_a', 'conv_b', 'gap', 'flatten', 'head_fc', 'head_dropout', 'head_predictions']);
  expect(prepared.config).toMatchObject({ preprocessing: 'tf', unfreezeFrom: 'conv_b', inputSize: 32 });
  const loaded = await runner.fingerprints();
  expect(loaded[1]!.hash).toBe(fingerprintOf(written.get('conv_a')!));
  expect(loaded[3]!.hash).toBe(fingerprintOf(written.get('conv_b')!));
  await runner.trainStage(1);
  const afterHead = await runner.fingerprints();
  expect(changedLayers(loaded, afterHead)).toEqual([6, 8]);
  await runner.trainStage(2);
  expect(changedLayers(afterHead, await runner.fingerprints())).toEqual([3, 6, 8]);
  expect(await runner.page.evaluate(() => window.finetune.api.listBases().then((b) => b.map((x) => [x.kind, x.files])))).toEqual([
    ['tfjs', ['model.json', 'group1-shard1of1.bin']],
  ]);

  // Unfreezing from layer 0 trains every layer in stage 2: nothing is frozen, so nothing is cached. (A
  // longer stage 1 first: a head that has barely left its zero start passes conv_a too little to move it.)
  await runner.close();
  await runner.open(await inputFor(dataRoot, 'tfjs-data', { ...SMALL, head: { epochs: 3 }, weights, preprocessing: 'tf', unfreezeFrom: 0 }));
  await runner.trainStage(1);
  const beforeAll = await runner.fingerprints();
  await runner.events();
  await runner.trainStage(2);
  expect(changedLayers(beforeAll, await runner.fingerprints())).toEqual([1, 3, 6, 8]);
  expect((await runner.events()).filter((e) => e.type === 'info' && e.message.startsWith('stage 2: no cache'))).toEqual([
    { type: 'info', message: 'stage 2: no cache (every layer trains: none is frozen): every epoch runs the whole model' },
  ]);
});

test('picked weights files are checked, cached by content, and used by their key', async ({ runner, dataRoot }) => {
  const written = await writeKerasVgg16(join(dataRoot, 'files', 'picked.h5'), { layout: 'nested', seed: 5 });
  await writeTfjsModel(join(dataRoot, 'files', 'picked-tfjs'));
  await writeFile(join(dataRoot, 'files', 'bogus.h5'), 'not weights');
  await sampleSubset(join(dataRoot, 'picked-data'), ['daisy', 'rose'], 2);
  const pick = (names: string[]): Promise<string | { error: string }> =>
    runner.page.evaluate(async (paths) => {
      const files = await Promise.all(paths.map(async (p) => new File([await (await fetch(`/dataset/files/${p}`)).blob()], p.split('/').pop()!)));
      return window.finetune.api.addWeightsFiles(files).catch((e: Error) => ({ error: `${e.name}: ${e.message}` }));
    }, names);

  expect(await pick(['bogus.h5'])).toEqual({ error: 'WeightsError: bogus.h5 is not an HDF5 file (11 bytes, no HDF5 signature)' });
  const h5Key = await pick(['picked.h5']);
  expect(h5Key).toMatch(/^cached:[0-9a-f]{64}$/);
  const tfjsKey = await pick(['picked-tfjs/model.json', 'picked-tfjs/group1-shard1of1.bin']);
  expect(tfjsKey).toMatch(/^cached:[0-9a-f]{64}$/);
  expect((await runner.page.evaluate(() => window.finetune.api.listBases())).map((b) => b.kind).sort()).toEqual(['keras-h5', 'tfjs']);

  const prepared = await runner.open(await inputFor(dataRoot, 'picked-data', { ...SMALL, weights: h5Key as string }));
  expect(prepared.base.label).toContain(`VGG16 with Keras weights from ${h5Key}`);
  expect((await runner.fingerprints())[15]!.hash).toBe(fingerprintOf(written.get('block5_conv1')!));
  const cut = await runner.open(await inputFor(dataRoot, 'picked-data', { ...SMALL, weights: `${tfjsKey}#conv_b`, preprocessing: 'tf', unfreezeFrom: 'conv_b' }));
  expect(cut.layers.map((l) => l.name).slice(0, 5)).toEqual(['image', 'conv_a', 'pool_a', 'conv_b', 'flatten']);
});
