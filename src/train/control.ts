import { CancelledError } from '../errors';
import type { TrainEvent } from '../protocol';

type StatusEvent = Extract<TrainEvent, { type: 'status' }>;

/**
 * Lets queued messages (pause, cancel) run. On wasm and cpu a training step resolves through microtasks
 * only, so without this a whole stage would run before the worker read its next message. A message
 * round trip is a macrotask without setTimeout's 4 ms clamp.
 */
export function yieldToEventLoop(): Promise<void> {
  return new Promise((resolve) => {
    const channel = new MessageChannel();
    channel.port1.onmessage = () => {
      channel.port1.close();
      resolve();
    };
    channel.port2.postMessage(null);
  });
}

/** Cooperative pause and cancel: the loop calls `between()` between batches, never mid-step. */
export class RunControl {
  private paused = false;
  private cancelled = false;
  /** Cancelled with leave to write a checkpoint of where the loop stands first (the command line's Ctrl-C). */
  saveBeforeStop = false;
  private wake: (() => void) | null = null;

  /** `onStatus` hears each pause where the loop stops, and the going on after it. */
  constructor(private readonly onStatus: (event: StatusEvent) => void = () => undefined) {}

  pause(): void {
    this.paused = true;
  }

  resume(): void {
    this.paused = false;
    this.wake?.();
  }

  /** Stops at the next point between batches; with `saveFirst`, a stage's loop writes a checkpoint there first. */
  cancel(saveFirst = false): void {
    this.cancelled = true;
    this.saveBeforeStop = saveFirst;
    this.wake?.();
  }

  get isPaused(): boolean {
    return this.paused;
  }

  /**
   * Yields to queued messages, then resolves when running; waits while paused, saying so with `where`
   * ('in stage 1, epoch 2, before batch 3/10'); throws once cancelled.
   */
  async between(where: () => string = () => ''): Promise<void> {
    await yieldToEventLoop();
    if (this.paused && !this.cancelled) {
      const at = where();
      this.onStatus({ type: 'status', state: 'paused', where: at });
      while (this.paused && !this.cancelled) {
        await new Promise<void>((resolve) => (this.wake = resolve));
        this.wake = null;
      }
      if (!this.cancelled) this.onStatus({ type: 'status', state: 'running', where: at });
    }
    if (this.cancelled) throw new CancelledError();
  }
}
