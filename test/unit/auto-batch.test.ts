import { describe, expect, it } from 'vitest';
import { largestFitting } from '../../src/train/auto-batch';

const MB = 2 ** 20;

describe('largestFitting', () => {
  it('takes the largest power of two whose step fits the budget', () => {
    // 100 MB of weights and gradients, 30 MB an image, 1 GB: 16 images (580 MB) fit, 32 (1060 MB) do not.
    expect(largestFitting(100 * MB, 30 * MB, 1024 * MB, 64)).toBe(16);
  });
  it('stops at the cap (the training set, or 64)', () => {
    expect(largestFitting(MB, MB, 1024 * MB, 64)).toBe(64);
    expect(largestFitting(MB, MB, 1024 * MB, 12)).toBe(8);
  });
  it('gives 1 even when one image does not fit: running out of memory then says what to do', () => {
    expect(largestFitting(900 * MB, 300 * MB, 1024 * MB, 64)).toBe(1);
  });
});
