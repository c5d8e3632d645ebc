import { overlayConfig, resolveConfig, type TrainConfigInput } from '../config';
import { CancelledError, ConfigError, ProjectBusyError } from '../errors';
import { outcomeStatus, type CheckpointSettings, type DatasetSource, type RecoverySettings, type RunOutcome, type SkippedFile, type TrainEventListener } from '../protocol';
import { indexedDbCheckpoints } from '../store/checkpoints';
import { httpCheckpoints } from '../store/http-checkpoints';
import { acquireProjectLock, progressSender } from '../store/project-lock';
import { datasetOfProject, endRun, getProject, startRun, updateProject } from '../store/projects';
import type { FinetuneStore } from '../store/schema';
import type { CheckpointSink } from '../checkpoint/format';
import type { CheckpointPolicy } from '../train/checkpointer';
import { TrainingSession } from '../train/session';

/** What to train: a stored project (its images, its lock, its runs), or a dataset given whole (the command line's). */
export type OpenInput = OpenSettings &
  ({ projectId: string; dataset?: never; root?: never; skipped?: never } | { dataset: DatasetSource; root?: string; skipped?: SkippedFile[]; projectId?: never });

/** How to open either kind. */
export interface OpenSettings {
  config?: TrainConfigInput;
  resume?: boolean;
  /** Where to keep checkpoints; a project keeps them in IndexedDB unless told otherwise. */
  checkpoint?: CheckpointSettings;
  /** How many faults (lost device, out of memory, a failed kernel) the run survives, and how. */
  recovery?: Partial<RecoverySettings>;
  /** Train with this batch size instead of the settings' or the checkpoint's. */
  batchSize?: number;
}

export interface OpenedSession {
  session: TrainingSession;
  projectId: string | null;
  /** Whether it keeps checkpoints, so that a fault can be resumed from. */
  resumable: boolean;
  /**
   * Ends the run with `outcome`: records it, sets the project's status from it (outcomeStatus), and
   * frees the project for other tabs. The session stays usable (export, fingerprints) until close().
   * Only the first call counts.
   */
  finish(outcome: RunOutcome): Promise<void>;
  /** Finishes the run (as 'stopped' if it was still open) and disposes the session. */
  close(): Promise<void>;
}

function sinkFor(settings: CheckpointSettings, db: () => Promise<FinetuneStore>, runId: number | null): Promise<CheckpointSink> {
  const { target } = settings;
  return target.kind === 'http'
    ? Promise.resolve(httpCheckpoints(target.url))
    : db().then((store) => indexedDbCheckpoints(store, target.projectId, runId));
}

/** How a run that threw `error` ended: cancelled by the user, or failed with the error's message. */
export function outcomeOf(error: unknown): RunOutcome {
  return error instanceof Error && error.name === CancelledError.name ? 'cancelled' : `failed: ${(error as Error).message}`;
}

/**
 * Opens a session. For a project: takes its lock (another tab training it is a ProjectBusyError),
 * reads its images from IndexedDB, records the run, checkpoints there, and broadcasts every event to
 * the project's other tabs.
 */
export async function openSession(input: OpenInput, emit: TrainEventListener, db: () => Promise<FinetuneStore>): Promise<OpenedSession> {
  const { projectId } = input;
  const release = projectId ? await acquireProjectLock(projectId) : null;
  const store = projectId ? await db() : null;
  const project = store && projectId ? await getProject(store, projectId) : null;
  if (projectId && !release) {
    throw new ProjectBusyError(`project '${project?.name ?? projectId}' is training in another tab or window: this one can only watch its progress`);
  }
  const sender = projectId ? progressSender(projectId) : null;
  let runId: number | null = null;
  try {
    const dataset = store && projectId ? await datasetOfProject(store, projectId) : input.dataset;
    if (!dataset) throw new ConfigError('open() needs a projectId or a dataset');
    const settings: CheckpointSettings | undefined = input.checkpoint ?? (projectId ? { target: { kind: 'indexeddb', projectId } } : undefined);
    if (store && projectId) runId = await startRun(store, projectId, input.config?.backend ?? project!.config.backend, input.resume ? 'checkpoint' : null);
    const sink = settings ? await sinkFor(settings, db, runId) : undefined;
    const policy: Partial<CheckpointPolicy> = {
      ...(settings?.everyBatches !== undefined && { everyBatches: settings.everyBatches }),
      ...(settings?.everySeconds !== undefined && { everySeconds: settings.everySeconds }),
      ...(settings?.maxOverhead !== undefined && { maxOverhead: settings.maxOverhead }),
      onFailure: settings?.target.kind === 'http' ? 'throw' : 'pause',
    };
    const broadcastingEmit: TrainEventListener = (event) => {
      sender?.send(event);
      return emit(event);
    };
    const session = await TrainingSession.open(
      {
        config: project ? overlayConfig(project.config, input.config) : (input.config ?? {}),
        dataset,
        root: project?.name ?? input.root ?? 'dataset',
        skipped: input.skipped,
        resume: input.resume,
        batchSize: input.batchSize,
      },
      broadcastingEmit,
      { sink, policy, db },
    );
    if (store && projectId) {
      // The project remembers the settings it was last asked to train with, 'auto' as 'auto' (what a run settled
      // on, a searched rate or a base's stage-2 layer, belongs to that run); a resumed run's come from its checkpoint.
      const status = session.prepared.finished ? 'done' : 'training';
      await updateProject(store, projectId, input.resume ? { status } : { status, config: resolveConfig(overlayConfig(project!.config, input.config)) });
    }
    let finished = false;
    const finish = async (outcome: RunOutcome): Promise<void> => {
      if (finished) return;
      finished = true;
      if (store && projectId && runId !== null) {
        await endRun(store, runId, outcome);
        await updateProject(store, projectId, { status: outcomeStatus(outcome) });
      }
      sender?.close();
      release?.();
    };
    return {
      session,
      projectId: projectId ?? null,
      resumable: sink !== undefined,
      finish,
      async close() {
        session.dispose();
        await finish('stopped');
      },
    };
  } catch (error) {
    if (store && runId !== null) await endRun(store, runId, outcomeOf(error));
    sender?.close();
    release?.();
    throw error;
  }
}
