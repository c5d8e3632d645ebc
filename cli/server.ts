import { createReadStream } from 'node:fs';
import { mkdir, rename, stat, writeFile } from 'node:fs/promises';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { extname, join, resolve, sep } from 'node:path';
import { DATASET_ROUTE } from './dataset-dir';

export const OUTPUT_ROUTE = '/output/';
export const CHECKPOINT_FILE = 'checkpoint.bin';
/** The only files the page may write into the output folder (and, for the checkpoint, read back). */
const OUTPUT_FILES = new Set(['model.json', 'weights.bin', CHECKPOINT_FILE]);
const MAX_UPLOAD_BYTES = 2 ** 31;

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
};

export const WEIGHTS_ROUTE = '/weights/';

export interface ServeOptions {
  /** Served read-only under /weights/: the folder of a local weights file or model.json. */
  weightsDir?: string;
  /** The built app (dist/). */
  appDir: string;
  /** Served read-only under /dataset/. */
  datasetDir?: string;
  /** PUT /output/model.json and /output/weights.bin land here. */
  outputDir?: string;
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

async function serveFile(res: ServerResponse, path: string | null): Promise<void> {
  const info = path ? await stat(path).catch(() => null) : null;
  if (!path || !info?.isFile()) {
    res.writeHead(404, { 'Content-Type': 'text/plain' }).end('not found');
    return;
  }
  res.writeHead(200, { 'Content-Type': MIME[extname(path).toLowerCase()] ?? 'application/octet-stream', 'Content-Length': info.size });
  createReadStream(path).pipe(res);
}

async function readBody(req: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > MAX_UPLOAD_BYTES) throw new Error('upload too large');
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks);
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

async function handle(options: ServeOptions, req: IncomingMessage, res: ServerResponse): Promise<void> {
  res.setHeader('Content-Security-Policy', CONTENT_SECURITY_POLICY);
  // Cross-origin isolation lets the wasm backend use threads (SharedArrayBuffer).
  res.setHeader('Cross-Origin-Opener-Policy', 'same-origin');
  res.setHeader('Cross-Origin-Embedder-Policy', 'require-corp');
  res.setHeader('Cross-Origin-Resource-Policy', 'same-origin');
  res.setHeader('Cache-Control', 'no-store');
  const path = new URL(req.url ?? '/', 'http://127.0.0.1').pathname;
  if (req.method === 'PUT' && path.startsWith(OUTPUT_ROUTE) && options.outputDir) {
    const name = path.slice(OUTPUT_ROUTE.length);
    if (!OUTPUT_FILES.has(name)) {
      res.writeHead(403, { 'Content-Type': 'text/plain' }).end(`only ${[...OUTPUT_FILES].join(', ')} may be written`);
      return;
    }
    await mkdir(options.outputDir, { recursive: true });
    // Write aside, then rename: a crash mid-write leaves the previous file whole.
    const target = join(options.outputDir, name);
    const partial = `${target}.partial`;
    await writeFile(partial, await readBody(req));
    await rename(partial, target);
    res.writeHead(204).end();
    return;
  }
  if (req.method !== 'GET' && req.method !== 'HEAD') {
    res.writeHead(405, { 'Content-Type': 'text/plain' }).end('method not allowed');
    return;
  }
  if (path === OUTPUT_ROUTE + CHECKPOINT_FILE && options.outputDir) {
    await serveFile(res, join(options.outputDir, CHECKPOINT_FILE));
    return;
  }
  if (path.startsWith(WEIGHTS_ROUTE) && options.weightsDir) {
    await serveFile(res, safeJoin(options.weightsDir, path.slice(WEIGHTS_ROUTE.length)));
    return;
  }
  if (path.startsWith(DATASET_ROUTE) && options.datasetDir) {
    await serveFile(res, safeJoin(options.datasetDir, path.slice(DATASET_ROUTE.length)));
    return;
  }
  await serveFile(res, safeJoin(options.appDir, path === '/' ? 'index.html' : path.slice(1)));
}

/** Serves the app, a dataset folder and an output folder on 127.0.0.1 only, on a free port. */
export async function startServer(options: ServeOptions): Promise<LocalServer> {
  const server = createServer((req, res) => {
    handle(options, req, res).catch((error: Error) => {
      if (!res.headersSent) res.writeHead(500, { 'Content-Type': 'text/plain' });
      res.end(error.message);
    });
  });
  await new Promise<void>((ready, fail) => {
    server.once('error', fail);
    server.listen(options.port ?? 0, '127.0.0.1', ready);
  });
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    close: () =>
      new Promise<void>((done) => {
        server.closeAllConnections();
        server.close(() => done());
      }),
  };
}
