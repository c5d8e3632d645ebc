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

/**
 * The update function on `memory` (the module form that imports a shared or a plain memory, as it is);
 * null where it does not compile or link: a browser without wasm SIMD then trains with TF.js' own update.
 */
export function updateFunction(memory: WebAssembly.Memory, binaries: { shared: string; plain: string } = WASM_MODULES['fused-rmsprop']): Update | null {
  const shared = typeof SharedArrayBuffer !== 'undefined' && memory.buffer instanceof SharedArrayBuffer;
  const binary = Uint8Array.from(atob(binaries[shared ? 'shared' : 'plain']), (c) => c.charCodeAt(0));
  try {
    const instance = new WebAssembly.Instance(new WebAssembly.Module(binary), { env: { memory } });
    return instance.exports['rmsprop'] as Update;
  } catch {
    return null;
  }
}

/** The update on this backend's memory (Emscripten names it wasmMemory where threads run, else asm.memory), made once; null where there is none. */
function updateOn(backend: WasmBackend): Update | null {
  if (!updates.has(backend)) {
    const memory = backend.wasm.wasmMemory ?? backend.wasm.asm?.memory ?? null;
    updates.set(backend, memory ? updateFunction(memory) : null);
  }
  return updates.get(backend)!;
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
  const at = (t: tf.TensorInfo): number => {
    const data = wasm.dataIdMap.get(t.dataId);
    if (!data) throw new Error('a tensor of the fused RMSprop update is not on the wasm backend');
    return data.memoryOffset;
  };
  // The inputs' places first (reading one moves it here from another backend), then the outputs', so a
  // failure leaves nothing allocated. Offsets stay valid when the heap grows: it is one Memory.
  const inputs4 = [at(value), at(gradient), at(ms), at(mom)] as const;
  const outputs = [value, ms, mom].map((t) => wasm.makeOutput([...t.shape], 'float32'));
  // The scalars as TF.js makes them: float32 tensors of the JavaScript values (1 - decay computed in doubles first).
  update(...inputs4, at(outputs[0]!), at(outputs[1]!), at(outputs[2]!), tf.util.sizeFromShape(value.shape), learningRate, decay, 1 - decay, momentum, epsilon);
  return outputs;
}
