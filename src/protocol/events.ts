import type { BackendChoice } from './backend';
import type { SkippedFile } from './data';
import type { EpochMetrics, RateSearch, SearchTrial, StageResult } from './results';

// The events a run sends while it works, and what it does about a fault.

export type TrainEvent =
  | { type: 'backend'; choice: BackendChoice }
  | { type: 'info'; message: string }
  /** The run stopped between two batches on a pause ('paused'), or went on after one ('running'); `where` says where it stands. */
  | { type: 'status'; state: 'paused' | 'running'; where: string }
  | { type: 'warning'; message: string }
  | { type: 'decode-progress'; done: number; total: number }
  /** `done` of `total` passes of the frozen layers: each of `images` training images in `views` views, each held-out image once. */
  | { type: 'cache-progress'; stage: 1 | 2; done: number; total: number; images: number; views: number; held: number }
  | { type: 'cache'; stage: 1 | 2; layer: string; shape: string; images: number; views: number; bytes: number; seconds: number; where: 'gpu' | 'memory' }
  | { type: 'download'; url: string; loaded: number; total: number | null }
  | { type: 'skipped'; file: SkippedFile }
  | { type: 'dataset'; classes: string[]; counts: number[]; train: number; validation: number; test: number; skipped: number }
  /** `epoch`: the one it starts at (1, or a resumed checkpoint's). */
  | { type: 'stage-start'; stage: 1 | 2; epoch: number; epochs: number; stepsPerEpoch: number; trainableFrom: number; optimizer: string; learningRate: number | 'auto' }
  | { type: 'search-progress'; stage: 1 | 2; trial: number; epoch: number; epochs: number }
  | { type: 'search-trial'; stage: 1 | 2; trial: SearchTrial; epochs: number }
  | { type: 'search'; stage: 1 | 2; search: RateSearch; chosen: SearchTrial }
  | { type: 'stage-restart'; stage: 1 | 2; learningRate: number; restarts: number; reason: string }
  | { type: 'batch'; stage: 1 | 2; epoch: number; step: number; steps: number; loss: number; acc: number }
  | { type: 'epoch'; metrics: EpochMetrics }
  | { type: 'stage-end'; stage: 1 | 2; result: StageResult; classes: string[] }
  | { type: 'features-end'; result: StageResult; classes: string[]; features: number; seconds: number }
  | { type: 'checkpoint'; state: 'writing' | 'saved'; where: string; bytes: number; ms: number; sink: string }
  | { type: 'resumed'; where: string; from: string }
  | { type: 'fault'; kind: FaultKind; message: string; action: string };

/** What went wrong under a run: the GPU device went away, memory ran out, or a kernel threw. */
export type FaultKind = 'device-lost' | 'out-of-memory' | 'kernel';

/** How a run answers a fault: resume from its last checkpoint, up to `attempts` times. */
export interface RecoverySettings {
  /** Faults survived per run (0: the first fault ends it). */
  attempts: number;
  /** On running out of memory, resume with half the batch size instead of stopping with that advice. */
  smallerBatch: boolean;
}

/** May return a promise: the worker then waits for it before a call that emitted the event returns. */
export type TrainEventListener = (event: TrainEvent) => void | Promise<void>;
