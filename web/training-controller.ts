import { zipSync } from 'fflate';
import * as Comlink from 'comlink';
import type { ReactiveController, ReactiveControllerHost } from 'lit';
import type { TrainConfigInput } from '../src/config';
import type { ExportFormat } from '../src/export/downloads';
import type { EpochMetrics, Prediction, PrepareResult, RecipeResult, StageResult, TrainConfig, TrainEvent } from '../src/protocol';
import type { ImportResult } from '../src/store/import';
import type { RunEstimate } from '../src/train/estimate';
import type { ProjectSummary } from '../src/store/projects';
import { classWarnings } from './event-details';
import { applyEvent } from './event-effects';
import { FinetuneEvent, type ErrorDetail } from './events';
import { ProjectImages } from './project-images';
import { RunProgress } from './run-progress';
import { TrainerClient } from './trainer-client';
import type { ImportSource } from './import-source';
import { DatasetError } from '../src/errors';

export type RunStatus = 'idle' | 'importing' | 'preparing' | 'training' | 'paused' | 'done' | 'stopped' | 'failed' | 'interrupted';

export interface TrainerHost extends ReactiveControllerHost, HTMLElement {
  /** The run's settings, from the element's attributes and form. */
  trainConfig(): TrainConfigInput;
  smallerBatchOnOom: boolean;
  /** Shows stored settings (a project's, a checkpoint's) in the form. */
  applyConfig(config: TrainConfig): void;
}

/**
 * The element's state and effects: the worker, the project, the run and its results. The element only
 * renders what this holds and forwards user actions here.
 */
export class TrainingController implements ReactiveController {
  readonly client = new TrainerClient();
  status: RunStatus = 'idle';
  project: ProjectSummary | null = null;
  imported: ImportResult | null = null;
  /** Per class, object URLs of a few of its images. */
  thumbnails = new Map<string, string[]>();
  classCounts: number[] = [];
  prepared: PrepareResult | null = null;
  progress = new RunProgress();
  history: EpochMetrics[] = [];
  stages: StageResult[] = [];
  predictions: Prediction[] = [];
  /** Work a button started and the page waits for: classifying images, or making a download. */
  working: 'predict' | `export:${ExportFormat}` | null = null;
  error: ErrorDetail | null = null;
  notes: string[] = [];
  /** The latest line for the live region. */
  announcement = '';
  /** The project's images, and the object URLs made for them so far. */
  private readonly images = new ProjectImages();

  constructor(private readonly host: TrainerHost) {
    host.addController(this);
  }

  /** Starts the worker at once, so one that cannot load is an error shown now, not a spinner after the import. */
  hostConnected(): void {
    this.client.ready().catch((error: unknown) => this.fail(error));
  }

  hostDisconnected(): void {
    this.client.terminate();
    this.images.revoke();
  }

  /** Work of the element's own holds the worker: importing, or a run starting, going or paused. */
  get busy(): boolean {
    const { status } = this;
    return status === 'importing' || status === 'preparing' || status === 'training' || status === 'paused';
  }

  get classWarnings(): string[] {
    return this.project ? classWarnings(this.project.classes, this.classCounts) : [];
  }

  private update(): void {
    this.host.requestUpdate();
  }

  private fail(error: unknown): void {
    const e = error as Error;
    this.error = { name: e.name || 'Error', message: e.message };
    // A worker that never started ran nothing: the alert says why, no training panel pretends otherwise.
    this.status = e.name === 'CancelledError' ? 'stopped' : e.name === 'WorkerError' ? 'idle' : 'failed';
    this.announcement = e.name === 'CancelledError' ? 'Training stopped.' : `Error: ${e.message}`;
    this.host.dispatchEvent(new FinetuneEvent('finetune-error', this.error));
    this.update();
  }

