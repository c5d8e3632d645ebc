import * as tf from '@tensorflow/tfjs';
import { Composite } from './wasm-composite';
import { ownConv2d, ownConv2dBackpropFilter } from './wasm-conv';
import { ownFusedMatMul, ownMatMul } from './wasm-matmul';
import { FUSED_RMSPROP, fusedRmsprop } from './wasm-rmsprop';

// tfjs-backend-wasm 4.22 cannot train a convolution: it lacks Conv2DBackpropFilter (VGG16's stage 2) and
// both depthwise gradients (MobileNet-style bases), and its Conv2DBackpropInput is a scalar loop on one
// thread (half of a VGG16 stage-2 step at 64 px). Each is composed here from kernels wasm runs fast and
// on every thread (XNNPACK convolutions, transposes, pads), never from per-element JavaScript loops:
// - a filter gradient is a convolution of the input with the output gradient, batch and channel axes
//   swapped (depthwise: batch folded into channels), the forward stride becoming a dilation;
// - an input gradient is a convolution of the zero-upsampled output gradient with the filter turned 180
//   degrees (and its input and output channels swapped; depthwise: one channel group at a time).
// Its BatchMatMul is also wrapped: asked to transpose an operand (every Dense layer's gradients are), it
// runs 7-16x slower than on operands transposed first (below); and the product itself, with
// _FusedMatMul's, is ours where it can be (wasm-matmul.ts: XNNPACK repacks the weights at every update),
// as are small convolutions (wasm-conv.ts), theirs included.

type KernelArgs = Parameters<tf.KernelFunc>[0];
type Info = tf.TensorInfo;
type Quad = [number, number, number, number];

/** Pads that make a stride-1 convolution over `length` input rows yield exactly the rows we keep. */
function trailingPad(outLength: number, stride: number, kernel: number, inLength: number, lead: number): number {
  return Math.max(0, (outLength - 1) * stride + kernel - inLength - lead);
}

/** Conv2DBackpropFilter composed of wasm kernels (exported for its parity test with ours, wasm-conv.ts). */
export function conv2dBackpropFilter({ inputs, backend, attrs }: KernelArgs): Info {
  const { x, dy } = inputs as { x: Info; dy: Info };
  const { strides, pad, dataFormat, dimRoundingMode, filterShape } = attrs as unknown as tf.Conv2DBackpropFilterAttrs;
  if (dataFormat !== 'NHWC') throw new Error(`Conv2DBackpropFilter on wasm supports NHWC only, got ${dataFormat}`);
  const info = tf.backend_util.computeConv2DInfo(x.shape as Quad, filterShape, strides, 1, pad, dimRoundingMode, false, 'channelsLast');
  const { filterHeight: kh, filterWidth: kw, strideHeight: sh, strideWidth: sw, inHeight, inWidth, outHeight, outWidth } = info;
  const { top, left } = info.padInfo;
  const k = new Composite(backend);
  const grad = k.run(
    'Conv2D',
    { x: k.transpose(x, [3, 1, 2, 0]), filter: k.transpose(dy, [1, 2, 0, 3]) }, // [Ci, H, W, N] * [Ho, Wo, N, Co]
    {
      strides: [1, 1],
      dilations: [sh, sw],
      pad: [[0, 0], [top, trailingPad(outHeight, sh, kh, inHeight, top)], [left, trailingPad(outWidth, sw, kw, inWidth, left)], [0, 0]],
      dataFormat: 'NHWC',
    },
  ); // [Ci, >=kh, >=kw, Co]
  const [ci, , , co] = grad.shape as Quad;
  return k.finish(k.transpose(k.crop(grad, [ci, kh, kw, co]), [1, 2, 0, 3]));
}

function fail(message: string): never {
  throw new Error(message);
}

type Pads = [[number, number], [number, number], [number, number], [number, number]];

/**
 * Pads that make a stride-1 convolution of the spread output gradient (Composite.spread: outHeight *
 * strideHeight rows) with the turned filter yield at least the forward's input rows and columns; null
 * where the forward padded more than its filter spans (no such convolution exists).
 */
function inputGradientPads(info: tf.backend_util.Conv2DInfo): Pads | null {
  const spanH = (info.filterHeight - 1) * info.dilationHeight + 1;
  const spanW = (info.filterWidth - 1) * info.dilationWidth + 1;
  const top = spanH - 1 - info.padInfo.top;
  const left = spanW - 1 - info.padInfo.left;
  if (top < 0 || left < 0) return null;
  const [gh, gw] = [info.outHeight * info.strideHeight, info.outWidth * info.strideWidth];
  return [[0, 0], [top, Math.max(0, info.inHeight + spanH - 1 - top - gh)], [left, Math.max(0, info.inWidth + spanW - 1 - left - gw)], [0, 0]];
}

