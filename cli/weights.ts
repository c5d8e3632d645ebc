// --weights for the command line: files on this machine are served to the browser from 127.0.0.1, and
// remote .h5 files are downloaded here first (into Keras' own cache for its VGG16 file, so a file Keras
// already fetched is reused), with progress on the terminal.
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { homedir } from 'node:os';
import { basename, dirname, join, resolve } from 'node:path';
import { download, type Expected } from '../src/data/download';
import { WeightsError } from '../src/errors';
import { KERAS_VGG16_NOTOP } from '../src/model/backbones/vgg16';
import { parseWeights } from '../src/model/base-source';
import { safeJoin, WEIGHTS_ROUTE } from './server';
import { formatMB } from '../src/units';

export interface LocalWeights {
  /** The `weights` setting the browser gets, relative to the local server ('random' or a /weights/ path). */
  setting: (serverUrl: string) => string;
  /** The files served under /weights/ (URL path to file): the weights file, or model.json and the shards it lists; nothing else of their folder. */
  files: Map<string, string>;
}

const route = (name: string): string => `${WEIGHTS_ROUTE}${name.split('/').map(encodeURIComponent).join('/')}`;

/** model.json and each weights file its manifest lists, which must lie in its folder. */
async function tfjsFiles(file: string, given: string): Promise<Map<string, string>> {
  let json: { weightsManifest?: { paths?: string[] }[] };
  try {
    json = JSON.parse(await readFile(file, 'utf8')) as typeof json;
  } catch (error) {
    throw new WeightsError(`--weights ${given}: ${file} is not a readable model.json (${(error as Error).message})`);
  }
  const files = new Map([[route(basename(file)), file]]);
  for (const shard of (json.weightsManifest ?? []).flatMap((group) => group.paths ?? [])) {
    const path = safeJoin(dirname(file), shard);
    if (!path) throw new WeightsError(`--weights ${given}: its manifest names ${shard}, outside the model's folder`);
    if (!existsSync(path)) throw new WeightsError(`--weights ${given}: its manifest names ${shard}, which is missing`);
    files.set(route(shard), path);
  }
  return files;
}

const isRemote = (value: string): boolean => /^https?:\/\//i.test(value);

function printProgress(label: string): (loaded: number, total: number | null) => void {
  let lastShown = -1;
  return (loaded, total) => {
    const percent = total ? Math.floor((loaded / total) * 100) : -1;
    const line = `  ${label}: ${formatMB(loaded)}${total ? ` of ${formatMB(total)} (${percent}%)` : ''}`;
    if (process.stderr.isTTY) process.stderr.write(`\r\x1b[2K${line}${loaded === total ? '\n' : ''}`);
    else if (percent >= lastShown + 10 || loaded === total) {
      lastShown = percent;
      process.stderr.write(`${line}\n`);
    }
  };
}

/** Downloads `url` to `file` (written aside, then renamed), unless it is already there. */
async function fetchInto(url: string, file: string, expected?: Expected): Promise<void> {
  if (existsSync(file)) {
    console.log(`[INFO] using ${file} (already downloaded)`);
    return;
  }
  console.log(`[INFO] downloading ${url} to ${file}...`);
  const got = await download(url, { expected, onProgress: printProgress(basename(file)) });
  await mkdir(dirname(file), { recursive: true });
  await writeFile(`${file}.partial`, new Uint8Array(await got.blob.arrayBuffer()));
  await rename(`${file}.partial`, file);
}

export async function resolveLocalWeights(weights: string, cwd: string): Promise<LocalWeights> {
  const source = parseWeights(weights);
  const served = (file: string, files = new Map([[route(basename(file)), file]]), suffix = ''): LocalWeights => ({
    files,
    setting: (serverUrl) => `${serverUrl}${route(basename(file))}${suffix}`,
  });
  switch (source.kind) {
    case 'random':
      return { setting: () => 'random', files: new Map() };
    case 'cached':
      throw new WeightsError('cached:<sha256> names a file picked in the browser app; give the command line the file itself');
    case 'keras-h5': {
      if (!isRemote(source.url)) {
        const file = resolve(cwd, source.url);
        if (!existsSync(file)) throw new WeightsError(`--weights ${source.url}: no such file (${file})`);
        return served(file);
      }
      const file =
        source.url === KERAS_VGG16_NOTOP.url
          ? join(homedir(), '.keras', 'models', KERAS_VGG16_NOTOP.fileName)
          : join(homedir(), '.cache', 'finetune-trainer', `${createHash('sha1').update(source.url).digest('hex').slice(0, 12)}-${basename(new URL(source.url).pathname)}`);
      await fetchInto(source.url, file, source.expected);
      return served(file);
    }
    case 'tfjs': {
      if (isRemote(source.url)) return { setting: () => weights, files: new Map() }; // the browser fetches it (the host must allow CORS)
      const file = resolve(cwd, source.url);
      if (!existsSync(file)) throw new WeightsError(`--weights ${source.url}: no such file (${file})`);
      return served(file, await tfjsFiles(file, source.url), `#${source.layer}`);
    }
  }
}
