import * as tf from '@tensorflow/tfjs';
import { getThreadsCount } from '@tensorflow/tfjs-backend-wasm';
import { Composite } from './wasm-composite';
import { OWN_ACTIVATIONS, product, productThreads } from './wasm-matmul';
import type { WasmBackend } from './wasm-heap';

// A convolution as our matrix product (wasm-matmul.ts) over its input's patches, where XNNPACK's own
// would spend its time repacking the filter: tfjs-backend-wasm 4.22 makes an XNNPACK convolution per
// filter tensor, copying the whole filter into XNNPACK's layout on one thread, so a trained layer's
// convolutions (its forward pass, and the input gradient's convolution with the turned filter) repack
// 2.4 M weights at every step for VGG16's block 5. Each output is XNNPACK's same running sum, taps in
// row order, channels inside, from its bias, so the result is XNNPACK's bit for bit
// (test/unit/wasm-matmul.test.ts) and which of the two runs a call changes nothing but its time.

type Info = tf.TensorInfo;
type Quad = [number, number, number, number];

/**
 * XNNPACK's product runs on the backend's threads after its one-thread repacking, ours on its own team's
 * (wasm-team.ts; one thread until the team is ready, or where there is none), so ours is taken while
 * rows (output positions) times the first count over the second stay within this. Measured in Node on one thread
 * with VGG16's 3x3x512x512 filter, changed before each call (ms, ours / XNNPACK's with its repacking /
 * XNNPACK's on a filter it has packed already): 32 rows 4.9 / 25.7 / 4.6; 128 rows 18 / 41 / 18;
 * 256 rows 31 / 53 / 34; 512 rows 87 / 88 / 68; 1,568 rows 240 / 231 / 204 (and 3x3x256x256 at 512
 * rows 20 / 20 / 16). Repacking costs about 20 ms and the rest divides by the threads: against 2
 * threads ours on one gains up to about 256 rows, against 4 up to 128; on as many threads, up to 512.
 */
const ROWS_TIMES_THREADS = 512;

/** Where each output position's patch starts in the input, per tap (-1 where it overhangs): [rows, taps]. */
function patchStarts(info: tf.backend_util.Conv2DInfo, rows: 'batch-major' | 'position-major'): Int32Array {
  const { batchSize, inHeight, inWidth, inChannels: c, outHeight, outWidth, filterHeight, filterWidth } = info;
  const { strideHeight, strideWidth, dilationHeight, dilationWidth, padInfo } = info;
  const positions = outHeight * outWidth;
  const starts = new Int32Array(batchSize * positions * filterHeight * filterWidth);
  let at = 0;
  for (let row = 0; row < batchSize * positions; row++) {
    const [n, position] = rows === 'batch-major' ? [Math.floor(row / positions), row % positions] : [row % batchSize, Math.floor(row / batchSize)];
    const [oy, ox] = [Math.floor(position / outWidth), position % outWidth];
    for (let ty = 0; ty < filterHeight; ty++) {
      const iy = oy * strideHeight + ty * dilationHeight - padInfo.top;
      for (let tx = 0; tx < filterWidth; tx++) {
        const ix = ox * strideWidth + tx * dilationWidth - padInfo.left;
        starts[at++] = iy < 0 || iy >= inHeight || ix < 0 || ix >= inWidth ? -1 : ((n * inHeight + iy) * inWidth + ix) * c;
      }
    }
  }
  return starts;
}

/**
 * Each output position's input patch, zeros where it overhangs: [rows, taps * inChannels] with rows
 * batch-major ([batch, outHeight, outWidth]), a forward product's left operand.
 */
function patches(backend: WasmBackend, x: Info, info: tf.backend_util.Conv2DInfo): Info {
  const c = info.inChannels;
  const starts = patchStarts(info, 'batch-major');
  const out = backend.makeOutput([info.batchSize * info.outHeight * info.outWidth, info.filterHeight * info.filterWidth * c], 'float32');
  const [from, to] = [backend.typedArrayFromHeap(x), backend.typedArrayFromHeap(out)]; // views made after the allocation, which can move the heap
  starts.forEach((start, i) => (start < 0 ? to.fill(0, i * c, (i + 1) * c) : to.set(from.subarray(start, start + c), i * c)));
  return out;
}

/**
 * The same patches transposed, rows position-major ([outHeight, outWidth, batch], the order XNNPACK
 * sums a filter gradient in): [taps * inChannels, rows], a filter gradient's left operand.
 */