  /** Reads the project back (summary, class counts, a few thumbnails per class). */
  async loadProject(id: string): Promise<void> {
    this.error = null;
    const projects = await this.client.api.listProjects();
    this.project = projects.find((p) => p.id === id) ?? null;
    if (!this.project) {
      this.fail(Object.assign(new Error(`no project ${id} in this browser`), { name: 'ConfigError' }));
      return;
    }
    const images = await this.client.api.projectImages(id);
    this.images.show(images);
    this.classCounts = this.project.classes.map((c) => images.filter((i) => i.className === c).length);
    this.thumbnails = new Map(this.project.classes.map((c) => [c, images.filter((i) => i.className === c).slice(0, 6).map((i) => this.images.objectUrl(i.blob))]));
    // Where it was, without decoding a single image: an unfinished checkpoint's stages and every epoch
    // since stage 1's first, else the last run's finished stages.
    const sofar = this.project.cursor?.done === false ? await this.client.api.trainedSoFar(id) : null;
    const runs = sofar ? [] : await this.client.api.runs(id);
    this.stages = sofar?.stages ?? runs.filter((r) => r.stages.length).at(-1)?.stages ?? [];
    this.history = sofar?.history ?? this.stages.flatMap((s) => s.history);
    this.prepared = null;
    this.host.applyConfig(this.project.config);
    this.status = this.project.status === 'done' ? 'done' : sofar ? 'interrupted' : 'idle';
    this.update();
  }

  /** Forgets the current project (the element shows the import panel again). */
  closeProject(): void {
    Object.assign(this, { project: null, prepared: null, stages: [], history: [], predictions: [], error: null, status: 'idle' });
    this.update();
  }

  /** A finished project's model, restored from its checkpoint when this page has not trained it. */
  private async ensureModel(): Promise<void> {
    if (this.prepared || !this.project) return;
    this.prepared = await this.client.api.open({ projectId: this.project.id, resume: true }, Comlink.proxy(this.onEvent));
    await this.client.api.runRecipe();
  }

  /** The object URL of a stored image, made on first use. */
  imageUrl(path: string): string | undefined {
    return this.images.url(path);
  }

  /** A new project from picked files, a zip or a directory; returns its id. */
  async importInto(name: string, source: ImportSource): Promise<string | null> {
    this.status = 'importing';
    this.error = null;
    this.update();
    try {
      const persisted = navigator.storage?.persist ? await navigator.storage.persist().catch(() => false) : null;
      const project = await this.client.api.createProject(name, this.host.trainConfig(), persisted);
      const onProgress = Comlink.proxy((done: number, total: number) => {
        this.progress.decode = { done, total };
        this.update();
      });
      const api = this.client.api;
      this.imported =
        'files' in source
          ? await api.importFiles(project.id, source.files, onProgress)
          : 'zip' in source
            ? await api.importZip(project.id, source.zip, onProgress)
            : await api.importDirectory(project.id, source.directory, onProgress);
      this.progress.decode = null;
      const { classes } = this.imported;
      if (classes.length < 2) {
        // Refused now, not after Start: a classifier needs two classes; nothing of it is kept.
        await api.deleteProject(project.id);
        const found = classes.length ? `only one class folder ('${classes[0]}')` : 'no class folder with images';
        throw new DatasetError(`${found} in what was picked: pick the folder that holds one folder of images per class (flowers/daisy/*.jpg, flowers/rose/*.jpg, ...); nothing was kept`);
      }
      this.announcement = `Imported ${this.imported.added} images in ${classes.length} classes.`;
      await this.loadProject(project.id);
      return project.id;
    } catch (error) {
      this.fail(error);
      return null;
    }
  }

  private onEvent = (event: TrainEvent): void => {
    applyEvent(this, event, (e) => this.host.dispatchEvent(e));
    // The status is this controller's: the calls it makes (start, pause, a failure) set it too.
    if (event.type === 'status') this.status = event.state === 'paused' ? 'paused' : 'training';
    this.update();
  };

