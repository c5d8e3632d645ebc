import * as tf from '@tensorflow/tfjs';

// tfjs-backend-wasm 4.22 cannot train a convolution: it lacks Conv2DBackpropFilter (VGG16's stage 2) and
// both depthwise gradients (MobileNet-style bases). Each is composed here from kernels wasm runs fast
// (XNNPACK convolutions, transposes, pads), never from per-element JavaScript loops:
// - a filter gradient is a convolution of the input with the output gradient, batch and channel axes
//   swapped (depthwise: batch folded into channels), the forward stride becoming a dilation;
// - a depthwise input gradient is a depthwise convolution of the zero-upsampled output gradient with
//   the filter turned 180 degrees.
// Its BatchMatMul is also wrapped: asked to transpose an operand (every Dense layer's gradients are), it
// runs 7-16x slower than on operands transposed first (below).

type KernelArgs = Parameters<tf.KernelFunc>[0];
type Info = tf.TensorInfo;
type Quad = [number, number, number, number];

/** Runs wasm kernels by name and frees every intermediate it made, except the one it returns. */
class Composite {
  private readonly made: Info[] = [];
  constructor(private readonly backend: KernelArgs['backend']) {}

  run(kernel: string, inputs: Record<string, Info> | Info[], attrs: Record<string, unknown> = {}): Info {
    const config = tf.getKernel(kernel, 'wasm');
    if (!config) throw new Error(`the wasm backend has no ${kernel} kernel to compose a gradient from`);
    const out = config.kernelFunc({ inputs: inputs as tf.NamedTensorInfoMap, backend: this.backend, attrs: attrs as tf.NamedAttrMap }) as Info;
    this.made.push(out);
    return out;
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

  /** Keeps the leading `size` of a 4-D result (convolutions can run past the rows the forward read). */
  crop(x: Info, size: Quad): Info {
    return (x.shape as number[]).every((d, i) => d === size[i]) ? x : this.run('Slice', { x }, { begin: [0, 0, 0, 0], size });
  }

  finish(result: Info): Info {
    for (const info of this.made) if (info !== result) (this.backend as tf.KernelBackend).disposeData(info.dataId);
    return result;
  }
}

/** Pads that make a stride-1 convolution over `length` input rows yield exactly the rows we keep. */
function trailingPad(outLength: number, stride: number, kernel: number, inLength: number, lead: number): number {
  return Math.max(0, (outLength - 1) * stride + kernel - inLength - lead);
}

function conv2dBackpropFilter({ inputs, backend, attrs }: KernelArgs): Info {
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
  const { inHeight, inWidth, outHeight, outWidth, batchSize: n, inChannels: c } = info;
  const multiplier = (filter.shape as Quad)[3];
  const spanH = (kh - 1) * dh + 1;
  const spanW = (kw - 1) * dw + 1;
  const padTop = spanH - 1 - info.padInfo.top;
  const padLeft = spanW - 1 - info.padInfo.left;
  const k = new Composite(backend);
  const turned = k.run('Reverse', { x: filter }, { dims: [0, 1] });
  let sum: Info | null = null;
  for (let m = 0; m < multiplier; m++) {
    let g = k.channelGroup(dy, multiplier, m);
    if (sh > 1 || sw > 1) {
      // Zero-upsample by the stride: [N, Ho, 1, Wo, 1, C], padded after each row and column.
      const spread = k.run('PadV2', { x: k.reshape(g, [n, outHeight, 1, outWidth, 1, c]) }, {
        paddings: [[0, 0], [0, 0], [0, sh - 1], [0, 0], [0, sw - 1], [0, 0]],
        constantValue: 0,
      });
      g = k.reshape(spread, [n, outHeight * sh, outWidth * sw, c]);
    }
    const [, gh, gw] = g.shape as Quad;
    const tap = k.reshape(
      multiplier === 1 ? turned : k.run('Slice', { x: turned }, { begin: [0, 0, 0, m], size: [kh, kw, c, 1] }),
      [kh, kw, c, 1],
    );
    const dx = k.run('DepthwiseConv2dNative', { x: g, filter: tap }, {
      strides: [1, 1],
      dilations: [dh, dw],
      pad: [[0, 0], [padTop, Math.max(0, inHeight + spanH - 1 - padTop - gh)], [padLeft, Math.max(0, inWidth + spanW - 1 - padLeft - gw)], [0, 0]],
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
const wrappedMatMuls = new WeakSet<tf.KernelFunc>();

/** Puts untransposedMatMul in front of wasm's BatchMatMul, once. */
function wrapMatMul(): boolean {
  const config = tf.getKernel('BatchMatMul', 'wasm');
  if (!config || wrappedMatMuls.has(config.kernelFunc)) return false;
  const kernelFunc = untransposedMatMul(config.kernelFunc);
  wrappedMatMuls.add(kernelFunc);
  tf.unregisterKernel('BatchMatMul', 'wasm');
  tf.registerKernel({ ...config, kernelFunc }); // its setupFunc has bound the wasm function already; it may run again
  return true;
}

const COMPOSED: Record<string, tf.KernelFunc> = {
  Conv2DBackpropFilter: conv2dBackpropFilter,
  DepthwiseConv2dNativeBackpropFilter: depthwiseBackpropFilter,
  DepthwiseConv2dNativeBackpropInput: depthwiseBackpropInput,
};

/** Registers the training kernels wasm lacks or runs slowly; returns those it added (none on a second call). */
export function registerWasmTrainingKernels(): string[] {
  const added: string[] = [];
  if (wrapMatMul()) added.push('BatchMatMul');
  for (const [kernelName, kernelFunc] of Object.entries(COMPOSED)) {
    if (tf.getKernel(kernelName, 'wasm')) continue;
    tf.registerKernel({ kernelName, backendName: 'wasm', kernelFunc });
    added.push(kernelName);
  }
  return added;
}