/** Conv2DBackpropInput as a convolution (above), falling back to wasm's own kernel for NCHW and for pads wider than the filter. */
function composedConv2dInput(original: tf.KernelFunc): tf.KernelFunc {
  return (args) => {
    const { inputs, backend, attrs } = args;
    const { dy, filter } = inputs as { dy: Info; filter: Info };
    const { strides, pad, dataFormat, dimRoundingMode, inputShape } = attrs as unknown as tf.Conv2DBackpropInputAttrs;
    if (dataFormat !== 'NHWC') return original(args);
    const info = tf.backend_util.computeConv2DInfo(inputShape, filter.shape as Quad, strides, 1, pad, dimRoundingMode, false, 'channelsLast');
    const pads = inputGradientPads(info);
    if (!pads) return original(args);
    const k = new Composite(backend);
    // [kh, kw, Ci, Co] turned 180 degrees, its channels swapped: a filter from dy's Co channels to Ci.
    const turned = k.turn(filter, true);
    const dx = k.run('Conv2D', { x: k.spread(dy, info.strideHeight, info.strideWidth), filter: turned }, { strides: [1, 1], dilations: [1, 1], pad: pads, dataFormat: 'NHWC' });
    return k.finish(k.crop(dx, [info.batchSize, info.inHeight, info.inWidth, info.inChannels]));
  };
}

function depthwiseInfo(xShape: Quad, filterShape: Quad, attrs: tf.NamedAttrMap | undefined) {
  const { strides, dilations, pad, dimRoundingMode } = attrs as unknown as tf.DepthwiseConv2dNativeBackpropFilterAttrs;
  return tf.backend_util.computeConv2DInfo(xShape, filterShape, strides, dilations, pad, dimRoundingMode, true);
}

function depthwiseBackpropFilter({ inputs, backend, attrs }: KernelArgs): Info {
  const { x, dy } = inputs as { x: Info; dy: Info };
  const filterShape = (attrs as unknown as tf.DepthwiseConv2dNativeBackpropFilterAttrs).filterShape as Quad;
  const info = depthwiseInfo(x.shape as Quad, filterShape, attrs);
  const { filterHeight: kh, filterWidth: kw, strideHeight: sh, strideWidth: sw, dilationHeight: dh, dilationWidth: dw } = info;
  const { inHeight, inWidth, outHeight, outWidth, batchSize: n, inChannels: c } = info;
  const { top, left } = info.padInfo;
  // TF.js' depthwise gradient rejects dilations above 1 before any kernel runs, on every backend.
  if (dh !== 1 || dw !== 1) throw new Error(`depthwise filter gradients with dilation ${dh}x${dw} are not supported`);
  const multiplier = filterShape[3];
  const k = new Composite(backend);
  const folded = k.reshape(k.transpose(x, [1, 2, 0, 3]), [1, inHeight, inWidth, n * c]); // batch folded into channels
  const groups: Info[] = [];
  for (let m = 0; m < multiplier; m++) {
    const filter = k.reshape(k.transpose(k.channelGroup(dy, multiplier, m), [1, 2, 0, 3]), [outHeight, outWidth, n * c, 1]);
    const full = k.run('DepthwiseConv2dNative', { x: folded, filter }, {
      strides: [1, 1],
      dilations: [sh, sw],
      pad: [[0, 0], [top, trailingPad(outHeight, sh, kh, inHeight, top)], [left, trailingPad(outWidth, sw, kw, inWidth, left)], [0, 0]],
    }); // [1, >=kh, >=kw, N * C]
    const taps = k.crop(full, [1, kh, kw, n * c]);
    groups.push(k.run('Sum', { x: k.reshape(taps, [kh, kw, n, c]) }, { axis: [2], keepDims: false })); // [kh, kw, C]
  }
  const stacked = multiplier === 1 ? groups[0]! : k.run('Pack', groups, { axis: 3 });
  return k.finish(k.reshape(stacked, filterShape));
}

