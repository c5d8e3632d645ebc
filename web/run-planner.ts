import type { ReactiveController, ReactiveControllerHost } from 'lit';
import type { TrainConfigInput } from '../src/config';
import { CancelledError } from '../src/errors';
import type { LayerInfo } from '../src/protocol';
import type { RunPlan } from '../src/train/plan-run';
import { TrainerClient } from './trainer-client';

const keyOf = (projectId: string, config: TrainConfigInput): string => JSON.stringify([projectId, config]);

/** Settings changes closer together than this make one plan. */
const SETTLE_MS = 400;

/**
 * What Start would run, kept current while the settings change: a plan (layers, backend, measured
 * estimate) for the shown project, and a TF.js base's layer list for the layer picker. Plans run in a
 * worker of their own, which a newer request or hold() ends: one probe call can take seconds on wasm and
 * minutes on the cpu backend (a 224-px VGG16 step), and nothing else stops it mid-kernel.
 */
export class RunPlanner implements ReactiveController {
  plan: RunPlan | null = null;
  planning = false;
  /** Why the last plan failed. */
  error: string | null = null;
  /** A TF.js base's layers (uncut), for the picker; why picked files or a model could not be read; while they are being read. */
  baseLayers: LayerInfo[] | null = null;
  baseError: string | null = null;
  readingBase = false;
  /** The settings `plan` was made for, and the ones wanted now. */
  private planKey: string | null = null;
  /** The project the plan's state belongs to. */
  private followed: string | null = null;
  private wanted: string | null = null;
  private timer: ReturnType<typeof setTimeout> | null = null;
  /** The measurement in progress (settled, never rejected), its settings, and what ends it now. */
  private running: Promise<void> = Promise.resolve();
  private runningKey: string | null = null;
  private endRunning: (() => void) | null = null;
  /** The plans' worker, started again by the next plan after one is stopped. */
  private readonly planWorker = new TrainerClient('finetune-trainer planner');
  /** Work of the element's own holds the worker: no plan starts until release(). */
  private holds = 0;
  /** Counts layer reads: only the latest one's answer counts. */
  private reads = 0;

  constructor(
    private readonly host: ReactiveControllerHost,
    private readonly client: TrainerClient,
  ) {
    host.addController(this);
  }

  hostDisconnected(): void {
    this.cancel();
    this.planWorker.terminate();
  }

  /** Training, predicting or exporting: the element waits for the worker to be free of plans first. */
  get held(): boolean {
    return this.holds > 0;
  }

  /** Plans `config` for the project once the settings have settled (the plan of the same settings is kept). */
  request(projectId: string, config: TrainConfigInput): void {
    const key = keyOf(projectId, config);
    if (this.held || key === this.wanted) return;
    this.wanted = key;
    this.clearTimer();
    if (this.runningKey && this.runningKey !== key) this.stopRunning();
    this.planning = key !== this.planKey;
    if (!this.planning) return; // these settings' plan is already here (back after a run, say)
    this.timer = setTimeout(() => {
      this.timer = null;
      this.running = this.running.then(() => this.measure(key, projectId, config));
    }, SETTLE_MS);
  }

  /** No plan is wanted now (a base is still to be given): one waiting or in progress is stopped. */
  cancel(): void {
    this.clearTimer();
    this.stopRunning();
    Object.assign(this, { wanted: null, planning: false });
  }

  private async measure(key: string, projectId: string, config: TrainConfigInput): Promise<void> {
    if (key !== this.wanted || this.held) return;
    this.runningKey = key;
    const ended = new Promise<never>((_, reject) => (this.endRunning = () => reject(new CancelledError('the plan was stopped'))));
    try {
      const plan = await Promise.race([this.planWorker.api.plan(projectId, config), ended]);
      // Kept unless other settings or another project are wanted now (a hold keeps the plan it waited for).
      if (key === this.wanted || this.held) Object.assign(this, { plan, planKey: key, error: null });
    } catch (error) {
      // A cancelled plan was for settings no longer wanted (or Start was pressed): nothing to show.
      if ((error as Error).name !== 'CancelledError' && key === this.wanted) Object.assign(this, { plan: null, planKey: null, error: (error as Error).message });
    } finally {
      Object.assign(this, { runningKey: null, endRunning: null });
    }
    if (key === this.wanted) this.planning = false;
    this.host.requestUpdate();
  }

  /** Ends the plan in progress with its worker, at once. */
  private stopRunning(): void {
    if (!this.endRunning) return;
    this.planWorker.terminate();
    this.endRunning();
  }

  private clearTimer(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
  }

  /**
   * Runs `work` with no plan started meanwhile; one in progress is stopped at once, and the plans' worker
   * ended so that training has every core and the memory to itself.
   */
  async holding<T>(work: () => Promise<T>): Promise<T> {
    this.holds++;
    this.clearTimer();
    this.stopRunning();
    this.planWorker.terminate();
    if (this.wanted !== this.planKey) this.wanted = null; // a plan still to make is made again after
    this.planning = false;
    try {
      return await work();
    } finally {
      this.holds--;
      this.host.requestUpdate();
    }
  }

  /**
   * Keeps the plan current with the shown project and its settings: forgotten for another project; none
   * while another project is being opened (not settled), while work of the element's own holds the worker
   * (busy), or while the base's file is missing.
   */
  follow(projectId: string | null, now: { settled: boolean; busy: boolean; missingBase: boolean; config: () => TrainConfigInput }): void {
    if (projectId !== this.followed) {
      this.clear();
      this.followed = projectId;
    }
    if (!projectId || !now.settled || now.busy) return;
    if (now.missingBase) this.cancel();
    else this.request(projectId, now.config());
  }

  /** Forgets the plan and the base's layers (another project, or none). */
  clear(): void {
    this.cancel();
    Object.assign(this, { plan: null, planKey: null, error: null, baseLayers: null, baseError: null });
  }

  /** The plan, if it was made for exactly these settings. */
  planOf(projectId: string, config: TrainConfigInput): RunPlan | null {
    return this.planKey === keyOf(projectId, config) ? this.plan : null;
  }

  /** Reads a TF.js model's layer list (a URL, or picked files' cache key) for the layer picker; null if it cannot be read (baseError says why). */
  async readLayers(weights: string): Promise<LayerInfo[] | null> {
    const read = ++this.reads;
    const layers = await this.whileReadingBase(() => this.client.api.modelLayers(weights));
    if (read === this.reads) this.baseLayers = layers;
    return read === this.reads ? layers : null;
  }

  /** Picked weights files, checked and cached by the worker: their `weights` key (cached:SHA256), or null (baseError says why). */
  addFiles(files: File[]): Promise<string | null> {
    return this.whileReadingBase(() => this.client.api.addWeightsFiles(files));
  }

  /** Forgets a TF.js base's layers (another base was chosen). */
  forgetLayers(): void {
    this.reads++;
    Object.assign(this, { baseLayers: null, baseError: null });
  }

  private async whileReadingBase<T>(work: () => Promise<T>): Promise<T | null> {
    this.readingBase = true;
    this.baseError = null;
    this.host.requestUpdate();
    try {
      return await work();
    } catch (error) {
      this.baseError = (error as Error).message;
      return null;
    } finally {
      this.readingBase = false;
      this.host.requestUpdate();
    }
  }
}
