import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';
import { beforeAll, describe, expect, it } from 'vitest';
import { registerWasmTrainingKernels } from '../../src/backend/wasm-kernels';
import { SeededRandom } from '../../src/rng';
import type { ConvCase } from './conv-case';

// Parity of the composed wasm gradients with the cpu backend's reference kernels, on random shapes
// covering strides, padding modes, batch sizes and channel multipliers (TF.js' own gradients reject
// dilations above 1 on every backend, so none are asked of these kernels).
const TOLERANCE = 1e-5;

function random(shape: number[], rng: SeededRandom): Float32Array {
  return Float32Array.from({ length: shape.reduce((a, b) => a * b, 1) }, () => rng.uniform(-1, 1));
}

const maxRelativeError = (a: Float32Array, b: Float32Array): number => {
  const scale = Math.max(...Array.from(b, Math.abs));
  return Math.max(...Array.from(a, (v, i) => Math.abs(v - b[i]!))) / scale;
};

type Conv = (x: tf.Tensor4D, w: tf.Tensor4D, c: ConvCase) => tf.Tensor4D;
const conv: Conv = (x, w, c) => tf.conv2d(x, w, c.stride, c.pad);
const depthwise: Conv = (x, w, c) => tf.depthwiseConv2d(x, w, c.stride, c.pad);

/** d/dx and d/dw of sum(op(x, w) * dy) on one backend; checks the backend frees every intermediate. */
async function gradients(backend: string, op: Conv, c: ConvCase, seed: number): Promise<[Float32Array, Float32Array]> {
  await tf.setBackend(backend);
  const rng = new SeededRandom(seed);
  const x = tf.tensor4d(random(c.x, rng), c.x);
  const w = tf.tensor4d(random(c.filter, rng), c.filter);
  const outShape = tf.tidy(() => op(x, w, c).shape);
  const dy = tf.tensor(random(outShape, rng), outShape);
  const dataBefore = tf.engine().backend.numDataIds();
  const [dx, dw] = tf.grads((a: tf.Tensor, b: tf.Tensor) => tf.sum(tf.mul(op(a as tf.Tensor4D, b as tf.Tensor4D, c), dy)))([x, w]);
  const result: [Float32Array, Float32Array] = [(await dx!.data()) as Float32Array, (await dw!.data()) as Float32Array];
  tf.dispose([dx!, dw!]);
  expect(tf.engine().backend.numDataIds()).toBe(dataBefore);
  tf.dispose([x, w, dy]);
  return result;
}

async function expectParity(op: Conv, c: ConvCase): Promise<void> {
  const seed = [...c.x, ...c.filter, c.stride].reduce((a, b) => a * 31 + b, 7);
  const [dxCpu, dwCpu] = await gradients('cpu', op, c, seed);
  const [dxWasm, dwWasm] = await gradients('wasm', op, c, seed);
  expect(maxRelativeError(dwWasm, dwCpu)).toBeLessThan(TOLERANCE);
  expect(maxRelativeError(dxWasm, dxCpu)).toBeLessThan(TOLERANCE);
}

beforeAll(async () => {
  await tf.setBackend('wasm');
  expect(registerWasmTrainingKernels()).toEqual(['BatchMatMul', '_FusedMatMul', 'Conv2D', 'FusedConv2D', 'Conv2DBackpropInput', 'Conv2DBackpropFilter', 'DepthwiseConv2dNativeBackpropFilter', 'DepthwiseConv2dNativeBackpropInput', 'FinetuneFusedRMSProp']);
  expect(registerWasmTrainingKernels()).toEqual([]);
});

describe('Conv2D gradients on wasm (filter and input)', () => {
  it.each<ConvCase>([
    { x: [2, 8, 8, 3], filter: [3, 3, 3, 4], stride: 1, pad: 'same' }, // VGG16's only kind
    { x: [3, 4, 4, 16], filter: [3, 3, 16, 8], stride: 1, pad: 'same' }, // block5 at 64 px
    { x: [1, 9, 7, 2], filter: [3, 3, 2, 5], stride: 2, pad: 'same' },
    { x: [2, 10, 10, 3], filter: [3, 3, 3, 2], stride: 2, pad: 'valid' },
    { x: [1, 6, 6, 4], filter: [1, 1, 4, 6], stride: 1, pad: 'valid' }, // pointwise
    { x: [2, 11, 9, 3], filter: [5, 3, 3, 4], stride: 3, pad: 'same' },
    { x: [2, 8, 8, 3], filter: [3, 3, 3, 4], stride: 2, pad: 'same' }, // even size, stride 2
    { x: [1, 7, 7, 2], filter: [1, 1, 2, 3], stride: 2, pad: 'valid' }, // pointwise, stride 2
    { x: [1, 5, 6, 2], filter: [3, 3, 2, 3], stride: 1, pad: [[0, 0], [3, 1], [0, 4], [0, 0]] }, // pads wider than the filter: wasm's own input gradient
  ])(`agrees with cpu within ${TOLERANCE} for %j`, (c) => expectParity(conv, c));
});

describe('depthwise gradients on wasm', () => {
  it.each<ConvCase>([
    { x: [2, 8, 8, 4], filter: [3, 3, 4, 1], stride: 1, pad: 'same' }, // MobileNet, stride 1
    { x: [2, 9, 9, 4], filter: [3, 3, 4, 1], stride: 2, pad: 'same' }, // MobileNet, stride 2, odd size
    { x: [1, 10, 8, 3], filter: [3, 3, 3, 1], stride: 2, pad: 'valid' },
    { x: [3, 7, 7, 2], filter: [3, 3, 2, 3], stride: 1, pad: 'same' }, // channel multiplier 3
    { x: [2, 6, 6, 5], filter: [5, 5, 5, 1], stride: 1, pad: 'valid' },
  ])(`agree with cpu within ${TOLERANCE} for %j`, (c) => expectParity(depthwise, c));
});

describe('BatchMatMul on wasm, transposed operands moved first', () => {
  it.each<{ a: number[]; b: number[]; transposeA: boolean; transposeB: boolean }>([
    { a: [5, 7], b: [7, 3], transposeA: false, transposeB: false },
    { a: [7, 5], b: [7, 3], transposeA: true, transposeB: false }, // a Dense layer's weight gradient
    { a: [5, 7], b: [3, 7], transposeA: false, transposeB: true }, // its input gradient
    { a: [7, 5], b: [3, 7], transposeA: true, transposeB: true },
    { a: [2, 6, 4], b: [2, 3, 6], transposeA: true, transposeB: true }, // batched
  ])(`agrees with cpu within ${TOLERANCE} and frees what it made, for %j`, async (c) => {
    const product = async (backend: string): Promise<Float32Array> => {
      await tf.setBackend(backend);
      const rng = new SeededRandom(c.a.length * 101 + c.a[0]! * 7 + c.b[1]!);
      const [a, b] = [tf.tensor(random(c.a, rng), c.a), tf.tensor(random(c.b, rng), c.b)];
      const before = tf.engine().backend.numDataIds();
      const out = tf.matMul(a, b, c.transposeA, c.transposeB);
      const values = (await out.data()) as Float32Array;
      expect(tf.engine().backend.numDataIds()).toBe(before + 1);
      tf.dispose([a, b, out]);
      return values;
    };
    const cpu = await product('cpu');
    expect(maxRelativeError(await product('wasm'), cpu)).toBeLessThan(TOLERANCE);
  });
});
