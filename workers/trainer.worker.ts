// The one dedicated worker: exposes the trainer API through Comlink and nothing else.
import '@tensorflow/tfjs-backend-webgpu';
import * as tf from '@tensorflow/tfjs';
import { setWasmPaths } from '@tensorflow/tfjs-backend-wasm';
import wasmPlain from '@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm.wasm?url';
import wasmSimd from '@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm-simd.wasm?url';
import wasmThreadedSimd from '@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm-threaded-simd.wasm?url';
import * as Comlink from 'comlink';
import { ensureBackend, selectBackends } from '../src/backend/select';
import { planWasmThreads } from '../src/backend/wasm-threads';
import { keepPthreadSourceIntact } from '../src/backend/wasm-pthread-source';
import type { TrainConfigInput } from '../src/config';
import { decodeImage } from '../src/data/decode';
import { sha256Of } from '../src/data/sha256';
import { exportSource, type ExportFile } from '../src/export/format';
import { exporterOf, SOURCE_FORMAT, type FormatName } from '../src/export/formats';
import { cachePickedWeights, loadBase, modelLayers } from '../src/model/base';
import { parseWeights } from '../src/model/base-source';
import { deleteCachedBase, listCachedBases, type BaseSummary } from '../src/store/bases';
import { BackendError } from '../src/errors';
import type { BackendName, DatasetItem, LayerInfo, DecodedImage, Prediction, PrepareResult, RecipeResult, StageResult, TrainEvent, TrainEventListener } from '../src/protocol';
import { filesOfDirectory, filesOfZip, importFiles, type ImportFile, type ImportResult } from '../src/store/import';
import { createProject, deleteProject, imagesOfProject, listProjects, runsOfProject, trainedSoFar, type ProjectSummary, type StoredImage, type TrainedSoFar } from '../src/store/projects';
import { openStore, type FinetuneStore, type ProjectRecord, type RunRecord } from '../src/store/schema';
import { benchmark, type BenchResult, type BenchSpec } from '../src/run/benchmark';
import { openSession, type OpenedSession, type OpenInput } from '../src/run/open-session';
import type { TrainingSession } from '../src/train/session';
import { progressGate, throttleProgress } from '../src/train/throttle';
import { planRun, type RunPlan } from '../src/train/plan-run';
import { drillListener, type FaultDrill } from '../src/run/fault-drill';
import { trainRecovering, type RecoverableRun } from '../src/run/recovering-run';

keepPthreadSourceIntact();
setWasmPaths({
  'tfjs-backend-wasm.wasm': wasmPlain,
  'tfjs-backend-wasm-simd.wasm': wasmSimd,
  'tfjs-backend-wasm-threaded-simd.wasm': wasmThreadedSimd,
});

let opened: OpenedSession | null = null;
/** What the open session was opened with, and where its events go: a fault reopens it from these. */
let openedWith: { input: OpenInput; emit: TrainEventListener } | null = null;
let listener: TrainEventListener | null = null;
let drills: FaultDrill[] = [];
/**
 * Work outside a session that may start or switch a backend (a plan, reading picked weights or a model's
 * layers) runs one at a time: two at once could each start a different backend under the other.
 */
let sideWork: Promise<unknown> = Promise.resolve();
function oneAtATime<T>(work: () => Promise<T>): Promise<T> {
  const next = sideWork.then(work, work);
  sideWork = next.catch(() => undefined);
  return next;
}
let store: Promise<FinetuneStore> | null = null;
/** Events still crossing to the page: each call resolves only after they have, so none is overtaken. */
const inFlight = new Set<Promise<unknown>>();

const db = (): Promise<FinetuneStore> => (store ??= openStore());

function deliver(event: TrainEvent): void {
  const delivery = Promise.resolve(listener?.(event)).catch(() => undefined);
  inFlight.add(delivery);
  void delivery.finally(() => inFlight.delete(delivery));
}

async function settled<T>(work: Promise<T>): Promise<T> {
  try {
    return await work;
  } finally {
    await Promise.all(inFlight);
  }
}

function current(): TrainingSession {
  if (!opened) throw new Error('no training session: call open() first');
  return opened.session;
}

/** Runs training work on the open session; a fault reopens it from its last checkpoint (src/run/recovering-run.ts). */
function training<T>(work: (session: TrainingSession) => Promise<T>, endsRecipe: (session: TrainingSession) => boolean): Promise<T> {
  const { input, emit } = openedWith!;
  const run: RecoverableRun = {
    run: opened!,
    input,
    emit,
    open: (next) => settled(openSession(next, emit, db)),
    replace: (now, next) => {
      opened = now;
      openedWith = { input: next, emit };
    },
  };
  return trainRecovering(run, (session) => settled(work(session)), endsRecipe);
}

