import { randomUUID } from 'node:crypto';
import { createReadStream, createWriteStream, type ReadStream } from 'node:fs';
import { lstat, mkdir, rename, rm, stat } from 'node:fs/promises';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { extname, join, resolve, sep } from 'node:path';
import { Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { DATASET_ROUTE } from './dataset-dir';

// The local server of the command line (and of `npm start`): it binds 127.0.0.1, answers only requests
// whose Host is its own address (a page elsewhere that rebinds its name to 127.0.0.1 gets 403s), and, for
// a run, serves only the files that run needs and accepts only its output files, to the runner page alone:
// the page's first visit carries a random per-run token, which the server answers with an HttpOnly cookie
// that every later request of the page and its worker must bring.

export const OUTPUT_ROUTE = '/output/';
export const CHECKPOINT_FILE = 'checkpoint.bin';
export const WEIGHTS_ROUTE = '/weights/';
/** The only files the page may write into the output folder (and, for the checkpoint, read back). */
const OUTPUT_FILES = new Set(['model.json', 'weights.bin', CHECKPOINT_FILE]);
/** The largest file a PUT may write, and how many may be written at once (a checkpoint and the model). */
export const MAX_UPLOAD_BYTES = 2 ** 31;
export const MAX_CONCURRENT_UPLOADS = 2;
const TOKEN_COOKIE = 'finetune-run';

const MIME: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.json': 'application/json',
  '.wasm': 'application/wasm',
  '.css': 'text/css',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.jpg': 'image/jpeg',
  '.jpeg': 'image/jpeg',
  '.webp': 'image/webp',
  '.bmp': 'image/bmp',
  '.gif': 'image/gif',
  '.h5': 'application/octet-stream',
  '.bin': 'application/octet-stream',
  '.webmanifest': 'application/manifest+json',
};

export interface ServeOptions {
  /** The built app (dist/). */
  appDir: string;
  /** A run's files, read-only, by URL path (`/dataset/daisy/1.jpg`, `/weights/model.json`): nothing else is served from outside the app. */
  files?: ReadonlyMap<string, string>;
  /** Every regular, non-hidden file below this folder under /dataset/, links not followed (tests and benchmarks that write files as they go). */
  datasetDir?: string;
  /** PUT /output/model.json, weights.bin and checkpoint.bin land here. */
  outputDir?: string;
  /** When set, the run's routes (/dataset/, /weights/, /output/) answer only the page that visited with `?token=` first. */
  token?: string;
  /** 0 (default): any free port. */
  port?: number;
}

export interface LocalServer {
  url: string;
  close(): Promise<void>;
}

/** Resolves a URL path inside `root`, or null when it would escape it. */
export function safeJoin(root: string, urlPath: string): string | null {
  let decoded: string;
  try {
    decoded = decodeURIComponent(urlPath);
  } catch {
    return null;
  }
  if (decoded.includes('\0')) return null;
  const base = resolve(root);
  const full = resolve(base, `.${sep}${decoded}`);
  return full === base || full.startsWith(base + sep) ? full : null;
}

/**
 * The policy of every response, the worker's script included (a page's <meta> policy does not reach a
 * worker): scripts from this origin only (and blob: ones it makes: the wasm backend's thread workers load
 * their script from one) and no eval (WebAssembly may compile); fetches to this origin, and to a weights
 * URL the user sets (any https host, or another port of this machine).
 */
export const CONTENT_SECURITY_POLICY = [
  "default-src 'self'",
  "script-src 'self' blob: 'wasm-unsafe-eval'",
  "worker-src 'self' blob:",
  "style-src 'self' 'unsafe-inline'",
  "img-src 'self' blob: data:",
  "connect-src 'self' blob: data: https: http://127.0.0.1:* http://localhost:*",
  "font-src 'self'",
  "object-src 'none'",
  "base-uri 'self'",
  "form-action 'none'",
].join('; ');

