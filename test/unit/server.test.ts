import { createReadStream, existsSync } from 'node:fs';
import { mkdir, mkdtemp, readdir, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import { request, type IncomingHttpHeaders } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MAX_CONCURRENT_UPLOADS, serveFile, startServer, type LocalServer } from '../../cli/server';

interface Answer {
  status: number;
  headers: IncomingHttpHeaders;
  body: string;
}

/** A raw request, so that the Host header and the body's pace are ours to choose. */
function call(server: LocalServer, path: string, options: { method?: string; host?: string; cookie?: string; body?: Buffer; length?: number; slow?: boolean } = {}): Promise<Answer> {
  const url = new URL(server.url);
  return new Promise((done, fail) => {
    const headers: Record<string, string | number> = { host: options.host ?? url.host };
    if (options.cookie) headers['cookie'] = options.cookie;
    if (options.body || options.length !== undefined) headers['content-length'] = options.length ?? options.body!.length;
    const req = request({ host: url.hostname, port: url.port, path, method: options.method ?? 'GET', headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => done({ status: res.statusCode!, headers: res.headers, body: Buffer.concat(chunks).toString() }));
      res.on('error', fail);
    });
    req.on('error', fail);
    if (!options.body) return void req.end();
    if (!options.slow) return void req.end(options.body);
    // Half now, half after the other requests of a test have been sent.
    req.write(options.body.subarray(0, options.body.length / 2));
    setTimeout(() => req.end(options.body!.subarray(options.body!.length / 2)), 300);
  });
}

let root: string;
let server: LocalServer;
let cookie: string;

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'server-'));
  await mkdir(join(root, 'app'));
  await writeFile(join(root, 'app', 'index.html'), '<p>app</p>');
  await mkdir(join(root, 'home', '.ssh'), { recursive: true });
  await writeFile(join(root, 'home', '.ssh', 'id_rsa'), 'SECRET KEY');
  await writeFile(join(root, 'home', 'model.json'), '{}');
  await writeFile(join(root, 'home', 'notes.txt'), 'not listed');
  await mkdir(join(root, 'out'));
  const files = new Map([['/weights/model.json', join(root, 'home', 'model.json')]]);
  server = await startServer({ appDir: join(root, 'app'), files, outputDir: join(root, 'out'), token: 'run-token' });
  const visit = await call(server, '/index.html?token=run-token');
  cookie = String(visit.headers['set-cookie']![0]).split(';')[0]!;
});

afterAll(async () => {
  await server.close();
  await rm(root, { recursive: true, force: true });
});

