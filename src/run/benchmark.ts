import * as tf from '@tensorflow/tfjs';
import { selectBackends } from '../backend/select';
import { planWasmThreads } from '../backend/wasm-threads';
import { BackendError, ConfigError } from '../errors';
import { loadBase } from '../model/base';
import { parseWeights } from '../model/base-source';
import type { BaseContext } from '../model/loaded-base';
import { attachHead } from '../model/head';
import { freezeBelow } from '../model/layers';
import { buildVgg16 } from '../model/backbones/vgg16-layers';
import { frozenSplit, throughFrozen } from '../train/frozen-cache';
import { yieldToEventLoop } from '../train/control';
import { makeOptimizer } from '../train/optimizer';
import { PendingMetrics, trainStep } from '../train/train-step';
import { VGG16 } from '../model/backbones/vgg16';
import type { BackendName } from '../protocol';

export type BenchKind = 'forward' | 'stage1' | 'stage2';

export interface BenchSpec {
  kind: BenchKind;
  inputSize: number;
  batchSize: number;
  /** Keep timing steps until this much time has passed (at least one step after the warm-up). */
  minSeconds: number;
  maxSteps: number;
  /**
   * Training steps only. 'grouped' (the stage loop's way): values stay on the device and are read every
   * METRICS_READ_MAX_STEPS steps and at the end; 'each-step': TF.js' trainOnBatch, which waits for them.
   */
  metricsRead?: 'grouped' | 'each-step';
  /**
   * Training steps only. 'outside-tape' (the stage loop's way without a cache): the frozen layers run as a
   * model of their own, then the rest trains on their output; 'in-tape': the whole model trains, TF.js
   * keeping the frozen layers' activations for the backward pass.
   */
  frozen?: 'outside-tape' | 'in-tape';
  /**
   * Forward passes only: this `weights` setting's base, loaded as a run loads it (a TF.js model cut at a
   * layer, say), instead of VGG16 and the recipe's head.
   */
  base?: string;
}

export interface BenchResult extends BenchSpec {
  backend: string;
  steps: number;
  msPerStep: number;
  imagesPerSecond: number;
  /** Milliseconds of the first (warm-up) step: shader compilation and weight upload included. */
  warmupMs: number;
  /** The most tensor memory one step held at once (tf.profile), weights included. */
  peakBytes: number;
  /** Kernels one step runs (tf.profile): on a GPU each is a dispatch with a fixed cost. */
  kernelsPerStep: number;
  /** The step's costliest kernels by name, milliseconds summed over their calls in one profiled step (wasm and cpu time kernels as they run; a GPU's are timed by its queries). */
  slowestKernels: Record<string, number>;
}

/** The `count` kernel names with the most time in a profile, and their summed milliseconds. */
function slowest(kernels: Awaited<ReturnType<typeof tf.profile>>['kernels'], count: number): Record<string, number> {
  const byName = new Map<string, number>();
  for (const k of kernels) if (typeof k.kernelTimeMs === 'number') byName.set(k.name, (byName.get(k.name) ?? 0) + k.kernelTimeMs);
  return Object.fromEntries([...byName].sort((a, b) => b[1] - a[1]).slice(0, count).map(([name, ms]) => [name, Number(ms.toFixed(1))]));
}

