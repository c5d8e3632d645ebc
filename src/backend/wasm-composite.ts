import * as tf from '@tensorflow/tfjs';
import { heapFunction, type WasmBackend } from './wasm-heap';

// What the composed wasm kernels (wasm-kernels.ts) are built with: wasm's own kernels run by name, each
// intermediate freed at the end, and the few copies no wasm kernel makes fast (a filter turned 180
// degrees, and with it transposed).

type KernelArgs = Parameters<tf.KernelFunc>[0];
type Info = tf.TensorInfo;
type Quad = [number, number, number, number];
/** transpose.wat's export: byte offsets of A and B, A's rows and columns. */
type Transpose = (from: number, to: number, rows: number, columns: number) => void;

/** Runs wasm kernels by name and frees every intermediate it made (or adopted), except the one it returns. */
export class Composite {
  private readonly made: Info[] = [];
  constructor(private readonly backend: KernelArgs['backend']) {}

  run(kernel: string, inputs: Record<string, Info> | Info[], attrs: Record<string, unknown> = {}): Info {
    const config = tf.getKernel(kernel, 'wasm');
    if (!config) throw new Error(`the wasm backend has no ${kernel} kernel to compose a gradient from`);
    const out = config.kernelFunc({ inputs: inputs as tf.NamedTensorInfoMap, backend: this.backend, attrs: attrs as tf.NamedAttrMap }) as Info;
    this.made.push(out);
    return out;
  }

  /** Takes `info`, made on this backend by one of our own kernels, to free with the rest. */
  adopt(info: Info): Info {
    this.made.push(info);
    return info;
  }

  reshape(x: Info, shape: number[]): Info {
    return this.run('Reshape', { x }, { shape });
  }

  transpose(x: Info, perm: number[]): Info {
    return this.run('Transpose', { x }, { perm });
  }

  /** Output channel group `m` of `multiplier`: [N, H, W, C * M] -> [N, H, W, C]. */
  channelGroup(dy: Info, multiplier: number, m: number): Info {
    if (multiplier === 1) return dy;
    const [n, h, w, cm] = dy.shape as Quad;
    const c = cm / multiplier;
    const grouped = this.reshape(dy, [n, h, w, c, multiplier]);
    return this.reshape(this.run('Slice', { x: grouped }, { begin: [0, 0, 0, 0, m], size: [n, h, w, c, 1] }), [n, h, w, c]);
  }

  /**
   * A filter [kh, kw, ...] turned 180 degrees in its two spatial axes: its kh * kw taps in reverse order,
   * each copied whole (wasm's Reverse and GatherV2 took 70-100 ms on a 3x3x512x512 filter, copying
   * element by element); with `swap`, each tap's [in, out] matrix also transposed to [out, in] by
   * src/backend/wasm/transpose.wat in SIMD 4 x 4 blocks, or in JavaScript where that module is missing
   * (on that filter, Node, 1 thread: wasm's Transpose 13 ms, JavaScript's 16 x 16 blocks 5.5-5.8, ours 1.9-2).
   */
  turn(filter: Info, swap = false): Info {
    if (filter.dtype !== 'float32') throw new Error(`a convolution's filter is float32, got ${filter.dtype}`);
    const [kh, kw, rows, columns] = filter.shape as Quad;
    const heap = this.backend as unknown as WasmBackend;
    const turned = heap.makeOutput(swap ? [kh, kw, columns, rows] : [kh, kw, rows, columns], 'float32');
    this.made.push(turned);
    const [from, to] = [heap.typedArrayFromHeap(filter), heap.typedArrayFromHeap(turned)]; // views made after the allocation, which can move the heap
    const [taps, tap] = [kh * kw, rows * columns];
    const transpose = swap ? heapFunction<Transpose>(heap, 'transpose', 'transpose') : null;
    for (let t = 0; t < taps; t++) {
      const [source, target] = [t * tap, (taps - 1 - t) * tap];
      if (!swap) to.set(from.subarray(source, source + tap), target);
      else if (transpose) transpose(from.byteOffset + source * 4, to.byteOffset + target * 4, rows, columns);
      else transposeInto(from, source, to, target, rows, columns);
    }
    return turned;
  }

  /** Zero-upsampled by the stride, as a strided forward convolution's input gradient needs: [N, Ho * sh, Wo * sw, C]. */
  spread(g: Info, sh: number, sw: number): Info {
    if (sh === 1 && sw === 1) return g;
    const [n, h, w, c] = g.shape as Quad;
    // [N, Ho, 1, Wo, 1, C], padded after each row and column.
    const spread = this.run('PadV2', { x: this.reshape(g, [n, h, 1, w, 1, c]) }, {
      paddings: [[0, 0], [0, 0], [0, sh - 1], [0, 0], [0, sw - 1], [0, 0]],
      constantValue: 0,
    });
    return this.reshape(spread, [n, h * sh, w * sw, c]);
  }

  /** Keeps the leading `size` of a 4-D result (convolutions can run past the rows the forward read). */
  crop(x: Info, size: Quad): Info {
    return (x.shape as number[]).every((d, i) => d === size[i]) ? x : this.run('Slice', { x }, { begin: [0, 0, 0, 0], size });
  }

  /** Frees every intermediate but `result` (null: all of them); returns `result`. */
  finish<T extends Info | null>(result: T): T {
    for (const info of this.made) if (info !== result) (this.backend as tf.KernelBackend).disposeData(info.dataId);
    return result;
  }
}

/** The rows x columns matrix at `source` in `from`, transposed, at `target` in `to`, in 16 x 16 blocks. */
export function transposeInto(from: Float32Array, source: number, to: Float32Array, target: number, rows: number, columns: number): void {
  const block = 16;
  for (let i0 = 0; i0 < rows; i0 += block) {
    for (let j0 = 0; j0 < columns; j0 += block) {
      const [iEnd, jEnd] = [Math.min(i0 + block, rows), Math.min(j0 + block, columns)];
      for (let i = i0; i < iEnd; i++) for (let j = j0; j < jEnd; j++) to[target + j * rows + i] = from[source + i * columns + j]!;
    }
  }
}
