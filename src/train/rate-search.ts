import type { HeadKind, SearchTrial } from '../protocol';
import { significantlyLower } from './compare-scores';

// A stage's learning rate (and stage 1's head kind) measured on the user's own data: candidates train a
// few epochs each from the stage's start, and the one that scores best on the validation images wins.
// Rates are climbed on a {1, 3} x 10^n grid from the recipe's rate, down while lower scores better,
// else up while higher does: a handful of short trials, each on cached features where the stage has them.
// "Better" means a lower validation loss by more than its noise (one standard error of the per-image
// differences), so on a few dozen images where nothing stands out the recipe's rate stays.

/** The most candidates one head kind tries. */
export const MAX_TRIALS_PER_HEAD = 6;
/**
 * Epochs each candidate trains (never more than its stage has): short, since a stage-2 epoch of a real
 * base can take a minute on a CPU; the noise rule above keeps a short trial from choosing on chance.
 */
export const SEARCH_EPOCHS = 2;
const LOWEST_RATE = 1e-7;
const HIGHEST_RATE = 1;

/** The grid's k-th rate from `anchor`: k = -1, -2, -3 give anchor x 0.3, 0.1, 0.03; k = 1, 2 give x 3, 10. */
export function gridRate(anchor: number, k: number): number {
  const decade = Math.floor(k / 2);
  const value = anchor * (k % 2 === 0 ? 1 : 3) * 10 ** decade;
  return Number(value.toPrecision(2));
}

/** A learning rate as the log shows it: 1e-3, 3e-4. */
export function formatRate(rate: number): string {
  return Number(rate.toPrecision(3)).toExponential().replace('e+0', '').replace('e+', 'e');
}

/** A trial with each validation image's loss at its best epoch (null without validation images). */
export interface ScoredTrial {
  trial: SearchTrial;
  losses: Float32Array | null;
}

/** Whether trial `a` beats `b`: not diverged over diverged, then a significantly lower validation loss, else the training loss. */
export function betterTrial(a: ScoredTrial, b: ScoredTrial | null): boolean {
  if (!b) return true;
  if (a.trial.diverged !== b.trial.diverged) return !a.trial.diverged;
  if (a.losses && b.losses && a.losses.length === b.losses.length) return significantlyLower(a.losses, b.losses);
  return (a.trial.loss ?? Infinity) < (b.trial.loss ?? Infinity);
}

/** Trains one candidate from the stage's start and scores it. */
export type TrialRunner = (candidate: { learningRate: number; head: HeadKind }) => Promise<ScoredTrial>;

/** The climb for one head kind: every trial it ran, and the best. */
async function climb(head: HeadKind, anchor: number, run: TrialRunner, trials: SearchTrial[]): Promise<ScoredTrial> {
  const tried = new Map<number, ScoredTrial>();
  const at = async (k: number): Promise<ScoredTrial | null> => {
    const rate = gridRate(anchor, k);
    if (rate < LOWEST_RATE || rate > HIGHEST_RATE || tried.size >= MAX_TRIALS_PER_HEAD) return null;
    const known = tried.get(k);
    if (known) return known;
    const scored = await run({ learningRate: rate, head });
    tried.set(k, scored);
    trials.push(scored.trial);
    return scored;
  };
  let k = 0;
  let best = (await at(0))!;
  const down = await at(-1);
  let direction = down && betterTrial(down, best) ? -1 : 0;
  if (direction === -1) {
    best = down!;
    k = -1;
  } else if (!best.trial.diverged) {
    const up = await at(1);
    if (up && betterTrial(up, best)) {
      best = up;
      k = 1;
      direction = 1;
    }
  }
  while (direction !== 0) {
    const next = await at(k + direction);
    if (!next || !betterTrial(next, best)) break;
    best = next;
    k += direction;
  }
  return best;
}

/**
 * For each head kind, climbs the rate from `anchor` (or, with `climb` false, tries `anchor` alone), and
 * returns the best trial over all of them, with every trial run.
 */
export async function searchRates(heads: readonly HeadKind[], anchor: number, climbRates: boolean, run: TrialRunner): Promise<{ chosen: SearchTrial; trials: SearchTrial[] }> {
  const trials: SearchTrial[] = [];
  let chosen: ScoredTrial | null = null;
  for (const head of heads) {
    const winner = climbRates ? await climb(head, anchor, run, trials) : await run({ learningRate: anchor, head });
    if (!climbRates) trials.push(winner.trial);
    if (betterTrial(winner, chosen)) chosen = winner;
  }
  return { chosen: chosen!.trial, trials };
}