function refuse(res: ServerResponse, status: number, message: string): void {
  if (res.headersSent) {
    res.destroy();
    return;
  }
  // A refused request's body is never read: the connection closes after the answer instead of reading it as the next request.
  if (res.req.method !== 'GET' && res.req.method !== 'HEAD') res.shouldKeepAlive = false;
  res.writeHead(status, { 'Content-Type': 'text/plain; charset=utf-8' }).end(message);
}

/** Streams a regular file; a read that fails midway (an unreadable file) ends the response, never the server. */
export async function serveFile(res: ServerResponse, path: string | null, open: (path: string) => ReadStream = createReadStream): Promise<void> {
  const info = path ? await stat(path).catch(() => null) : null;
  if (!path || !info?.isFile()) {
    refuse(res, 404, 'not found');
    return;
  }
  const stream = open(path);
  const opened = await new Promise<Error | null>((ready) => {
    stream.once('open', () => ready(null));
    stream.once('error', ready);
  });
  if (opened) {
    refuse(res, 403, `cannot be read (${(opened as NodeJS.ErrnoException).code ?? 'error'})`);
    return;
  }
  res.writeHead(200, { 'Content-Type': MIME[extname(path).toLowerCase()] ?? 'application/octet-stream', 'Content-Length': info.size });
  await pipeline(stream, res).catch((error: NodeJS.ErrnoException) => {
    process.stderr.write(`[server] reading a file failed midway (${error.code ?? error.message})\n`);
    res.destroy();
  });
}

/** A file below a folder served whole: regular, not hidden, reached through no link. */
async function folderFile(root: string, urlPath: string): Promise<string | null> {
  const path = safeJoin(root, urlPath);
  if (!path || path.slice(resolve(root).length).split(sep).some((s) => s.startsWith('.'))) return null;
  let at = resolve(root);
  for (const segment of path.slice(at.length + 1).split(sep)) {
    at = join(at, segment);
    if ((await lstat(at).catch(() => null))?.isSymbolicLink() !== false) return null;
  }
  return path;
}

const WRITE_ERRORS: Record<string, string> = {
  ENOSPC: 'no space left on the device',
  EDQUOT: 'the disk quota is used up',
  EROFS: 'the output folder is on a read-only file system',
  EACCES: 'the output folder is not writable',
  EPERM: 'the output folder is not writable',
  ENOTDIR: 'the output path is not a folder',
};

interface Uploads {
  active: number;
}

/** PUT /output/<name>: streamed to a partial file of its own, renamed into place when whole; bounded in size and count. */
async function receive(options: ServeOptions & { outputDir: string }, uploads: Uploads, name: string, req: IncomingMessage, res: ServerResponse): Promise<void> {
  if (!OUTPUT_FILES.has(name)) return refuse(res, 403, `only ${[...OUTPUT_FILES].join(', ')} may be written`);
  const declared = Number(req.headers['content-length']);
  if (!Number.isFinite(declared)) return refuse(res, 411, 'a Content-Length is required');
  if (declared > MAX_UPLOAD_BYTES) return refuse(res, 413, `${name} would take ${declared} bytes; at most ${MAX_UPLOAD_BYTES} may be written`);
  if (uploads.active >= MAX_CONCURRENT_UPLOADS) return refuse(res, 503, `${MAX_CONCURRENT_UPLOADS} files are being written already: try again`);
  uploads.active++;
  const target = join(options.outputDir, name);
  const partial = join(options.outputDir, `.${name}.${randomUUID()}.partial`);
  try {
    await mkdir(options.outputDir, { recursive: true });
    let received = 0;
    const counted = new Transform({
      transform(chunk: Buffer, _encoding, done) {
        received += chunk.length;
        done(received > declared ? new Error(`more bytes than the declared ${declared}`) : null, chunk);
      },
    });
    await pipeline(req, counted, createWriteStream(partial, { flags: 'wx' }));
    if (received !== declared) throw new Error(`${received} of ${declared} bytes arrived`);
    await rename(partial, target);
    res.writeHead(204).end();
  } catch (error) {
    await rm(partial, { force: true }).catch(() => undefined);
    const code = (error as NodeJS.ErrnoException).code ?? '';
    const why = WRITE_ERRORS[code] ?? (error as Error).message;
    refuse(res, code === 'ENOSPC' || code === 'EDQUOT' ? 507 : 500, `${name} was not written (${why}${code ? `, ${code}` : ''}); the previous ${name}, if any, is kept`);
  } finally {
    uploads.active--;
  }
}

