import * as tf from '@tensorflow/tfjs';
import { BackendError } from '../errors';
import { BACKEND_CHAIN, type BackendChoice, type BackendName, type BackendPreference, type ProbeKind, type ProbeTiming } from '../protocol';
import { watchDevice } from './gpu-device';
import { probeBackend, timeConvolution, type BackendProbe } from './probe';
import { describeWasmThreads, planWasmThreads } from './wasm-threads';
import { registerWasmTrainingKernels } from './wasm-kernels';

type Skip = BackendChoice['skipped'][number];
type Stage = 1 | 2;
/** Stage 1 runs frozen convolutions forward; stage 2 also trains some, so it races on gradients. */
const STAGE_PROBE: Record<Stage, ProbeKind> = { 1: 'forward', 2: 'train' };

/**
 * tf.setBackend answers only false when a backend fails to start; TF.js (and Emscripten, for wasm) said
 * why on console.warn/console.error meanwhile. Those lines, so the reason reaches the user.
 */
async function startSaying(backend: BackendName): Promise<string | null> {
  const said: string[] = [];
  const { warn, error } = console;
  const keep = (...args: unknown[]): void => {
    said.push(args.map((a) => (a instanceof Error ? a.message : typeof a === 'object' && a && 'message' in a ? String(a.message) : String(a))).join(' '));
  };
  console.warn = (...args: unknown[]) => (keep(...args), warn(...args));
  console.error = (...args: unknown[]) => (keep(...args), error(...args));
  try {
    if (await tf.setBackend(backend)) return null;
  } finally {
    Object.assign(console, { warn, error });
  }
  const reasons = said.filter((line) => line && !line.startsWith('Initialization of backend')).map((line) => line.split('\n')[0]!.slice(0, 300));
  return reasons.length ? `failed to start: ${[...new Set(reasons)].join('; ')}` : 'failed to start';
}

/**
 * Why a backend failed to start in this worker: TF.js keeps the failed start, so a later attempt fails
 * at once and silently; this keeps the first attempt's reason for it.
 */
const startFailures = new Map<BackendName, string>();
/**
 * Starts in progress, shared: a second start of wasm while the first fails never settles (tfjs-backend-wasm
 * rejects only the first aborted start of the module), so a plan and a run starting it at once would hang.
 */
const starting = new Map<BackendName, Promise<string | null>>();

function startOnce(backend: BackendName): Promise<string | null> {
  let start = starting.get(backend);
  if (!start) {
    start = startSaying(backend).finally(() => starting.delete(backend));
    starting.set(backend, start);
  }
  return start;
}

/** Makes `backend` the current one, with the training kernels wasm lacks; null when it started. */
export async function activate(backend: BackendName): Promise<string | null> {
  try {
    const known = startFailures.get(backend);
    if (known) return known;
    if (backend === 'wasm') planWasmThreads(); // every core, unless a session settled it first
    const failure = await startOnce(backend);
    if (failure) {
      startFailures.set(backend, failure);
      return failure;
    }
    await tf.ready();
    if (backend === 'wasm') registerWasmTrainingKernels();
    watchDevice();
    return null;
  } catch (error) {
    return `failed to start: ${(error as Error).message}`;
  }
}

/**
 * For work outside a session (checking picked weights): any backend that is up, else cpu, which starts
 * at once. TF.js would otherwise pick its highest-priority backend (webgpu) and refuse until it is ready.
 */
export async function ensureBackend(): Promise<void> {
  if (tf.engine().backendName) return;
  const failure = await activate('cpu');
  if (failure) throw new BackendError(`cpu ${failure}`);
}

async function describe(backend: BackendName, probe: BackendProbe): Promise<string> {
  if (backend !== 'wasm') return probe.detail;
  const simd = await tf.env().getAsync('WASM_HAS_SIMD_SUPPORT');
  const threads = await tf.env().getAsync('WASM_HAS_MULTITHREAD_SUPPORT');
  return `wasm${simd ? ' simd' : ''}, ${describeWasmThreads(Boolean(threads))}`;
}

function summary(skipped: Skip[]): string {
  return skipped.map((s) => `${s.backend}: ${s.reason}`).join('; ');
}

