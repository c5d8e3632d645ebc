import { rename, rm, writeFile } from 'node:fs/promises';

/** The name a file is written under before it is renamed into place. */
export const partialPath = (path: string): string => `${path}.${process.pid}.partial`;

/** Writes aside and renames into place: a crash leaves the earlier file whole, and no half-written one. */
export async function writeAtomically(path: string, data: string | Uint8Array): Promise<void> {
  await writeAside(path, (partial) => writeFile(partial, data));
}

/** Runs `write` on the partial path, then renames it into place; on failure the partial file is removed. */
export async function writeAside(path: string, write: (partial: string) => Promise<void> | void): Promise<void> {
  const partial = partialPath(path);
  try {
    await write(partial);
    await rename(partial, path);
  } catch (error) {
    await rm(partial, { force: true });
    throw error;
  }
}
