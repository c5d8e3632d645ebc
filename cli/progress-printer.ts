import type { TrainEvent } from '../src/protocol';
import { formatEvent } from '../src/train/log-format';
import { escapeEvent } from './safe-text';

/** How often a log that is not a terminal gets a progress line during long work (a cache build, a long epoch). */
export const PROGRESS_LINE_EVERY_MS = 30_000;

/** A run's progress as one line, or null for events that are not progress. `epochs` is each stage's count. */
export function progressText(event: TrainEvent, epochs: Partial<Record<1 | 2, number>>): string | null {
  switch (event.type) {
    case 'batch':
      return `stage ${event.stage} epoch ${event.epoch}/${epochs[event.stage] ?? '?'} batch ${event.step}/${event.steps} - loss: ${event.loss.toFixed(4)} - acc: ${event.acc.toFixed(4)}`;
    case 'cache-progress':
      return `stage ${event.stage}: running the frozen layers once, ${event.done}/${event.total} images and augmented views`;
    case 'search-progress':
      return `stage ${event.stage}: search trial ${event.trial}, epoch ${event.epoch}/${event.epochs}`;
    case 'decode-progress':
      return `decoding ${event.done}/${event.total}`;
    default:
      return null;
  }
}

/**
 * Prints a run's events as the recipe logs them. On a terminal, progress redraws one line in place; in a
 * log file it is a plain `[INFO]` line at most every PROGRESS_LINE_EVERY_MS, so minutes of caching or a
 * long epoch are never silent.
 */
export function makePrinter(
  tty: boolean,
  out: Pick<NodeJS.WriteStream, 'write'> = process.stdout,
  now: () => number = Date.now,
  print: (line: string) => void = (line) => (line.startsWith('[WARN]') ? console.warn : console.log)(line),
): (event: TrainEvent) => void {
  let transient = false;
  let lastLine = now();
  const epochs: Partial<Record<1 | 2, number>> = {};
  return (raw) => {
    const event = escapeEvent(raw);
    if (event.type === 'stage-start') epochs[event.stage] = event.epochs;
    const lines = formatEvent(event);
    const progress = lines.length ? null : progressText(event, epochs);
    if (progress !== null) {
      if (tty) {
        out.write(`\r\x1b[2K  ${progress}`);
        transient = true;
      } else if (now() - lastLine >= PROGRESS_LINE_EVERY_MS) {
        out.write(`[INFO] ${progress}\n`);
        lastLine = now();
      }
      return;
    }
    if (!lines.length) return;
    if (transient) out.write('\r\x1b[2K');
    transient = false;
    lastLine = now();
    for (const line of lines) print(line);
  };
}