async function closeSession(): Promise<void> {
  const closing = opened;
  opened = null;
  openedWith = null;
  await closing?.close();
  releaseRemote(listener);
  listener = null;
}

/** Frees the page's side of a callback it sent (a `Comlink.proxy`), once the worker is done calling it. */
function releaseRemote(callback: unknown): void {
  (callback as Partial<Comlink.Remote<unknown>> | null | undefined)?.[Comlink.releaseProxy]?.();
}

/** Imports the files `listed` gives, telling `onProgress` a few times a second and at the end; then lets it go. */
async function importInto(projectId: string, listed: Promise<ImportFile[]>, onProgress?: (done: number, total: number) => void): Promise<ImportResult> {
  const due = progressGate();
  try {
    const files = await listed;
    return await importFiles(await db(), projectId, files, (done, total) => {
      if (done === total || due()) void onProgress?.(done, total);
    });
  } finally {
    releaseRemote(onProgress);
  }
}

const api = {
  /** Answers once this module has loaded: the page's sign that the worker started. */
  alive(): true {
    return true;
  },

  /**
   * Chooses the backend, decodes and splits the dataset (a stored project's, or the given one) and builds
   * the model; events go to `onEvent`. A project being trained elsewhere is a ProjectBusyError.
   */
  async open(input: OpenInput, onEvent: TrainEventListener): Promise<PrepareResult> {
    await closeSession();
    listener = onEvent;
    const throttled = throttleProgress(deliver);
    const drill = drillListener(drills, (d) => deliver({ type: 'info', message: `fault drill: ${d.kind} at batch event ${d.afterBatches}` }));
    drills = [];
    const emit: TrainEventListener = (event) => (drill(event), throttled(event));
    openedWith = { input, emit };
    opened = await settled(openSession(input, emit, db));
    return opened.session.prepared;
  },
  trainStage(stage: 1 | 2): Promise<StageResult> {
    current();
    return training((s) => s.trainStage(stage), (s) => stage === 2 || s.config.finetune.epochs === 0);
  },
  runRecipe(): Promise<RecipeResult> {
    current();
    return training((s) => s.runRecipe(), () => true);
  },
  /** The feature-extraction baseline: frozen base once, softmax regression on pooled features. */
  runFeatures(): Promise<StageResult> {
    current();
    return training((s) => s.runFeatures(), () => true);
  },
  /**
   * Arms fault drills for the next open(): after the given count of training batches, the GPU device is
   * lost or the next kernel fails, as the browser would do it; the run should survive them.
   */
  drillFaults(list: FaultDrill[]): void {
    drills = list;
  },
  /** Top classes of each image, from the session's model. */
  predict(images: { name: string; blob: Blob }[], top = 3): Promise<Prediction[]> {
    return current().predict(images, top);
  },
  setUnfreezeFrom(layer: number | string): number {
    return current().setUnfreezeFrom(layer);
  },
  pause(): void {
    current().control.pause();
  },
  resume(): void {
    current().control.resume();
  },
  /** Stops between two batches; with `saveFirst`, a stage in progress writes a checkpoint of that point first. */
  cancel(saveFirst = false): void {
    opened?.session.control.cancel(saveFirst);
  },
  fingerprints() {
    return current().fingerprints();
  },
  /** A format's files (the TF.js model's by default), made here in the worker from the session's TF.js export. */
  async exportAs(format: FormatName = SOURCE_FORMAT.name): Promise<ExportFile[]> {
    const files = await exporterOf(format).make(exportSource(await current().export()));
    return Comlink.transfer(files, files.map((f) => f.bytes));
  },
  createProject(name: string, config: TrainConfigInput, persisted: boolean | null): Promise<ProjectRecord> {
    return db().then((s) => createProject(s, name, config, persisted));
  },
  /** Files from a picker or a drop (`path` keeps their folders), stored once each by content hash. */
  importFiles(projectId: string, files: ImportFile[], onProgress?: (done: number, total: number) => void): Promise<ImportResult> {
    return importInto(projectId, Promise.resolve(files), onProgress);
  },
  importZip(projectId: string, zip: File, onProgress?: (done: number, total: number) => void): Promise<ImportResult> {
    return importInto(projectId, filesOfZip(zip, zip.name), onProgress);
  },
  importDirectory(projectId: string, dir: FileSystemDirectoryHandle, onProgress?: (done: number, total: number) => void): Promise<ImportResult> {
    return importInto(projectId, filesOfDirectory(dir), onProgress);
  },
  /**
   * Picked weights (one Keras .h5, or model.json and its shards): checked to load, then cached; returns
   * their `weights` setting (a TF.js model's takes `#layer_name` after it).
   */
  addWeightsFiles(files: File[]): Promise<string> {
    return oneAtATime(async () => {
      await ensureBackend();
      return cachePickedWeights(await db(), files.map((f) => ({ name: f.name, blob: f })), sha256Of);
    });
  },
  async listBases(): Promise<BaseSummary[]> {
    return listCachedBases(await db());
  },
  async deleteBase(key: string): Promise<void> {
    await deleteCachedBase(await db(), key);
  },
  async listProjects(): Promise<ProjectSummary[]> {
    return listProjects(await db());
  },
  async runs(projectId: string): Promise<RunRecord[]> {
    return runsOfProject(await db(), projectId);
  },
  /** A project's stored images (path, class, bytes as a Blob), in path order: the page shows them, and never opens the database itself. */
  async projectImages(projectId: string): Promise<StoredImage[]> {
    return imagesOfProject(await db(), projectId);
  },
  /** An unfinished checkpoint's stages and epochs so far (null: none, or finished). */
  async trainedSoFar(projectId: string): Promise<TrainedSoFar | null> {
    return trainedSoFar(await db(), projectId);
  },
  /**
   * What Start would run, before it: the model's layers, the backend, and the time it takes here, from a
   * probe of a few seconds (src/train/plan-run.ts). Nothing is trained or stored. The page asks this of a
   * worker of its own, which it ends to stop a plan (web/run-planner.ts).
   */
  plan(projectId: string, config: TrainConfigInput): Promise<RunPlan> {
    return oneAtATime(() => planRun(db, projectId, config, deliver));
  },
  /** A TF.js layers model's layers (its model.json URL, or picked files' `cached:` key): where it can be cut. */
  modelLayers(weights: string): Promise<LayerInfo[]> {
    return oneAtATime(async () => {
      await ensureBackend();
      return modelLayers(weights, { db, emit: deliver });
    });
  },
  async deleteProject(projectId: string): Promise<void> {
    if (opened?.projectId === projectId) await closeSession();
    await deleteProject(await db(), projectId);
  },
  /** Decodes images exactly as training does (aspect-aware crop to `size`), e.g. for thumbnails. */
  async decodeImages(items: DatasetItem[], size: number): Promise<DecodedImage[]> {
    const decoded: DecodedImage[] = [];
    for (const item of items) {
      try {
        decoded.push({ path: item.path, pixels: await decodeImage(item, size), error: null });
      } catch (error) {
        decoded.push({ path: item.path, pixels: null, error: (error as Error).message });
      }
    }
    return decoded;
  },
  /** Throughput of one kind of step on a forced backend (no fallback: a benchmark must say what it ran). */
  /** `threads` settles wasm's thread count when wasm has not started in this worker yet (see wasm-threads.ts). */
  async benchmark(backend: BackendName, spec: BenchSpec, threads?: number): Promise<BenchResult & { detail: string }> {
    await closeSession();
    const note = planWasmThreads(threads);
    if (note) throw new BackendError(note);
    const [choice] = await selectBackends(backend);
    if (choice.backend !== backend) throw new BackendError(`${backend} is unavailable here: ${choice.reason}`);
    // Synthetic inputs: which preprocessing the base expects changes no cost, and a model we do not know has none to default to.
    const base = spec.base ? await loadBase(parseWeights(spec.base), { seed: 1, inputSize: spec.inputSize, preprocessing: 'unit', db, emit: deliver }) : null;
    try {
      return { ...(await benchmark(spec, base?.model)), detail: choice.detail };
    } finally {
      base?.model.dispose();
    }
  },
  /** What this site stores against what the browser allows it (bytes), as navigator.storage says. */
  async storage(): Promise<{ usage: number; quota: number } | null> {
    const estimate = await navigator.storage?.estimate?.();
    return estimate ? { usage: estimate.usage ?? 0, quota: estimate.quota ?? 0 } : null;
  },
  /** Live tensors and bytes; reading them never starts a backend. */
  memory(): { numTensors: number; numBytes: number; backend: string | null } {
    const engine = tf.engine();
    return { numTensors: engine.state.numTensors, numBytes: engine.state.numBytes, backend: engine.backendName ?? null };
  },
  close(): Promise<void> {
    return closeSession();
  },
};

export type TrainerApi = typeof api;
Comlink.expose(api);
