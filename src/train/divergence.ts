// A head starts at a uniform guess (see model/head.ts), so its loss starts at ln(classes); a loss far
// above that is the rate's doing, not the data's.

/** Restarts at a tenth of the rate a stage makes after its loss diverged, before it gives up. */
export const MAX_RESTARTS = 2;
/** Epochs in a row above the threshold that count as diverged (one bad first epoch may still recover). */
export const DIVERGED_EPOCHS = 2;

/** The mean training loss above which an epoch went wrong: twice a uniform guess's, and at least 1 above it. */
export function divergenceThreshold(classes: number): number {
  const uniform = Math.log(Math.max(2, classes));
  return Math.max(2 * uniform, uniform + 1);
}

/** Why these epoch losses (oldest first) count as diverged, or null when they do not. */
export function divergence(losses: readonly number[], classes: number, epochs = DIVERGED_EPOCHS): string | null {
  const bad = losses.find((loss) => !Number.isFinite(loss));
  if (bad !== undefined) return `the loss became ${bad}`;
  const threshold = divergenceThreshold(classes);
  const last = losses.slice(-epochs);
  if (last.length < epochs || last.some((loss) => loss <= threshold)) return null;
  return `the loss stayed above ${threshold.toFixed(2)} (twice a uniform guess's ${Math.log(Math.max(2, classes)).toFixed(2)}) for ${epochs} epochs: ${last.map((l) => l.toFixed(2)).join(', ')}`;
}