  /**
   * Opens the project in the worker (decode, split, base, backend) and runs both stages; `estimate` (the
   * plan's, for these settings) times a stage before its first batches do.
   */
  async start(resume = false, estimate: RunEstimate | null = null): Promise<void> {
    if (!this.project) return;
    this.status = 'preparing';
    this.error = null;
    // A resumed run goes on from its checkpoint's epochs: the charts keep them (a new run starts empty).
    const sofar = resume ? await this.client.api.trainedSoFar(this.project.id).catch(() => null) : null;
    this.history = sofar?.history ?? [];
    this.stages = sofar?.stages ?? [];
    this.notes = [];
    this.predictions = [];
    this.progress = new RunProgress();
    this.progress.resumed = resume;
    this.progress.estimate = estimate;
    this.update();
    try {
      const config = this.host.trainConfig();
      const recovery = { smallerBatch: this.host.smallerBatchOnOom };
      this.prepared = await this.client.api.open({ projectId: this.project.id, config, resume, recovery }, Comlink.proxy(this.onEvent));
      this.progress.plan(this.prepared.config.head.epochs, this.prepared.config.finetune.epochs);
      // A resumed run trains with its checkpoint's settings; the form keeps showing what the project asks for.
      if (resume) await this.refreshProject().then(() => this.project && this.host.applyConfig(this.project.config));
      this.status = 'training';
      this.update();
      const result: RecipeResult = await this.client.api.runRecipe();
      const { stages, ...settled } = result;
      this.stages = stages;
      this.prepared = settled; // what the run settled on (the head its search picked, its layers): the report's too
      this.progress.finish();
      this.status = 'done';
      this.announcement = 'Training finished.';
      this.host.dispatchEvent(new FinetuneEvent('finetune-complete', result));
      await this.refreshProject();
      this.update();
    } catch (error) {
      await this.refreshProject().catch(() => undefined);
      this.fail(error);
    }
  }

  private async refreshProject(): Promise<void> {
    if (this.project) this.project = (await this.client.api.listProjects()).find((p) => p.id === this.project!.id) ?? this.project;
  }

  async pause(): Promise<void> {
    await this.client.api.pause();
    this.status = 'paused';
    this.update();
  }

  async resume(): Promise<void> {
    await this.client.api.resume();
    this.status = 'training';
    this.update();
  }

  async cancel(): Promise<void> {
    await this.client.api.cancel();
  }

  async setUnfreezeFrom(index: number): Promise<void> {
    try {
      await this.client.api.setUnfreezeFrom(index);
      if (this.prepared) this.prepared = { ...this.prepared, config: { ...this.prepared.config, unfreezeFrom: index } };
      this.update();
    } catch (error) {
      this.fail(error);
    }
  }

  /** Runs `work` with `what` shown as busy on its button. */
  private async busyWith<T>(what: NonNullable<TrainingController['working']>, work: () => Promise<T>): Promise<T> {
    this.working = what;
    this.update();
    try {
      return await work();
    } finally {
      this.working = null;
      this.update();
    }
  }

  predict(files: File[]): Promise<Prediction[]> {
    return this.busyWith('predict', async () => {
      await this.ensureModel();
      this.predictions = await this.client.api.predict(files.map((f) => ({ name: f.name, blob: f })));
      return this.predictions;
    });
  }

  /** The trained model in `format`, made in the worker: its one file as it is, or a zip of its files (TF.js: model.json and weights.bin). */
  exportModel(format: ExportFormat): Promise<Blob> {
    return this.busyWith(`export:${format}`, async () => {
      await this.ensureModel();
      const files = await this.client.api.exportAs(format);
      if (files.length === 1) return new Blob([files[0]!.bytes], { type: 'application/octet-stream' });
      const zip = zipSync(Object.fromEntries(files.map((f) => [f.name, new Uint8Array(f.bytes)])));
      return new Blob([zip as Uint8Array<ArrayBuffer>], { type: 'application/zip' });
    });
  }
}