/** A forced backend, falling down webgpu -> webgl -> wasm -> cpu when it cannot run. */
async function selectForced(preference: BackendName, stage: Stage): Promise<BackendChoice> {
  const skipped: Skip[] = [];
  for (const backend of BACKEND_CHAIN.slice(BACKEND_CHAIN.indexOf(preference))) {
    const probe = await probeBackend(backend);
    const failure = probe.available ? await activate(backend) : probe.detail;
    if (failure) {
      skipped.push({ backend, reason: failure });
      continue;
    }
    const reason = skipped.length
      ? `${preference} was requested but is unavailable (${summary(skipped)}); fell back to ${backend}`
      : `${backend} was requested` + (probe.software ? ' (note: a software adapter, far slower than a real GPU)' : '');
    return { stage, backend, reason, skipped, probes: [], detail: await describe(backend, probe) };
  }
  throw new BackendError(`no TF.js backend could start: ${summary(skipped)}`);
}

/** The fastest backend for one kind of work; with no timings, the first candidate. */
export function fastest(candidates: BackendName[], probes: ProbeTiming[], kind: ProbeKind): { backend: BackendName; why: string } {
  const timed = probes.filter((p) => p.kind === kind);
  if (timed.length < 2) return { backend: candidates[0]!, why: 'the only candidate left' };
  const best = timed.reduce((a, b) => (b.ms < a.ms ? b : a));
  return { backend: best.backend, why: `fastest in a timed ${kind} probe (${timed.map((p) => `${p.backend} ${p.ms.toFixed(0)} ms`).join(', ')})` };
}

/**
 * Auto, per stage: software GPUs are passed over (measured 40x slower than wasm here); the rest, a
 * hardware WebGPU adapter included, race on a short convolution forward (stage 1) and with its
 * gradients (stage 2), and each stage gets its winner.
 */
async function selectAuto(): Promise<[BackendChoice, BackendChoice]> {
  const skipped: Skip[] = [];
  const candidates: BackendProbe[] = [];
  for (const backend of BACKEND_CHAIN) {
    const probe = await probeBackend(backend);
    if (!probe.available) skipped.push({ backend, reason: probe.detail });
    else if (probe.software) skipped.push({ backend, reason: `software adapter (${probe.detail}), far slower than wasm` });
    else if (backend !== 'cpu' || candidates.length === 0) candidates.push(probe);
  }
  const probes: ProbeTiming[] = [];
  const started: BackendProbe[] = [];
  for (const candidate of candidates) {
    const failure = await activate(candidate.backend);
    if (failure) {
      skipped.push({ backend: candidate.backend, reason: failure });
      continue;
    }
    started.push(candidate);
    if (candidates.length > 1) {
      for (const kind of ['forward', 'train'] as const) probes.push({ backend: candidate.backend, kind, ms: await timeConvolution(kind) });
    }
  }
  if (!started.length) {
    const failure = await activate('cpu');
    if (failure) throw new BackendError(`no TF.js backend could start: ${summary([...skipped, { backend: 'cpu', reason: failure }])}`);
    started.push(await probeBackend('cpu'));
  }
  const choose = async (stage: Stage): Promise<BackendChoice> => {
    const { backend, why } = fastest(started.map((p) => p.backend), probes, STAGE_PROBE[stage]);
    const probe = started.find((p) => p.backend === backend)!;
    if (backend === 'wasm') await activate('wasm'); // describe() reads the wasm module's thread count
    const reason = `${why}${skipped.length ? `; passed over ${summary(skipped)}` : ''}`;
    return { stage, backend, reason, skipped, probes, detail: await describe(backend, probe) };
  };
  return [await choose(1), await choose(2)];
}

/**
 * The backend of each stage: `finetune` (when set) only for stage 2, `preference` for the rest. Leaves
 * stage 1's backend current.
 */
export async function selectBackends(preference: BackendPreference, finetune?: BackendPreference): Promise<[BackendChoice, BackendChoice]> {
  const auto = preference === 'auto' || finetune === 'auto' ? await selectAuto() : null;
  const stage1 = preference === 'auto' ? auto![0] : await selectForced(preference, 1);
  const stage2 =
    finetune === undefined
      ? preference === 'auto'
        ? auto![1]
        : { ...stage1, stage: 2 as const }
      : finetune === 'auto'
        ? auto![1]
        : await selectForced(finetune, 2);
  const failure = await activate(stage1.backend);
  if (failure) throw new BackendError(`${stage1.backend} ${failure}`);
  return [stage1, stage2];
}
