import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';
import { beforeAll, describe, expect, it } from 'vitest';
import { Composite, transposeInto } from '../../src/backend/wasm-composite';
import { heapFunction, type WasmBackend } from '../../src/backend/wasm-heap';

// A filter turned 180 degrees (its taps reversed), with its channels swapped for the input gradient:
// the values moved exactly, on wasm's heap, by transpose.wat in 4 x 4 blocks where both channel counts
// are multiples of 4, one value at a time where not.

beforeAll(async () => {
  await tf.setBackend('wasm');
});

/** What turn gives, computed one value at a time: tap t of [kh, kw, in, out] goes to taps - 1 - t, [out, in] with `swap`. */
function expected(values: Float32Array, [kh, kw, rows, columns]: number[], swap: boolean): Float32Array {
  const [taps, tap] = [kh! * kw!, rows! * columns!];
  const out = new Float32Array(values.length);
  for (let t = 0; t < taps; t++) {
    for (let i = 0; i < rows!; i++) {
      for (let j = 0; j < columns!; j++) out[(taps - 1 - t) * tap + (swap ? j * rows! + i : i * columns! + j)] = values[t * tap + i * columns! + j]!;
    }
  }
  return out;
}

/** SIMD blocks (a last band narrower than 64 columns among them, with taps after it to catch an overrun) and one value at a time. */
const SHAPES = [[3, 3, 16, 8], [3, 3, 512, 64], [1, 1, 12, 132], [3, 3, 8, 68], [3, 3, 5, 3], [2, 3, 8, 6], [1, 2, 1, 4]];

describe('Composite.turn on wasm', () => {
  it('has the SIMD transpose here', () => {
    expect(heapFunction(tf.backend() as unknown as WasmBackend, 'transpose', 'transpose')).not.toBeNull();
  });

  it.each(SHAPES)('moves every value of a %i x %i x %i x %i filter to its place', (...shape) => {
    const values = Float32Array.from({ length: shape.reduce((a, b) => a * b, 1) }, (_, i) => i + 0.5);
    const filter = tf.tensor4d(values, shape as [number, number, number, number]);
    const backend = tf.backend() as unknown as WasmBackend & tf.KernelBackend;
    const before = backend.numDataIds();
    for (const swap of [true, false]) {
      const k = new Composite(backend);
      const turned = k.finish(k.turn({ dataId: filter.dataId, shape: filter.shape, dtype: 'float32' }, swap));
      expect(turned.shape).toEqual(swap ? [shape[0], shape[1], shape[3], shape[2]] : shape);
      const [got, want] = [backend.readSync(turned.dataId) as Float32Array, expected(values, shape, swap)];
      expect(got.length).toBe(want.length);
      expect(want.filter((v, i) => got[i] !== v).length).toBe(0); // values misplaced
      backend.disposeData(turned.dataId);
    }
    expect(backend.numDataIds()).toBe(before);
    filter.dispose();
  });
});

describe('the JavaScript transpose (where the SIMD module is missing)', () => {
  it.each(SHAPES)('transposes each tap of a %i x %i x %i x %i filter as turn does', (...shape) => {
    const values = Float32Array.from({ length: shape.reduce((a, b) => a * b, 1) }, (_, i) => i + 0.5);
    const [kh, kw, rows, columns] = shape as [number, number, number, number];
    const [taps, tap] = [kh * kw, rows * columns];
    const out = new Float32Array(values.length);
    for (let t = 0; t < taps; t++) transposeInto(values, t * tap, out, (taps - 1 - t) * tap, rows, columns);
    const want = expected(values, shape, true);
    expect(want.filter((v, i) => out[i] !== v).length).toBe(0); // values misplaced
  });
});
