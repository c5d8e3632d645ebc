import * as tf from '@tensorflow/tfjs';
import { destroyDevice } from '../backend/gpu-device';
import type { FaultKind, TrainEvent, TrainEventListener } from '../protocol';

// Fault drills: the faults a run must survive, caused on purpose at a chosen batch, the way the browser
// would cause them. A lost device is a real one (the WebGPU device is destroyed); a kernel error and an
// out-of-memory error are thrown by whichever kernel of the current backend runs next.

export interface FaultDrill {
  kind: FaultKind;
  /**
   * Fires at the run's this-many-th batch event. A batch event is sent each time the loop reads its steps'
   * metrics (a few times a second, every 16 steps at most, and at each epoch's end), so on a fast run it
   * can stand for several training steps: a count of events, not of steps.
   */
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

/** A listener that counts batch events and fires each drill once, at its event. */
export function drillListener(drills: FaultDrill[], onFired: (drill: FaultDrill) => void): TrainEventListener {
  let events = 0;
  const pending = [...drills];
  return (event: TrainEvent) => {
    if (event.type !== 'batch') return;
    events++;
    for (const drill of pending.filter((d) => d.afterBatches === events)) {
      pending.splice(pending.indexOf(drill), 1);
      fire(drill.kind);
      onFired(drill);
    }
  };
}
