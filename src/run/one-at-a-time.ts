/**
 * A queue that runs each piece of work after the one before it has ended, however that ended. The worker
 * runs its work outside a session (a plan, reading picked weights or a model's layers) through one: each may
 * start or switch a backend, and two at once could each start a different backend under the other.
 */
export class OneAtATime {
  private last: Promise<unknown> = Promise.resolve();

  run<T>(work: () => Promise<T>): Promise<T> {
    const next = this.last.then(work, work);
    this.last = next.catch(() => undefined);
    return next;
  }
}
