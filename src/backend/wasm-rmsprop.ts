import * as tf from '@tensorflow/tfjs';
import { heapFunction, heapOffset, type WasmBackend } from './wasm-heap';

// RMSprop's update as one wasm kernel. TF.js' RMSPropOptimizer runs 15 elementwise kernels a weight
// tensor (its uncentred branch even computes the new mean square twice), each a full pass over the
// weights: on a 6.4 M-weight head that was about 40 ms of a 120 ms step on wasm. This kernel makes one
// pass (src/backend/wasm/fused-rmsprop.wat) with the same f32 operations in the same order, on the
// backend's own heap: the same weights and optimizer state bit for bit (test/unit/fused-rmsprop.test.ts).

export const FUSED_RMSPROP = 'FinetuneFusedRMSProp';

export interface FusedRmspropAttrs {
  learningRate: number;
  decay: number;
  momentum: number;
  epsilon: number;
}

type Update = (w: number, g: number, ms: number, mom: number, outW: number, outMs: number, outMom: number, n: number, lr: number, decay: number, oneMinusDecay: number, momentum: number, epsilon: number) => void;

/** The update on this backend's heap, or null (no memory found, or no wasm SIMD). */
function updateOn(backend: WasmBackend): Update | null {
  return heapFunction<Update>(backend, 'fused-rmsprop', 'rmsprop');
}

/** Whether the running backend can take the fused update (wasm, its memory found, the kernel registered). */
export function canFuseRmsprop(): boolean {
  return tf.getBackend() === 'wasm' && !!tf.getKernel(FUSED_RMSPROP, 'wasm') && updateOn(tf.backend() as unknown as WasmBackend) !== null;
}

/** Inputs value, gradient, ms, mom (float32, one shape); outputs the new value, ms and mom. */
export function fusedRmsprop({ inputs, backend, attrs }: Parameters<tf.KernelFunc>[0]): tf.TensorInfo[] {
  const wasm = backend as unknown as WasmBackend;
  const { value, gradient, ms, mom } = inputs as Record<'value' | 'gradient' | 'ms' | 'mom', tf.TensorInfo>;
  const { learningRate, decay, momentum, epsilon } = attrs as unknown as FusedRmspropAttrs;
  const update = updateOn(wasm);
  if (!update) throw new Error('the wasm backend exposes no memory for the fused RMSprop update');
  for (const t of [value, gradient, ms, mom]) {
    if (t.dtype !== 'float32' || !tf.util.arraysEqual(t.shape, value.shape)) throw new Error(`the fused RMSprop update takes float32 tensors of one shape, got ${t.dtype} [${t.shape.join(', ')}]`);
  }
  const at = (t: tf.TensorInfo): number => heapOffset(wasm, t);
  // The inputs' places first (reading one moves it here from another backend), then the outputs', so a
  // failure leaves nothing allocated. Offsets stay valid when the heap grows: it is one Memory.
  const inputs4 = [at(value), at(gradient), at(ms), at(mom)] as const;
  const outputs = [value, ms, mom].map((t) => wasm.makeOutput([...t.shape], 'float32'));
  // The scalars as TF.js makes them: float32 tensors of the JavaScript values (1 - decay computed in doubles first).
  update(...inputs4, at(outputs[0]!), at(outputs[1]!), at(outputs[2]!), tf.util.sizeFromShape(value.shape), learningRate, decay, 1 - decay, momentum, epsilon);
  return outputs;
}
