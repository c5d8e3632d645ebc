import { describe, expect, it } from 'vitest';
import type { Checkpoint } from '../../src/checkpoint/format';
import { indexedDbCheckpoints, storedBytes } from '../../src/store/checkpoints';
import type { CheckpointRecord, FinetuneStore, StoredPart } from '../../src/store/schema';
import { checkpoint } from './checkpoint-fixture';

// Reading a checkpoint record from IndexedDB (a stand-in for idb's get): parts stored as Blobs, as this
// version writes them, or as ArrayBuffers, as earlier ones did; a part whose bytes are gone.

const asBlob = (w: { specs: StoredPart['specs']; data: ArrayBuffer }): StoredPart => ({ specs: w.specs, data: new Blob([w.data]) });

/** The fixture as stored, its weights and best epoch's in Blobs, its optimizer and stage-1 head in ArrayBuffers. */
function mixedRecord(): CheckpointRecord {
  const best = checkpoint.progress!.best!;
  return {
    ...checkpoint,
    projectId: 'p',
    weights: asBlob(checkpoint.weights),
    progress: { ...checkpoint.progress!, best: { ...best, weights: asBlob(best.weights as Checkpoint['weights']) } },
  } as CheckpointRecord;
}

const storeOf = (get: () => Promise<CheckpointRecord | undefined>): FinetuneStore => ({ get }) as unknown as FinetuneStore;

/** A Blob whose reads fail as Chromium's do for a file that is gone (or, with 'UnknownError', for a moment). */
function failingBlob(name: string, failures: number): Blob {
  let calls = 0;
  const blob = new Blob([new Float32Array([1, 2]).buffer]);
  const read = blob.arrayBuffer.bind(blob);
  blob.arrayBuffer = () => (calls++ < failures ? Promise.reject(new DOMException('The requested file could not be read', name)) : read());
  return blob;
}

describe('a checkpoint read from IndexedDB', () => {
  it('reads parts in Blobs and in ArrayBuffers alike, to the checkpoint that was saved', async () => {
    const loaded = await indexedDbCheckpoints(storeOf(async () => mixedRecord()), 'p', null).load();
    expect(loaded).toEqual(checkpoint);
  });

  it('counts its bytes without reading them', () => {
    expect(storedBytes(mixedRecord())).toBe(8 + 4 + 8 + 4);
  });

  it('whose bytes are gone: a StorageError naming the project and what to do, without retrying', async () => {
    const record = { ...mixedRecord(), weights: { specs: checkpoint.weights.specs, data: failingBlob('NotReadableError', Infinity) } };
    const error = (await indexedDbCheckpoints(storeOf(async () => record), 'p', null).load().catch((e: Error) => e)) as Error;
    expect(error.name).toBe('StorageError');
    expect(error.message).toBe(
      'the checkpoint of project p is listed in IndexedDB, but its bytes could not be read (NotReadableError: The requested file could not be read); they are lost (a private window loses what a closed tab wrote): start the run over without resuming',
    );
  });

  it('whose bytes fail to read for a moment: read again', async () => {
    const record = { ...mixedRecord(), weights: { specs: checkpoint.weights.specs, data: failingBlob('UnknownError', 1) } };
    expect(await indexedDbCheckpoints(storeOf(async () => record), 'p', null).load()).toEqual(checkpoint);
  });
});
