import { CancelledError } from '../errors';

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

  /** Yields to queued messages, then resolves when running; waits while paused; throws once cancelled. */
  async between(onPause?: () => void): Promise<void> {
    await yieldToEventLoop();
    if (this.paused && !this.cancelled) {
      onPause?.();
      while (this.paused && !this.cancelled) {
        await new Promise<void>((resolve) => (this.wake = resolve));
        this.wake = null;
      }
    }
    if (this.cancelled) throw new CancelledError();
  }
}
