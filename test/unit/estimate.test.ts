import { describe, expect, it } from 'vitest';
import { estimateRun, type RunShape, type UnitCosts } from '../../src/train/estimate';
import { SEARCH_EPOCHS } from '../../src/train/rate-search';

const costs: UnitCosts = {
  decodePerImage: 0.01,
  loadBase: 2,
  frozenPerImage: { 1: 0.1, 2: 0.05 },
  stepPerBatch: { 1: 0.02, 2: 0.5 },
  evaluatePerImage: { 1: 0.001, 2: 0.01 },
  checkpointPerEpoch: { 1: 0.03, 2: 0.2 },
};
const stage = (epochs: number, cached: boolean, searchTrials = 0) => ({ epochs, cached, views: 2, searchTrials });
const shape = (one: RunShape['stages'][1], two: RunShape['stages'][2]): RunShape => ({ images: 100, train: 64, validation: 12, test: 24, batchSize: 8, stages: { 1: one, 2: two } });

describe('estimateRun', () => {
  it('counts a cached stage as one pass of its frozen layers over every view, then epochs of steps on the stored outputs', () => {
    const e = estimateRun(shape(stage(10, true), stage(0, true)), costs);
    expect(e.prepare).toBeCloseTo(100 * 0.01 + 2);
    expect(e.stages[1].cache).toBeCloseTo((64 * 3 + 36) * 0.1);
    // 8 steps and 12 validation images an epoch, a checkpoint after each; the 24 test images once at the end.
    expect(e.stages[1].epochs).toBeCloseTo(10 * (8 * 0.02 + 12 * 0.001 + 0.03) + 24 * 0.001);
    expect(e.stages[2]).toEqual({ cache: 0, search: 0, epochs: 0, total: 0 });
    expect(e.total).toBeCloseTo(e.prepare + e.stages[1].total);
  });

  it('runs an uncached stage\'s frozen layers in every step and evaluation, and adds the learning-rate search\'s short trials', () => {
    const e = estimateRun(shape(stage(0, true), stage(5, false, 3)), costs);
    const step = 0.5 + 8 * 0.05;
    const heldImage = 0.01 + 0.05;
    const epoch = 8 * step + 12 * heldImage;
    expect(e.stages[2].cache).toBe(0);
    expect(e.stages[2].search).toBeCloseTo(3 * Math.min(SEARCH_EPOCHS, 5) * epoch);
    // At the end, the test report, and stage 1's model and stage 2's best scored on the validation images.
    expect(e.stages[2].epochs).toBeCloseTo(5 * (epoch + 0.2) + (24 + 2 * 12) * heldImage);
  });

  it('scores the test images each epoch when there are no validation images, and then searches nothing', () => {
    const e = estimateRun({ ...shape(stage(4, true, 3), stage(0, true)), validation: 0 }, costs);
    expect(e.stages[1].search).toBe(0);
    expect(e.stages[1].epochs).toBeCloseTo(4 * (8 * 0.02 + 24 * 0.001 + 0.03) + 24 * 0.001);
  });
});
