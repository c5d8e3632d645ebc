import type { Checkpoint, CheckpointSink } from '../checkpoint/format';
import { upgradeCheckpoint } from '../checkpoint/upgrade';
import type { FinetuneStore } from './schema';
import { readRetrying } from './transient-read';

/**
 * A project's checkpoint in IndexedDB. One readwrite transaction writes the checkpoint, the project's
 * status and the run's stages: all or nothing, so a crash or a full disk leaves the previous one.
 */
export function indexedDbCheckpoints(db: FinetuneStore, projectId: string, runId: number | null): CheckpointSink {
  return {
    label: 'IndexedDB',
    async load() {
      const record = await readRetrying(`the checkpoint of project ${projectId}`, () => db.get('checkpoints', projectId));
      if (!record) return null;
      const { projectId: _, ...checkpoint } = record;
      return upgradeCheckpoint(checkpoint);
    },
    async save(checkpoint: Checkpoint) {
      const tx = db.transaction(['checkpoints', 'projects', 'runs'], 'readwrite');
      const project = await tx.objectStore('projects').get(projectId);
      const run = runId === null ? undefined : await tx.objectStore('runs').get(runId);
      await tx.objectStore('checkpoints').put({ ...checkpoint, projectId });
      if (project) {
        await tx.objectStore('projects').put({ ...project, status: checkpoint.cursor.done ? 'done' : project.status, updatedAt: Date.now() });
      }
      if (run) await tx.objectStore('runs').put({ ...run, stages: checkpoint.stages });
      await tx.done;
    },
  };
}
