// The headless runner page: the command line and the end-to-end tests drive the worker through it.
import * as Comlink from 'comlink';
import type { ExportedModel, TrainEvent } from '../src/protocol';
import { formatEvent } from '../src/train/log-format';
import type { SessionInput } from '../src/train/session';
import { TrainerClient } from './trainer-client';

const client = new TrainerClient();
const events: TrainEvent[] = [];
const log = document.querySelector<HTMLPreElement>('#log');

function record(event: TrainEvent): Promise<void> | undefined {
  events.push(event);
  const lines = formatEvent(event);
  if (log && lines.length) log.textContent += `${lines.join('\n')}\n`;
  return window.onFinetuneEvent?.(event);
}

async function put(url: string, body: string | ArrayBuffer): Promise<void> {
  const response = await fetch(url, { method: 'PUT', body });
  if (!response.ok) throw new Error(`saving ${url} failed: HTTP ${response.status} ${await response.text()}`);
}

const runner = {
  client,
  events,
  get api() {
    return client.api;
  },
  open(input: SessionInput) {
    return client.api.open(input, Comlink.proxy(record));
  },
  /** Exports the trained model and PUTs model.json and its weights file under `prefix`. */
  async exportTo(prefix: string): Promise<{ files: string[]; bytes: number }> {
    const model: ExportedModel = await client.api.exportModel();
    await put(`${prefix}/model.json`, model.modelJson);
    await put(`${prefix}/${model.weightsFileName}`, model.weights);
    return { files: ['model.json', model.weightsFileName], bytes: model.modelJson.length + model.weights.byteLength };
  },
};

declare global {
  interface Window {
    finetune: typeof runner;
    /** Set by the command line (Playwright's exposeFunction) to stream events out. */
    onFinetuneEvent?: (event: TrainEvent) => Promise<void>;
  }
}
window.finetune = runner;
document.body.dataset['ready'] = 'true';
