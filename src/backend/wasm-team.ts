// Threads of our own for our matrix product (src/backend/wasm/matmul.wat). tfjs-backend-wasm's thread
// pool runs only its own C++ kernels, so with threads the product gets helper workers of its own: each
// instantiates the product's module on the backend's shared memory and, woken through Atomics, computes
// its share of C, while the calling thread computes the first share and then waits for the others. A C
// element is summed the same way whoever computes it, so every split gives the same bits.

/** The product's export: C's rows i0..i1 - 1 and columns j0..j1 - 1. */
export type ProductPart = (a: number, b: number, c: number, k: number, n: number, bias: number, relu: number, i0: number, i1: number, j0: number, j1: number) => void;

/** A whole product: byte offsets of A, B, C (and the bias, or -1), C's m x n, the inner size k, ReLU 0 or 1. */
export interface ProductJob {
  a: number;
  b: number;
  c: number;
  m: number;
  k: number;
  n: number;
  bias: number;
  relu: number;
}

/** What a helper gets, once: the module, the memory it runs on, the control words and its place among them. */
export interface HelperStart {
  module: WebAssembly.Module;
  memory: WebAssembly.Memory;
  control: SharedArrayBuffer;
  index: number;
}

/** A started helper worker: sent its start, it answers 'ready' once it waits for work. */
export interface Helper {
  start(message: HelperStart): Promise<void>;
  terminate(): void;
}

/** Control words: [generation, helpers still working], then each helper's 4 share bounds and 7 job arguments. */
const HEADER = 2;
const SLOT = 11;
/** Below this many multiply-adds a product stays on one thread: waking helpers costs tens of microseconds. */
const SPLIT_FROM = 2_000_000;
/** Row tiles (4 rows each) a share must get for a product to be split by rows when it has more column strips. */
const ROW_TILES_PER_SHARE = 4;
/** Helpers a team takes at most (its control words have room for these). */
export const MAX_HELPERS = 64;
/** A helper that has not finished its share after this long has died: the product fails rather than hang, and the team stops. */
const TIMEOUT_MS = 120_000;

/**
 * A helper's code (a classic worker script, also run by Node's worker_threads in tests): it instantiates
 * the module on the memory, says 'ready', then for each new generation runs its share and counts down.
 */
export const HELPER_SOURCE = `'use strict';
const start = (data, post) => {
  const part = new WebAssembly.Instance(data.module, { env: { memory: data.memory } }).exports.matmul;
  const control = new Int32Array(data.control);
  const at = ${HEADER} + data.index * ${SLOT};
  post('ready');
  for (let generation = 0; ; ) {
    Atomics.wait(control, 0, generation);
    generation = Atomics.load(control, 0);
    const [i0, i1, j0, j1, a, b, c, k, n, bias, relu] = control.subarray(at, at + ${SLOT});
    if (i1 > i0 && j1 > j0) part(a, b, c, k, n, bias, relu, i0, i1, j0, j1);
    if (Atomics.sub(control, 1, 1) === 1) Atomics.notify(control, 1);
  }
};
if (typeof require === 'function') {
  const { parentPort } = require('node:worker_threads');
  parentPort.once('message', (data) => start(data, (m) => parentPort.postMessage(m)));
} else {
  self.onmessage = (event) => start(event.data, (m) => self.postMessage(m));
}
`;

/**
 * Share `s` of `shares` of C: [i0, i1, j0, j1], split along rows (in 4s) where each share gets at least
 * ROW_TILES_PER_SHARE of them or row tiles are at least as many as column strips, else along column
 * strips (8s). Rows come first: a share of columns reads every row of B in part, a strided stream, and
 * two threads doing so ran 10-20% slower than splitting the rows, each thread then reading all of B in
 * order (Node, 2 threads, ms: 128 x 4608 x 512 9.2 by rows against 10.5 by columns; 32 x 25,088 x 256
 * 6.3 against 7.6; 64 x 4608 x 512 4.8 against 5.3; 16 x 4608 x 512 1.5 both ways; 8 x 25,088 x 256,
 * a row tile a share, 2.3 against 2.1).
 */
