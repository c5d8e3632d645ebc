// One trainer per project, across tabs and windows: a Web Lock held for as long as a session is open
// (released by the browser if the tab or worker dies), and a BroadcastChannel that carries the trainer's
// events to every other tab on the same project.

import type { TrainEvent } from '../protocol';

const name = (projectId: string): string => `finetune-trainer/${projectId}`;

/**
 * Takes the project's lock: resolves with its release, or null when another holder keeps it for
 * `waitMs`. The wait covers a tab or worker that was just closed: the browser frees its locks soon after.
 */
export function acquireProjectLock(projectId: string, waitMs = 3000): Promise<(() => void) | null> {
  const giveUp = new AbortController();
  const timer = setTimeout(() => giveUp.abort(), waitMs);
  return new Promise((resolve, reject) => {
    navigator.locks
      .request(name(projectId), { signal: giveUp.signal }, () => {
        clearTimeout(timer);
        return new Promise<void>((release) => resolve(release));
      })
      .catch((error: Error) => (error.name === 'AbortError' ? resolve(null) : reject(error)));
  });
}

export function progressSender(projectId: string): { send(event: TrainEvent): void; close(): void } {
  const channel = new BroadcastChannel(name(projectId));
  return { send: (event) => channel.postMessage(event), close: () => channel.close() };
}

/** Calls `listener` with every event the project's trainer sends, wherever it runs; returns a stop function. */
export function watchProgress(projectId: string, listener: (event: TrainEvent) => void): () => void {
  const channel = new BroadcastChannel(name(projectId));
  channel.onmessage = (message: MessageEvent<TrainEvent>) => listener(message.data);
  return () => channel.close();
}
