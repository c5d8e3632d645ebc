import type { TrainEvent } from '../src/protocol';
import type { RunEstimate } from '../src/train/estimate';

/** Where a run is and how long it has left, folded from the worker's events. */
export class RunProgress {
  stage: 1 | 2 | null = null;
  epoch = 0;
  epochs = 0;
  step = 0;
  steps = 0;
  loss: number | null = null;
  acc: number | null = null;
  decode: { done: number; total: number } | null = null;
  /** Running the frozen layers once before a stage's epochs. */
  cache: { stage: 1 | 2; done: number; total: number; images: number; views: number; held: number } | null = null;
  download: { loaded: number; total: number | null } | null = null;
  private epochsByStage: Record<1 | 2, number> = { 1: 0, 2: 0 };
  private lastBatch: { at: number; index: number } | null = null;
  /** Each stage's recent pace: a stage-2 step (base layers trained too) costs many stage-1 steps. */
  private secondsPerBatch: Record<1 | 2, number | null> = { 1: null, 2: null };
  /** The plan's estimate for these settings, if Start had one: times a stage before its batches do. */
  estimate: RunEstimate | null = null;
  private readonly startedAt: number;
  /** Seconds from start to the end of both stages, once they have ended. */
  finishedIn: number | null = null;
  /** This run went on from a checkpoint: `finishedIn` counts from the resume, not the run's first start. */
  resumed = false;

  constructor(private readonly now: () => number = () => performance.now()) {
    this.startedAt = now();
  }

  /** Both stages are done: the time left becomes the time taken. */
  finish(): void {
    this.finishedIn = (this.now() - this.startedAt) / 1000;
  }

  /** How far the run is through its stages, 0 to 2: the stage bar. */
  get stagesDone(): number {
    if (!this.stage) return 0;
    const within = this.epochs ? (Math.max(0, this.epoch - 1) + (this.steps ? this.step / this.steps : 0)) / this.epochs : 0;
    return this.stage - 1 + Math.min(1, within);
  }

  /** Both stages' epochs, known before training starts. */
  plan(headEpochs: number, finetuneEpochs: number): void {
    this.epochsByStage = { 1: headEpochs, 2: finetuneEpochs };
  }

  /** Batches of the current stage done so far. */
  private batchIndex(): number {
    return Math.max(0, this.epoch - 1) * this.steps + this.step;
  }

  update(event: TrainEvent): void {
    switch (event.type) {
      case 'decode-progress':
        this.decode = { done: event.done, total: event.total };
        break;
      case 'cache-progress':
        this.cache = event.done < event.total ? { stage: event.stage, done: event.done, total: event.total, images: event.images, views: event.views, held: event.held } : null;
        break;
      case 'download':
        this.download = { loaded: event.loaded, total: event.total };
        break;
      case 'stage-start':
        Object.assign(this, { stage: event.stage, epoch: event.epoch, epochs: event.epochs, step: 0, steps: event.stepsPerEpoch, lastBatch: null });
        this.epochsByStage[event.stage] = event.epochs;
        break;
      case 'batch': {
        Object.assign(this, { stage: event.stage, epoch: event.epoch, step: event.step, steps: event.steps, loss: event.loss, acc: event.acc });
        const at = this.now();
        const index = this.batchIndex();
        if (this.lastBatch && index > this.lastBatch.index) {
          const rate = (at - this.lastBatch.at) / 1000 / (index - this.lastBatch.index);
          const pace = this.secondsPerBatch[event.stage];
          this.secondsPerBatch[event.stage] = pace === null ? rate : 0.7 * pace + 0.3 * rate;
        }
        this.lastBatch = { at, index };
        break;
      }
      case 'epoch':
        if (event.metrics.epoch < event.metrics.epochs) Object.assign(this, { epoch: event.metrics.epoch + 1, step: 0 });
        break;
      default:
    }
  }

  /** Seconds left in the current stage at its recent pace (null until two of its batches have been timed). */
  get stageSecondsLeft(): number | null {
    const pace = this.stage ? this.secondsPerBatch[this.stage] : null;
    if (pace === null || !this.steps) return null;
    return Math.max(0, this.epochs * this.steps - this.batchIndex()) * pace;
  }

  /** Seconds stage 2 will take while stage 1 runs: the plan's estimate (0 once stage 2 runs, or without one). Null: not known. */
  get laterSecondsLeft(): number | null {
    if (this.stage !== 1 || !this.epochsByStage[2]) return 0;
    return this.estimate ? this.estimate.stages[2].total : null;
  }

  /** Seconds left for the whole run: this stage at its pace, then the estimate of the next (null while either is unknown). */
  get secondsLeft(): number | null {
    const stage = this.stageSecondsLeft;
    const later = this.laterSecondsLeft;
    return stage === null || later === null ? null : stage + later;
  }

  /** The time left as a person reads it: '20 s left in stage 1, then about 1 min 5 s for stage 2'. */
  get timeLeftText(): string {
    const stage = this.stageSecondsLeft;
    if (stage === null || !this.stage) return 'estimating…';
    const later = this.laterSecondsLeft;
    const next = later === null ? ', then stage 2 (not timed yet)' : later > 0 ? `, then about ${durationText(later)} for stage 2` : '';
    return `${durationText(stage)} left in stage ${this.stage}${next}`;
  }
}

/** `42 s`, `2 min 14 s`, `1 h 5 min`. */
export function durationText(seconds: number): string {
  if (seconds < 60) return `${Math.ceil(seconds)} s`;
  const minutes = Math.floor(seconds / 60);
  return minutes < 60 ? `${minutes} min ${Math.ceil(seconds % 60)} s` : `${Math.floor(minutes / 60)} h ${minutes % 60} min`;
}
