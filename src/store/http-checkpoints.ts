import { OutputError } from '../errors';
import { packCheckpoint, unpackCheckpoint } from '../checkpoint/pack';
import type { CheckpointSink } from '../checkpoint/format';
import { upgradeCheckpoint } from '../checkpoint/upgrade';

/** Checkpoints kept by the command line's local server, which writes them to disk atomically. */
export function httpCheckpoints(url: string): CheckpointSink {
  return {
    label: 'the output folder',
    async load() {
      const response = await fetch(url);
      if (response.status === 404) return null;
      if (!response.ok) throw new OutputError(`reading the checkpoint from the output folder failed: HTTP ${response.status} ${await response.text()}`);
      return upgradeCheckpoint(unpackCheckpoint(await response.arrayBuffer()));
    },
    async save(checkpoint) {
      // A Blob body streams from the blob store; Chromium uploads an ArrayBuffer body about 6x slower.
      const response = await fetch(url, { method: 'PUT', body: packCheckpoint(checkpoint) });
      if (!response.ok) throw new OutputError(`HTTP ${response.status}: ${await response.text()}`);
    },
  };
}
