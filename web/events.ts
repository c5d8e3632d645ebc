// The element's events: typed, bubbling, and crossing shadow roots, so a page listens on any ancestor.
import type { EpochMetrics, RecipeResult, StageResult } from '../src/protocol';

const FLAGS = { bubbles: true, composed: true } as const;

export interface ProgressDetail {
  /**
   * What is in progress: decoding images, downloading weights, caching a stage's frozen layers, searching
   * its learning rate (done: epochs of the current trial), or its batches.
   */
  phase: 'decode' | 'download' | 'cache' | 'search' | 'train';
  stage: 1 | 2 | null;
  epoch: number | null;
  done: number;
  total: number | null;
  /** Seconds left for the whole run, once there is enough to estimate from. */
  secondsLeft: number | null;
}

export interface StageDetail {
  stage: 1 | 2;
  /** 'start' when the stage begins; 'end' with its result (report, confusion matrix, misclassified). */
  phase: 'start' | 'end';
  result: StageResult | null;
}

export interface ErrorDetail {
  /** DatasetError, ConfigError, WeightsError, BackendError, CancelledError, ProjectBusyError, ... */
  name: string;
  message: string;
}

/** What each event carries: the element's `finetune-*` events by name. */
export interface FinetuneEventDetails {
  'finetune-progress': ProgressDetail;
  'finetune-epoch': EpochMetrics;
  'finetune-stage': StageDetail;
  'finetune-complete': RecipeResult;
  'finetune-error': ErrorDetail;
}

export type FinetuneEventType = keyof FinetuneEventDetails;

/** One of the element's events: `type` names it, `detail` is typed by it. */
export class FinetuneEvent<K extends FinetuneEventType = FinetuneEventType> extends Event {
  constructor(
    type: K,
    readonly detail: FinetuneEventDetails[K],
  ) {
    super(type, FLAGS);
  }
}

declare global {
  interface HTMLElementEventMap {
    'finetune-progress': FinetuneEvent<'finetune-progress'>;
    'finetune-epoch': FinetuneEvent<'finetune-epoch'>;
    'finetune-stage': FinetuneEvent<'finetune-stage'>;
    'finetune-complete': FinetuneEvent<'finetune-complete'>;
    'finetune-error': FinetuneEvent<'finetune-error'>;
  }
}
