import { ERROR_NAMES, OutOfMemoryError } from '../errors';
import type { FaultKind, RecoverySettings } from '../protocol';

// Faults are what the device does to a run, not what the user asked for: a lost GPU device, memory
// that ran out, a kernel that threw. A run survives them by resuming from its last checkpoint; bad
// settings, bad data and a cancel are never retried.

export const RECOVERY_DEFAULTS: RecoverySettings = { attempts: 2, smallerBatch: false };

/**
 * What a backend throws when the device fails a kernel: TF.js' kernels and WebGL throw Error, wasm a
 * RangeError (its memory cannot grow) or a RuntimeError (a trap), and WebGPU's reads reject with an
 * OperationError, or an AbortError when the device went (which can arrive before the device's own
 * `lost` promise says so). Only these are faults: a storage error (QuotaExceededError, a failed
 * transaction), a TypeError from a bug or one of our named errors is never retried as if a kernel had failed.
 */
const BACKEND_ERRORS = new Set(['Error', 'RangeError', 'RuntimeError', 'OperationError', 'AbortError']);

// Out-of-memory as each backend words it: WebGPU/WebGL allocation failures, wasm's memory growth.
const OUT_OF_MEMORY = /out of memory|\bOOM\b|allocation failed|failed to allocate|maximum memory size|cannot enlarge memory/i;

/** The fault an error stands for, or null for errors of the run itself (settings, data, storage, cancel) and bugs. */
export function classifyFault(error: unknown, lostDevice: string | null): FaultKind | null {
  const name = (error as Error | null)?.name ?? '';
  if (ERROR_NAMES.includes(name)) return null;
  if (lostDevice) return 'device-lost'; // whatever failed after the device went, it went first
  if (!(error instanceof Error) || !BACKEND_ERRORS.has(name)) return null;
  return OUT_OF_MEMORY.test(`${name}: ${error.message}`) ? 'out-of-memory' : 'kernel';
}

export interface RecoveryPlan {
  kind: FaultKind;
  /** What the fault was, for the log. */
  message: string;
  /** What the run does about it, for the log. */
  action: string;
  /** Start this backend afresh before resuming (a lost device). */
  restart: string | null;
  /** Resume with this batch size (out of memory, when allowed). */
  batchSize: number | null;
}

export interface FaultContext {
  error: unknown;
  lostDevice: string | null;
  backend: string;
  batchSize: number;
  settings: RecoverySettings;
  /** Faults this run has already survived. */
  survived: number;
}

/**
 * How to go on after `error`: a plan to resume from the last checkpoint, or null when the error is not
 * a fault or the run is out of attempts. Running out of memory without leave to shrink the batch (or
 * at batch size 1) throws an OutOfMemoryError that says what to try.
 */
export function planRecovery(c: FaultContext): RecoveryPlan | null {
  const kind = classifyFault(c.error, c.lostDevice);
  if (!kind) return null;
  const cause = c.error instanceof Error ? c.error.message : String(c.error);
  const smaller = Math.floor(c.batchSize / 2);
  if (kind === 'out-of-memory' && (!c.settings.smallerBatch || smaller < 1)) {
    const advice = smaller >= 1 ? `try a batch size of ${smaller} (or allow smaller batches on out-of-memory)` : 'even a batch of 1 does not fit: try a smaller input size';
    throw new OutOfMemoryError(`${c.backend} ran out of memory at batch size ${c.batchSize} (${cause}): ${advice}`);
  }
  if (c.survived >= c.settings.attempts) return null;
  const again = `resuming from the last checkpoint (fault ${c.survived + 1} of at most ${c.settings.attempts})`;
  if (kind === 'device-lost') {
    return {
      kind,
      message: `the ${c.backend} device was lost (${c.lostDevice})`,
      action: `${again} on a new ${c.backend} device, or the next backend if none starts`,
      restart: c.backend,
      batchSize: null,
    };
  }
  if (kind === 'out-of-memory') {
    return { kind, message: `${c.backend} ran out of memory at batch size ${c.batchSize} (${cause})`, action: `${again} with batch size ${smaller}`, restart: null, batchSize: smaller };
  }
  return { kind, message: `a kernel failed on ${c.backend} (${cause})`, action: `${again} on ${c.backend}`, restart: null, batchSize: null };
}
