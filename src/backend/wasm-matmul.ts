import * as tf from '@tensorflow/tfjs';
import { getThreadsCount } from '@tensorflow/tfjs-backend-wasm';
import { WASM_MODULES } from './wasm/modules';
import { backendMemory, compileFor, heapFunction, heapOffset, type WasmBackend } from './wasm-heap';
import { canWait, MAX_HELPERS, ProductTeam, webHelper, type Helper, type ProductPart } from './wasm-team';

// A matrix product of our own for wasm's BatchMatMul and _FusedMatMul. tfjs-backend-wasm 4.22 runs
// them as XNNPACK fully-connected operators, made once per weight tensor: each copies its weights into
// XNNPACK's layout first, so after every update of a trained Dense layer the whole kernel is copied
// again, on one thread (a 25,088 x 256 head kernel at batch 32: 36 ms, of which the product is 15).
// Ours (src/backend/wasm/matmul.wat) reads the weights where they lie. Each output is the same running
// sum, in the same order and with the bias first, as XNNPACK's, so the results are XNNPACK's bit for
// bit (test/unit/wasm-matmul.test.ts): nothing trained before changes.

const teams = new WeakMap<object, ProductTeam | null>();

/**
 * The product's team on this backend (wasm-team.ts), started on the first product: a helper for each of
 * the backend's threads but one, where its memory is shared (threads run) and this thread may wait;
 * null elsewhere (one thread). Until its helpers are ready, products run on the calling thread.
 */
function teamOf(backend: WasmBackend, part: ProductPart): ProductTeam | null {
  if (!teams.has(backend)) {
    const memory = backendMemory(backend);
    const wanted = Math.min(getThreadsCount() - 1, MAX_HELPERS);
    let team: ProductTeam | null = null;
    if (memory && typeof SharedArrayBuffer !== 'undefined' && memory.buffer instanceof SharedArrayBuffer && wanted > 0 && canWait()) {
      const module = compileFor(memory, WASM_MODULES.matmul);
      const helpers = Array.from({ length: wanted }, webHelper).filter((h): h is Helper => h !== null);
      if (module && helpers.length === wanted) team = new ProductTeam(part, module, memory, helpers);
      else helpers.forEach((h) => h.terminate());
    }
    teams.set(backend, team);
  }
  return teams.get(backend)!;
}

/** Threads our product runs on here now (1 until its team is ready, and where it has none). */
export function productThreads(backend: WasmBackend): number {
  return teams.get(backend)?.size ?? 1;
}

/** The fused activations the product applies itself; the others stay with wasm's own kernel. */
export const OWN_ACTIVATIONS = new Set(['linear', 'relu']);

/** Leading axes all 1: the product of one matrix pair. */
function single(t: tf.TensorInfo): boolean {
  return t.shape.length >= 2 && t.shape.slice(0, -2).every((d) => d === 1);
}

/** The output shape wasm's kernel gives one matrix pair: leading 1s as many as the longer input has. */
function outputShape(a: tf.TensorInfo, b: tf.TensorInfo): number[] {
  const lead = Math.max(a.shape.length, b.shape.length) - 2;
  return [...Array<number>(lead).fill(1), a.shape.at(-2)!, b.shape.at(-1)!];
}

/**
 * Whether ours computes a (m x k) . b (k x n): float32 matrices, untransposed (wasm-kernels.ts moves
 * transposes out first), none empty, n a multiple of 8 (the kernel's column strip).
 */
function ownable(a: tf.TensorInfo, b: tf.TensorInfo, attrs: { transposeA: boolean; transposeB: boolean }): boolean {
  return (
    a.dtype === 'float32' && b.dtype === 'float32' && !attrs.transposeA && !attrs.transposeB &&
    single(a) && single(b) && a.shape.at(-1) === b.shape.at(-2) &&
    a.shape.at(-2)! >= 1 && a.shape.at(-1)! >= 1 && b.shape.at(-1)! >= 8 && b.shape.at(-1)! % 8 === 0
  );
}

/** Runs the product into a new output; null where the module is missing (no wasm SIMD) or the sizes are not the kernel's (none empty, 8n columns). */
export function product(backend: WasmBackend, a: tf.TensorInfo, b: tf.TensorInfo, bias: tf.TensorInfo | null, relu: boolean): tf.TensorInfo | null {
  const [m, k, n] = [a.shape.at(-2)!, a.shape.at(-1)!, b.shape.at(-1)!];
  if (!(m >= 1 && k >= 1 && n >= 8 && n % 8 === 0)) return null;
  const part = heapFunction<ProductPart>(backend, 'matmul', 'matmul');
  if (!part) return null;
  // The inputs' places first (reading one moves it here from another backend), then the output's.
  const [pa, pb, pbias] = [heapOffset(backend, a), heapOffset(backend, b), bias ? heapOffset(backend, bias) : -1];
  const out = backend.makeOutput(outputShape(a, b), 'float32');
  try {
    const job = { a: pa, b: pb, c: heapOffset(backend, out), m, k, n, bias: pbias, relu: relu ? 1 : 0 };
    const team = teamOf(backend, part);
    if (team) team.run(job);
    else part(job.a, job.b, job.c, k, n, job.bias, job.relu, 0, m, 0, n);
    return out;
  } catch (error) {
    (backend as unknown as tf.KernelBackend).disposeData(out.dataId);
    throw error;
  }
}

/** BatchMatMul: ours where it can, else wasm's own. */
export function ownMatMul(original: tf.KernelFunc): tf.KernelFunc {
  return (args) => {
    const { a, b } = args.inputs as { a: tf.TensorInfo; b: tf.TensorInfo };
    const attrs = args.attrs as unknown as tf.BatchMatMulAttrs;
    return (ownable(a, b, attrs) && product(args.backend as unknown as WasmBackend, a, b, null, false)) || original(args);
  };
}

/** _FusedMatMul with no bias or one bias per column, linear or ReLU: ours, else wasm's own. */
export function ownFusedMatMul(original: tf.KernelFunc): tf.KernelFunc {
  return (args) => {
    const { a, b, bias } = args.inputs as { a: tf.TensorInfo; b: tf.TensorInfo; bias?: tf.TensorInfo };
    const attrs = args.attrs as unknown as tf._FusedMatMulAttrs;
    const columns = b.shape.at(-1);
    const biasFits = !bias || (bias.dtype === 'float32' && tf.util.sizeFromShape(bias.shape) === columns && bias.shape.at(-1) === columns);
    if (!ownable(a, b, attrs) || !biasFits || !OWN_ACTIVATIONS.has(attrs.activation)) return original(args);
    return product(args.backend as unknown as WasmBackend, a, b, bias ?? null, attrs.activation === 'relu') ?? original(args);
  };
}
