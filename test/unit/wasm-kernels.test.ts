import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';
import { beforeAll, describe, expect, it } from 'vitest';
import { registerWasmTrainingKernels } from '../../src/backend/wasm-kernels';
import { SeededRandom } from '../../src/rng';

type Case = { x: [number, number, number, number]; filter: [number, number, number, number]; stride: number; pad: 'same' | 'valid' };

function random(shape: number[], rng: SeededRandom): Float32Array {
  return Float32Array.from({ length: shape.reduce((a, b) => a * b, 1) }, () => rng.uniform(-1, 1));
}

/** dW of sum(conv2d(x, w) * dy) on one backend, as a flat array. */
async function filterGradient(backend: string, c: Case, values: { x: Float32Array; dy: Float32Array; w: Float32Array }): Promise<Float32Array> {
  await tf.setBackend(backend);
  const x = tf.tensor4d(values.x, c.x);
  const w = tf.tensor4d(values.w, c.filter);
  const out = tf.conv2d(x, w, c.stride, c.pad);
  const dy = tf.tensor(values.dy, out.shape);
  const grad = tf.grad((filter: tf.Tensor) => tf.sum(tf.mul(tf.conv2d(x, filter as tf.Tensor4D, c.stride, c.pad), dy)))(w);
  const result = (await grad.data()) as Float32Array;
  tf.dispose([x, w, out, dy, grad]);
  return result;
}

const maxRelativeError = (a: Float32Array, b: Float32Array): number => {
  const scale = Math.max(...Array.from(b, Math.abs));
  return Math.max(...Array.from(a, (v, i) => Math.abs(v - b[i]!))) / scale;
};

beforeAll(async () => {
  await tf.setBackend('wasm');
  expect(registerWasmTrainingKernels()).toEqual(['Conv2DBackpropFilter']);
});

describe('Conv2DBackpropFilter on wasm', () => {
  const cases: Case[] = [
    { x: [2, 8, 8, 3], filter: [3, 3, 3, 4], stride: 1, pad: 'same' }, // VGG16's only kind
    { x: [3, 4, 4, 16], filter: [3, 3, 16, 8], stride: 1, pad: 'same' }, // block5 at 64 px
    { x: [1, 9, 7, 2], filter: [3, 3, 2, 5], stride: 2, pad: 'same' },
    { x: [2, 10, 10, 3], filter: [3, 3, 3, 2], stride: 2, pad: 'valid' },
    { x: [1, 6, 6, 4], filter: [1, 1, 4, 6], stride: 1, pad: 'valid' },
    { x: [2, 11, 9, 3], filter: [5, 3, 3, 4], stride: 3, pad: 'same' },
  ];

  it.each(cases)('agrees with the cpu backend within 1e-5 for %j', async (c) => {
    const rng = new SeededRandom(c.x.reduce((a, b) => a * 31 + b, c.stride));
    await tf.setBackend('cpu');
    const outShape = tf.tidy(() => tf.conv2d(tf.zeros(c.x) as tf.Tensor4D, tf.zeros(c.filter) as tf.Tensor4D, c.stride, c.pad).shape);
    const values = { x: random(c.x, rng), w: random(c.filter, rng), dy: random(outShape, rng) };
    const expected = await filterGradient('cpu', c, values);
    await tf.setBackend('wasm');
    const wasmBefore = tf.engine().backend.numDataIds();
    const actual = await filterGradient('wasm', c, values);
    expect(actual).toHaveLength(expected.length);
    expect(maxRelativeError(actual, expected)).toBeLessThan(1e-5);
    await tf.setBackend('wasm');
    expect(tf.engine().backend.numDataIds()).toBe(wasmBefore);
  });
});