function cookieOf(req: IncomingMessage, name: string): string | null {
  for (const part of (req.headers.cookie ?? '').split(';')) {
    const [key, ...value] = part.trim().split('=');
    if (key === name) return value.join('=');
  }
  return null;
}

async function handle(options: ServeOptions, hosts: Set<string>, uploads: Uploads, req: IncomingMessage, res: ServerResponse): Promise<void> {
  res.setHeader('Content-Security-Policy', CONTENT_SECURITY_POLICY);
  // Cross-origin isolation lets the wasm backend use threads (SharedArrayBuffer).
  res.setHeader('Cross-Origin-Opener-Policy', 'same-origin');
  res.setHeader('Cross-Origin-Embedder-Policy', 'require-corp');
  res.setHeader('Cross-Origin-Resource-Policy', 'same-origin');
  res.setHeader('X-Content-Type-Options', 'nosniff');
  res.setHeader('Referrer-Policy', 'no-referrer');
  res.setHeader('Cache-Control', 'no-store');
  if (!hosts.has(req.headers.host ?? '')) return refuse(res, 403, `this server answers only http://${[...hosts][0]}/`);
  const url = new URL(req.url ?? '/', 'http://127.0.0.1');
  const path = url.pathname;
  const tokenGiven = url.searchParams.get('token');
  if (options.token && tokenGiven === options.token) res.setHeader('Set-Cookie', `${TOKEN_COOKIE}=${options.token}; Path=/; HttpOnly; SameSite=Strict`);
  const runRoute = [DATASET_ROUTE, WEIGHTS_ROUTE, OUTPUT_ROUTE].some((route) => path.startsWith(route));
  if (runRoute && options.token && cookieOf(req, TOKEN_COOKIE) !== options.token) return refuse(res, 403, 'this run answers only its own page');
  if (req.method === 'PUT' && path.startsWith(OUTPUT_ROUTE) && options.outputDir) {
    return receive({ ...options, outputDir: options.outputDir }, uploads, path.slice(OUTPUT_ROUTE.length), req, res);
  }
  if (req.method !== 'GET' && req.method !== 'HEAD') return refuse(res, 405, 'method not allowed');
  if (path === OUTPUT_ROUTE + CHECKPOINT_FILE && options.outputDir) return serveFile(res, join(options.outputDir, CHECKPOINT_FILE));
  const listed = options.files?.get(path);
  if (listed) return serveFile(res, listed);
  if (path.startsWith(DATASET_ROUTE) && options.datasetDir) return serveFile(res, await folderFile(options.datasetDir, path.slice(DATASET_ROUTE.length)));
  if (runRoute) return refuse(res, 404, 'not found');
  return serveFile(res, safeJoin(options.appDir, path === '/' ? 'index.html' : path.slice(1)));
}

/** Serves the app and a run's files and output on 127.0.0.1 only, on a free port (or the given one). */
export async function startServer(options: ServeOptions): Promise<LocalServer> {
  const hosts = new Set<string>();
  const uploads: Uploads = { active: 0 };
  const server = createServer((req, res) => {
    handle(options, hosts, uploads, req, res).catch((error: Error) => {
      process.stderr.write(`[server] ${req.method} ${new URL(req.url ?? '/', 'http://127.0.0.1').pathname} failed: ${error.message}\n`);
      refuse(res, 500, 'the request failed');
    });
  });
  await new Promise<void>((ready, fail) => {
    server.once('error', fail);
    server.listen(options.port ?? 0, '127.0.0.1', ready);
  });
  const { port } = server.address() as AddressInfo;
  hosts.add(`127.0.0.1:${port}`).add(`localhost:${port}`);
  return {
    url: `http://127.0.0.1:${port}`,
    close: () =>
      new Promise<void>((done) => {
        server.closeAllConnections();
        server.close(() => done());
      }),
  };
}
