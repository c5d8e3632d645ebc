import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { listDirectory } from '../../cli/dataset-dir';
import { claimOutput, LOCK_FILE } from '../../cli/output-folder';

let root: string;
let dataset: string;
const intent = (out: string, change: object = {}) => claimOutput(out, { datasetDir: dataset, resume: false, overwrite: false, restart: false, checkpointBytes: 1, ...change });

beforeEach(async () => {
  root = await mkdtemp(join(tmpdir(), 'out-'));
  dataset = join(root, 'images');
  await mkdir(join(dataset, 'daisy'), { recursive: true });
});
afterEach(() => rm(root, { recursive: true, force: true }));

describe('the output folder', () => {
  it('is claimed by one run at a time: a second names the first; a lock left by a run that is gone is taken over', async () => {
    const out = join(root, 'out');
    const first = await intent(out);
    expect(JSON.parse(await readFile(join(out, LOCK_FILE), 'utf8'))).toMatchObject({ pid: process.pid });
    await expect(intent(out)).rejects.toThrow(new RegExp(`^another run \\(pid ${process.pid} on .+, since .+\\) is writing to ${out}: wait for it to end, or give another --model`));
    await first.release();
    expect(existsSync(join(out, LOCK_FILE))).toBe(false);

    const gone = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))']).stdout.toString();
    await writeFile(join(out, LOCK_FILE), JSON.stringify({ pid: Number(gone), host: (await import('node:os')).hostname(), startedAt: 'then' }));
    const again = await intent(out);
    expect(again.notes).toEqual([`a stale lock of a run that is gone (pid ${gone}) was removed from ${out}`]);
    await again.release();
  });

  it("keeps an earlier run's files unless told: --overwrite for a model, --resume or --restart for a checkpoint", async () => {
    const out = join(root, 'out');
    await mkdir(out);
    await writeFile(join(out, 'report.json'), '{}');
    await writeFile(join(out, 'notes.txt'), 'theirs');
    await expect(intent(out)).rejects.toThrow(`${out} already holds report.json of an earlier run: replace them with --overwrite, or give another --model`);
    await (await intent(out, { overwrite: true })).release();
    await writeFile(join(out, 'checkpoint.bin'), Buffer.alloc(3 * 2 ** 20));
    await expect(intent(out, { overwrite: true })).rejects.toThrow(`${out} holds an unfinished run's checkpoint (3.0 MB): continue it with --resume, or replace it and start over with --restart`);
    await (await intent(out, { resume: true })).release();
    expect(existsSync(join(out, 'checkpoint.bin'))).toBe(true);
    const restarted = await intent(out, { restart: true, overwrite: true });
    expect(restarted.notes).toEqual([`--restart: the unfinished run's checkpoint in ${out} was removed`]);
    expect(existsSync(join(out, 'checkpoint.bin'))).toBe(false);
    expect(await readFile(join(out, 'notes.txt'), 'utf8')).toBe('theirs');
    await restarted.release();
  });

  it('is refused inside the dataset, as a file, where nothing can be written, or without room for a checkpoint', async () => {
    await expect(intent(join(dataset, 'out'))).rejects.toThrow(/lies inside the dataset folder .*: its files would be read as images next time/);
    await expect(intent(dataset)).rejects.toThrow(/lies inside the dataset folder/);
    await writeFile(join(root, 'file'), 'x');
    await expect(intent(join(root, 'file'))).rejects.toThrow(/^--model .*file is a file, not a folder$/);
    await expect(intent(join(root, 'file', 'out'))).rejects.toThrow(/^cannot create the output folder .*\(ENOTDIR\)$/);
    await expect(intent(join(root, 'big'), { checkpointBytes: 2 ** 60 })).rejects.toThrow(/has \d+ MB free; a checkpoint of this run needs about \d+ MB: free some space, or give another --model/);
    expect(existsSync(join(root, 'big', LOCK_FILE))).toBe(false);
  });
});

describe('listing a dataset folder', () => {
  it('follows a link to a file inside it, and skips one leading outside or to a folder, saying why', async () => {
    await writeFile(join(dataset, 'daisy', '1.jpg'), 'jpeg');
    await writeFile(join(root, 'secret.jpg'), 'outside');
    await symlink(join(dataset, 'daisy', '1.jpg'), join(dataset, 'daisy', 'again.jpg'));
    await symlink(join(root, 'secret.jpg'), join(dataset, 'daisy', 'secret.jpg'));
    await symlink(join(dataset, 'daisy'), join(dataset, 'daisy', 'loop'));
    const listing = await listDirectory(dataset);
    expect(listing.files.map((f) => f.path).sort()).toEqual(['daisy/1.jpg', 'daisy/again.jpg']);
    expect(listing.fileOf.get('/dataset/daisy/again.jpg')).toBe(join(dataset, 'daisy', '1.jpg'));
    expect(listing.skipped.sort((a, b) => a.path.localeCompare(b.path))).toEqual([
      { path: 'daisy/loop', reason: 'a link to a folder: not followed' },
      { path: 'daisy/secret.jpg', reason: 'a link to outside the dataset folder: not followed' },
    ]);
  });
});
