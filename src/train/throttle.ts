import type { TrainEvent, TrainEventListener } from '../protocol';
import { PROCESSED_EVERY } from './log-format';

export const PROGRESS_INTERVAL_MS = 250;

function isMilestone(event: TrainEvent): boolean {
  if (event.type === 'batch') return event.step === event.steps;
  if (event.type === 'decode-progress') return event.done === event.total || event.done % PROCESSED_EVERY === 0;
  if (event.type === 'download') return event.loaded === event.total;
  return true;
}

/**
 * Passes every event through except fine-grained progress (batches, decoded images), which goes at most
 * a few times a second; the last of each run and the recipe's log milestones always pass.
 */
export function throttleProgress(listener: TrainEventListener, intervalMs = PROGRESS_INTERVAL_MS, now = () => Date.now()): TrainEventListener {
  const due = progressGate(intervalMs, now);
  return (event) => {
    if (isMilestone(event) || due()) listener(event);
  };
}

/** True at most once every `intervalMs` (the first call included): how any progress is thinned to a few updates a second. */
export function progressGate(intervalMs = PROGRESS_INTERVAL_MS, now = () => Date.now()): () => boolean {
  let last = -Infinity;
  return () => {
    const t = now();
    if (t - last < intervalMs) return false;
    last = t;
    return true;
  };
}
