import { describe, expect, it } from 'vitest';
import { CancelledError } from '../../src/errors';
import type { TrainEvent } from '../../src/protocol';
import { RunControl } from '../../src/train/control';

describe('RunControl', () => {
  it('says where a pause stopped the loop, and that it went on once resumed', async () => {
    const heard: TrainEvent[] = [];
    const control = new RunControl((event) => heard.push(event));
    await control.between(() => 'nowhere: not paused');
    expect(heard).toEqual([]);
    control.pause();
    const waiting = control.between(() => 'in stage 1, epoch 2, before batch 3/10');
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(heard).toEqual([{ type: 'status', state: 'paused', where: 'in stage 1, epoch 2, before batch 3/10' }]);
    control.resume();
    await waiting;
    expect(heard.at(-1)).toEqual({ type: 'status', state: 'running', where: 'in stage 1, epoch 2, before batch 3/10' });
  });

  it('cancels a paused loop without saying it runs again', async () => {
    const heard: TrainEvent[] = [];
    const control = new RunControl((event) => heard.push(event));
    control.pause();
    const waiting = control.between(() => 'in stage 2, epoch 1, before batch 1/4');
    await new Promise((resolve) => setTimeout(resolve, 20));
    control.cancel();
    await expect(waiting).rejects.toBeInstanceOf(CancelledError);
    expect(heard.map((e) => (e.type === 'status' ? e.state : e.type))).toEqual(['paused']);
  });
});
