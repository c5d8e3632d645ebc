import { OutputError } from '../errors';
import type { TrainEventListener } from '../protocol';
import type { Checkpoint, CheckpointSink } from '../checkpoint/format';
import { checkpointBytes } from '../checkpoint/parts';
import type { RunControl } from './control';
import type { StagePosition } from './stage-types';
import { formatMB } from '../units';

export interface CheckpointPolicy {
  /** Also every this many batches (null: only at epoch ends and by time). */
  everyBatches: number | null;
  /** At least this often, in seconds of training. */
  everySeconds: number;
  /**
   * At an epoch's end, save unless the last save was so recent that saving again would spend more than
   * this share of the time on checkpoints (fast epochs, large checkpoints: a head on a cache, whose
   * weights and RMSprop slots can be 77 MB and take a second to write). 1 saves at every epoch's end.
   */
  maxOverhead: number;
  /** On a failed save: pause (a tab: the user can free space and resume) or throw (the command line). */
  onFailure: 'pause' | 'throw';
}

/** Checkpoints take at most a tenth of the training time, and come at least once a minute. */
export const DEFAULT_CHECKPOINT_POLICY: CheckpointPolicy = { everyBatches: null, everySeconds: 60, maxOverhead: 0.1, onFailure: 'pause' };


async function storageNote(): Promise<string> {
  const estimate = await globalThis.navigator?.storage?.estimate?.().catch(() => null);
  if (!estimate?.quota) return '';
  return `; this site uses ${formatMB(estimate.usage ?? 0)} of its ${formatMB(estimate.quota)} quota`;
}

/** Decides when to save (epoch ends, every N batches, at least every T seconds), saves, and reports. */
export class Checkpointer {
  private batchesSince = 0;
  private lastSaved: number;
  /** How long the last save took (ms). */
  private lastCost = 0;
  private lastGood: string | null = null;

  constructor(
    private readonly sink: CheckpointSink,
    private readonly policy: CheckpointPolicy,
    private readonly build: (at: StagePosition | 'stage-end') => Promise<Checkpoint>,
    private readonly emit: TrainEventListener,
    private readonly control: RunControl,
    private readonly now: () => number = () => performance.now(),
  ) {
    this.lastSaved = now();
  }

  /** The sink already holds a good checkpoint (the one a run resumed from): what a failed save keeps. */
  resumedFrom(where: string): void {
    this.lastGood = where;
  }

  /** After a batch (`boundary` false) or an epoch (true): saves when due, asking for the position only then. */
  async at(position: () => Promise<StagePosition>, boundary: boolean): Promise<void> {
    this.batchesSince++;
    const { everyBatches, everySeconds, maxOverhead } = this.policy;
    const since = this.now() - this.lastSaved;
    const due =
      (boundary && this.lastCost <= maxOverhead * (since + this.lastCost)) ||
      (everyBatches !== null && this.batchesSince >= everyBatches) ||
      since >= everySeconds * 1000;
    if (due) await this.save(await position());
  }

  async save(position: StagePosition | 'stage-end'): Promise<void> {
    const started = this.now();
    const checkpoint = await this.build(position);
    const { stage, epoch, step, done } = checkpoint.cursor;
    const where = done ? 'finished run' : `stage ${stage}, epoch ${epoch}, batch ${step}`;
    const bytes = checkpointBytes(checkpoint);
    this.emit({ type: 'checkpoint', state: 'writing', where, bytes, ms: this.now() - started, sink: this.sink.label });
    try {
      await this.sink.save(checkpoint);
    } catch (error) {
      await this.failed(error as Error, bytes);
      return;
    }
    this.batchesSince = 0;
    this.lastSaved = this.now();
    this.lastCost = this.lastSaved - started;
    this.lastGood = where;
    this.emit({ type: 'checkpoint', state: 'saved', where, bytes, ms: this.now() - started, sink: this.sink.label });
  }

  private async failed(error: Error, bytes: number): Promise<void> {
    const kept = this.lastGood ? `the last good checkpoint (${this.lastGood}) is kept` : 'no earlier checkpoint exists';
    const cause =
      error.name === 'QuotaExceededError'
        ? `storage is full: it needs about ${formatMB(bytes)} more${await storageNote()}`
        : `${error.name}: ${error.message}`;
    const message = `checkpoint not saved to ${this.sink.label} (${cause}); ${kept}`;
    if (this.policy.onFailure === 'throw') throw new OutputError(message);
    this.emit({ type: 'warning', message: `${message}. Training is paused: free some space, then resume.` });
    this.control.pause();
  }
}
