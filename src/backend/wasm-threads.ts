import { getThreadsCount, setThreadsCount } from '@tensorflow/tfjs-backend-wasm';

// How many threads the wasm backend runs. TF.js 4.22's wasm module starts its pool with
// min(asked, navigator.hardwareConcurrency / 2) threads, so on 2 cores it runs 1 whatever it is told;
// measured here, 2 threads train the bundled recipe in 0.84x the time. The pool is made once, when the
// backend first starts in this worker: the count is settled then, and a later request says so.

/** The worker's logical cores, read before anything below changes what the module sees. */
const CORES = typeof navigator === 'undefined' ? 1 : Math.max(1, navigator.hardwareConcurrency || 1);

let planned: number | null = null;

/**
 * Settles the thread count before the wasm backend starts: `requested`, or every core. Returns a note
 * when the backend had already started with another count (it keeps that one until the worker ends).
 */
export function planWasmThreads(requested?: number): string | null {
  if (planned !== null) {
    return requested !== undefined && requested !== planned && planned > 0 ? `wasm keeps the ${planned} thread(s) it started with in this worker; ${requested} takes effect after a reload` : null;
  }
  if (typeof navigator === 'undefined') {
    // Node (bench:gpu): the module counts os.cpus() itself, and there is no navigator to change.
    if (requested !== undefined) setThreadsCount(requested);
    planned = requested ?? -1;
    return null;
  }
  const threads = requested ?? CORES;
  planned = threads;
  setThreadsCount(threads);
  // The module divides what it reads here by two: it reads twice the count, so it starts the count.
  Object.defineProperty(navigator, 'hardwareConcurrency', { configurable: true, get: () => threads * 2 });
  return null;
}

/** What the wasm backend runs, said for the log: threads of cores, and why fewer when fewer. */
export function describeWasmThreads(multithreaded: boolean): string {
  const running = getThreadsCount();
  const of = typeof navigator === 'undefined' ? `${running} thread(s)` : `${running} thread(s) of ${CORES} core(s)`;
  if (!multithreaded) {
    return `${of} (no threads: the page is not cross-origin isolated; serve it with Cross-Origin-Opener-Policy: same-origin and Cross-Origin-Embedder-Policy: require-corp)`;
  }
  if (planned !== null && planned > 0 && running < planned) return `${of} (${planned} asked; the backend started before the setting)`;
  return planned !== null && planned > 0 && planned < CORES ? `${of} (${planned} asked)` : of;
}
