import * as Comlink from 'comlink';
import { WorkerError } from '../src/errors';
import type { TrainerApi } from '../workers/trainer.worker';

/** Why the worker did not start, from its `error` event: a script that did not load has no message, one that threw has. */
function startFailure(event: Event): WorkerError {
  if (event instanceof ErrorEvent && event.message) {
    return new WorkerError(`the trainer's worker failed while starting: ${event.message}${event.filename ? ` (${event.filename}:${event.lineno})` : ''}`);
  }
  return new WorkerError(
    "the trainer's worker could not be loaded: its script, worker/trainer.worker.js beside this package's module, was not found, " +
      "not served as JavaScript, or blocked by the page's Cross-Origin-Embedder-Policy (a worker of an isolated page needs the same headers). " +
      "If a bundler copied only the element's module, copy the package's lib/browser/worker/ folder beside it (see 'Embed it' in the README).",
  );
}

/**
 * Every call on `remote` also fails when `failed` does, so a worker that never starts cannot leave a call
 * waiting forever. For the calls made before it answers only: each race keeps its result reachable from
 * `failed`, so once the worker has answered the client hands out the plain remote. The API is methods
 * only, so every string property is a call.
 */
function failingWith<T extends object>(remote: T, failed: Promise<never>): T {
  return new Proxy(remote, {
    get(target, prop, receiver) {
      const member = Reflect.get(target, prop, receiver) as unknown;
      if (typeof prop === 'symbol' || prop === 'then') return member;
      return (...args: unknown[]) => Promise.race([(member as (...a: unknown[]) => Promise<unknown>)(...args), failed]);
    },
  });
}

/**
 * Owns the trainer worker's lifecycle: created on first use, terminated on demand (a hard stop), and
 * created afresh on the next use. The page never touches `Worker` directly.
 */
export class TrainerClient {
  /** `name` is the worker's, as the browser's task manager and devtools show it. */
  constructor(private readonly name = 'finetune-trainer') {}

  private worker: Worker | null = null;
  private remote: Comlink.Remote<TrainerApi> | null = null;
  private started: Promise<void> | null = null;

  get api(): Comlink.Remote<TrainerApi> {
    if (!this.remote) this.start();
    return this.remote!;
  }

  /** Resolves once the worker answers; rejects with a WorkerError, within the time its script takes to fail, when it cannot start. */
  ready(): Promise<void> {
    if (!this.remote) this.start();
    return this.started!;
  }

  private start(): void {
    const worker = new Worker(new URL('../workers/trainer.worker.ts', import.meta.url), { type: 'module', name: this.name });
    let reject: (error: WorkerError) => void = () => undefined;
    const failed = new Promise<never>((_, fail) => (reject = fail));
    failed.catch(() => undefined);
    const onError = (event: Event): void => {
      event.preventDefault();
      reject(startFailure(event));
    };
    worker.addEventListener('error', onError);
    const remote = Comlink.wrap<TrainerApi>(worker);
    this.started = Promise.race([remote.alive(), failed]).then(
      () => {
        // Answered: a later uncaught error inside it is its own bug, not a reason to fail every call.
        worker.removeEventListener('error', onError);
        if (this.worker === worker) this.remote = remote;
      },
      (error: unknown) => {
        // The next use starts a fresh worker (the page may serve it by then); this one is gone.
        if (this.worker === worker) this.terminate();
        throw error;
      },
    );
    this.started.catch(() => undefined);
    this.worker = worker;
    this.remote = failingWith(remote, failed);
  }

  terminate(): void {
    this.remote?.[Comlink.releaseProxy]();
    this.worker?.terminate();
    this.worker = null;
    this.remote = null;
    this.started = null;
  }
}
