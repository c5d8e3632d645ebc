import { StorageError } from '../errors';

// Chromium keeps a large IndexedDB value in a file of its own beside the database. Reading it can fail
// for a moment (an UnknownError, "Failed to read large IndexedDB value", from low memory); it reads on a
// later try. A NotReadableError means the file is gone for good, and no retry brings it back. Off the
// record (IndexedDB in memory), Chromium 150 also loses the value a closed tab's worker wrote, with the
// same UnknownError (a checkpoint's Blobs: NotReadableError, src/store/checkpoints.ts): no retry helps
// there either, so the message says what to do then.

/** How long to wait before each retry, in milliseconds: about 3 s in all. */
export const TRANSIENT_READ_DELAYS_MS = [50, 200, 600, 2000] as const;

/** Chromium's names for a large value that failed to read this time but may read the next. */
const TRANSIENT = new Set(['UnknownError', 'DataError']);

export function isTransientReadError(error: unknown): boolean {
  return error instanceof Error && TRANSIENT.has(error.name);
}

/**
 * Runs `read`, and again after each delay while it fails with a transient read error. The last error is
 * rethrown as a message naming `what` and saying that the record is still there.
 */
export async function readRetrying<T>(what: string, read: () => Promise<T>, delays: readonly number[] = TRANSIENT_READ_DELAYS_MS): Promise<T> {
  for (let attempt = 0; ; attempt++) {
    try {
      return await read();
    } catch (error) {
      if (!isTransientReadError(error)) throw error;
      if (attempt >= delays.length) {
        const reason = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
        throw new StorageError(`${what} could not be read from IndexedDB after ${attempt + 1} tries (${reason}); the record is still there and may read later (close other tabs to free memory); if it never does (a private window can lose what a closed tab wrote), start the run over without resuming`);
      }
      await new Promise((done) => setTimeout(done, delays[attempt]));
    }
  }
}
