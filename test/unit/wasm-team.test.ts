import { Worker } from 'node:worker_threads';
import { afterAll, describe, expect, it } from 'vitest';
import { WASM_MODULES } from '../../src/backend/wasm/modules';
import { compileFor, instantiateOn } from '../../src/backend/wasm-heap';
import { HELPER_SOURCE, ProductTeam, shareOf, type Helper, type ProductPart } from '../../src/backend/wasm-team';
import { SeededRandom } from '../../src/rng';

// The product's own threads: helpers (here Node's worker_threads running the same helper script as
// the browser's workers) each compute a share of C on one shared memory; any split gives the bits one
// thread gives.

function nodeHelper(): Helper {
  const worker = new Worker(HELPER_SOURCE, { eval: true });
  return {
    start: (message) =>
      new Promise<void>((resolve, reject) => {
        worker.once('message', (m) => (m === 'ready' ? resolve() : reject(new Error(String(m)))));
        worker.once('error', reject);
        worker.postMessage(message);
      }),
    terminate: () => void worker.terminate(),
  };
}

const memory = new WebAssembly.Memory({ initial: 64, maximum: 65536, shared: true });
const part = instantiateOn<ProductPart>(memory, WASM_MODULES.matmul, 'matmul')!;
const teams: ProductTeam[] = [];
afterAll(() => teams.forEach((team) => team.terminate()));

describe('shareOf', () => {
  it.each([[32, 256, 2], [4608, 512, 3], [7, 8, 2], [130, 16, 4], [1, 64, 3]])('covers a %i x %i product once with %i shares', (m, n, shares) => {
    const seen = new Uint8Array(m * n);
    for (let s = 0; s < shares; s++) {
      const [i0, i1, j0, j1] = shareOf(m, n, shares, s);
      expect(j0 % 8 + (j1 % 8)).toBe(0);
      for (let i = i0; i < i1; i++) for (let j = j0; j < j1; j++) seen[i * n + j]!++;
    }
    expect([...seen].every((count) => count === 1)).toBe(true);
  });
  it('splits the rows where each share gets 4 row tiles, else the column strips', () => {
    expect(shareOf(128, 512, 2, 1)).toEqual([64, 128, 0, 512]);
    expect(shareOf(32, 25_088, 2, 0)).toEqual([0, 16, 0, 25_088]);
    expect(shareOf(16, 512, 2, 1)).toEqual([0, 16, 256, 512]);
    expect(shareOf(8, 256, 2, 0)).toEqual([0, 8, 0, 128]);
  });
});

describe('a product team on a shared memory', () => {
  it.each([[1], [2]])('with %i helper(s) gives one thread\'s C bit for bit', async (helpers) => {
    const team = new ProductTeam(part, compileFor(memory, WASM_MODULES.matmul)!, memory, Array.from({ length: helpers }, nodeHelper));
    teams.push(team);
    await team.whenStarted();
    expect(team.size).toBe(1 + helpers);
    const rng = new SeededRandom(5);
    const heap = new Float32Array(memory.buffer);
    for (const [m, k, n, relu] of [[33, 1000, 64, 1], [200, 700, 16, 0], [8, 2000, 256, 1]] as const) {
      const [a, b, bias] = [0, m * k, m * k + k * n];
      const [cTeam, cOne] = [bias + n, bias + n + m * n];
      for (let i = 0; i < bias + n; i++) heap[i] = rng.uniform(-1, 1);
      heap.fill(NaN, cTeam, cTeam + m * n); // a share nobody computed stays NaN
      team.run({ a: a * 4, b: b * 4, c: cTeam * 4, m, k, n, bias: bias * 4, relu });
      part(a * 4, b * 4, cOne * 4, k, n, bias * 4, relu, 0, m, 0, n);
      const [byTeam, byOne] = [heap.slice(cTeam, cTeam + m * n), heap.slice(cOne, cOne + m * n)];
      expect(m * k * n).toBeGreaterThanOrEqual(2_000_000); // large enough to be split
      expect([...byTeam]).toEqual([...byOne]);
      expect(byOne.some((v) => v > 0)).toBe(true);
    }
  });
});
