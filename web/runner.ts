// The headless runner page: the command line and the end-to-end tests drive the worker through it.
import * as Comlink from 'comlink';
import type { TrainEvent } from '../src/protocol';
import { formatEvent } from '../src/train/log-format';
import type { TrainConfigInput } from '../src/config';
import { watchProgress } from '../src/store/project-lock';
import type { OpenInput } from '../src/run/open-session';
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
  // A Blob body streams from the blob store; Chromium uploads an ArrayBuffer body about 6x slower.
  const response = await fetch(url, { method: 'PUT', body: new Blob([body]) });
  if (!response.ok) throw new Error(`saving ${url} failed: HTTP ${response.status} ${await response.text()}`);
}

const runner = {
  client,
  events,
  get api() {
    return client.api;
  },
  open(input: OpenInput) {
    return client.api.open(input, Comlink.proxy(record));
  },
  /** A new project; the page asks for persistent storage, which only a window can. */
  async createProject(name: string, config: TrainConfigInput = {}) {
    const persisted = navigator.storage?.persist ? await navigator.storage.persist() : null;
    return client.api.createProject(name, config, persisted);
  },
  /** Records the events of whichever tab trains `projectId`. */
  watch(projectId: string): () => void {
    return watchProgress(projectId, (event) => void record(event));
  },
  /** Exports the trained model and PUTs its files (model.json and its weights file) under `prefix`. */
  async exportTo(prefix: string): Promise<{ files: string[]; bytes: number }> {
    const files = await client.api.exportAs();
    for (const file of files) await put(`${prefix}/${file.name}`, file.bytes);
    return { files: files.map((f) => f.name), bytes: files.reduce((n, f) => n + f.bytes.byteLength, 0) };
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
