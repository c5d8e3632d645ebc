import { createHash } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { download } from '../../src/data/download';

const BODY = Buffer.from(Array.from({ length: 300_000 }, (_, i) => i % 251));
let server: Server;
let base: string;

beforeAll(async () => {
  server = createServer((req, res) => {
    if (req.url === '/weights.h5') res.writeHead(200, { 'Content-Length': BODY.length }).end(BODY);
    else if (req.url === '/broken.h5') {
      res.writeHead(200, { 'Content-Length': BODY.length });
      res.write(BODY.subarray(0, 100_000), () => res.destroy()); // the connection drops mid-body
    } else if (req.url === '/silent.h5') {
      // never answers
    } else if (req.url === '/stalls.h5') {
      res.writeHead(200, { 'Content-Length': BODY.length });
      res.write(BODY.subarray(0, 1000)); // then nothing more
    } else res.writeHead(404).end('no');
  });
  await new Promise<void>((ready) => server.listen(0, '127.0.0.1', ready));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(
  () =>
    new Promise<void>((done) => {
      server.closeAllConnections();
      server.close(() => done());
    }),
);

describe('download', () => {
  it('reports progress against the length the server sends, and hashes what it got', async () => {
    const seen: [number, number | null][] = [];
    const got = await download(`${base}/weights.h5`, { onProgress: (loaded, total) => seen.push([loaded, total]) });
    expect(got.bytes).toBe(BODY.length);
    expect(got.sha256).toBe(createHash('sha256').update(BODY).digest('hex'));
    expect(seen.at(-1)).toEqual([BODY.length, BODY.length]);
    expect(seen.every(([, total]) => total === BODY.length)).toBe(true);
  });

  it('checks an expected size and MD5', async () => {
    const md5 = createHash('md5').update(BODY).digest('hex');
    await expect(download(`${base}/weights.h5`, { expected: { bytes: BODY.length, md5 } })).resolves.toMatchObject({ bytes: BODY.length });
    await expect(download(`${base}/weights.h5`, { expected: { md5: '0'.repeat(32) } })).rejects.toThrow(/has MD5 [0-9a-f]{32}, expected 0{32}: not the file it should be, or corrupt/);
    await expect(download(`${base}/weights.h5`, { expected: { bytes: 5 } })).rejects.toThrow(/has 300000 bytes, expected 5/);
  });

  it('names the HTTP status, a dropped connection, a refused connection and a cancel', async () => {
    await expect(download(`${base}/missing.h5`)).rejects.toThrow(/could not download http:.*\/missing.h5: HTTP 404/);
    await expect(download(`${base}/broken.h5`)).rejects.toThrow(/download of .*\/broken.h5 (broke off after 0.1 MB of 0.3 MB|is incomplete: 100000 of 300000 bytes)/);
    await expect(download('http://127.0.0.1:9/nothing.h5')).rejects.toThrow(/could not download .*: .* \(offline, or the server is unreachable\)/);
    const cancel = new AbortController();
    cancel.abort();
    await expect(download(`${base}/weights.h5`, { signal: cancel.signal })).rejects.toThrow(/was cancelled/);
  });

  it('gives up on a server that stops answering, before or during the body, and says so', async () => {
    await expect(download(`${base}/silent.h5`, { stallMs: 300 })).rejects.toThrow(/^no data came from http:\/\/127\.0\.0\.1:\d+\/silent\.h5 for 0 s: the server stopped answering/);
    await expect(download(`${base}/stalls.h5`, { stallMs: 300 })).rejects.toThrow(/stopped answering \(check the address, or try again\); 0\.0 MB had arrived$/);
  });
});