describe('the local server of a run', () => {
  it('answers only its own Host: a page that rebinds its name to 127.0.0.1 gets 403', async () => {
    const port = new URL(server.url).port;
    expect((await call(server, '/index.html', { host: `evil.example:${port}` })).status).toBe(403);
    expect((await call(server, '/index.html', { host: `127.0.0.1:${Number(port) + 1}` })).status).toBe(403);
    expect((await call(server, '/index.html', { host: `localhost:${port}` })).status).toBe(200);
  });

  it("serves the run's files only to the page that visited with its token", async () => {
    expect(cookie).toBe('finetune-run=run-token');
    const visit = await call(server, '/index.html?token=run-token');
    expect(String(visit.headers['set-cookie'])).toMatch(/HttpOnly; SameSite=Strict/);
    expect((await call(server, '/weights/model.json')).status).toBe(403);
    expect((await call(server, '/weights/model.json', { cookie: 'finetune-run=guess' })).status).toBe(403);
    expect((await call(server, '/weights/model.json', { cookie })).status).toBe(200);
    expect((await call(server, '/output/checkpoint.bin')).status).toBe(403);
    expect((await call(server, '/output/model.json', { method: 'PUT', body: Buffer.from('x') })).status).toBe(403);
  });

  it('serves nothing it was not given: not the folder of the weights, its hidden files, or a way out of it', async () => {
    for (const path of ['/weights/.ssh/id_rsa', '/weights/notes.txt', '/weights/..%2F..%2Fetc%2Fpasswd', '/weights/%2e%2e/home/notes.txt', '/dataset/anything.jpg']) {
      const answer = await call(server, path, { cookie });
      expect(answer.status, path).toBe(404);
      expect(answer.body).not.toContain('SECRET');
    }
    expect((await call(server, '/index.html')).headers['x-content-type-options']).toBe('nosniff');
  });

  it('takes only its output files, bounded in size, whole or not at all', async () => {
    expect((await call(server, '/output/notes.txt', { method: 'PUT', cookie, body: Buffer.from('x') })).status).toBe(403);
    const huge = await call(server, '/output/weights.bin', { method: 'PUT', cookie, length: 2 ** 31 + 1, body: Buffer.from('x') }).catch(() => ({ status: 413 }) as Answer);
    expect(huge.status).toBe(413);
    expect(existsSync(join(root, 'out', 'weights.bin'))).toBe(false);
    expect((await readdir(join(root, 'out'))).filter((f) => f.endsWith('.partial'))).toEqual([]);
  });

  it('two writers of one file never mix: each writes aside, the last whole body wins', async () => {
    const bodies = [Buffer.alloc(200_000, 'a'), Buffer.alloc(200_000, 'b')];
    const answers = await Promise.all(bodies.map((body) => call(server, '/output/model.json', { method: 'PUT', cookie, body, slow: true })));
    expect(answers.map((a) => a.status)).toEqual([204, 204]);
    const written = await readFile(join(root, 'out', 'model.json'));
    expect(bodies.some((b) => b.equals(written))).toBe(true);
    expect((await readdir(join(root, 'out'))).filter((f) => f.endsWith('.partial'))).toEqual([]);
  });

  it(`refuses a write beyond ${MAX_CONCURRENT_UPLOADS} at once`, async () => {
    const body = Buffer.alloc(100_000, 'c');
    const slow = Array.from({ length: MAX_CONCURRENT_UPLOADS }, () => call(server, '/output/checkpoint.bin', { method: 'PUT', cookie, body, slow: true }));
    await new Promise((r) => setTimeout(r, 100));
    const extra = await call(server, '/output/weights.bin', { method: 'PUT', cookie, body });
    expect(extra.status).toBe(503);
    expect((await Promise.all(slow)).map((a) => a.status)).toEqual(Array(MAX_CONCURRENT_UPLOADS).fill(204));
  });

  it('says why a write failed, without its paths, keeps the previous file and leaves no partial', async () => {
    const blocked = join(root, 'blocked');
    await writeFile(blocked, 'a file where the output folder should be');
    const other = await startServer({ appDir: join(root, 'app'), outputDir: join(blocked, 'out') });
    try {
      const answer = await call(other, '/output/checkpoint.bin', { method: 'PUT', body: Buffer.from('data') });
      expect(answer.status).toBe(500);
      expect(answer.body).toMatch(/^checkpoint\.bin was not written \(the output path is not a folder, ENOTDIR\); the previous checkpoint\.bin, if any, is kept$/);
      expect(answer.body).not.toContain(root);
    } finally {
      await other.close();
    }
  });
});

describe('serving a folder (tests and benchmarks)', () => {
  it('serves regular files, never hidden ones or links', async () => {
    const data = join(root, 'data');
    await mkdir(join(data, 'daisy'), { recursive: true });
    await writeFile(join(data, 'daisy', '1.jpg'), 'jpeg');
    await writeFile(join(data, '.hidden'), 'no');
    await symlink(join(root, 'home', '.ssh', 'id_rsa'), join(data, 'daisy', 'key.jpg'));
    const folder = await startServer({ appDir: join(root, 'app'), datasetDir: data });
    try {
      expect((await call(folder, '/dataset/daisy/1.jpg')).status).toBe(200);
      expect((await call(folder, '/dataset/.hidden')).status).toBe(404);
      expect((await call(folder, '/dataset/daisy/key.jpg')).status).toBe(404);
    } finally {
      await folder.close();
    }
  });
});

describe('serveFile', () => {
  it('a file that cannot be read ends its response, not the server', async () => {
    const responses: string[] = [];
    const res = {
      headersSent: false,
      req: { method: 'GET' },
      writeHead(status: number) {
        responses.push(String(status));
        return { end: (text: string) => responses.push(text) };
      },
      destroy: () => responses.push('destroyed'),
    };
    const failing = (): ReturnType<typeof createReadStream> => {
      const stream = new PassThrough() as unknown as ReturnType<typeof createReadStream>;
      setTimeout(() => stream.emit('error', Object.assign(new Error('permission denied'), { code: 'EACCES' })), 10);
      return stream;
    };
    await serveFile(res as never, join(root, 'home', 'model.json'), failing);
    expect(responses).toEqual(['403', 'cannot be read (EACCES)']);
    expect((await call(server, '/index.html')).status).toBe(200); // and the server goes on
  });
});
