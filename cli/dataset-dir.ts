import { readdir } from 'node:fs/promises';
import { join, relative, sep } from 'node:path';
import type { ListedFile } from '../src/data/listing';

export const DATASET_ROUTE = '/dataset/';

export interface DirectoryListing {
  files: ListedFile[];
  /** Top-level folders (the classes), empty ones included. */
  folders: string[];
}

/** Every file below `root` (following no links), each with the URL the local server serves it at. */
export async function listDirectory(root: string, urlPrefix = DATASET_ROUTE): Promise<DirectoryListing> {
  const entries = await readdir(root, { withFileTypes: true, recursive: true });
  const files: ListedFile[] = [];
  const folders: string[] = [];
  for (const entry of entries) {
    const path = relative(root, join(entry.parentPath, entry.name)).split(sep).join('/');
    if (entry.isDirectory() && !path.includes('/')) folders.push(path);
    if (entry.isFile()) files.push({ path, url: urlPrefix + path.split('/').map(encodeURIComponent).join('/') });
  }
  return { files, folders };
}
