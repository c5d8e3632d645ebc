import type { BackendChoice, TrainEvent } from '../src/protocol';
import { cachePassesText, formatEvent } from '../src/train/log-format';
import { escapeEvent } from './safe-text';

/** How often a log that is not a terminal gets a progress line during long work (a cache build, a long epoch). */
export const PROGRESS_LINE_EVERY_MS = 30_000;

/** A run's progress as one line, or null for events that are not progress. `epochs` is each stage's count. */
export function progressText(event: TrainEvent, epochs: Partial<Record<1 | 2, number>>): string | null {
  switch (event.type) {
    case 'batch':
      return `stage ${event.stage} epoch ${event.epoch}/${epochs[event.stage] ?? '?'} batch ${event.step}/${event.steps} - loss: ${event.loss.toFixed(4)} - acc: ${event.acc.toFixed(4)}`;
    case 'cache-progress':
      return `stage ${event.stage}: running the frozen layers once, ${cachePassesText(event)}`;
    case 'search-progress':
      return `stage ${event.stage}: search trial ${event.trial}, epoch ${event.epoch}/${event.epochs}`;
    case 'decode-progress':
      return `decoding ${event.done}/${event.total}`;
    default:
      return null;
  }
}

/** A backend's longest texts (adapter strings, every passed-over reason) stop here without --verbose. */
const SUMMARY_CHARS = 100;

const clip = (text: string, chars: number): string => (text.length <= chars ? text : `${text.slice(0, chars - 1).trimEnd()}…`);

/** The backend in one line: which, its detail and why, each clipped; --verbose prints them whole. */
export function backendSummary(choice: BackendChoice): string {
  const why = choice.reason.split('; passed over ')[0]!;
  const passed = choice.skipped.length ? `; passed over ${choice.skipped.map((s) => s.backend).join(', ')}` : '';
  const more = why.length > SUMMARY_CHARS || choice.detail.length > SUMMARY_CHARS || passed ? ' (--verbose says more)' : '';
  return `[INFO] ${choice.stage === 2 ? 'stage 2 ' : ''}backend: ${choice.backend} (${clip(choice.detail, SUMMARY_CHARS)}): ${clip(why, SUMMARY_CHARS)}${passed}${more}`;
}

/** The lines of an event in the default, quiet log: no checkpoint lines, the backend in one line. */
function quietLines(event: TrainEvent): string[] {
  if (event.type === 'checkpoint') return [];
  if (event.type === 'backend') return [backendSummary(event.choice)];
  return formatEvent(event);
}

/**
 * Prints a run's events as the recipe logs them; `verbose` adds every checkpoint and the backend's whole story. On a terminal, progress redraws one line in place; in a
 * log file it is a plain `[INFO]` line at most every PROGRESS_LINE_EVERY_MS, so minutes of caching or a
 * long epoch are never silent.
 */
export function makePrinter(
  { tty, verbose = false }: { tty: boolean; verbose?: boolean },
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
    const lines = verbose ? formatEvent(event) : quietLines(event);
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
