// The command line's output folder: one run at a time (a lock file naming its owner), never inside the
// dataset, checked writable and with room before training, and never overwritten without being asked.
import { randomUUID } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, open, readFile, rm, stat, statfs, writeFile } from 'node:fs/promises';
import { hostname } from 'node:os';
import { isAbsolute, join, relative, resolve, sep } from 'node:path';
import { OutputError } from '../src/errors';
import { EXPORTERS } from '../src/export/formats';
import { CHECKPOINT_FILE } from './server';
import { formatMB } from '../src/units';

export const LOCK_FILE = '.finetune-trainer.lock';
/** What a finished run leaves; a run into a folder holding any of them replaces them only with --overwrite. */
export const MODEL_FILES = [...EXPORTERS.flatMap((e) => e.files), 'report.json'];

export interface OutputIntent {
  datasetDir: string;
  /** Continue the checkpoint in it. */
  resume: boolean;
  /** Replace a finished run's model and report. */
  overwrite: boolean;
  /** Replace an unfinished run's checkpoint, starting over. */
  restart: boolean;
  /** Bytes a checkpoint of this run may take (an estimate from the base's size). */
  checkpointBytes: number;
}

interface LockOwner {
  pid: number;
  host: string;
  startedAt: string;
}

function running(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM'; // alive, someone else's
  }
}

/** Takes the folder's lock; a lock whose process is gone (on this machine) is stale and taken over. */
async function lock(outDir: string, notes: string[]): Promise<() => Promise<void>> {
  const path = join(outDir, LOCK_FILE);
  const me: LockOwner = { pid: process.pid, host: hostname(), startedAt: new Date().toISOString() };
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      const handle = await open(path, 'wx');
      await handle.writeFile(JSON.stringify(me));
      await handle.close();
      return async () => {
        const owner = await readFile(path, 'utf8').catch(() => '');
        if (owner === JSON.stringify(me)) await rm(path, { force: true });
      };
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw new OutputError(`cannot write in the output folder ${outDir} (${(error as NodeJS.ErrnoException).code ?? (error as Error).message})`);
    }
    const owner = JSON.parse(await readFile(path, 'utf8').catch(() => '{}')) as Partial<LockOwner>;
    if (owner.pid && (owner.host !== me.host || running(owner.pid))) {
      throw new OutputError(
        `another run (pid ${owner.pid} on ${owner.host}, since ${owner.startedAt}) is writing to ${outDir}: wait for it to end, or give another --model` +
          ` (if it is gone, remove ${path})`,
      );
    }
    notes.push(`a stale lock of a run that is gone (pid ${owner.pid ?? '?'}) was removed from ${outDir}`);
    await rm(path, { force: true });
  }
  throw new OutputError(`cannot take the lock ${path}`);
}

/** Refuses what would lose a user's files, before anything is written. */
async function checkContents(outDir: string, intent: OutputIntent): Promise<void> {
  const has = (name: string): boolean => existsSync(join(outDir, name));
  if (has(CHECKPOINT_FILE) && !intent.resume && !intent.restart) {
    const bytes = (await stat(join(outDir, CHECKPOINT_FILE))).size;
    throw new OutputError(`${outDir} holds an unfinished run's checkpoint (${formatMB(bytes)}): continue it with --resume, or replace it and start over with --restart`);
  }
  const models = MODEL_FILES.filter(has);
  if (models.length && !intent.resume && !intent.overwrite) {
    throw new OutputError(`${outDir} already holds ${models.join(', ')} of an earlier run: replace them with --overwrite, or give another --model`);
  }
}

/** Writes and removes a probe file, and compares the free space with a checkpoint's size where the platform says. */
async function checkWritable(outDir: string, intent: OutputIntent): Promise<void> {
  const probe = join(outDir, `.finetune-trainer.probe-${randomUUID()}`);
  try {
    await writeFile(probe, 'probe');
  } catch (error) {
    throw new OutputError(`cannot write in the output folder ${outDir} (${(error as NodeJS.ErrnoException).code ?? (error as Error).message}): give a writable --model`);
  } finally {
    await rm(probe, { force: true }).catch(() => undefined);
  }
  const space = await statfs(outDir).catch(() => null);
  const free = space ? space.bavail * space.bsize : Infinity;
  if (free < intent.checkpointBytes) {
    throw new OutputError(`${outDir} has ${formatMB(free, 0)} free; a checkpoint of this run needs about ${formatMB(intent.checkpointBytes, 0)}: free some space, or give another --model`);
  }
}

/**
 * Claims `outDir` for this run: it must lie outside the dataset, be (or become) a writable folder with room
 * for a checkpoint, hold no earlier output unless told (--overwrite, --restart, --resume), and have no other
 * run writing to it. Returns the release of its lock, and notes for the log.
 */
export async function claimOutput(outDir: string, intent: OutputIntent): Promise<{ release: () => Promise<void>; notes: string[] }> {
  const out = resolve(outDir);
  const dataset = resolve(intent.datasetDir);
  const below = relative(dataset, out);
  if (below === '' || (below !== '..' && !below.startsWith(`..${sep}`) && !isAbsolute(below))) {
    throw new OutputError(`--model ${out} lies inside the dataset folder ${dataset}: its files would be read as images next time; give a folder outside it`);
  }
  const info = await stat(out).catch(() => null);
  if (info && !info.isDirectory()) throw new OutputError(`--model ${out} is a file, not a folder`);
  try {
    await mkdir(out, { recursive: true });
  } catch (error) {
    throw new OutputError(`cannot create the output folder ${out} (${(error as NodeJS.ErrnoException).code ?? (error as Error).message})`);
  }
  const notes: string[] = [];
  const release = await lock(out, notes);
  try {
    await checkContents(out, intent);
    await checkWritable(out, intent);
    if (intent.restart && existsSync(join(out, CHECKPOINT_FILE))) {
      await rm(join(out, CHECKPOINT_FILE));
      notes.push(`--restart: the unfinished run's checkpoint in ${out} was removed`);
    }
  } catch (error) {
    await release();
    throw error;
  }
  return { release, notes };
}
