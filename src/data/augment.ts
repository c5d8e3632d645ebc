import type { AugmentConfig } from '../protocol';
import type { SeededRandom } from '../rng';

/** A 3x3 affine matrix in (row, col) pixel coordinates, row-major, mapping an output pixel to its source. */
export type Affine = [number, number, number, number, number, number, number, number, number];

const IDENTITY: Affine = [1, 0, 0, 0, 1, 0, 0, 0, 1];

export function multiply(a: Affine, b: Affine): Affine {
  const out = new Array<number>(9).fill(0) as Affine;
  for (let r = 0; r < 3; r++) {
    for (let c = 0; c < 3; c++) {
      out[r * 3 + c] = a[r * 3]! * b[c]! + a[r * 3 + 1]! * b[3 + c]! + a[r * 3 + 2]! * b[6 + c]!;
    }
  }
  return out;
}

export interface AugmentDraw {
  thetaDeg: number;
  /** Row and column shifts in pixels. */
  shiftRows: number;
  shiftCols: number;
  shear: number;
  zoomRows: number;
  zoomCols: number;
  flip: boolean;
}

/** Draws one image's parameters in a fixed order, so a stream state always gives the same transform. */
export function drawAugment(cfg: AugmentConfig, size: number, rng: SeededRandom): AugmentDraw {
  return {
    thetaDeg: rng.uniform(-cfg.rotation, cfg.rotation),
    shiftRows: rng.uniform(-cfg.heightShift, cfg.heightShift) * size,
    shiftCols: rng.uniform(-cfg.widthShift, cfg.widthShift) * size,
    shear: rng.uniform(-cfg.shear, cfg.shear),
    zoomRows: rng.uniform(1 - cfg.zoom, 1 + cfg.zoom),
    zoomCols: rng.uniform(1 - cfg.zoom, 1 + cfg.zoom),
    flip: cfg.horizontalFlip && rng.next() < 0.5,
  };
}

/**
 * Keras ImageDataGenerator's composition (rotation . shift . shear . zoom about the image centre, then
 * a horizontal flip), as one matrix.
 */
export function augmentMatrix(d: AugmentDraw, size: number): Affine {
  const t = (d.thetaDeg * Math.PI) / 180;
  const rotation: Affine = [Math.cos(t), -Math.sin(t), 0, Math.sin(t), Math.cos(t), 0, 0, 0, 1];
  const shift: Affine = [1, 0, d.shiftRows, 0, 1, d.shiftCols, 0, 0, 1];
  const shear: Affine = [1, -Math.sin(d.shear), 0, 0, Math.cos(d.shear), 0, 0, 0, 1];
  const zoom: Affine = [d.zoomRows, 0, 0, 0, d.zoomCols, 0, 0, 0, 1];
  const centre = (size - 1) / 2;
  const toCentre: Affine = [1, 0, centre, 0, 1, centre, 0, 0, 1];
  const fromCentre: Affine = [1, 0, -centre, 0, 1, -centre, 0, 0, 1];
  const about = [toCentre, rotation, shift, shear, zoom, fromCentre].reduce(multiply, IDENTITY);
  const flip: Affine = d.flip ? [1, 0, 0, 0, -1, size - 1, 0, 0, 1] : IDENTITY;
  return multiply(about, flip);
}

/**
 * tf.image.transform's 8 numbers, which map output (x=col, y=row) to input (x', y'):
 * x' = a0 x + a1 y + a2, y' = b0 x + b1 y + b2.
 */
export function toTfTransform(m: Affine): number[] {
  const [rr, rc, r0, cr, cc, c0] = m;
  return [cc, cr, c0, rc, rr, r0, 0, 0];
}
