import type { TrainEvent } from '../src/protocol';

// What reaches the terminal from file names, class folders and URLs is shown, never obeyed: a name with a
// newline cannot forge a log line, and one with escape codes cannot retitle or repaint the terminal.

// C0 controls (newline and tab included), DEL, and C1 controls.
// eslint-disable-next-line no-control-regex
const CONTROLS = /[\u0000-\u001f\u007f-\u009f]/g;

/** `text` with every control character written as an escape: `\n`, `\x1b`. */
export function escapeControls(text: string): string {
  return text.replace(CONTROLS, (c) => (c === '\n' ? '\\n' : c === '\r' ? '\\r' : c === '\t' ? '\\t' : `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}`));
}

function escapeDeep<T>(value: T): T {
  if (typeof value === 'string') return escapeControls(value) as T;
  if (Array.isArray(value)) return value.map(escapeDeep) as T;
  if (value && typeof value === 'object' && !ArrayBuffer.isView(value) && !(value instanceof ArrayBuffer)) {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, escapeDeep(v)])) as T;
  }
  return value;
}

/** The event with every string in it escaped, before the log formats it (whose own line breaks stay). */
export function escapeEvent(event: TrainEvent): TrainEvent {
  return escapeDeep(event);
}
