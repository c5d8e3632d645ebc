import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { sha256Of } from '../../src/data/sha256';

describe('sha256Of', () => {
  it('gives the published SHA-256 of "abc" as lower-case hex', async () => {
    expect(await sha256Of(new Blob(['abc']))).toBe('ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad');
  });

  // Images stored before the image store moved to this hasher are keyed by WebCrypto's digest: the same hex.
  it('gives the hex of a platform SHA-256, so images stored before keep their keys', async () => {
    const bytes = Uint8Array.from({ length: 100_003 }, (_, i) => (i * 2654435761) >>> 24);
    expect(await sha256Of(new Blob([bytes]))).toBe(createHash('sha256').update(bytes).digest('hex'));
  });
});
