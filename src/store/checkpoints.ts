import type { Checkpoint, CheckpointSink, EncodedWeights } from '../checkpoint/format';
import { mapParts, partsOf } from '../checkpoint/parts';
import { upgradeCheckpoint, type StoredCheckpoint } from '../checkpoint/upgrade';
import type { CheckpointRecord, FinetuneStore, StoredPart } from './schema';
import { StorageError } from '../errors';
import { isTransientReadError, readRetrying } from './transient-read';

// A checkpoint's encoded parts go into IndexedDB as Blobs. A value holding a 77 MB ArrayBuffer took
// Chromium 150 about 1.1 s of the worker's time to put (the bytes are cloned, then wrapped in a blob of
// its own); making the Blobs took about 0.3 s, and putting them 2 ms. Records of earlier versions hold
// ArrayBuffers, and still read.

const inBlob = (w: EncodedWeights): StoredPart => ({ specs: w.specs, data: new Blob([w.data]) });

/**
 * A part's bytes. A Blob whose file is gone rejects with NotReadableError: off the record (a private
 * window), Chromium 150 drops what a closed tab's worker wrote (test/e2e/resume.spec.ts), Blobs or not.
 */
async function bytesOf(part: StoredPart, what: string): Promise<ArrayBuffer> {
  if (!(part.data instanceof Blob)) return part.data;
  try {
    return await part.data.arrayBuffer();
  } catch (error) {
    if (isTransientReadError(error)) throw error; // read again by readRetrying
    const cause = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
    throw new StorageError(`${what} is listed in IndexedDB, but its bytes could not be read (${cause}); they are lost (a private window loses what a closed tab wrote): start the run over without resuming`);
  }
}

/** A stored checkpoint with its parts' bytes read. */
async function readParts(record: StoredCheckpoint<StoredPart>, what: string): Promise<StoredCheckpoint> {
  const parts = partsOf(record);
  const bytes = await Promise.all(parts.map((p) => bytesOf(p, what)));
  const read = new Map(parts.map((p, i) => [p, { specs: p.specs, data: bytes[i]! }]));
  return mapParts(record, (p) => read.get(p)!);
}

/** The bytes of a stored checkpoint's parts, without reading them. */
export function storedBytes(record: StoredCheckpoint<StoredPart>): number {
  return partsOf(record).reduce((n, p) => n + (p.data instanceof Blob ? p.data.size : p.data.byteLength), 0);
}

/**
 * A project's checkpoint in IndexedDB. One readwrite transaction writes the checkpoint, the project's
 * status and the run's stages: all or nothing, so a crash or a full disk leaves the previous one.
 */
export function indexedDbCheckpoints(db: FinetuneStore, projectId: string, runId: number | null): CheckpointSink {
  return {
    label: 'IndexedDB',
    async load() {
      const what = `the checkpoint of project ${projectId}`;
      const stored = await readRetrying(what, async () => {
        const record = await db.get('checkpoints', projectId);
        if (!record) return null;
        const { projectId: _, ...checkpoint } = record;
        return readParts(checkpoint, what);
      });
      return stored && upgradeCheckpoint(stored);
    },
    async save(checkpoint: Checkpoint) {
      const record: CheckpointRecord = { ...mapParts(checkpoint, inBlob), projectId };
      const tx = db.transaction(['checkpoints', 'projects', 'runs'], 'readwrite');
      const project = await tx.objectStore('projects').get(projectId);
      const run = runId === null ? undefined : await tx.objectStore('runs').get(runId);
      await tx.objectStore('checkpoints').put(record);
      if (project) {
        await tx.objectStore('projects').put({ ...project, status: checkpoint.cursor.done ? 'done' : project.status, updatedAt: Date.now() });
      }
      if (run) await tx.objectStore('runs').put({ ...run, stages: checkpoint.stages });
      await tx.done;
    },
  };
}