/** Images per second of VGG16 + the recipe head (or of `base`'s forward pass) on synthetic data, on the current backend. */
export async function benchmark(spec: BenchSpec, base?: tf.LayersModel): Promise<BenchResult> {
  if (base && spec.kind !== 'forward') throw new ConfigError(`a benchmark of a given base times forward passes only, not ${spec.kind} steps`);
  const model = base ?? attachHead(buildVgg16({ inputSize: spec.inputSize, init: { seed: 1 } }), { classes: 10, units: 256, dropout: 0.5, seed: 1 });
  const xs = tf.randomUniform([spec.batchSize, spec.inputSize, spec.inputSize, 3], -1, 1, 'float32', 1);
  const ys = tf.tidy(() => tf.oneHot(tf.tensor1d(Int32Array.from({ length: spec.batchSize }, (_, i) => i % 10), 'int32'), 10).toFloat());
  // The stages' own optimizers (stage 1's RMSprop is fused into one kernel on wasm).
  const optimizer = makeOptimizer(spec.kind === 'stage1' ? 'rmsprop' : 'sgd', 1e-3);
  const from = spec.kind === 'stage1' ? VGG16.headStart : VGG16.defaults.unfreezeFrom;
  const split = spec.kind !== 'forward' && spec.frozen !== 'in-tape' ? frozenSplit(model, from) : null;
  const trained = split?.suffix ?? model;
  if (spec.kind !== 'forward') {
    freezeBelow(model, from);
    trained.compile({ optimizer, loss: 'categoricalCrossentropy', metrics: ['accuracy'] });
  }
  const pending = new PendingMetrics(Infinity);
  const train = async (inputs: tf.Tensor): Promise<void> => {
    if (spec.metricsRead === 'each-step') {
      await trained.trainOnBatch(inputs, ys);
    } else {
      pending.add(await trainStep(trained, inputs, ys));
      if (pending.due) await pending.read();
    }
  };
  // Each step yields to the worker's event loop first, as the stage loop does between batches
  // (RunControl.between). Steps chained through microtasks alone ran for seconds in one task, and on one
  // thread a step of such a chain now and then took twice its time, in XNNPACK's convolution (measured:
  // 1.27 s against 0.65 s; none in 15 steps with the yield).
  const step = async (): Promise<void> => {
    await yieldToEventLoop();
    if (spec.kind === 'forward') {
      const out = model.predict(xs) as tf.Tensor;
      await out.data();
      out.dispose();
    } else if (split) {
      const above = throughFrozen(split.prefix, { xs: xs.clone(), ys: ys as tf.Tensor2D }).xs;
      await train(above).finally(() => above.dispose());
    } else {
      await train(xs);
    }
  };
  try {
    let start = performance.now();
    await step();
    await pending.read();
    const warmupMs = performance.now() - start;
    // A second step untimed: on wasm a layer's second call is where XNNPACK packs a frozen filter (wasm-conv.ts).
    await step();
    await pending.read();
    let steps = 0;
    start = performance.now();
    while (steps < 1 || (steps < spec.maxSteps && performance.now() - start < spec.minSeconds * 1000)) {
      await step();
      steps++;
    }
    await pending.read(); // the device has finished every timed step
    const msPerStep = (performance.now() - start) / steps;
    const { peakBytes, kernels } = await tf.profile(async () => {
      await step();
      await pending.read();
    });
    return { ...spec, backend: tf.getBackend(), steps, msPerStep, imagesPerSecond: (spec.batchSize * 1000) / msPerStep, warmupMs, peakBytes, kernelsPerStep: kernels.length, slowestKernels: slowest(kernels, 6) };
  } finally {
    split?.suffix.dispose();
    pending.dispose();
    tf.dispose([xs, ys]);
    optimizer.dispose();
    if (!base) model.dispose();
  }
}

/**
 * Throughput of one kind of step on a forced backend (no fallback: a benchmark must say what it ran).
 * `threads` settles wasm's thread count when wasm has not started here yet (see wasm-threads.ts).
 */
export async function benchmarkOn(backend: BackendName, spec: BenchSpec, threads: number | undefined, ctx: Pick<BaseContext, 'db' | 'emit'>): Promise<BenchResult & { detail: string }> {
  const note = planWasmThreads(threads);
  if (note) throw new BackendError(note);
  const [choice] = await selectBackends(backend);
  if (choice.backend !== backend) throw new BackendError(`${backend} is unavailable here: ${choice.reason}`);
  // Synthetic inputs: which preprocessing the base expects changes no cost, and a model we do not know has none to default to.
  const base = spec.base ? await loadBase(parseWeights(spec.base), { seed: 1, inputSize: spec.inputSize, preprocessing: 'unit', db: ctx.db, emit: ctx.emit }) : null;
  try {
    return { ...(await benchmark(spec, base?.model)), detail: choice.detail };
  } finally {
    base?.model.dispose();
  }
}
