import type { TrainEvent } from '../src/protocol';

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
  cache: { stage: 1 | 2; done: number; total: number } | null = null;
  download: { loaded: number; total: number | null } | null = null;
  private epochsByStage: Record<1 | 2, number> = { 1: 0, 2: 0 };
  private lastBatch: { at: number; index: number } | null = null;
  private secondsPerBatch: number | null = null;
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

  /** Batches of the whole run done so far, counting stage 1 entirely once stage 2 runs. */
  private batchIndex(): number {
    const before = this.stage === 2 ? this.epochsByStage[1] * this.steps : 0;
    return before + Math.max(0, this.epoch - 1) * this.steps + this.step;
  }

  update(event: TrainEvent): void {
    switch (event.type) {
      case 'decode-progress':
        this.decode = { done: event.done, total: event.total };
        break;
      case 'cache-progress':
        this.cache = event.done < event.total ? { stage: event.stage, done: event.done, total: event.total } : null;
        break;
      case 'download':
        this.download = { loaded: event.loaded, total: event.total };
        break;
      case 'stage-start':
        Object.assign(this, { stage: event.stage, epoch: 1, epochs: event.epochs, step: 0, steps: event.stepsPerEpoch });
        this.epochsByStage[event.stage] = event.epochs;
        break;
      case 'batch': {
        Object.assign(this, { stage: event.stage, epoch: event.epoch, step: event.step, steps: event.steps, loss: event.loss, acc: event.acc });
        const at = this.now();
        const index = this.batchIndex();
        if (this.lastBatch && index > this.lastBatch.index) {
          const rate = (at - this.lastBatch.at) / 1000 / (index - this.lastBatch.index);
          this.secondsPerBatch = this.secondsPerBatch === null ? rate : 0.7 * this.secondsPerBatch + 0.3 * rate;
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

  /** Seconds left for both stages at the recent pace (null until two batches have been timed). */
  get secondsLeft(): number | null {
    if (this.secondsPerBatch === null || !this.steps) return null;
    const total = (this.epochsByStage[1] + this.epochsByStage[2]) * this.steps;
    return Math.max(0, total - this.batchIndex()) * this.secondsPerBatch;
  }
}

/** `42 s`, `2 min 14 s`, `1 h 5 min`. */
export function durationText(seconds: number): string {
  if (seconds < 60) return `${Math.ceil(seconds)} s`;
  const minutes = Math.floor(seconds / 60);
  return minutes < 60 ? `${minutes} min ${Math.ceil(seconds % 60)} s` : `${Math.floor(minutes / 60)} h ${minutes % 60} min`;
}

export function formatDuration(seconds: number | null): string {
  return seconds === null ? 'estimating…' : `${durationText(seconds)} left`;
}
