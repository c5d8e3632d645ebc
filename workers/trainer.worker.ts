// The one dedicated worker: exposes the trainer API through Comlink and nothing else. What it keeps between
// calls (the store, the open run, the page's listener) and the work on it live in src/run/worker-state.ts.
import '@tensorflow/tfjs-backend-webgpu';
import * as tf from '@tensorflow/tfjs';
import { setWasmPaths } from '@tensorflow/tfjs-backend-wasm';
import wasmPlain from '@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm.wasm?url';
import wasmSimd from '@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm-simd.wasm?url';
import wasmThreadedSimd from '@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm-threaded-simd.wasm?url';
import * as Comlink from 'comlink';
import { keepPthreadSourceIntact } from '../src/backend/wasm-pthread-source';
import type { TrainConfigInput } from '../src/config';
import { decodeEach } from '../src/data/decode';
import { sha256Of } from '../src/data/sha256';
import { exportSource, type ExportFile } from '../src/export/format';
import { exporterOf, SOURCE_FORMAT, type FormatName } from '../src/export/formats';
import { cachePickedWeights, modelLayers } from '../src/model/base';
import { deleteCachedBase, listCachedBases, type BaseSummary } from '../src/store/bases';
import type { BackendName, DatasetItem, LayerInfo, DecodedImage, Prediction, PrepareResult, RecipeResult, StageResult, TrainEventListener } from '../src/protocol';
import { filesOfDirectory, filesOfZip, type ImportFile, type ImportResult } from '../src/store/import';
import { createProject, deleteProject, imagesOfProject, listProjects, runsOfProject, trainedSoFar, type ProjectSummary, type StoredImage, type TrainedSoFar } from '../src/store/projects';
import type { ProjectRecord, RunRecord } from '../src/store/schema';
import { benchmarkOn, type BenchResult, type BenchSpec } from '../src/run/benchmark';
import type { OpenInput } from '../src/run/open-session';
import { planRun, type RunPlan } from '../src/train/plan-run';
import type { FaultDrill } from '../src/run/fault-drill';
import { WorkerState } from '../src/run/worker-state';

keepPthreadSourceIntact();
setWasmPaths({
  'tfjs-backend-wasm.wasm': wasmPlain,
  'tfjs-backend-wasm-simd.wasm': wasmSimd,
  'tfjs-backend-wasm-threaded-simd.wasm': wasmThreadedSimd,
});

/** Frees the page's side of a callback it sent (a `Comlink.proxy`), once the worker is done calling it. */
function releaseRemote(callback: unknown): void {
  (callback as Partial<Comlink.Remote<unknown>> | null | undefined)?.[Comlink.releaseProxy]?.();
}

const host = new WorkerState(releaseRemote);
const { db } = host;
const { deliver } = host.events;

const api = {
  /** Answers once this module has loaded: the page's sign that the worker started. */
  alive(): true {
    return true;
  },

  /**
   * Chooses the backend, decodes and splits the dataset (a stored project's, or the given one) and builds
   * the model; events go to `onEvent`. A project being trained elsewhere is a ProjectBusyError.
   */
  open(input: OpenInput, onEvent: TrainEventListener): Promise<PrepareResult> {
    return host.open(input, onEvent);
  },
  trainStage(stage: 1 | 2): Promise<StageResult> {
    return host.train((s) => s.trainStage(stage), (s) => stage === 2 || s.config.finetune.epochs === 0);
  },
  runRecipe(): Promise<RecipeResult> {
    return host.train((s) => s.runRecipe(), () => true);
  },
  /** The feature-extraction baseline: frozen base once, softmax regression on pooled features. */
  runFeatures(): Promise<StageResult> {
    return host.train((s) => s.runFeatures(), () => true);
  },
  /**
   * Arms fault drills for the next open(): after the given count of training batches, the GPU device is
   * lost or the next kernel fails, as the browser would do it; the run should survive them.
   */
  drillFaults(list: FaultDrill[]): void {
    host.armDrills(list);
  },
  /** Top classes of each image, from the session's model. */
  predict(images: { name: string; blob: Blob }[], top = 3): Promise<Prediction[]> {
    return host.current().predict(images, top);
  },
  setUnfreezeFrom(layer: number | string): number {
    return host.current().setUnfreezeFrom(layer);
  },
  pause(): void {
    host.current().control.pause();
  },
  resume(): void {
    host.current().control.resume();
  },
  /** Stops between two batches; with `saveFirst`, a stage in progress writes a checkpoint of that point first. */
  cancel(saveFirst = false): void {
    host.cancel(saveFirst);
  },
  fingerprints() {
    return host.current().fingerprints();
  },
  /** A format's files (the TF.js model's by default), made here in the worker from the session's TF.js export. */
  async exportAs(format: FormatName = SOURCE_FORMAT.name): Promise<ExportFile[]> {
    const files = await exporterOf(format).make(exportSource(await host.current().export()));
    return Comlink.transfer(files, files.map((f) => f.bytes));
  },
  createProject(name: string, config: TrainConfigInput, persisted: boolean | null): Promise<ProjectRecord> {
    return db().then((s) => createProject(s, name, config, persisted));
  },
  /** Files from a picker or a drop (`path` keeps their folders), stored once each by content hash. */
  importFiles(projectId: string, files: ImportFile[], onProgress?: (done: number, total: number) => void): Promise<ImportResult> {
    return host.importInto(projectId, Promise.resolve(files), onProgress);
  },
  importZip(projectId: string, zip: File, onProgress?: (done: number, total: number) => void): Promise<ImportResult> {
    return host.importInto(projectId, filesOfZip(zip, zip.name), onProgress);
  },
  importDirectory(projectId: string, dir: FileSystemDirectoryHandle, onProgress?: (done: number, total: number) => void): Promise<ImportResult> {
    return host.importInto(projectId, filesOfDirectory(dir), onProgress);
  },
  /**
   * Picked weights (one Keras .h5, or model.json and its shards): checked to load, then cached; returns
   * their `weights` setting (a TF.js model's takes `#layer_name` after it).
   */
  addWeightsFiles(files: File[]): Promise<string> {
    return host.onBackend(async () => cachePickedWeights(await db(), files.map((f) => ({ name: f.name, blob: f })), sha256Of));
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
    return host.oneAtATime.run(() => planRun(db, projectId, config, deliver));
  },
  /** A TF.js layers model's layers (its model.json URL, or picked files' `cached:` key): where it can be cut. */
  modelLayers(weights: string): Promise<LayerInfo[]> {
    return host.onBackend(() => modelLayers(weights, { db, emit: deliver }));
  },
  async deleteProject(projectId: string): Promise<void> {
    await host.closeProject(projectId);
    await deleteProject(await db(), projectId);
  },
  /** Decodes images exactly as training does (aspect-aware crop to `size`), e.g. for thumbnails. */
  decodeImages(items: DatasetItem[], size: number): Promise<DecodedImage[]> {
    return decodeEach(items, size);
  },
  /**
   * Throughput of one kind of step on a forced backend (no fallback: a benchmark must say what it ran); any
   * session is closed first. `threads` settles wasm's thread count when wasm has not started in this worker yet.
   */
  async benchmark(backend: BackendName, spec: BenchSpec, threads?: number): Promise<BenchResult & { detail: string }> {
    await host.close();
    return benchmarkOn(backend, spec, threads, { db, emit: deliver });
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
    return host.close();
  },
};

export type TrainerApi = typeof api;
Comlink.expose(api);
