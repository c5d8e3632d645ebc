import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { augmentMatrix, drawAugment, toTfTransform, type AugmentDraw } from '../../src/data/augment';
import { RECIPE_AUGMENT } from '../../src/config';
import { SeededRandom } from '../../src/rng';

const none: AugmentDraw = { thetaDeg: 0, shiftRows: 0, shiftCols: 0, shear: 0, zoomRows: 1, zoomCols: 1, flip: false };

/** Where tf.image.transform reads output pixel (x=col, y=row) from. */
function source(transform: number[], x: number, y: number): [number, number] {
  const [a0, a1, a2, b0, b1, b2] = transform;
  return [a0! * x + a1! * y + a2!, b0! * x + b1! * y + b2!];
}

/** Applies one draw to a size x size single-channel image holding 0..n-1, nearest neighbour. */
function apply(draw: AugmentDraw, size: number): number[][] {
  return tf.tidy(() => {
    const image = tf.range(0, size * size).reshape([1, size, size, 1]) as tf.Tensor4D;
    const transforms = tf.tensor2d([toTfTransform(augmentMatrix(draw, size))]);
    return tf.image.transform(image, transforms, 'nearest', 'nearest').reshape([size, size]).arraySync() as number[][];
  });
}

beforeAll(async () => {
  await tf.setBackend('cpu');
});

describe('augmentation as one affine transform per image', () => {
  it('is the identity when every draw is neutral', () => {
    const t = toTfTransform(augmentMatrix(none, 32));
    t.forEach((v, i) => expect(v).toBeCloseTo([1, 0, 0, 0, 1, 0, 0, 0][i]!, 12));
  });

  it('flips horizontally', () => {
    expect(apply({ ...none, flip: true }, 3)).toEqual([
      [2, 1, 0],
      [5, 4, 3],
      [8, 7, 6],
    ]);
  });

  it('rotates about the image centre', () => {
    const t = toTfTransform(augmentMatrix({ ...none, thetaDeg: 37 }, 31));
    const [x, y] = source(t, 15, 15);
    expect(x).toBeCloseTo(15, 10);
    expect(y).toBeCloseTo(15, 10);
    expect(apply({ ...none, thetaDeg: 90 }, 3)).toEqual([
      [6, 3, 0],
      [7, 4, 1],
      [8, 5, 2],
    ]);
  });

  it('shifts by the drawn number of pixels and zooms about the centre', () => {
    const shifted = toTfTransform(augmentMatrix({ ...none, shiftCols: 3, shiftRows: -2 }, 32));
    expect(source(shifted, 10, 10).map((v) => Math.round(v * 1e9) / 1e9)).toEqual([13, 8]);
    const zoomed = toTfTransform(augmentMatrix({ ...none, zoomCols: 2, zoomRows: 2 }, 33));
    expect(source(zoomed, 26, 16)).toEqual([36, 16]);
  });

  it("draws within the recipe's ranges, the same for the same stream state", () => {
    const draws = Array.from({ length: 200 }, (_, i) => drawAugment(RECIPE_AUGMENT, 100, new SeededRandom(i)));
    for (const d of draws) {
      expect(Math.abs(d.thetaDeg)).toBeLessThanOrEqual(30);
      expect(Math.abs(d.shiftCols)).toBeLessThanOrEqual(10);
      expect(Math.abs(d.shiftRows)).toBeLessThanOrEqual(10);
      expect(Math.abs(d.shear)).toBeLessThanOrEqual(0.2);
      expect(d.zoomRows).toBeGreaterThanOrEqual(0.8);
      expect(d.zoomCols).toBeLessThanOrEqual(1.2);
    }
    expect(draws.filter((d) => d.flip).length).toBeGreaterThan(60);
    expect(draws.filter((d) => d.flip).length).toBeLessThan(140);
    expect(drawAugment(RECIPE_AUGMENT, 100, new SeededRandom(5))).toEqual(draws[5]);
  });
});
