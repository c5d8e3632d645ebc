import { describe, expect, it } from 'vitest';
import { codeUnits, fnv1a, FNV_OFFSET } from '../../src/fnv1a';
import { deriveSeed } from '../../src/rng';
import { datasetKey } from '../../src/train/resume';
import type { PixelDataset } from '../../src/data/load';

describe('fnv1a', () => {
  it('gives the published 32-bit FNV-1a test vectors', () => {
    expect(fnv1a(codeUnits(''))).toBe(FNV_OFFSET);
    expect(fnv1a(codeUnits('a'))).toBe(0xe40c292c);
    expect(fnv1a(codeUnits('foobar'))).toBe(0xbf9cf968);
    expect(fnv1a(new TextEncoder().encode('foobar'))).toBe(0xbf9cf968);
  });

  it('continues from a state: hashing in two parts equals hashing at once', () => {
    expect(fnv1a(codeUnits('bar'), fnv1a(codeUnits('foo')))).toBe(fnv1a(codeUnits('foobar')));
  });

  // Values written by the versions before FNV-1a had one home: seeds and checkpoints' dataset keys must not move.
  it('keeps the seeds and dataset keys that stored runs hold', () => {
    expect(deriveSeed(42, 'shuffle')).toBe(2605127598);
    expect(deriveSeed(0xffffffff, 'dropöut')).toBe(4040638560);
    const data = { size: 32, classes: ['a', 'b'], paths: ['a/1.png', 'b/ü.jpg'], labels: new Int32Array([0, 1]) } as unknown as PixelDataset;
    expect(datasetKey(data)).toBe('2:9e8b6eee');
  });
});
