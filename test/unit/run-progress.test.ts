import { describe, expect, it } from 'vitest';
import { classificationReport } from '../../src/train/metrics';
import { reportsCsv } from '../../src/run/report';
import { durationText, RunProgress } from '../../web/run-progress';

const batch = (stage: 1 | 2, epoch: number, step: number) => ({ type: 'batch', stage, epoch, step, steps: 4, loss: 1, acc: 0.5 }) as const;
const stageStart = (stage: 1 | 2, epochs: number) => ({ type: 'stage-start', stage, epoch: 1, epochs, stepsPerEpoch: 4, trainableFrom: 19, optimizer: 'sgd', learningRate: 0.001 }) as const;

describe('RunProgress', () => {
  it('times each stage at its own pace, and stage 2 from the estimate while stage 1 runs', () => {
    let now = 0;
    const progress = new RunProgress(() => now);
    progress.plan(2, 3); // 2 + 3 epochs of 4 batches
    progress.update(stageStart(1, 2));
    progress.update(batch(1, 1, 1));
    expect(progress.secondsLeft).toBeNull(); // one batch timed is no pace yet
    expect(progress.timeLeftText).toBe('estimating…');
    now = 2000;
    progress.update(batch(1, 1, 2));
    expect(progress.stageSecondsLeft).toBeCloseTo(6 * 2); // 2 s a batch, 6 left in stage 1
    expect(progress.secondsLeft).toBeNull(); // stage 2 is not timed: no total is made up
    expect(progress.timeLeftText).toBe('12 s left in stage 1, then stage 2 (not timed yet)');
    progress.estimate = { prepare: 1, total: 100, stages: { 1: { cache: 0, search: 0, epochs: 10, total: 10 }, 2: { cache: 5, search: 20, epochs: 64, total: 89 } } };
    expect(progress.secondsLeft).toBeCloseTo(12 + 89);
    expect(progress.timeLeftText).toBe('12 s left in stage 1, then about 1 min 29 s for stage 2');
    // Stage 2 is timed afresh: stage 1's pace says nothing about its steps.
    progress.update(stageStart(2, 3));
    now = 4000;
    progress.update(batch(2, 1, 1));
    expect(progress.secondsLeft).toBeNull();
    now = 14_000;
    progress.update(batch(2, 1, 3)); // 5 s a batch, 9 of 12 left
    expect(progress.secondsLeft).toBeCloseTo(9 * 5);
    expect(progress.timeLeftText).toBe('45 s left in stage 2');
  });

  it('fills the stage bar by how far the run is through its stages, and ends with the time taken', () => {
    let now = 1000;
    const progress = new RunProgress(() => now);
    expect(progress.stagesDone).toBe(0);
    progress.update(stageStart(1, 2));
    expect(progress.stagesDone).toBe(0); // stage 1 has only begun: the bar is empty, not half full
    progress.update(batch(1, 2, 2)); // epoch 2 of 2, batch 2 of 4
    expect(progress.stagesDone).toBeCloseTo(0.75);
    progress.update(stageStart(2, 3));
    expect(progress.stagesDone).toBe(1);
    expect(progress.finishedIn).toBeNull();
    now = 135_000;
    progress.finish();
    expect(progress.finishedIn).toBe(134);
  });

  it('moves to the next epoch when one ends, and formats durations for people', () => {
    const progress = new RunProgress(() => 0);
    progress.update(stageStart(1, 2));
    progress.update({ type: 'epoch', metrics: { stage: 1, epoch: 1, epochs: 2, seconds: 1, loss: 1, acc: 0.5, valLoss: null, valAcc: null, numTensors: 0, tensorBytes: 0, dataBytes: 0 } });
    expect([progress.epoch, progress.step]).toEqual([2, 0]);
    expect([durationText(4.2), durationText(125), durationText(3 * 3600 + 65)]).toEqual(['5 s', '2 min 5 s', '3 h 1 min']);
  });
});

describe('reportsCsv', () => {
  it('writes a row per stage and class, then the averages, quoting class names that need it', () => {
    const report = classificationReport(
      [
        [3, 1],
        [0, 4],
      ],
      ['daisy', 'rose, "red"'],
    );
    const settings = { learningRate: 1e-3, head: 'flatten' as const, restarts: 0, search: null };
    const csv = reportsCsv([{ stage: 2, history: [], settings, best: null, stoppedEarly: null, report, confusion: null, misclassified: [], trainableFrom: 15 }]).trim().split('\n');
    expect(csv[0]).toBe('stage,class,precision,recall,f1,support');
    expect(csv[1]).toBe('2,daisy,1,0.75,0.8571428571428571,4');
    expect(csv[2]).toBe('2,"rose, ""red""",0.8,1,0.888888888888889,4');
    expect(csv[3]).toBe('2,accuracy,,,0.875,8');
    expect(csv).toHaveLength(6);
  });
});
