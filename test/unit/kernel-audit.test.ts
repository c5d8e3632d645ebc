import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';
import '@tensorflow/tfjs-backend-webgpu';
import { beforeAll, describe, expect, it } from 'vitest';
import { kernelsOfTrainingStep, missingKernels, type AuditWorkload } from '../../src/backend/kernel-audit';
import { registerWasmTrainingKernels } from '../../src/backend/wasm-kernels';

const WORKLOADS: AuditWorkload[] = ['vgg16-stage1', 'vgg16-stage2', 'mobilenet-block'];
const kernels: Record<string, string[]> = {};

beforeAll(async () => {
  await tf.setBackend('cpu');
  for (const workload of WORKLOADS) kernels[workload] = await kernelsOfTrainingStep(workload);
});

describe('the kernel audit (the README backend table)', () => {
  it('records the kernels a training step runs', () => {
    expect(kernels['vgg16-stage1']).toContain('Conv2D');
    expect(kernels['vgg16-stage1']).not.toContain('Conv2DBackpropFilter'); // a frozen base needs no conv gradient
    expect(kernels['vgg16-stage2']).toEqual(expect.arrayContaining(['Conv2DBackpropFilter', 'Conv2DBackpropInput', 'MaxPoolGrad']));
    expect(kernels['mobilenet-block']).toEqual(expect.arrayContaining(['DepthwiseConv2dNativeBackpropFilter', 'FusedBatchNorm']));
  });

  it('finds only wasm lacking kernels, and none once ours are registered', () => {
    const missing = Object.fromEntries(WORKLOADS.map((w) => [w, missingKernels(kernels[w]!)]));
    expect(missing['vgg16-stage1']).toEqual({ webgpu: [], webgl: [], wasm: [], cpu: [] });
    expect(missing['vgg16-stage2']).toEqual({ webgpu: [], webgl: [], wasm: ['Conv2DBackpropFilter'], cpu: [] });
    expect(missing['mobilenet-block']).toEqual({
      webgpu: [],
      webgl: [],
      wasm: ['Conv2DBackpropFilter', 'DepthwiseConv2dNativeBackpropFilter', 'DepthwiseConv2dNativeBackpropInput'],
      cpu: [],
    });
    registerWasmTrainingKernels();
    for (const w of WORKLOADS) expect(missingKernels(kernels[w]!).wasm).toEqual([]);
  });
});