export function shareOf(m: number, n: number, shares: number, s: number): [number, number, number, number] {
  const byRows = Math.ceil(m / 4) >= Math.min(ROW_TILES_PER_SHARE * shares, n / 8);
  const units = byRows ? Math.ceil(m / 4) : n / 8;
  const [from, to] = [Math.floor((units * s) / shares), Math.floor((units * (s + 1)) / shares)];
  return byRows ? [from * 4, Math.min(m, to * 4), 0, n] : [0, m, from * 8, to * 8];
}

export class ProductTeam {
  private readonly control = new Int32Array(new SharedArrayBuffer(4 * (HEADER + SLOT * MAX_HELPERS)));
  private readyHelpers: Helper[] = [];
  private readonly started: Promise<void>;

  constructor(private readonly part: ProductPart, module: WebAssembly.Module, memory: WebAssembly.Memory, helpers: Helper[]) {
    helpers.slice(MAX_HELPERS).forEach((helper) => helper.terminate());
    const limit = helpers.slice(0, MAX_HELPERS);
    this.started = Promise.all(limit.map((helper, index) => helper.start({ module, memory, control: this.control.buffer as SharedArrayBuffer, index }))).then(
      () => void (this.readyHelpers = limit),
      () => limit.forEach((helper) => helper.terminate()), // one that did not start: the product stays on one thread
    );
  }

  /** Resolves once the helpers are ready (or have failed to start, leaving one thread). */
  whenStarted(): Promise<void> {
    return this.started;
  }

  /** Threads a product runs on now: the caller and every ready helper. */
  get size(): number {
    return 1 + this.readyHelpers.length;
  }

  run(job: ProductJob): void {
    const { a, b, c, m, k, n, bias, relu } = job;
    const helpers = this.readyHelpers.length;
    if (helpers === 0 || m * k * n < SPLIT_FROM) {
      this.part(a, b, c, k, n, bias, relu, 0, m, 0, n);
      return;
    }
    const shares = helpers + 1;
    for (let h = 0; h < helpers; h++) this.control.set([...shareOf(m, n, shares, h + 1), a, b, c, k, n, bias, relu], HEADER + h * SLOT);
    Atomics.store(this.control, 1, helpers);
    Atomics.add(this.control, 0, 1);
    Atomics.notify(this.control, 0);
    const [i0, i1, j0, j1] = shareOf(m, n, shares, 0);
    if (i1 > i0 && j1 > j0) this.part(a, b, c, k, n, bias, relu, i0, i1, j0, j1);
    for (let left = Atomics.load(this.control, 1); left > 0; left = Atomics.load(this.control, 1)) {
      if (Atomics.wait(this.control, 1, left, TIMEOUT_MS) === 'timed-out') {
        this.terminate(); // later products run on this thread alone
        throw new Error(`a helper thread of the wasm matrix product did not finish in ${TIMEOUT_MS / 1000} s; the product runs on one thread from now on`);
      }
    }
  }

  terminate(): void {
    for (const helper of this.readyHelpers) helper.terminate();
    this.readyHelpers = [];
  }
}

/** Whether this thread may block in Atomics.wait (a worker, or Node; not a page's main thread). */
export function canWait(): boolean {
  try {
    return Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 1, 0) === 'not-equal';
  } catch {
    return false;
  }
}

/** A helper as a web worker made from HELPER_SOURCE; null where workers cannot be made here (no Worker, or a policy refusing blob: scripts). */
export function webHelper(): Helper | null {
  if (typeof Worker === 'undefined' || typeof Blob === 'undefined' || typeof URL.createObjectURL !== 'function') return null;
  const url = URL.createObjectURL(new Blob([HELPER_SOURCE], { type: 'text/javascript' }));
  let worker: Worker;
  try {
    worker = new Worker(url);
  } catch {
    URL.revokeObjectURL(url);
    return null;
  }
  return {
    start: (message) =>
      new Promise<void>((resolve, reject) => {
        worker.onmessage = (event: MessageEvent) => {
          if (event.data !== 'ready') return;
          URL.revokeObjectURL(url);
          resolve();
        };
        worker.onerror = (event: ErrorEvent) => reject(new Error(`a helper thread of the wasm matrix product failed to start: ${event.message}`));
        worker.postMessage(message);
      }),
    terminate: () => worker.terminate(),
  };
}
