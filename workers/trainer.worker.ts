// The one dedicated worker: exposes the trainer API through Comlink and nothing else.
import '@tensorflow/tfjs-backend-webgpu';
import * as tf from '@tensorflow/tfjs';
import { setWasmPaths } from '@tensorflow/tfjs-backend-wasm';
import wasmPlain from '@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm.wasm?url';
import wasmSimd from '@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm-simd.wasm?url';
import wasmThreadedSimd from '@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm-threaded-simd.wasm?url';
import * as Comlink from 'comlink';
import { selectBackends } from '../src/backend/select';
import { decodeImage } from '../src/data/decode';
import { BackendError } from '../src/errors';
import { benchmark, type BenchResult, type BenchSpec } from '../src/train/benchmark';
import type { BackendName, DatasetItem, DecodedImage, ExportedModel, PrepareResult, RecipeResult, StageResult, TrainEvent, TrainEventListener } from '../src/protocol';
import { TrainingSession, type SessionInput } from '../src/train/session';
import { throttleProgress } from '../src/train/throttle';

setWasmPaths({
  'tfjs-backend-wasm.wasm': wasmPlain,
  'tfjs-backend-wasm-simd.wasm': wasmSimd,
  'tfjs-backend-wasm-threaded-simd.wasm': wasmThreadedSimd,
});

let session: TrainingSession | null = null;
let listener: TrainEventListener | null = null;
/** Events still crossing to the page: each call resolves only after they have, so none is overtaken. */
const inFlight = new Set<Promise<unknown>>();

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
  if (!session) throw new Error('no training session: call open() first');
  return session;
}

function closeSession(): void {
  session?.dispose();
  session = null;
  (listener as Partial<Comlink.Remote<TrainEventListener>> | null)?.[Comlink.releaseProxy]?.();
  listener = null;
}

const api = {
  /** Chooses the backend, decodes and splits the dataset and builds the model; events go to `onEvent`. */
  async open(input: SessionInput, onEvent: TrainEventListener): Promise<PrepareResult> {
    closeSession();
    listener = onEvent;
    session = await settled(TrainingSession.open(input, throttleProgress(deliver)));
    return session.prepared;
  },
  trainStage(stage: 1 | 2): Promise<StageResult> {
    return settled(current().trainStage(stage));
  },
  runRecipe(): Promise<RecipeResult> {
    return settled(current().runRecipe());
  },
  pause(): void {
    current().control.pause();
  },
  resume(): void {
    current().control.resume();
  },
  cancel(): void {
    session?.control.cancel();
  },
  fingerprints() {
    return current().fingerprints();
  },
  async exportModel(): Promise<ExportedModel> {
    const exported = await current().export();
    return Comlink.transfer(exported, [exported.weights]);
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
  async benchmark(backend: BackendName, spec: BenchSpec): Promise<BenchResult> {
    closeSession();
    const [choice] = await selectBackends(backend);
    if (choice.backend !== backend) throw new BackendError(`${backend} is unavailable here: ${choice.reason}`);
    return benchmark(spec);
  },
  /** Live tensors and bytes; reading them never starts a backend. */
  memory(): { numTensors: number; numBytes: number; backend: string | null } {
    const engine = tf.engine();
    return { numTensors: engine.state.numTensors, numBytes: engine.state.numBytes, backend: engine.backendName ?? null };
  },
  close(): void {
    closeSession();
  },
};

export type TrainerApi = typeof api;
Comlink.expose(api);
