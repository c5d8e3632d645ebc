import * as tf from '@tensorflow/tfjs';
import { WASM_MODULES } from './wasm/modules';

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

/** The parts of tfjs-backend-wasm's BackendWasm this kernel uses (public in its typings). */
interface WasmBackend {
  wasm: { wasmMemory?: WebAssembly.Memory; asm?: { memory?: WebAssembly.Memory } };
  dataIdMap: { get(dataId: object): { memoryOffset: number } | undefined };
  makeOutput(shape: number[], dtype: 'float32'): tf.TensorInfo;
}

const updates = new WeakMap<object, Update | null>();

/** The update function on this backend's memory (Emscripten names it wasmMemory where threads run, else asm.memory); null where neither is there. */
function updateOn(backend: WasmBackend): Update | null {
  if (updates.has(backend)) return updates.get(backend)!;
  const memory = backend.wasm.wasmMemory ?? backend.wasm.asm?.memory ?? null;
  let update: Update | null = null;
  if (memory) {
    const shared = typeof SharedArrayBuffer !== 'undefined' && memory.buffer instanceof SharedArrayBuffer;
    const binary = Uint8Array.from(atob(WASM_MODULES['fused-rmsprop'][shared ? 'shared' : 'plain']), (c) => c.charCodeAt(0));
    const instance = new WebAssembly.Instance(new WebAssembly.Module(binary), { env: { memory } });
    update = instance.exports['rmsprop'] as Update;
  }
  updates.set(backend, update);
  return update;
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
  const outputs = [value, ms, mom].map((t) => wasm.makeOutput([...t.shape], 'float32'));
  const at = (t: tf.TensorInfo): number => wasm.dataIdMap.get(t.dataId)!.memoryOffset;
  // The scalars as TF.js makes them: float32 tensors of the JavaScript values (1 - decay computed in doubles first).
  update(at(value), at(gradient), at(ms), at(mom), at(outputs[0]!), at(outputs[1]!), at(outputs[2]!), tf.util.sizeFromShape(value.shape), learningRate, decay, 1 - decay, momentum, epsilon);
  return outputs;
}
