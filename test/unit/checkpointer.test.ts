import { describe, expect, it } from 'vitest';
import type { Checkpoint, CheckpointSink } from '../../src/checkpoint/format';
import { Checkpointer, DEFAULT_CHECKPOINT_POLICY } from '../../src/train/checkpointer';
import { RunControl } from '../../src/train/control';
import type { StagePosition } from '../../src/train/stage-types';

/** Epoch ends `epochMs` apart, each save taking `saveMs`, on a fake clock: how many saves, and their share of the time. */
async function epochEnds(epochs: number, epochMs: number, saveMs: number, maxOverhead: number): Promise<{ saves: number; overhead: number }> {
  let now = 0;
  let saves = 0;
  const sink: CheckpointSink = {
    label: 'test',
    load: async () => null,
    save: async () => {
      now += saveMs;
      saves++;
    },
  } as unknown as CheckpointSink;
  const checkpoint = { cursor: { stage: 1, epoch: 1, step: 0, done: false }, weights: { data: new ArrayBuffer(8) }, optimizer: null } as unknown as Checkpoint;
  const policy = { ...DEFAULT_CHECKPOINT_POLICY, everySeconds: 1e9, maxOverhead };
  const checkpointer = new Checkpointer(sink, policy, async () => checkpoint, () => undefined, new RunControl(), () => now);
  for (let epoch = 0; epoch < epochs; epoch++) {
    now += epochMs;
    await checkpointer.at(() => Promise.resolve({} as StagePosition), true);
  }
  return { saves, overhead: (saves * saveMs) / now };
}

describe('checkpoints at epoch ends', () => {
  it('are taken at every epoch end with an overhead of 1, however long they take', async () => {
    expect(await epochEnds(50, 200, 800, 1)).toMatchObject({ saves: 50 });
  });

  it('take at most a tenth of the time by default: every epoch while cheap, then spaced out', async () => {
    expect(await epochEnds(50, 2000, 150, DEFAULT_CHECKPOINT_POLICY.maxOverhead)).toMatchObject({ saves: 50 });
    // The cached head at 224 px here: 1.1 s epochs, 1.2 s checkpoints.
    const { saves, overhead } = await epochEnds(100, 1100, 1200, DEFAULT_CHECKPOINT_POLICY.maxOverhead);
    expect(saves).toBeLessThan(15);
    expect(overhead).toBeLessThanOrEqual(0.11);
  });

  it('with a bounded overhead: every epoch while cheap, spaced out when epochs are fast and checkpoints large', async () => {
    expect(await epochEnds(50, 2000, 60, 0.1)).toMatchObject({ saves: 50 });
    const { saves, overhead } = await epochEnds(400, 200, 800, 0.1);
    expect(saves).toBeGreaterThan(5);
    expect(saves).toBeLessThan(40);
    expect(overhead).toBeLessThanOrEqual(0.11);
  });
});

describe('a checkpoint that cannot be written', () => {
  it('on the command line, stops the run with an OutputError naming the last good checkpoint, even one it resumed from', async () => {
    const sink = { label: 'the output folder', load: async () => null, save: async () => Promise.reject(new Error('HTTP 507: no space left')) } as unknown as CheckpointSink;
    const checkpoint = { cursor: { stage: 2, epoch: 3, step: 0, done: false }, weights: { data: new ArrayBuffer(8) }, optimizer: null } as unknown as Checkpoint;
    const checkpointer = new Checkpointer(sink, { ...DEFAULT_CHECKPOINT_POLICY, onFailure: 'throw' }, async () => checkpoint, () => undefined, new RunControl());
    checkpointer.resumedFrom('stage 2, epoch 1, batch 0');
    const error = (await checkpointer.save('stage-end').catch((e: Error) => e)) as Error;
    expect(error.name).toBe('OutputError');
    expect(error.message).toBe('checkpoint not saved to the output folder (Error: HTTP 507: no space left); the last good checkpoint (stage 2, epoch 1, batch 0) is kept');
  });
});
