// Which of two scores or two loss vectors is better: plain numbers, no tensors, so the page can use them too.
import type { EpochScore } from '../protocol';

/**
 * The lower validation loss wins, as Keras' ModelCheckpoint and EarlyStopping monitor by default (on a few
 * dozen images accuracy moves in steps of several points, the loss smoothly); at equal loss, the higher accuracy.
 */
export function isBetter(score: Omit<EpochScore, 'epoch'>, than: Omit<EpochScore, 'epoch'> | null): boolean {
  if (!than) return true;
  return score.valLoss < than.valLoss || (score.valLoss === than.valLoss && score.valAcc > than.valAcc);
}

/** Whether `a`'s per-image losses are lower than `b`'s (the same images) by more than one standard error of the mean difference. */
export function significantlyLower(a: Float32Array, b: Float32Array): boolean {
  const n = a.length;
  if (n < 2) return false; // one image has no noise to measure
  let mean = 0;
  for (let i = 0; i < n; i++) mean += a[i]! - b[i]!;
  mean /= Math.max(1, n);
  let variance = 0;
  for (let i = 0; i < n; i++) variance += (a[i]! - b[i]! - mean) ** 2;
  variance /= Math.max(1, n - 1);
  return mean < -Math.sqrt(variance / Math.max(1, n));
}
