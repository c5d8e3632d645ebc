import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';
import { beforeAll, describe, expect, it } from 'vitest';
import { instantiateOn } from '../../src/backend/wasm-heap';
import { WASM_MODULES } from '../../src/backend/wasm/modules';
import { registerWasmTrainingKernels } from '../../src/backend/wasm-kernels';
import { SeededRandom } from '../../src/rng';

// Our matrix product must be wasm's own (XNNPACK's) bit for bit, fused bias and ReLU included, so that
// nothing trained before it changes; and where it cannot take a product, wasm's own runs.

interface Case {
  a: number[];
  b: number[];
  bias?: boolean;
  activation?: 'linear' | 'relu' | 'elu';
  transposeB?: boolean;
}

const CASES: Case[] = [
  { a: [32, 600], b: [600, 256] }, // a head's product: k over two of the kernel's 256-row blocks
  { a: [7, 300], b: [300, 24] }, // rows not a multiple of 4
  { a: [1, 5], b: [5, 8] },
  { a: [1, 9, 513], b: [1, 513, 16], bias: true, activation: 'relu' }, // as tf.fused.matMul passes a Dense layer's
  { a: [6, 40], b: [40, 32], bias: true, activation: 'linear' },
  { a: [5, 40], b: [40, 16], activation: 'relu' },
  { a: [4, 10], b: [10, 12], bias: true, activation: 'relu' }, // 12 columns: wasm's own
  { a: [4, 10], b: [10, 16], bias: true, activation: 'elu' }, // an activation ours leaves to wasm
  { a: [4, 10], b: [16, 10], transposeB: true }, // moved first, then ours
  { a: [2, 3, 10], b: [2, 10, 8] }, // two pairs: wasm's own
];

function values(shape: number[], rng: SeededRandom): Float32Array {
  return Float32Array.from({ length: tf.util.sizeFromShape(shape) }, () => rng.uniform(-1, 1));
}

/** The case's product on wasm with whichever kernels are registered; checks it leaves only its output. */
async function product(c: Case, seed: number): Promise<Float32Array> {
  const rng = new SeededRandom(seed);
  const [a, b] = [tf.tensor(values(c.a, rng), c.a), tf.tensor(values(c.b, rng), c.b)];
  const columns = c.b.at(c.transposeB ? -2 : -1)!;
  const bias = c.bias ? tf.tensor1d(values([columns], rng)) : undefined;
  const before = tf.engine().backend.numDataIds();
  const out = c.bias || c.activation
    ? tf.fused.matMul({ a, b, bias, activation: c.activation ?? 'linear', transposeB: c.transposeB })
    : tf.matMul(a, b, false, c.transposeB);
  const result = (await out.data()) as Float32Array;
  expect(tf.engine().backend.numDataIds()).toBe(before + 1);
  tf.dispose([a, b, out, ...(bias ? [bias] : [])]);
  return result;
}

const wasmOwn = new Map<Case, Float32Array>();

beforeAll(async () => {
  await tf.setBackend('wasm');
  for (const [i, c] of CASES.entries()) wasmOwn.set(c, await product(c, i + 1));
  registerWasmTrainingKernels();
});

describe('our matrix product on wasm', () => {
  it.each(CASES.map((c, i) => [i, c] as const))("is wasm's own bit for bit, case %i: %j", async (i, c) => {
    const ours = await product(c, i + 1);
    expect([...ours]).toEqual([...wasmOwn.get(c)!]);
    expect(ours.some((v) => v !== 0)).toBe(true);
  });

  /** Runs the module's product on `memory` for a 5 x 300 by 300 x 8 pair with a bias and ReLU; returns C. */
  function runOn(memory: WebAssembly.Memory, relu: boolean): Float32Array {
    const [m, k, n] = [5, 300, 8];
    const heap = new Float32Array(memory.buffer);
    const rng = new SeededRandom(11);
    heap.set(values([m * k + k * n + n], rng));
    const [a, b, bias, c] = [0, m * k, m * k + k * n, m * k + k * n + n].map((at) => at * 4);
    instantiateOn<(...args: number[]) => void>(memory, WASM_MODULES.matmul, 'matmul')!(a!, b!, c!, m, k, n, bias!, relu ? 1 : 0);
    return heap.slice(c! / 4, c! / 4 + m * n);
  }

  it('sums each output in order from its bias, in f32, on a plain and a shared memory', () => {
    const [m, k, n] = [5, 300, 8];
    const heap = values([m * k + k * n + n], new SeededRandom(11));
    const expected = Float32Array.from({ length: m * n }, (_, at) => {
      const [i, j] = [Math.floor(at / n), at % n];
      let sum = heap[m * k + k * n + j]!;
      for (let q = 0; q < k; q++) sum = Math.fround(sum + Math.fround(heap[i * k + q]! * heap[m * k + q * n + j]!));
      return sum;
    });
    expect([...runOn(new WebAssembly.Memory({ initial: 1 }), false)]).toEqual([...expected]);
    expect([...runOn(new WebAssembly.Memory({ initial: 1, maximum: 65536, shared: true }), false)]).toEqual([...expected]);
    const relu = runOn(new WebAssembly.Memory({ initial: 1 }), true);
    expect([...relu]).toEqual([...expected].map((v) => Math.max(v, 0)));
    expect(expected.some((v) => v < 0)).toBe(true);
  });
});
