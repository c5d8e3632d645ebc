import type * as tf from '@tensorflow/tfjs';
import { WASM_MODULES } from './wasm/modules';

// Our own wasm kernels (src/backend/wasm/*.wat) run on tfjs-backend-wasm's heap: each module imports the
// backend's memory, so a kernel reads and writes tensors where TF.js keeps them, without copies.

export type ModuleName = keyof typeof WASM_MODULES;

/** The parts of tfjs-backend-wasm's BackendWasm our kernels use (public in its typings). */
export interface WasmBackend {
  wasm: { wasmMemory?: WebAssembly.Memory; asm?: { memory?: WebAssembly.Memory } };
  /** TF.js' DataStorage: `get` moves a tensor here from another backend first; `has` only looks. */
  dataIdMap: { get(dataId: object): { memoryOffset: number } | undefined; has(dataId: object): boolean };
  makeOutput(shape: number[], dtype: 'float32'): tf.TensorInfo;
  /** A view of a float32 tensor's values on the heap (made after any allocation, which can move the heap). */
  typedArrayFromHeap(info: tf.TensorInfo): Float32Array;
}

/** A module compiled in the form that imports `memory` as it is (shared or plain); null where it does not compile (no wasm SIMD). */
export function compileFor(memory: WebAssembly.Memory, binaries: { shared: string; plain: string }): WebAssembly.Module | null {
  const shared = typeof SharedArrayBuffer !== 'undefined' && memory.buffer instanceof SharedArrayBuffer;
  const binary = Uint8Array.from(atob(binaries[shared ? 'shared' : 'plain']), (c) => c.charCodeAt(0));
  try {
    return new WebAssembly.Module(binary);
  } catch {
    return null;
  }
}

/**
 * Export `name` of a module instantiated on `memory` (the form that imports a shared or a plain memory,
 * as it is); null where it does not compile or link: a browser without wasm SIMD keeps TF.js' own kernel.
 */
export function instantiateOn<F>(memory: WebAssembly.Memory, binaries: { shared: string; plain: string }, name: string): F | null {
  const module = compileFor(memory, binaries);
  try {
    return module ? ((new WebAssembly.Instance(module, { env: { memory } }).exports[name] as F | undefined) ?? null) : null;
  } catch {
    return null;
  }
}

/** The backend's memory: Emscripten names it wasmMemory where threads run, else asm.memory. */
export function backendMemory(backend: WasmBackend): WebAssembly.Memory | null {
  return backend.wasm.wasmMemory ?? backend.wasm.asm?.memory ?? null;
}

const made = new WeakMap<object, Map<string, unknown>>();

/** A module's export on this backend's heap, made once; null where there is none. */
export function heapFunction<F>(backend: WasmBackend, module: ModuleName, name: string): F | null {
  let functions = made.get(backend);
  if (!functions) made.set(backend, (functions = new Map()));
  if (!functions.has(module)) {
    const memory = backendMemory(backend);
    functions.set(module, memory ? instantiateOn<F>(memory, WASM_MODULES[module], name) : null);
  }
  return functions.get(module) as F | null;
}

/**
 * A view of a float32 or int32 tensor's bytes on the running backend's heap, if that is wasm and holds it;
 * else null. Valid until the next allocation (which can grow, and so move, the heap): use it at once.
 */
export function heapBytes(backend: WasmBackend, t: tf.TensorInfo): Uint8Array | null {
  const data = backend.dataIdMap.has(t.dataId) ? backend.dataIdMap.get(t.dataId) : undefined;
  const memory = backendMemory(backend);
  if (!data || !memory || (t.dtype !== 'float32' && t.dtype !== 'int32')) return null;
  return new Uint8Array(memory.buffer, data.memoryOffset, t.shape.reduce((n, d) => n * d, 1) * 4);
}

/** A tensor's byte offset in the heap (reading it moves the tensor here from another backend). */
export function heapOffset(backend: WasmBackend, t: tf.TensorInfo): number {
  const data = backend.dataIdMap.get(t.dataId);
  if (!data) throw new Error('a tensor of one of our wasm kernels is not on the wasm backend');
  return data.memoryOffset;
}
