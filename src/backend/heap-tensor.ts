import * as tf from '@tensorflow/tfjs';
import { backendMemory, heapBytes, type WasmBackend } from './wasm-heap';

// Tensors filled and read where wasm keeps them. Fresh memory is slow to touch (about 4 ms a megabyte on
// a 2-core VM): a 224-px batch made through a new Float32Array of its 19 MB of pixels, then copied into
// the heap, spent most of its making there. The heap reuses its memory.

/** The running backend if it is wasm with its memory found, else null. */
function wasmHeap(): WasmBackend | null {
  if (tf.getBackend() !== 'wasm') return null;
  const backend = tf.backend() as unknown as WasmBackend;
  return backendMemory(backend) ? backend : null;
}

/**
 * A new float32 tensor of `shape` whose values `fill` writes: on wasm straight into its place on the heap,
 * elsewhere into a new Float32Array that becomes the tensor. `fill` must write every value (the heap is
 * not cleared) and must not make tensors.
 */
export function filledTensor<R extends tf.Rank>(shape: number[], fill: (values: Float32Array) => void): tf.Tensor<R> {
  const heap = wasmHeap();
  if (!heap) {
    const values = new Float32Array(tf.util.sizeFromShape(shape));
    fill(values);
    return tf.tensor(values, shape as tf.ShapeMap[R], 'float32') as tf.Tensor<R>;
  }
  const info = heap.makeOutput(shape, 'float32');
  try {
    fill(heap.typedArrayFromHeap(info));
  } catch (error) {
    tf.dispose(tf.engine().makeTensorFromTensorInfo(info));
    throw error;
  }
  return tf.engine().makeTensorFromTensorInfo(info) as tf.Tensor<R>;
}

/** A view of a float32 or int32 tensor's bytes where the running wasm backend holds it (use it at once); else null. */
export function bytesOnHeap(t: tf.Tensor): Uint8Array | null {
  const heap = wasmHeap();
  return heap && heapBytes(heap, t);
}

/** Copies a float32 tensor's values into `target` at `offset`: on wasm from the heap, without a copy in between. */
export async function copyValues(t: tf.Tensor, target: Float32Array, offset: number): Promise<void> {
  const bytes = t.dtype === 'float32' ? bytesOnHeap(t) : null;
  target.set(bytes ? new Float32Array(bytes.buffer, bytes.byteOffset, t.size) : ((await t.data()) as Float32Array), offset);
}

/** A float32 tensor of `shape` holding these bytes' values (pixels, 0-255): one byte for each value. */
export function tensorOfBytes<R extends tf.Rank>(bytes: Uint8Array, shape: number[]): tf.Tensor<R> {
  const size = tf.util.sizeFromShape(shape);
  if (bytes.length !== size) throw new Error(`${bytes.length} bytes for a tensor of shape [${shape.join(', ')}] (${size} values)`);
  return filledTensor<R>(shape, (values) => values.set(bytes));
}