function depthwiseBackpropInput({ inputs, backend, attrs }: KernelArgs): Info {
  const { dy, filter } = inputs as { dy: Info; filter: Info };
  const inputShape = (attrs as unknown as tf.DepthwiseConv2dNativeBackpropInputAttrs).inputShape as Quad;
  const info = depthwiseInfo(inputShape, filter.shape as Quad, attrs);
  const { filterHeight: kh, filterWidth: kw, strideHeight: sh, strideWidth: sw, dilationHeight: dh, dilationWidth: dw } = info;
  const { inHeight, inWidth, batchSize: n, inChannels: c } = info;
  const multiplier = (filter.shape as Quad)[3];
  const pads = inputGradientPads(info) ?? fail(`a depthwise input gradient with pads wider than its ${kh}x${kw} filter is not supported`);
  const k = new Composite(backend);
  const turned = k.turn(filter);
  let sum: Info | null = null;
  for (let m = 0; m < multiplier; m++) {
    const g = k.spread(k.channelGroup(dy, multiplier, m), sh, sw);
    const tap = k.reshape(
      multiplier === 1 ? turned : k.run('Slice', { x: turned }, { begin: [0, 0, 0, m], size: [kh, kw, c, 1] }),
      [kh, kw, c, 1],
    );
    const dx = k.run('DepthwiseConv2dNative', { x: g, filter: tap }, {
      strides: [1, 1],
      dilations: [dh, dw],
      pad: pads,
    });
    const exact = k.crop(dx, [n, inHeight, inWidth, c]);
    sum = sum ? k.run('Add', { a: sum, b: exact }) : exact;
  }
  return k.finish(sum!);
}

/** The last two axes swapped. */
function swapLast(k: Composite, x: Info): Info {
  const perm = x.shape.map((_, i) => i);
  const r = perm.length;
  [perm[r - 2], perm[r - 1]] = [perm[r - 1]!, perm[r - 2]!];
  return k.transpose(x, perm);
}

/**
 * tfjs-backend-wasm 4.22's BatchMatMul with transposeA or transposeB: measured on a 25,088-wide Dense
 * layer at batch 32 (its weight and input gradients), 663 and 281 ms against 41 ms untransposed, and
 * 61 ms for a Transpose then the untransposed product. A transpose is a copy, so this is the same product.
 */
function untransposedMatMul(original: tf.KernelFunc): tf.KernelFunc {
  return (args) => {
    const { a, b } = args.inputs as { a: Info; b: Info };
    const { transposeA, transposeB } = args.attrs as unknown as tf.BatchMatMulAttrs;
    if (!transposeA && !transposeB) return original(args);
    const k = new Composite(args.backend);
    const inputs = { a: transposeA ? swapLast(k, a) : a, b: transposeB ? swapLast(k, b) : b };
    return k.finish(original({ ...args, inputs, attrs: { ...args.attrs, transposeA: false, transposeB: false } }) as Info);
  };
}
const replacements = new WeakSet<tf.KernelFunc>();

/** Puts `wrap(wasm's own kernel)` in the kernel's place, once; false when it is there already or wasm has none. */
function replaceKernel(kernelName: string, wrap: (original: tf.KernelFunc) => tf.KernelFunc): boolean {
  const config = tf.getKernel(kernelName, 'wasm');
  if (!config || replacements.has(config.kernelFunc)) return false;
  const kernelFunc = wrap(config.kernelFunc);
  replacements.add(kernelFunc);
  tf.unregisterKernel(kernelName, 'wasm');
  tf.registerKernel({ ...config, kernelFunc }); // its setupFunc has bound the wasm function already; it may run again
  return true;
}

const REPLACED: Record<string, (original: tf.KernelFunc) => tf.KernelFunc> = {
  BatchMatMul: (original) => untransposedMatMul(ownMatMul(original)),
  _FusedMatMul: ownFusedMatMul,
  Conv2D: ownConv2d,
  FusedConv2D: ownConv2d,
  Conv2DBackpropInput: composedConv2dInput,
};

const COMPOSED: Record<string, tf.KernelFunc> = {
  Conv2DBackpropFilter: ownConv2dBackpropFilter(conv2dBackpropFilter),
  DepthwiseConv2dNativeBackpropFilter: depthwiseBackpropFilter,
  DepthwiseConv2dNativeBackpropInput: depthwiseBackpropInput,
  // Not one wasm lacks: stage 1's RMSprop update in one pass (wasm-rmsprop.ts).
  [FUSED_RMSPROP]: fusedRmsprop as tf.KernelFunc,
};

/** Registers the training kernels wasm lacks or runs slowly; returns those it added (none on a second call). */
export function registerWasmTrainingKernels(): string[] {
  const added = Object.entries(REPLACED).flatMap(([kernelName, wrap]) => (replaceKernel(kernelName, wrap) ? [kernelName] : []));
  for (const [kernelName, kernelFunc] of Object.entries(COMPOSED)) {
    if (tf.getKernel(kernelName, 'wasm')) continue;
    tf.registerKernel({ kernelName, backendName: 'wasm', kernelFunc });
    added.push(kernelName);
  }
  return added;
}
