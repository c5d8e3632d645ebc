import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';
import { beforeAll, describe, expect, it } from 'vitest';
import { instantiateOn } from '../../src/backend/wasm-heap';
import { WASM_MODULES } from '../../src/backend/wasm/modules';
import { conv2dBackpropFilter, registerWasmTrainingKernels } from '../../src/backend/wasm-kernels';
import { SeededRandom } from '../../src/rng';
import type { ConvCase } from './conv-case';

// Our matrix product, and the convolutions made of it, must be wasm's own (XNNPACK's) bit for bit, fused
// bias and ReLU included, so that nothing trained before them changes; where they cannot take a call,
// wasm's own runs.

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

const CONV_CASES: ConvCase[] = [
  { x: [2, 4, 4, 16], filter: [3, 3, 16, 8], stride: 1, pad: 'same' }, // VGG16's kind
  { x: [3, 2, 2, 24], filter: [3, 3, 24, 16], stride: 1, pad: 'same', bias: true }, // fused bias and ReLU
  { x: [1, 5, 6, 3], filter: [3, 3, 3, 16], stride: 2, pad: 'valid' },
  { x: [1, 7, 7, 4], filter: [2, 2, 4, 8], stride: 1, pad: 'same', dilation: 2 },
  { x: [1, 5, 6, 2], filter: [3, 3, 2, 8], stride: 1, pad: [[0, 0], [3, 1], [0, 4], [0, 0]] },
  { x: [1, 4, 4, 3], filter: [3, 3, 3, 12], stride: 1, pad: 'same' }, // 12 channels: wasm's own
  { x: [1, 32, 32, 2], filter: [3, 3, 2, 8], stride: 1, pad: 'same' }, // 1,024 positions: wasm's own
];

/** The convolution on wasm with whichever kernels are registered; checks it leaves only its output. */
async function convolution(c: ConvCase, seed: number): Promise<Float32Array> {
  const rng = new SeededRandom(seed);
  const x = tf.tensor4d(values(c.x, rng), c.x);
  const filter = tf.tensor4d(values(c.filter, rng), c.filter);
  const bias = c.bias ? tf.tensor1d(values([c.filter[3]!], rng)) : undefined;
  const before = tf.engine().backend.numDataIds();
  const out = c.bias
    ? tf.fused.conv2d({ x, filter, strides: c.stride, pad: c.pad, dilations: c.dilation ?? 1, bias, activation: 'relu' })
    : tf.conv2d(x, filter, c.stride, c.pad, 'NHWC', c.dilation ?? 1);
  const result = (await out.data()) as Float32Array;
  expect(tf.engine().backend.numDataIds()).toBe(before + 1);
  tf.dispose([x, filter, out, ...(bias ? [bias] : [])]);
  return result;
}

const wasmOwn = new Map<Case | ConvCase, Float32Array>();

const FILTER_CASES = CONV_CASES.filter((c) => !c.bias && !c.dilation);
const composedOfWasmOwn = new Map<ConvCase, Float32Array>();

type FilterGradient = (x: tf.Tensor4D, dy: tf.Tensor4D, attrs: tf.NamedAttrMap) => tf.Tensor;

/** The case's filter gradient for a seeded output gradient, by `gradient`; checks its shape and that it leaves only its output. */
async function filterGradient(c: ConvCase, i: number, gradient: FilterGradient): Promise<Float32Array> {
  const rng = new SeededRandom(100 + i);
  const x = tf.tensor4d(values(c.x, rng), c.x);
  const shape = tf.tidy(() => tf.conv2d(x, tf.zeros(c.filter) as tf.Tensor4D, c.stride, c.pad).shape);
  const dy = tf.tensor4d(values(shape, rng), shape);
  const attrs = { strides: [c.stride, c.stride], pad: c.pad, dataFormat: 'NHWC', dimRoundingMode: undefined, filterShape: c.filter } as unknown as tf.NamedAttrMap;
  const before = tf.engine().backend.numDataIds();
  const out = gradient(x, dy, attrs);
  expect(out.shape).toEqual(c.filter);
  const result = (await out.data()) as Float32Array;
  expect(tf.engine().backend.numDataIds()).toBe(before + 1);
  tf.dispose([x, dy, out]);
  return result;
}

beforeAll(async () => {
  await tf.setBackend('wasm');
  for (const [i, c] of CASES.entries()) wasmOwn.set(c, await product(c, i + 1));
  for (const [i, c] of CONV_CASES.entries()) wasmOwn.set(c, await convolution(c, i + 1));
  // Before registration, the composed filter gradient's convolution is XNNPACK's own.
  for (const [i, c] of FILTER_CASES.entries()) {
    composedOfWasmOwn.set(c, await filterGradient(c, i, (x, dy, attrs) => tf.engine().makeTensorFromTensorInfo(conv2dBackpropFilter({ inputs: { x, dy }, backend: tf.backend(), attrs }))));
  }
  registerWasmTrainingKernels();
});

describe('our matrix product on wasm', () => {
  it.each(CASES.map((c, i) => [i, c] as const))("is wasm's own bit for bit, case %i: %j", async (i, c) => {
    const ours = await product(c, i + 1);
    expect([...ours]).toEqual([...wasmOwn.get(c)!]);
    expect(ours.some((v) => v !== 0)).toBe(true);
  });

  it.each(CONV_CASES.map((c, i) => [i, c] as const))("makes convolutions that are wasm's own bit for bit, case %i: %j", async (i, c) => {
    const ours = await convolution(c, i + 1);
    expect([...ours]).toEqual([...wasmOwn.get(c)!]);
    expect(ours.some((v) => v !== 0)).toBe(true);
  });

  it.each(FILTER_CASES.map((c, i) => [i, c] as const))("makes filter gradients that are the convolution's composed of wasm's own bit for bit, case %i: %j", async (i, c) => {
    const ours = await filterGradient(c, i, (x, dy, attrs) => tf.engine().runKernel('Conv2DBackpropFilter', { x, dy }, attrs) as tf.Tensor);
    expect([...ours]).toEqual([...composedOfWasmOwn.get(c)!]);
  });

  /** Runs the module's product on `memory` for a 5 x 300 by 300 x 8 pair with a bias and ReLU; returns C. */
  function runOn(memory: WebAssembly.Memory, relu: boolean): Float32Array {
    const [m, k, n] = [5, 300, 8];
    const heap = new Float32Array(memory.buffer);
    const rng = new SeededRandom(11);
    heap.set(values([m * k + k * n + n], rng));
    const [a, b, bias, c] = [0, m * k, m * k + k * n, m * k + k * n + n].map((at) => at * 4);
    instantiateOn<(...args: number[]) => void>(memory, WASM_MODULES.matmul, 'matmul')!(a!, b!, c!, k, n, bias!, relu ? 1 : 0, 0, m, 0, n);
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
