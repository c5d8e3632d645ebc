import type { BackendName } from './config';

// Which backend a run takes, and the timings it chose by.

/** What a timed probe ran: a forward convolution (stage 1's work) or one with its gradients (stage 2's). */
export type ProbeKind = 'forward' | 'train';

export interface ProbeTiming {
  backend: BackendName;
  kind: ProbeKind;
  ms: number;
}

export interface BackendChoice {
  stage: 1 | 2;
  backend: BackendName;
  /** One sentence: why this backend, including why any earlier one was passed over. */
  reason: string;
  skipped: { backend: BackendName; reason: string }[];
  probes: ProbeTiming[];
  /** e.g. the WebGPU adapter description or 'wasm simd, 2 threads'. */
  detail: string;
}
