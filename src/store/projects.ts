import { resolveConfig, type TrainConfigInput } from '../config';
import { ConfigError } from '../errors';
import type { DatasetSource, EpochMetrics, RunOutcome, StageResult } from '../protocol';
import { upgradeCheckpoint } from '../checkpoint/upgrade';
import { storedBytes } from './checkpoints';
import type { FinetuneStore, ProjectRecord, RunRecord } from './schema';
import { readRetrying } from './transient-read';

/** Where a stored checkpoint stands: between two batches of a stage (resumable), or past both stages. */
export type CheckpointCursor = { done: true } | { done: false; stage: 1 | 2; epoch: number; step: number };

export interface ProjectSummary extends ProjectRecord {
  /** Its checkpoint's cursor; null without one. */
  cursor: CheckpointCursor | null;
  /** The same in words, as the page shows it ('' without one; 'finished'; 'stage 1, epoch 2, batch 3'). */
  checkpoint: string;
  checkpointBytes: number;
}

/** What an unfinished checkpoint has trained: its finished stages and every epoch since stage 1's first. */
export interface TrainedSoFar {
  stages: StageResult[];
  history: EpochMetrics[];
}

/** The checkpoint's history, for a reopened project to show where it was; null without one, or once finished. */
export async function trainedSoFar(db: FinetuneStore, id: string): Promise<TrainedSoFar | null> {
  const c = await readRetrying('the checkpoint', () => db.get('checkpoints', id));
  if (!c || c.cursor.done) return null;
  const { stages, history } = upgradeCheckpoint(c);
  return { stages, history: [...stages.flatMap((s) => s.history), ...history] };
}

/**
 * A new, empty project. `persisted` is the page's answer from navigator.storage.persist(), which only a
 * window can ask (null: not asked).
 */
export async function createProject(db: FinetuneStore, name: string, config: TrainConfigInput = {}, persisted: boolean | null = null): Promise<ProjectRecord> {
  if (!name.trim()) throw new ConfigError('a project needs a name');
  const now = Date.now();
  const project: ProjectRecord = {
    id: crypto.randomUUID(),
    name: name.trim(),
    classes: [],
    config: resolveConfig(config),
    createdAt: now,
    updatedAt: now,
    status: 'new',
    persisted,
    imageCount: 0,
    skipped: [],
  };
  await db.add('projects', project);
  return project;
}

export async function getProject(db: FinetuneStore, id: string): Promise<ProjectRecord> {
  const project = await db.get('projects', id);
  if (!project) throw new ConfigError(`no project with id ${id} in this browser`);
  return project;
}

export async function listProjects(db: FinetuneStore): Promise<ProjectSummary[]> {
  const [projects, checkpoints] = await Promise.all([db.getAll('projects'), readRetrying('the checkpoints', () => db.getAll('checkpoints'))]);
  return projects
    .sort((a, b) => b.updatedAt - a.updatedAt)
    .map((p) => {
      const c = checkpoints.find((x) => x.projectId === p.id);
      const cursor: CheckpointCursor | null = !c ? null : c.cursor.done ? { done: true } : { done: false, stage: c.cursor.stage, epoch: c.cursor.epoch, step: c.cursor.step };
      const where = !cursor ? '' : cursor.done ? 'finished' : `stage ${cursor.stage}, epoch ${cursor.epoch}, batch ${cursor.step}`;
      return { ...p, cursor, checkpoint: where, checkpointBytes: c ? storedBytes(c) : 0 };
    });
}

export async function updateProject(db: FinetuneStore, id: string, change: Partial<Omit<ProjectRecord, 'id'>>): Promise<ProjectRecord> {
  const tx = db.transaction('projects', 'readwrite');
  const project = await tx.store.get(id);
  if (!project) throw new ConfigError(`no project with id ${id} in this browser`);
  const updated = { ...project, ...change, updatedAt: Date.now() };
  await tx.store.put(updated);
  await tx.done;
  return updated;
}

/** The project, its images, checkpoint and run history, in one transaction. */
export async function deleteProject(db: FinetuneStore, id: string): Promise<void> {
  const tx = db.transaction(['projects', 'images', 'checkpoints', 'runs'], 'readwrite');
  const imageKeys = await tx.objectStore('images').index('byProject').getAllKeys(id);
  const runKeys = await tx.objectStore('runs').index('byProject').getAllKeys(id);
  await Promise.all([
    tx.objectStore('projects').delete(id),
    tx.objectStore('checkpoints').delete(id),
    ...imageKeys.map((k) => tx.objectStore('images').delete(k)),
    ...runKeys.map((k) => tx.objectStore('runs').delete(k)),
  ]);
  await tx.done;
}

/** One stored image of a project: its path in the dataset, its class, its bytes. */
export interface StoredImage {
  path: string;
  className: string;
  blob: Blob;
}

/** A project's stored images, in path order. */
export async function imagesOfProject(db: FinetuneStore, id: string): Promise<StoredImage[]> {
  const images = await db.getAllFromIndex('images', 'byProject', id);
  images.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
  return images.map((i) => ({ path: i.path, className: i.className, blob: i.blob }));
}

/** The stored images as a dataset, in path order, with the project's class list. */
export async function datasetOfProject(db: FinetuneStore, id: string): Promise<DatasetSource> {
  const project = await getProject(db, id);
  return { classes: project.classes, items: await imagesOfProject(db, id) };
}

export async function startRun(db: FinetuneStore, projectId: string, backend: string, resumedFrom: string | null): Promise<number> {
  const run: RunRecord = { projectId, startedAt: Date.now(), endedAt: null, outcome: null, backend, resumedFrom, stages: [] };
  return db.add('runs', run);
}

export async function endRun(db: FinetuneStore, runId: number, outcome: RunOutcome): Promise<void> {
  const tx = db.transaction('runs', 'readwrite');
  const run = await tx.store.get(runId);
  if (run) await tx.store.put({ ...run, endedAt: Date.now(), outcome });
  await tx.done;
}

export function runsOfProject(db: FinetuneStore, projectId: string): Promise<RunRecord[]> {
  return db.getAllFromIndex('runs', 'byProject', projectId);
}
