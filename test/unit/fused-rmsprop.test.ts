import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';
import { beforeAll, describe, expect, it } from 'vitest';
import { instantiateOn } from '../../src/backend/wasm-heap';
import { WASM_MODULES } from '../../src/backend/wasm/modules';
import { canFuseRmsprop } from '../../src/backend/wasm-rmsprop';
import { registerWasmTrainingKernels } from '../../src/backend/wasm-kernels';
import { SeededRandom } from '../../src/rng';
import { FusedRMSPropOptimizer } from '../../src/train/fused-rmsprop';

// The fused update must be TF.js' RMSprop bit for bit: the same weights and the same optimizer state
// after several steps, on shapes whose size is and is not a multiple of the four SIMD lanes.

const SHAPES = [[37, 5], [8, 4], [3]];

function values(rng: SeededRandom, shape: number[], scale: number): Float32Array {
  return Float32Array.from({ length: tf.util.sizeFromShape(shape) }, () => (rng.next() * 2 - 1) * scale);
}

/** Weights and optimizer state after `steps` updates with seeded gradients. */
async function train(optimizer: tf.Optimizer, steps: number): Promise<{ weights: Float32Array[]; state: Float32Array[] }> {
  const rng = new SeededRandom(7);
  const variables = SHAPES.map((shape, i) => tf.tidy(() => tf.variable(tf.tensor(values(rng, shape, 1), shape), true, `fused_rmsprop_${optimizer.constructor.name}_${i}`)));
  for (let step = 0; step < steps; step++) {
    // Gradients over several orders of magnitude, zeros among them, as real ones are.
    const gradients = variables.map((v, i) => ({ name: v.name, tensor: tf.tensor(values(rng, SHAPES[i]!, 10 ** -(step % 4)).map((x, j) => (j % 11 === 0 ? 0 : x)), SHAPES[i]!) }));
    optimizer.applyGradients(gradients);
    tf.dispose(gradients.map((g) => g.tensor));
  }
  const weights = await Promise.all(variables.map(async (v) => (await v.data()) as Float32Array));
  const [iterations, ...held] = await optimizer.getWeights();
  const state = await Promise.all(held.map(async (w) => (await w.tensor.data()) as Float32Array));
  iterations!.tensor.dispose();
  tf.dispose(variables);
  optimizer.dispose();
  return { weights, state };
}

describe('the fused RMSprop update on wasm', () => {
  beforeAll(async () => {
    registerWasmTrainingKernels();
    await tf.setBackend('wasm');
  });

  it('runs on wasm here (its memory is found)', () => {
    expect(canFuseRmsprop()).toBe(true);
  });

  it("gives TF.js' RMSprop's weights and state bit for bit, and leaks no tensor", async () => {
    const before = tf.memory().numTensors;
    const fused = await train(new FusedRMSPropOptimizer(1e-3), 6);
    const own = await train(tf.train.rmsprop(1e-3), 6);
    expect(fused.weights.map((w) => [...w])).toEqual(own.weights.map((w) => [...w]));
    expect(fused.state.map((s) => [...s])).toEqual(own.state.map((s) => [...s]));
    // The updates moved the weights (a no-op kernel would pass the comparison above only if TF.js' did nothing too).
    expect(fused.weights[0]!.some((w, i) => w !== values(new SeededRandom(7), SHAPES[0]!, 1)[i])).toBe(true);
    expect(tf.memory().numTensors).toBe(before);
  });

  it('is TF.js own where it cannot fuse: centred', async () => {
    const a = await train(new FusedRMSPropOptimizer(1e-3, 0.9, 0.5, undefined, true), 3);
    const b = await train(tf.train.rmsprop(1e-3, 0.9, 0.5, undefined, true), 3);
    expect(a.weights.map((w) => [...w])).toEqual(b.weights.map((w) => [...w]));
  });

  it('with momentum, as TF.js', async () => {
    const a = await train(new FusedRMSPropOptimizer(1e-2, 0.8, 0.9), 4);
    const b = await train(tf.train.rmsprop(1e-2, 0.8, 0.9), 4);
    expect(a.weights.map((w) => [...w])).toEqual(b.weights.map((w) => [...w]));
    expect(a.state.map((s) => [...s])).toEqual(b.state.map((s) => [...s]));
  });

  it('runs the same on a shared memory, as the threaded backend has (Node runs the plain one)', () => {
    /** One update of 7 weights (one SIMD block and a remainder) on `memory`, read back. */
    const run = (memory: WebAssembly.Memory): number[] => {
      const heap = new Float32Array(memory.buffer);
      const rng = new SeededRandom(3);
      for (let i = 0; i < 28; i++) heap[i] = i >= 14 && i < 21 ? Math.abs(rng.next()) : rng.next() * 2 - 1; // w, g, ms (>= 0), mom
      instantiateOn<(...args: number[]) => void>(memory, WASM_MODULES['fused-rmsprop'], 'rmsprop')!(0, 28, 56, 84, 112, 140, 168, 7, 1e-3, 0.9, 1 - 0.9, 0.5, 1e-7);
      return [...heap.slice(28, 49)];
    };
    const shared = run(new WebAssembly.Memory({ initial: 256, maximum: 65536, shared: true }));
    expect(shared).toEqual(run(new WebAssembly.Memory({ initial: 1 })));
    expect(shared.some((x, i) => x !== 0 && i < 7)).toBe(true);
  });

  it("gives no update where the module does not compile (a browser without wasm SIMD): TF.js' own runs", () => {
    expect(instantiateOn(new WebAssembly.Memory({ initial: 1 }), { shared: btoa('not wasm'), plain: btoa('not wasm') }, 'rmsprop')).toBeNull();
  });
});
