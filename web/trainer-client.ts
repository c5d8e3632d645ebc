import * as Comlink from 'comlink';
import type { TrainerApi } from '../workers/trainer.worker';

/**
 * Owns the trainer worker's lifecycle: created on first use, terminated on demand (a hard stop), and
 * created afresh on the next use. The page never touches `Worker` directly.
 */
export class TrainerClient {
  private worker: Worker | null = null;
  private remote: Comlink.Remote<TrainerApi> | null = null;

  get api(): Comlink.Remote<TrainerApi> {
    if (!this.remote) {
      this.worker = new Worker(new URL('../workers/trainer.worker.ts', import.meta.url), { type: 'module', name: 'finetune-trainer' });
      this.remote = Comlink.wrap<TrainerApi>(this.worker);
    }
    return this.remote;
  }

  terminate(): void {
    this.remote?.[Comlink.releaseProxy]();
    this.worker?.terminate();
    this.worker = null;
    this.remote = null;
  }
}
