import { CancelledError } from '../errors';

/** Cooperative pause and cancel: the loop calls `between()` between batches, never mid-step. */
export class RunControl {
  private paused = false;
  private cancelled = false;
  private wake: (() => void) | null = null;

  pause(): void {
    this.paused = true;
  }

  resume(): void {
    this.paused = false;
    this.wake?.();
  }

  cancel(): void {
    this.cancelled = true;
    this.wake?.();
  }

  get isPaused(): boolean {
    return this.paused;
  }

  /** Resolves at once when running; waits while paused; throws CancelledError once cancelled. */
  async between(onPause?: () => void): Promise<void> {
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
