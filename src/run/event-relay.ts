import type { TrainEvent, TrainEventListener } from '../protocol';

// The page's listener for the worker's events, and the deliveries still on their way to it. Delivering
// never waits (training goes on while an event crosses); a call that sent events waits for them instead,
// in settled(), so that its answer never reaches the page before the events it caused.

export class EventRelay {
  private listener: TrainEventListener | null = null;
  /** Events still crossing to the page. */
  private readonly inFlight = new Set<Promise<unknown>>();

  /** `release` frees the page's side of a listener once it is dropped (the worker's transport knows how). */
  constructor(private readonly release: (callback: unknown) => void) {}

  /** Sends events to `listener` from now on. */
  listen(listener: TrainEventListener): void {
    this.listener = listener;
  }

  /** Drops the listener and frees it; events go nowhere until the next listen(). */
  unlisten(): void {
    this.release(this.listener);
    this.listener = null;
  }

  /** Sends `event` to whichever listener is there; a delivery that fails (the page's listener rejects) loses the event, not the run. */
  readonly deliver = (event: TrainEvent): void => {
    const delivery = Promise.resolve(this.listener?.(event)).catch(() => undefined);
    this.inFlight.add(delivery);
    void delivery.finally(() => this.inFlight.delete(delivery));
  };

  /** `work`'s result (or error), once every event sent so far has arrived. */
  async settled<T>(work: Promise<T>): Promise<T> {
    try {
      return await work;
    } finally {
      await Promise.all(this.inFlight);
    }
  }
}