function patchColumns(backend: WasmBackend, x: Info, info: tf.backend_util.Conv2DInfo): Info {
  const [c, taps, rows] = [info.inChannels, info.filterHeight * info.filterWidth, info.batchSize * info.outHeight * info.outWidth];
  const starts = patchStarts(info, 'position-major');
  const out = backend.makeOutput([taps * c, rows], 'float32');
  const [from, to] = [backend.typedArrayFromHeap(x), backend.typedArrayFromHeap(out)];
  let at = 0;
  for (let t = 0; t < taps; t++) {
    for (let ci = 0; ci < c; ci++) {
      for (let row = 0; row < rows; row++) {
        const start = starts[row * taps + t]!;
        to[at++] = start < 0 ? 0 : from[start + ci]!;
      }
    }
  }
  return out;
}

/**
 * Filters a convolution has run with before: from its second call on, a filter goes to XNNPACK, which
 * packs it then, once (a frozen layer's, or one that several batches share), and whose product on a
 * packed filter is as fast as ours or faster, on every thread. A trained layer's filter is a new tensor
 * at every step, so its one call is ours.
 */
const filtersSeen = new WeakSet<object>();

/** Whether ours is taken for a product over `rows` output positions (ROWS_TIMES_THREADS): ours on its own threads, XNNPACK's on the backend's. */
function oursFaster(backend: WasmBackend, rows: number): boolean {
  return rows > 0 && (rows * getThreadsCount()) / productThreads(backend) <= ROWS_TIMES_THREADS;
}

/**
 * Conv2DBackpropFilter as our product: the input's patches, rows position-major, transposed, times the
 * output gradient [outHeight, outWidth, batch, out]: the same sums in the same order as the
 * convolution wasm-kernels.ts composes it from, so the same gradient bit for bit. `composed` runs where
 * ours is not taken.
 */
export function ownConv2dBackpropFilter(composed: tf.KernelFunc): tf.KernelFunc {
  return (args) => {
    const { x, dy } = args.inputs as { x: Info; dy: Info };
    const attrs = args.attrs as unknown as tf.Conv2DBackpropFilterAttrs;
    const outChannels = attrs.filterShape[3];
    if (attrs.dataFormat !== 'NHWC' || x.dtype !== 'float32' || dy.dtype !== 'float32' || outChannels % 8 !== 0) return composed(args);
    const info = tf.backend_util.computeConv2DInfo(x.shape as Quad, attrs.filterShape, attrs.strides, 1, attrs.pad, attrs.dimRoundingMode, false, 'channelsLast');
    const rows = info.batchSize * info.outHeight * info.outWidth;
    const backend = args.backend as unknown as WasmBackend;
    if (!oursFaster(backend, rows)) return composed(args);
    const k = new Composite(args.backend);
    try {
      const colsT = k.adopt(patchColumns(backend, x, info));
      const g = k.transpose(dy, [1, 2, 0, 3]);
      const out = product(backend, colsT, { ...g, shape: [rows, outChannels] }, null, false);
      return out ? { ...out, shape: [...attrs.filterShape] } : composed(args);
    } finally {
      k.finish(null);
    }
  };
}

/** Conv2D and FusedConv2D (no bias or one per channel; linear or ReLU): ours where it is faster, else wasm's own. */
export function ownConv2d(original: tf.KernelFunc): tf.KernelFunc {
  return (args) => {
    const { x, filter, bias } = args.inputs as { x: Info; filter: Info; bias?: Info };
    const attrs = args.attrs as unknown as tf.FusedConv2DAttrs;
    const activation = attrs.activation ?? 'linear';
    const [, , inChannels, outChannels] = filter.shape as Quad;
    if (attrs.dataFormat !== 'NHWC' || x.dtype !== 'float32' || filter.dtype !== 'float32' || !OWN_ACTIVATIONS.has(activation)) return original(args);
    if (outChannels % 8 !== 0 || (bias && (bias.dtype !== 'float32' || bias.shape.length !== 1 || bias.shape[0] !== outChannels))) return original(args);
    if (filtersSeen.has(filter.dataId)) return original(args);
    filtersSeen.add(filter.dataId);
    const info = tf.backend_util.computeConv2DInfo(x.shape as Quad, filter.shape as Quad, attrs.strides, attrs.dilations, attrs.pad, attrs.dimRoundingMode, false, 'channelsLast');
    const backend = args.backend as unknown as WasmBackend;
    if (inChannels !== info.inChannels || !oursFaster(backend, info.batchSize * info.outHeight * info.outWidth)) return original(args);
    const k = new Composite(args.backend);
    try {
      const cols = k.adopt(patches(backend, x, info));
      const weights = { ...filter, shape: [info.filterHeight * info.filterWidth * inChannels, outChannels] }; // the filter as it lies: [taps * in, out]
      const out = product(backend, cols, weights, bias ?? null, activation === 'relu');
      return out ? { ...out, shape: info.outShape } : original(args);
    } finally {
      k.finish(null);
    }
  };
}
