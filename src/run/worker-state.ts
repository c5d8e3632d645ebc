import { ensureBackend } from '../backend/select';
import type { PrepareResult, TrainEventListener } from '../protocol';
import { importFiles, type ImportFile, type ImportResult } from '../store/import';
import { openStore, type FinetuneStore } from '../store/schema';
import type { TrainingSession } from '../train/session';
import { progressGate, throttleProgress } from '../train/throttle';
import { EventRelay } from './event-relay';
import { drillListener, type FaultDrill } from './fault-drill';
import { OneAtATime } from './one-at-a-time';
import { openSession, type OpenedSession, type OpenInput } from './open-session';
import { trainRecovering, type RecoverableRun } from './recovering-run';

// What the trainer's worker keeps between the page's calls: the database, the page's event listener, the
// open run and how it was opened, the fault drills armed for the next one, and the queue of work that may
// start a backend. The worker's API (workers/trainer.worker.ts) only passes calls here; this class knows
// nothing of the transport, which it is handed as `release`.

export class WorkerState {
  private opened: OpenedSession | null = null;
  /** What the open session was opened with, and where its events go: a fault reopens it from these. */
  private openedWith: { input: OpenInput; emit: TrainEventListener } | null = null;
  private drills: FaultDrill[] = [];
  private store: Promise<FinetuneStore> | null = null;
  /** The page's listener: every event the worker sends, a session's or a plan's, goes through it. */
  readonly events: EventRelay;
  /** Work outside a session that may start or switch a backend (one-at-a-time.ts says why). */
  readonly oneAtATime = new OneAtATime();

  /** `release` frees the page's side of a callback it sent, once the worker is done calling it. */
  constructor(private readonly release: (callback: unknown) => void) {
    this.events = new EventRelay(release);
  }

  /** The database, opened on first use: a worker that only plans or benchmarks never opens it. */
  readonly db = (): Promise<FinetuneStore> => (this.store ??= openStore());

  /** Runs `work` in turn with the other side work (oneAtATime), once a backend has started. */
  onBackend<T>(work: () => Promise<T>): Promise<T> {
    return this.oneAtATime.run(async () => {
      await ensureBackend();
      return work();
    });
  }

  /**
   * Closes any open session, then opens one (open-session.ts); its events go to `onEvent`, a few times a
   * second for progress, and the drills armed so far fire in it.
   */
  async open(input: OpenInput, onEvent: TrainEventListener): Promise<PrepareResult> {
    await this.close();
    this.events.listen(onEvent);
    const deliver = this.events.deliver;
    const throttled = throttleProgress(deliver);
    const drill = drillListener(this.drills, (d) => deliver({ type: 'info', message: `fault drill: ${d.kind} at batch event ${d.afterBatches}` }));
    this.drills = [];
    const emit: TrainEventListener = (event) => (drill(event), throttled(event));
    this.openedWith = { input, emit };
    this.opened = await this.events.settled(openSession(input, emit, this.db));
    return this.opened.session.prepared;
  }

  /** The open session; without one, the error that says to open one. */
  current(): TrainingSession {
    if (!this.opened) throw new Error('no training session: call open() first');
    return this.opened.session;
  }

  /**
   * Runs training work on the open session; a fault reopens it from its last checkpoint and runs the work
   * again (recovering-run.ts). `endsRecipe` says whether the work, done, ends the run.
   */
  train<T>(work: (session: TrainingSession) => Promise<T>, endsRecipe: (session: TrainingSession) => boolean): Promise<T> {
    this.current();
    const { input, emit } = this.openedWith!;
    const run: RecoverableRun = {
      run: this.opened!,
      input,
      emit,
      open: (next) => this.events.settled(openSession(next, emit, this.db)),
      replace: (now, next) => {
        this.opened = now;
        this.openedWith = { input: next, emit };
      },
    };
    return trainRecovering(run, (session) => this.events.settled(work(session)), endsRecipe);
  }

  /** Arms fault drills for the next open() (fault-drill.ts). */
  armDrills(list: FaultDrill[]): void {
    this.drills = list;
  }

  /** Stops the open session between two batches, if there is one; with `saveFirst`, after a checkpoint. */
  cancel(saveFirst: boolean): void {
    this.opened?.session.control.cancel(saveFirst);
  }

  /** Closes the open session (finishing its run) and lets the page's listener go. */
  async close(): Promise<void> {
    const closing = this.opened;
    this.opened = null;
    this.openedWith = null;
    await closing?.close();
    this.events.unlisten();
  }

  /** Closes the open session if it trains `projectId`: a project about to go must not be training. */
  async closeProject(projectId: string): Promise<void> {
    if (this.opened?.projectId === projectId) await this.close();
  }

  /** Imports the files `listed` gives, telling `onProgress` a few times a second and at the end; then lets it go. */
  async importInto(projectId: string, listed: Promise<ImportFile[]>, onProgress?: (done: number, total: number) => void): Promise<ImportResult> {
    const due = progressGate();
    try {
      const files = await listed;
      return await importFiles(await this.db(), projectId, files, (done, total) => {
        if (done === total || due()) void onProgress?.(done, total);
      });
    } finally {
      this.release(onProgress);
    }
  }
}
