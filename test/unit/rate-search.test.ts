import { describe, expect, it } from 'vitest';
import type { HeadKind, SearchTrial } from '../../src/protocol';
import { divergence, divergenceThreshold } from '../../src/train/divergence';
import { describeSearch } from '../../src/train/log-format';
import { significantlyLower } from '../../src/train/compare-scores';
import { betterTrial, formatRate, gridRate, searchRates, type ScoredTrial } from '../../src/train/rate-search';

/** A fake trial runner: each image's validation loss is `lossAt(rate)`, plus noise that differs per image and rate. */
function runner(lossAt: (rate: number, head: HeadKind) => number | 'diverged', images = 40) {
  const tried: string[] = [];
  const run = async ({ learningRate, head }: { learningRate: number; head: HeadKind }): Promise<ScoredTrial> => {
    tried.push(`${head} ${formatRate(learningRate)}`);
    const loss = lossAt(learningRate, head);
    const diverged = loss === 'diverged';
    const losses = diverged ? null : Float32Array.from({ length: images }, (_, i) => loss + 0.05 * Math.sin(i * 7 + 1e4 * learningRate));
    const trial: SearchTrial = { learningRate, head, valAcc: diverged ? null : 0.5, valLoss: diverged ? null : loss, loss: diverged ? null : loss, diverged };
    return { trial, losses };
  };
  return { run, tried };
}

describe('the learning-rate search', () => {
  it('steps on a {1, 3} x 10^n grid from the recipe rate', () => {
    expect([-3, -2, -1, 0, 1, 2].map((k) => gridRate(1e-3, k))).toEqual([3e-5, 1e-4, 3e-4, 1e-3, 3e-3, 1e-2]);
    expect([1e-3, 3e-4, 1e-5, 0.1, 1].map(formatRate)).toEqual(['1e-3', '3e-4', '1e-5', '1e-1', '1']);
  });

  it('climbs down past a diverging recipe rate while lower scores better, and stops at the first that does not', async () => {
    const { run, tried } = runner((rate) => (rate >= 1e-3 ? 'diverged' : Math.abs(Math.log10(rate) + 4))); // best at 1e-4
    const { chosen, trials } = await searchRates(['flatten'], 1e-3, true, run);
    expect(tried).toEqual(['flatten 1e-3', 'flatten 3e-4', 'flatten 1e-4', 'flatten 3e-5']);
    expect(chosen.learningRate).toBe(1e-4);
    expect(trials).toHaveLength(4);
  });

  it('climbs up when a higher rate scores better', async () => {
    const { run, tried } = runner((rate) => Math.abs(Math.log10(rate) + 2)); // best at 1e-2
    const { chosen } = await searchRates(['gap'], 1e-3, true, run);
    expect(tried).toEqual(['gap 1e-3', 'gap 3e-4', 'gap 3e-3', 'gap 1e-2', 'gap 3e-2']);
    expect(chosen.learningRate).toBe(1e-2);
  });

  it("keeps the recipe's rate when no other is better by more than the noise", async () => {
    const { run, tried } = runner((rate) => 1.3863 + (rate === 1e-3 ? 0 : -0.001)); // ln 4, all within a standard error
    const { chosen } = await searchRates(['flatten'], 1e-3, true, run);
    expect(tried).toEqual(['flatten 1e-3', 'flatten 3e-4', 'flatten 3e-3']);
    expect(chosen.learningRate).toBe(1e-3);
  });

  it('picks the best head over each kind\'s climb, and with a pinned rate tries only that rate', async () => {
    const { run } = runner((rate, head) => (head === 'gap' ? 0.2 : 0.6) + Math.abs(Math.log10(rate) + 3));
    expect((await searchRates(['flatten', 'gap'], 1e-3, true, run)).chosen).toMatchObject({ head: 'gap', learningRate: 1e-3 });
    const pinned = runner(() => 0.5);
    const { trials } = await searchRates(['flatten', 'gap'], 3e-4, false, pinned.run);
    expect(pinned.tried).toEqual(['flatten 3e-4', 'gap 3e-4']);
    expect(trials).toHaveLength(2);
  });

  it('says what it tried and why the winner won', async () => {
    const { run } = runner((rate) => (rate >= 1e-3 ? 'diverged' : Math.abs(Math.log10(rate) + 4)));
    const { chosen, trials } = await searchRates(['flatten'], 1e-3, true, run);
    const line = describeSearch(1, { trials, epochs: 2, trainImages: 100, validationImages: 40, seconds: 12.4 }, chosen);
    expect(line).toBe(
      'stage 1: lr 1e-4 chosen (tried 1e-3: diverged, 3e-4: 0.4771, 1e-4: 0.0000, 3e-5: 0.5229; val_loss on 40 validation images, ' +
        'lower by more than its standard error to count, 2 epochs each on 100 images, 12s)',
    );
  });
});

describe('comparing trials', () => {
  const trial = (valLoss: number | null, diverged = false): SearchTrial => ({ learningRate: 1e-3, head: 'flatten', valAcc: valLoss === null ? null : 0.5, valLoss, loss: 1, diverged });

  it('counts a lower loss only beyond one standard error of the paired differences', () => {
    const a = Float32Array.from([0.5, 0.6, 0.4, 0.5]);
    expect(significantlyLower(a.map((v) => v - 0.1), a)).toBe(true);
    expect(significantlyLower(Float32Array.from([0.9, 0.2, 0.5, 0.3]), a)).toBe(false); // lower on average, not beyond the noise
    expect(significantlyLower(a, a)).toBe(false);
  });

  it('ranks a trial that trained above one that diverged, whatever the scores', () => {
    expect(betterTrial({ trial: trial(2.0), losses: null }, { trial: trial(null, true), losses: null })).toBe(true);
    expect(betterTrial({ trial: trial(null, true), losses: null }, { trial: trial(0.1), losses: null })).toBe(false);
  });
});

describe('divergence', () => {
  it('is a non-finite loss, or two epochs in a row far above a uniform guess', () => {
    expect(divergenceThreshold(2)).toBeCloseTo(Math.log(2) + 1);
    expect(divergenceThreshold(20)).toBeCloseTo(2 * Math.log(20));
    expect(divergence([1.2, NaN], 4)).toBe('the loss became NaN');
    expect(divergence([9, 1.3], 4)).toBeNull(); // one bad epoch that recovers
    expect(divergence([1.3, 9, 9.5], 4)).toMatch(/^the loss stayed above 2\.77 \(twice a uniform guess's 1\.39\) for 2 epochs: 9\.00, 9\.50$/);
    expect(divergence([9], 4)).toBeNull();
    expect(divergence([9], 4, 1)).not.toBeNull();
  });
});
