import { createMD5, createSHA256 } from 'hash-wasm';
import { WeightsError } from '../errors';
import { formatMB } from '../units';

/** What a download must match, when known (Keras publishes an MD5 per weights file). */
export interface Expected {
  bytes?: number;
  md5?: string;
}

export interface Downloaded {
  blob: Blob;
  bytes: number;
  /** Hex SHA-256 of the content: how the cache tells files apart. */
  sha256: string;
}

/** A download that gets no byte (nor its headers) for this long is given up, with a message saying so. */
export const DOWNLOAD_STALL_MS = 30_000;

/**
 * Fetches `url` with progress (bytes so far, and the total when the server says it), then checks the
 * length the server promised and any expected size and MD5. Every failure is a WeightsError saying
 * what broke: HTTP status, no connection, a connection that broke off, cancellation, a wrong file.
 */
export async function download(
  url: string,
  options: { expected?: Expected; signal?: AbortSignal; onProgress?: (loaded: number, total: number | null) => void; stallMs?: number } = {},
): Promise<Downloaded> {
  const { expected = {}, signal, onProgress, stallMs = DOWNLOAD_STALL_MS } = options;
  const stalled = new AbortController();
  let timer = setTimeout(() => stalled.abort(), stallMs);
  const alive = (): void => {
    clearTimeout(timer);
    timer = setTimeout(() => stalled.abort(), stallMs);
  };
  const quiet = `no data came from ${url} for ${Math.round(stallMs / 1000)} s: the server stopped answering (check the address, or try again)`;
  try {
    return await fetchAll(url, signal ? AbortSignal.any([signal, stalled.signal]) : stalled.signal, { expected, onProgress, alive, cancelled: () => signal?.aborted === true, quiet });
  } finally {
    clearTimeout(timer);
  }
}

interface FetchHooks {
  expected: Expected;
  onProgress?: (loaded: number, total: number | null) => void;
  /** A byte or the headers arrived. */
  alive(): void;
  cancelled(): boolean;
  /** The message when the stall timer, not the caller, aborted. */
  quiet: string;
}

async function fetchAll(url: string, signal: AbortSignal, hooks: FetchHooks): Promise<Downloaded> {
  const { expected, onProgress } = hooks;
  let response: Response;
  try {
    response = await fetch(url, { signal });
  } catch (error) {
    if (hooks.cancelled()) throw new WeightsError(`the download of ${url} was cancelled`);
    if (signal.aborted) throw new WeightsError(hooks.quiet);
    throw new WeightsError(`could not download ${url}: ${(error as Error).message} (offline, or the server is unreachable)`);
  }
  hooks.alive();
  if (!response.ok || !response.body) throw new WeightsError(`could not download ${url}: HTTP ${response.status} ${response.statusText}`.trim());
  const header = Number(response.headers.get('content-length'));
  const total = Number.isFinite(header) && header > 0 ? header : (expected.bytes ?? null);
  const [md5, sha256] = await Promise.all([createMD5(), createSHA256()]);
  const chunks: Uint8Array[] = [];
  let loaded = 0;
  const reader = response.body.getReader();
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      hooks.alive();
      chunks.push(value);
      md5.update(value);
      sha256.update(value);
      loaded += value.byteLength;
      onProgress?.(loaded, total);
    }
  } catch (error) {
    if (hooks.cancelled()) throw new WeightsError(`the download of ${url} was cancelled after ${formatMB(loaded)}`);
    if (signal.aborted) throw new WeightsError(`${hooks.quiet}; ${formatMB(loaded)} had arrived`);
    throw new WeightsError(`the download of ${url} broke off after ${formatMB(loaded)}${total ? ` of ${formatMB(total)}` : ''}: ${(error as Error).message}`);
  }
  if (Number.isFinite(header) && header > 0 && loaded !== header) {
    throw new WeightsError(`the download of ${url} is incomplete: ${loaded} of ${header} bytes`);
  }
  if (expected.bytes !== undefined && loaded !== expected.bytes) {
    throw new WeightsError(`${url} has ${loaded} bytes, expected ${expected.bytes}: not the file it should be, or truncated`);
  }
  const digest = md5.digest();
  if (expected.md5 && digest !== expected.md5.toLowerCase()) {
    throw new WeightsError(`${url} has MD5 ${digest}, expected ${expected.md5}: not the file it should be, or corrupt`);
  }
  return { blob: new Blob(chunks as BlobPart[]), bytes: loaded, sha256: sha256.digest() };
}
