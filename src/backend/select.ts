import * as tf from '@tensorflow/tfjs';
import { getThreadsCount } from '@tensorflow/tfjs-backend-wasm';
import { BackendError } from '../errors';
import { BACKEND_CHAIN, type BackendChoice, type BackendName, type BackendPreference, type ProbeTiming } from '../protocol';
import { probeBackend, timeConvolution, type BackendProbe } from './probe';
import { registerWasmTrainingKernels } from './wasm-kernels';

type Skip = BackendChoice['skipped'][number];

async function activate(backend: BackendName): Promise<string | null> {
  try {
    if (!(await tf.setBackend(backend))) return 'failed to start';
    await tf.ready();
    if (backend === 'wasm') registerWasmTrainingKernels();
    return null;
  } catch (error) {
    return `failed to start: ${(error as Error).message}`;
  }
}

async function describe(backend: BackendName, probe: BackendProbe): Promise<string> {
  if (backend !== 'wasm') return probe.detail;
  const simd = await tf.env().getAsync('WASM_HAS_SIMD_SUPPORT');
  const threads = await tf.env().getAsync('WASM_HAS_MULTITHREAD_SUPPORT');
  const why = threads ? '' : ' (no threads: the page is not cross-origin isolated)';
  return `wasm${simd ? ' simd' : ''}, ${getThreadsCount()} thread(s)${why}`;
}

function summary(skipped: Skip[]): string {
  return skipped.map((s) => `${s.backend}: ${s.reason}`).join('; ');
}

/** A forced backend, falling down webgpu -> webgl -> wasm -> cpu when it cannot run. */
async function selectForced(preference: BackendName): Promise<BackendChoice> {
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
    return { backend, reason, skipped, probes: [], detail: await describe(backend, probe) };
  }
  throw new BackendError(`no TF.js backend could start: ${summary(skipped)}`);
}

/**
 * A hardware WebGPU adapter wins outright. Otherwise software GPUs are passed over (measured 40x slower
 * than wasm here) and the remaining candidates race on a short convolution.
 */
async function selectAuto(): Promise<BackendChoice> {
  const skipped: Skip[] = [];
  const candidates: BackendProbe[] = [];
  for (const backend of BACKEND_CHAIN) {
    const probe = await probeBackend(backend);
    if (!probe.available) skipped.push({ backend, reason: probe.detail });
    else if (probe.software) skipped.push({ backend, reason: `software adapter (${probe.detail}), far slower than wasm` });
    else if (backend === 'webgpu') {
      const failure = await activate(backend);
      if (!failure) return { backend, reason: `hardware WebGPU adapter (${probe.detail})`, skipped, probes: [], detail: probe.detail };
      skipped.push({ backend, reason: failure });
    } else if (backend !== 'cpu' || candidates.length === 0) candidates.push(probe);
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
    if (candidates.length > 1) probes.push({ backend: candidate.backend, ms: await timeConvolution() });
  }
  if (!started.length) {
    const failure = await activate('cpu');
    if (failure) throw new BackendError(`no TF.js backend could start: ${summary([...skipped, { backend: 'cpu', reason: failure }])}`);
    started.push(await probeBackend('cpu'));
  }
  const fastest = probes.length ? probes.reduce((a, b) => (b.ms < a.ms ? b : a)) : null;
  const chosen = started.find((p) => p.backend === (fastest?.backend ?? started[0]!.backend))!;
  await activate(chosen.backend);
  const race = probes.length > 1 ? `fastest in a timed probe (${probes.map((p) => `${p.backend} ${p.ms.toFixed(0)} ms`).join(', ')})` : 'the only candidate left';
  const reason = `${race}${skipped.length ? `; passed over ${summary(skipped)}` : ''}`;
  return { backend: chosen.backend, reason, skipped, probes, detail: await describe(chosen.backend, chosen) };
}

export async function selectBackend(preference: BackendPreference): Promise<BackendChoice> {
  return preference === 'auto' ? selectAuto() : selectForced(preference);
}
