import * as tf from '@tensorflow/tfjs';
import { destroyDevice } from '../backend/gpu-device';
import type { FaultKind, TrainEvent, TrainEventListener } from '../protocol';

// Fault drills: the faults a run must survive, caused on purpose at a chosen batch, the way the browser
// would cause them. A lost device is a real one (the WebGPU device is destroyed); a kernel error and an
// out-of-memory error are thrown by whichever kernel of the current backend runs next.

export interface FaultDrill {
  kind: FaultKind;
  /** Fires after this many training batches of the run have finished. */
  afterBatches: number;
}

/** The message each drill's kernel throws: what the real fault says on wasm, where these drills run. */
const KERNEL_ERRORS: Record<Exclude<FaultKind, 'device-lost'>, () => Error> = {
  kernel: () => new Error('fault drill: a kernel failed'),
  'out-of-memory': () => new RangeError('WebAssembly.Memory.grow(): Maximum memory size exceeded (fault drill)'),
};

/** Makes the next kernel run on the current backend throw `error`, once; every kernel is restored first. */
export function failNextKernel(error: () => Error): void {
  const backend = tf.getBackend();
  const originals = tf.getKernelsForBackend(backend);
  const restore = (): void => {
    for (const kernel of originals) {
      tf.unregisterKernel(kernel.kernelName, backend);
      tf.registerKernel(kernel);
    }
  };
  for (const kernel of originals) {
    tf.unregisterKernel(kernel.kernelName, backend);
    tf.registerKernel({
      ...kernel,
      kernelFunc: () => {
        restore();
        throw error();
      },
    });
  }
}

function fire(kind: FaultKind): void {
  if (kind === 'device-lost') destroyDevice();
  else failNextKernel(KERNEL_ERRORS[kind]);
}

/** A listener that counts batches and fires each drill once, at its batch. */
export function drillListener(drills: FaultDrill[], onFired: (drill: FaultDrill) => void): TrainEventListener {
  let batches = 0;
  const pending = [...drills];
  return (event: TrainEvent) => {
    if (event.type !== 'batch') return;
    batches++;
    for (const drill of pending.filter((d) => d.afterBatches === batches)) {
      pending.splice(pending.indexOf(drill), 1);
      fire(drill.kind);
      onFired(drill);
    }
  };
}
