import * as tf from '@tensorflow/tfjs';

// tfjs-backend-wasm 4.22 cannot train a convolution: it has no Conv2DBackpropFilter. This composes one
// from kernels it runs fast (XNNPACK): the filter gradient is a convolution of the input with the output
// gradient, batch and channel axes swapped, the forward stride becoming a dilation.

type KernelArgs = Parameters<tf.KernelFunc>[0];
type Info = tf.TensorInfo;

function call(kernel: string, backend: KernelArgs['backend'], inputs: Record<string, Info>, attrs: Record<string, unknown>): Info {
  const config = tf.getKernel(kernel, 'wasm');
  if (!config) throw new Error(`the wasm backend has no ${kernel} kernel to build Conv2DBackpropFilter on`);
  return config.kernelFunc({ inputs, backend, attrs: attrs as tf.NamedAttrMap }) as Info;
}

function conv2dBackpropFilter({ inputs, backend, attrs }: KernelArgs): Info {
  const { x, dy } = inputs as { x: Info; dy: Info };
  const { strides, pad, dataFormat, dimRoundingMode, filterShape } = attrs as unknown as tf.Conv2DBackpropFilterAttrs;
  if (dataFormat !== 'NHWC') throw new Error(`Conv2DBackpropFilter on wasm supports NHWC only, got ${dataFormat}`);
  const info = tf.backend_util.computeConv2DInfo(
    x.shape as [number, number, number, number], filterShape, strides, 1, pad, dimRoundingMode, false, 'channelsLast',
  );
  const { filterHeight: kh, filterWidth: kw, strideHeight: sh, strideWidth: sw, inHeight, inWidth, outHeight, outWidth } = info;
  const { top, left } = info.padInfo;
  // Pad only as far as the forward pass actually read; never negative (a 'valid' stride can skip rows).
  const bottom = Math.max(0, (outHeight - 1) * sh + kh - inHeight - top);
  const right = Math.max(0, (outWidth - 1) * sw + kw - inWidth - left);

  const xT = call('Transpose', backend, { x }, { perm: [3, 1, 2, 0] }); // [Ci, H, W, N]
  const dyT = call('Transpose', backend, { x: dy }, { perm: [1, 2, 0, 3] }); // [Ho, Wo, N, Co]
  const grad = call('Conv2D', backend, { x: xT, filter: dyT }, {
    strides: [1, 1],
    dilations: [sh, sw],
    pad: [[0, 0], [top, bottom], [left, right], [0, 0]],
    dataFormat: 'NHWC',
    dimRoundingMode: undefined,
  }); // [Ci, >=kh, >=kw, Co]
  const [ci, gh, gw, co] = grad.shape as [number, number, number, number];
  const exact = gh === kh && gw === kw ? grad : call('Slice', backend, { x: grad }, { begin: [0, 0, 0, 0], size: [ci, kh, kw, co] });
  const dw = call('Transpose', backend, { x: exact }, { perm: [1, 2, 0, 3] }); // [kh, kw, Ci, Co]
  for (const t of new Set([xT, dyT, grad, exact])) (backend as tf.KernelBackend).disposeData(t.dataId);
  return dw;
}

let registered = false;

/** Registers the kernels the wasm backend lacks for training; safe to call more than once. */
export function registerWasmTrainingKernels(): string[] {
  if (registered) return [];
  registered = true;
  const added: string[] = [];
  if (!tf.getKernel('Conv2DBackpropFilter', 'wasm')) {
    tf.registerKernel({ kernelName: 'Conv2DBackpropFilter', backendName: 'wasm', kernelFunc: conv2dBackpropFilter });
    added.push('Conv2DBackpropFilter');
  }
  return added;
}
