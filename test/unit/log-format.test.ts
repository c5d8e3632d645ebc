import { describe, expect, it } from 'vitest';
import type { EpochMetrics, TrainEvent } from '../../src/protocol';
import { formatEpoch, formatEvent } from '../../src/train/log-format';
import { progressGate, throttleProgress } from '../../src/train/throttle';

const metrics: EpochMetrics = {
  stage: 1, epoch: 10, epochs: 25, seconds: 10.2, loss: 1.13181, acc: 0.62449, valLoss: 0.51321, valAcc: 0.84412, numTensors: 80, tensorBytes: 0, dataBytes: 0,
};

describe("the recipe's log lines", () => {
  it('prints epochs like Keras', () => {
    expect(formatEvent({ type: 'epoch', metrics })).toEqual([
      'Epoch 10/25',
      '10s - loss: 1.1318 - acc: 0.6245 - val_loss: 0.5132 - val_acc: 0.8441',
    ]);
    expect(formatEpoch({ ...metrics, valLoss: null, valAcc: null })).toBe('10s - loss: 1.1318 - acc: 0.6245');
  });

  it('prints decoding progress every 500 images and at the end', () => {
    const lines = [1, 499, 500, 1000, 1360].map((done) => formatEvent({ type: 'decode-progress', done, total: 1360 }));
    expect(lines).toEqual([[], [], ['[INFO] processed 500/1360'], ['[INFO] processed 1000/1360'], ['[INFO] processed 1360/1360']]);
  });

  it('announces each stage as the recipe does', () => {
    const start = (stage: 1 | 2): TrainEvent => ({ type: 'stage-start', stage, epoch: 1, epochs: 25, stepsPerEpoch: 31, trainableFrom: 19, optimizer: 'rmsprop', learningRate: 0.001 });
    expect(formatEvent(start(1)).slice(0, 2)).toEqual(['[INFO] compiling model...', '[INFO] training head...']);
    expect(formatEvent(start(2)).slice(0, 2)).toEqual(['[INFO] re-compiling model...', '[INFO] fine-tuning model...']);
  });

  it('says the split, each search trial, and a restart after divergence', () => {
    expect(formatEvent({ type: 'dataset', classes: ['a', 'b'], counts: [60, 60], train: 76, validation: 14, test: 30, skipped: 0 })[1]).toBe(
      '[INFO] split: 76 train / 14 validation / 30 test (stratified)',
    );
    const trial = { learningRate: 3e-4, head: 'gap' as const, valAcc: 0.91, valLoss: 0.31234, loss: 0.5, diverged: false };
    expect(formatEvent({ type: 'search-trial', stage: 1, trial, epochs: 2 })).toEqual(['[INFO] stage 1 search: gap head, lr 3e-4: val_acc 0.9100, val_loss 0.3123 (best of 2 epochs; loss 0.5000)']);
    expect(formatEvent({ type: 'search-trial', stage: 2, trial: { ...trial, diverged: true, valAcc: null, valLoss: null, loss: null }, epochs: 2 })).toEqual([
      '[INFO] stage 2 search: lr 3e-4: diverged (no epoch finished)',
    ]);
    expect(formatEvent({ type: 'stage-restart', stage: 1, learningRate: 1e-4, restarts: 1, reason: 'the loss became NaN' })).toEqual([
      '[WARN] stage 1 diverged (the loss became NaN): restarting it from its start at lr 1e-4 (restart 1 of at most 2)',
    ]);
  });

  it('names a skipped file and its reason', () => {
    expect(formatEvent({ type: 'skipped', file: { path: 'daisy/bad.jpg', reason: 'is empty (0 bytes)' } })).toEqual([
      '[WARN] skipped daisy/bad.jpg: is empty (0 bytes)',
    ]);
  });
});

describe('throttleProgress', () => {
  it('lets milestones through and thins out batch progress', () => {
    const seen: TrainEvent[] = [];
    let clock = 0;
    const emit = throttleProgress((e) => void seen.push(e), 250, () => clock);
    for (let step = 1; step <= 10; step++) {
      clock += 100;
      emit({ type: 'batch', stage: 1, epoch: 1, step, steps: 10, loss: 1, acc: 0 });
    }
    emit({ type: 'epoch', metrics });
    const steps = seen.filter((e) => e.type === 'batch').map((e) => (e.type === 'batch' ? e.step : 0));
    expect(steps).toEqual([1, 4, 7, 10]);
    expect(seen.at(-1)?.type).toBe('epoch');
  });

  it('opens its gate at most once an interval, the first call included', () => {
    let clock = 1000;
    const due = progressGate(250, () => clock);
    const open: number[] = [];
    for (let i = 0; i < 8; i++, clock += 100) if (due()) open.push(clock);
    expect(open).toEqual([1000, 1300, 1600]);
  });
});
