import type { EpochMetrics, StageResult, TrainEvent } from '../src/protocol';
import { formatEvent } from '../src/train/log-format';
import { progressOf } from './event-details';
import { FinetuneEvent } from './events';
import type { RunProgress } from './run-progress';

// What a worker event changes on the page while a run goes on: the progress, the charts' epochs, the
// finished stages, the line the live region reads and the notes, and which of the element's own events it
// fires. Apart from the controller, which is left with the calls it makes and the state they set.

/** The page's state that events change (the controller's, which passes itself). */
export interface EventView {
  progress: RunProgress;
  history: EpochMetrics[];
  stages: StageResult[];
  /** The latest line for the live region. */
  announcement: string;
  /** The run's info and warning lines, the last 40. */
  notes: string[];
}

/** Applies `event` to `view`; `dispatch` fires the element's event for it, after the state it reports is set. */
export function applyEvent(view: EventView, event: TrainEvent, dispatch: (event: FinetuneEvent) => void): void {
  view.progress.update(event);
  switch (event.type) {
    case 'batch':
    case 'decode-progress':
    case 'cache-progress':
    case 'search-progress':
    case 'download':
      dispatch(new FinetuneEvent('finetune-progress', { ...progressOf(event), secondsLeft: view.progress.secondsLeft }));
      break;
    case 'stage-restart':
      // The stage starts over at a lower rate: its epochs so far no longer count.
      view.history = view.history.filter((m) => m.stage !== event.stage);
      break;
    case 'epoch':
      view.history = [...view.history, event.metrics];
      view.announcement = `Stage ${event.metrics.stage}, epoch ${event.metrics.epoch} of ${event.metrics.epochs}: accuracy ${event.metrics.acc.toFixed(2)}${event.metrics.valAcc === null ? '' : `, validation ${event.metrics.valAcc.toFixed(2)}`}.`;
      dispatch(new FinetuneEvent('finetune-epoch', event.metrics));
      break;
    case 'stage-start':
      view.announcement = `Stage ${event.stage} started: ${event.epochs} epochs.`;
      dispatch(new FinetuneEvent('finetune-stage', { stage: event.stage, phase: 'start', result: null }));
      break;
    case 'stage-end':
      view.stages = [...view.stages.filter((s) => s.stage !== event.stage), event.result];
      view.announcement = `Stage ${event.stage} finished: accuracy ${event.result.report?.accuracy.toFixed(2) ?? 'n/a'} on held-out images.`;
      dispatch(new FinetuneEvent('finetune-stage', { stage: event.stage, phase: 'end', result: event.result }));
      break;
    default:
  }
  const lines = formatEvent(event).filter((l) => l.startsWith('[INFO]') || l.startsWith('[WARN]'));
  if (lines.length && event.type !== 'checkpoint') view.notes = [...view.notes, ...lines].slice(-40);
}
