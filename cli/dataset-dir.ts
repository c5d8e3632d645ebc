import { readdir, realpath, stat } from 'node:fs/promises';
import { join, relative, sep } from 'node:path';
import type { ListedFile } from '../src/data/listing';
import type { SkippedFile } from '../src/protocol';

export const DATASET_ROUTE = '/dataset/';

export interface DirectoryListing {
  files: ListedFile[];
  /** Top-level folders (the classes), empty ones included. */
  folders: string[];
  /** Links that are not followed: to outside the folder, to a folder, or to nothing. */
  skipped: SkippedFile[];
  /** Each listed file's URL and the file the server reads for it (a link's target). */
  fileOf: Map<string, string>;
}

/** Whether `path` is `root` or below it. */
const inside = (root: string, path: string): boolean => path === root || path.startsWith(root + sep);

/**
 * Every file below `root`, each with the URL the local server serves it at. A link is followed when it
 * leads to a file inside `root` (listed and trained on like the file itself) and skipped with its reason
 * otherwise: listing and serving follow the same policy.
 */
export async function listDirectory(root: string, urlPrefix = DATASET_ROUTE): Promise<DirectoryListing> {
  const entries = await readdir(root, { withFileTypes: true, recursive: true });
  const top = await realpath(root);
  const listing: DirectoryListing = { files: [], folders: [], skipped: [], fileOf: new Map() };
  for (const entry of entries) {
    const full = join(entry.parentPath, entry.name);
    const path = relative(root, full).split(sep).join('/');
    if (entry.isDirectory() && !path.includes('/')) listing.folders.push(path);
    let file: string | null = entry.isFile() ? full : null;
    if (entry.isSymbolicLink()) {
      const target = await realpath(full).catch(() => null);
      const info = target ? await stat(target).catch(() => null) : null;
      const reason = !target || !info ? 'a link to nothing' : !inside(top, target) ? 'a link to outside the dataset folder' : !info.isFile() ? 'a link to a folder' : null;
      if (reason) listing.skipped.push({ path, reason: `${reason}: not followed` });
      else file = target;
    }
    if (!file) continue;
    const url = urlPrefix + path.split('/').map(encodeURIComponent).join('/');
    listing.files.push({ path, url });
    listing.fileOf.set(url, file);
  }
  return listing;
}
