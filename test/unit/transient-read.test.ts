import { describe, expect, it } from 'vitest';
import { readRetrying } from '../../src/store/transient-read';

const failure = (name: string): Error => Object.assign(new Error('Failed to read large IndexedDB value'), { name });

/** A read that fails with `errors` in turn, then returns 'record'; counts its calls. */
function flaky(errors: Error[]): { read: () => Promise<string>; calls: () => number } {
  let calls = 0;
  return {
    read: async () => {
      const error = errors[calls++];
      if (error) throw error;
      return 'record';
    },
    calls: () => calls,
  };
}

describe('reading a large IndexedDB value', () => {
  it('tries again after a transient failure and returns what the later read finds', async () => {
    const reads = flaky([failure('UnknownError'), failure('DataError')]);
    await expect(readRetrying('the checkpoint of project p', reads.read, [0, 0, 0])).resolves.toBe('record');
    expect(reads.calls()).toBe(3);
  });

  it('gives up after the last delay with a StorageError naming the record and the cause', async () => {
    const reads = flaky([failure('UnknownError'), failure('UnknownError'), failure('UnknownError')]);
    const error = await readRetrying('the checkpoint of project p', reads.read, [0, 0]).catch((e: Error) => e);
    expect(error).toMatchObject({ name: 'StorageError' });
    expect((error as Error).message).toBe(
      'the checkpoint of project p could not be read from IndexedDB after 3 tries (UnknownError: Failed to read large IndexedDB value); the record is still there and may read later (close other tabs to free memory); if it never does (a private window can lose what a closed tab wrote), start the run over without resuming',
    );
    expect(reads.calls()).toBe(3);
  });

  it('does not retry a file that is gone for good, or any other error', async () => {
    for (const name of ['NotReadableError', 'TypeError']) {
      const reads = flaky([failure(name)]);
      await expect(readRetrying('x', reads.read, [0, 0])).rejects.toMatchObject({ name });
      expect(reads.calls()).toBe(1);
    }
  });
});
