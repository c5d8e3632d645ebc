import type { TrainEvent } from '../src/protocol';
import type { ProgressDetail } from './events';

// What the element says of a project and a run, from the worker's data: warnings about the classes, and
// a progress event as its `finetune-progress` detail.

/** Small classes train badly and unbalanced ones bias the report: say so before training. */
export function classWarnings(classes: string[], counts: number[]): string[] {
  const warnings: string[] = [];
  const most = Math.max(...counts);
  classes.forEach((c, i) => {
    const n = counts[i]!;
    if (n < 10) warnings.push(`'${c}' has only ${n} image${n === 1 ? '' : 's'}: 10 or more per class train far better`);
    else if (n * 3 < most) warnings.push(`'${c}' has ${n} images, under a third of the largest class (${most}): the classes are unbalanced`);
  });
  return warnings;
}

export type ProgressEvent = Extract<TrainEvent, { type: 'batch' | 'decode-progress' | 'cache-progress' | 'search-progress' | 'download' }>;

/** A worker event as the element's progress detail. */
export function progressOf(event: ProgressEvent): Omit<ProgressDetail, 'secondsLeft'> {
  switch (event.type) {
    case 'batch':
      return { phase: 'train', stage: event.stage, epoch: event.epoch, done: event.step, total: event.steps };
    case 'cache-progress':
      return { phase: 'cache', stage: event.stage, epoch: null, done: event.done, total: event.total };
    case 'search-progress':
      return { phase: 'search', stage: event.stage, epoch: null, done: event.epoch, total: event.epochs };
    case 'download':
      return { phase: 'download', stage: null, epoch: null, done: event.loaded, total: event.total };
    case 'decode-progress':
      return { phase: 'decode', stage: null, epoch: null, done: event.done, total: event.total };
  }
}
