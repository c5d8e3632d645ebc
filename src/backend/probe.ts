import * as tf from '@tensorflow/tfjs';
import type { BackendName, ProbeKind } from '../protocol';

/** What can be learned about a backend without running it. */
export interface BackendProbe {
  backend: BackendName;
  available: boolean;
  /** A software rasteriser/adapter (SwiftShader, llvmpipe): measured 40x slower than wasm here. */
  software: boolean;
  detail: string;
}

const SOFTWARE_GPU = /swiftshader|llvmpipe|lavapipe|software|basic render/i;

async function probeWebGpu(): Promise<BackendProbe> {
  const gpu = (globalThis.navigator as Navigator | undefined)?.gpu;
  const none = (detail: string): BackendProbe => ({ backend: 'webgpu', available: false, software: false, detail });
  if (!gpu) return none('navigator.gpu is missing (WebGPU is off; Chromium on Linux needs --enable-unsafe-webgpu)');
  let adapter: GPUAdapter | null;
  try {
    adapter = await gpu.requestAdapter({ powerPreference: 'high-performance' });
  } catch (error) {
    return none(`requestAdapter failed: ${(error as Error).message}`);
  }
  if (!adapter) return none('no WebGPU adapter (no usable GPU, or WebGPU is blocked: Chromium on Linux needs --enable-unsafe-webgpu)');
  const info = adapter.info as GPUAdapterInfo & { isFallbackAdapter?: boolean };
  const legacyFallback = (adapter as GPUAdapter & { isFallbackAdapter?: boolean }).isFallbackAdapter;
  const name = [info.vendor, info.architecture, info.device, info.description].filter(Boolean).join(' ') || 'unnamed adapter';
  const fallback = info.isFallbackAdapter === true || legacyFallback === true;
  const software = fallback || SOFTWARE_GPU.test(name);
  return { backend: 'webgpu', available: true, software, detail: `${name}${fallback ? ', isFallbackAdapter' : ''}` };
}

function probeWebGl(): BackendProbe {
  const none = (detail: string): BackendProbe => ({ backend: 'webgl', available: false, software: false, detail });
  if (typeof OffscreenCanvas === 'undefined') return none('no OffscreenCanvas in this context');
  const gl = new OffscreenCanvas(1, 1).getContext('webgl2');
  if (!gl) return none('no WebGL2 context (GPU blocked or missing)');
  const ext = gl.getExtension('WEBGL_debug_renderer_info');
  const renderer = String(gl.getParameter(ext ? ext.UNMASKED_RENDERER_WEBGL : gl.RENDERER));
  gl.getExtension('WEBGL_lose_context')?.loseContext();
  return { backend: 'webgl', available: true, software: SOFTWARE_GPU.test(renderer), detail: renderer };
}

export async function probeBackend(backend: BackendName): Promise<BackendProbe> {
  switch (backend) {
    case 'webgpu':
      return probeWebGpu();
    case 'webgl':
      return probeWebGl();
    case 'wasm':
      return typeof WebAssembly === 'object'
        ? { backend, available: true, software: false, detail: 'WebAssembly' }
        : { backend, available: false, software: false, detail: 'no WebAssembly' };
    case 'cpu':
      return { backend, available: true, software: false, detail: 'plain JavaScript' };
  }
}

/**
 * Milliseconds for two 3x3 convolutions on 56x56x64 (with 'train', also their input and filter
 * gradients), the best of three after a warm-up.
 */
export async function timeConvolution(kind: ProbeKind): Promise<number> {
  const run = async (): Promise<number> => {
    const start = performance.now();
    const out = tf.tidy(() => {
      const x = tf.ones([1, 56, 56, 64]) as tf.Tensor4D;
      const w = tf.fill([3, 3, 64, 64], 0.01) as tf.Tensor4D;
      const forward = (filter: tf.Tensor4D): tf.Tensor => tf.relu(tf.conv2d(tf.relu(tf.conv2d(x, filter, 1, 'same')), filter, 1, 'same'));
      if (kind === 'forward') return forward(w);
      const [dx, dw] = tf.grads((input: tf.Tensor, filter: tf.Tensor) => tf.sum(forward(filter as tf.Tensor4D).mul(input.mean())))([x, w]);
      return tf.add(tf.sum(dx!), tf.sum(dw!));
    });
    await out.data();
    out.dispose();
    return performance.now() - start;
  };
  await run();
  return Math.min(await run(), await run(), await run());
}
