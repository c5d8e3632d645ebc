import type { Checkpoint, CheckpointSink, EncodedWeights } from '../checkpoint/format';
import { mapParts, partsOf } from '../checkpoint/parts';
import { upgradeCheckpoint, type StoredCheckpoint } from '../checkpoint/upgrade';
import type { CheckpointRecord, FinetuneStore, StoredPart } from './schema';
import { readRetrying } from './transient-read';

// A checkpoint's encoded parts go into IndexedDB as Blobs. A value holding a 77 MB ArrayBuffer took
// Chromium 150 about 1.1 s of the worker's time to put (the bytes are cloned, then wrapped in a blob of
// its own); making the Blobs took about 0.3 s, and putting them 2 ms. Records of earlier versions hold
// ArrayBuffers, and still read.

const inBlob = (w: EncodedWeights): StoredPart => ({ specs: w.specs, data: new Blob([w.data]) });

/** A stored checkpoint with its parts' bytes read. */
async function readParts(record: StoredCheckpoint<StoredPart>): Promise<StoredCheckpoint> {
  const parts = partsOf(record);
  const bytes = await Promise.all(parts.map((p) => (p.data instanceof Blob ? p.data.arrayBuffer() : p.data)));
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
      // A part's file can fail to read for a moment too (transient-read.ts): the retry reads it again.
      const stored = await readRetrying(`the checkpoint of project ${projectId}`, async () => {
        const record = await db.get('checkpoints', projectId);
        if (!record) return null;
        const { projectId: _, ...checkpoint } = record;
        return readParts(checkpoint);
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
