import { describe, expect, it } from 'vitest';
import { fastest } from '../../src/backend/select';

describe('the per-stage race', () => {
  const probes = [
    { backend: 'webgpu' as const, kind: 'forward' as const, ms: 4 },
    { backend: 'webgpu' as const, kind: 'train' as const, ms: 30 },
    { backend: 'wasm' as const, kind: 'forward' as const, ms: 12 },
    { backend: 'wasm' as const, kind: 'train' as const, ms: 25 },
  ];

  it('gives each stage the winner of its own probe and says why', () => {
    expect(fastest(['webgpu', 'wasm'], probes, 'forward')).toEqual({ backend: 'webgpu', why: 'fastest in a timed forward probe (webgpu 4 ms, wasm 12 ms)' });
    expect(fastest(['webgpu', 'wasm'], probes, 'train')).toEqual({ backend: 'wasm', why: 'fastest in a timed train probe (webgpu 30 ms, wasm 25 ms)' });
  });

  it('needs no race for a single candidate', () => {
    expect(fastest(['wasm'], [], 'train')).toEqual({ backend: 'wasm', why: 'the only candidate left' });
  });
});
