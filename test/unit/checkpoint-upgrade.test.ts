import { describe, expect, it } from 'vitest';
import type { Checkpoint } from '../../src/checkpoint/format';
import { upgradeCheckpoint, type StoredCheckpoint } from '../../src/checkpoint/upgrade';
import { RECIPE_DEFAULTS } from '../../src/config';
import type { StageResult } from '../../src/protocol';

const weights = { specs: [{ name: 'w', shape: [1], dtype: 'float32' as const }], data: new Float32Array([1]).buffer };
const cursor: Checkpoint['cursor'] = { stage: 2, epoch: 1, step: 2, lossSum: 1, accSum: 0.5, seconds: 3, rng: { shuffleAtEpochStart: 7, augment: 8, dropout: [9] }, done: false };
const stage1 = { stage: 1, history: [], evaluation: null } as unknown as StageResult;

/** Today's checkpoint in the middle of stage 2. */
const current: Checkpoint = {
  format: 2,
  createdAt: 1,
  config: { ...RECIPE_DEFAULTS, preprocessing: 'unit', batchSize: 8, head: { ...RECIPE_DEFAULTS.head, learningRate: 1e-3 }, finetune: { ...RECIPE_DEFAULTS.finetune, learningRate: 1e-4 } },
  datasetKey: '4:abc',
  baseIdentity: 'random:42',
  cursor,
  stages: [{ ...stage1, settings: { learningRate: 1e-3, head: 'gap', restarts: 0, search: null }, best: null, stoppedEarly: null }],
  history: [],
  weightsFrom: 15,
  weights,
  optimizer: null,
  progress: { settings: { learningRate: 1e-4, head: 'gap', restarts: 0, search: null }, startStreams: { shuffle: 1, augment: 2, dropout: [3] }, best: null },
  stage1Head: weights,
};

/** A checkpoint of the first version: what it did not record is missing. */
function format1(): StoredCheckpoint {
  const { headKind: _h, validationFraction: _v, patience: _p, bnTrain: _b, cache: _c, maxImageMegapixels: _m, ...config } = current.config;
  const { progress: _progress, stage1Head: _head, ...rest } = current;
  return { ...rest, format: 1, config: config as StoredCheckpoint['config'], stages: [stage1] } as unknown as StoredCheckpoint;
}

describe('upgradeCheckpoint', () => {
  it("leaves today's checkpoint as it is", () => {
    expect(upgradeCheckpoint(current)).toEqual(current);
  });

  it('reads format 1 as it ran: given rates, the flatten head, no validation slice, no early stopping, BatchNormalization training, no cache', () => {
    const up = upgradeCheckpoint(format1());
    expect(up.config).toMatchObject({ headKind: 'flatten', validationFraction: 0, patience: null, bnTrain: true, maxImageMegapixels: RECIPE_DEFAULTS.maxImageMegapixels });
    expect(up.config.cache).toEqual({ head: false, finetune: false, views: 0, budgetMB: RECIPE_DEFAULTS.cache.budgetMB });
    expect(up.stages[0]).toMatchObject({ settings: { learningRate: 1e-3, head: 'flatten', restarts: 0, search: null }, best: null, stoppedEarly: null });
    // The stage in progress gets the settings it ran with, its streams from the cursor, no best epoch yet.
    expect(up.progress).toEqual({ settings: { learningRate: 1e-4, head: 'flatten', restarts: 0, search: null }, startStreams: { shuffle: 7, augment: 8, dropout: [9] }, best: null });
    expect(up.stage1Head).toBeNull();
    expect(up.format).toBe(1);
    expect(upgradeCheckpoint(up)).toEqual(up);
  });

  it('gives a finished format-1 run no stage in progress', () => {
    const done = { ...format1(), cursor: { ...cursor, done: true } };
    expect(upgradeCheckpoint(done).progress).toBeNull();
  });

  it('completes a format-2 checkpoint written before the head kinds and the cache with what runs did then', () => {
    const { headKind: _h, cache: _c, bnTrain: _b, maxImageMegapixels: _m, ...config } = current.config;
    const up = upgradeCheckpoint({ ...current, config: config as StoredCheckpoint['config'] });
    expect(up.config).toEqual({ ...current.config, headKind: 'flatten', bnTrain: false, cache: { head: false, finetune: false, views: 0, budgetMB: RECIPE_DEFAULTS.cache.budgetMB } });
  });
});
