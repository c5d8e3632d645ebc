import { describe, expect, it } from 'vitest';
import { classificationReport } from '../../src/train/metrics';
import { reportsCsv } from '../../src/train/report-export';
import { formatDuration, RunProgress } from '../../web/run-progress';

const batch = (stage: 1 | 2, epoch: number, step: number) => ({ type: 'batch', stage, epoch, step, steps: 4, loss: 1, acc: 0.5 }) as const;
const stageStart = (stage: 1 | 2, epochs: number) => ({ type: 'stage-start', stage, epochs, stepsPerEpoch: 4, trainableFrom: 19, optimizer: 'sgd', learningRate: 0.001 }) as const;

describe('RunProgress', () => {
  it('estimates the time left for both stages from the pace of recent batches', () => {
    let now = 0;
    const progress = new RunProgress(() => now);
    progress.plan(2, 3); // 5 epochs of 4 batches: 20 in all
    progress.update(stageStart(1, 2));
    progress.update(batch(1, 1, 1));
    expect(progress.secondsLeft).toBeNull(); // one batch timed is no pace yet
    now = 2000;
    progress.update(batch(1, 1, 2));
    expect(progress.secondsLeft).toBeCloseTo(18 * 2); // 2 s a batch, 18 left
    progress.update(stageStart(2, 3));
    now = 4000;
    progress.update(batch(2, 1, 1)); // batch 9 of 20, 7 batches after the last one timed
    expect(progress.secondsLeft).toBeCloseTo(11 * (0.7 * 2 + 0.3 * (2 / 7)));
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
    expect([formatDuration(null), formatDuration(4.2), formatDuration(125), formatDuration(3 * 3600 + 65)]).toEqual(['estimating…', '5 s left', '2 min 5 s left', '3 h 1 min left']);
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
