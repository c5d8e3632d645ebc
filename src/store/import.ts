import { unzip } from 'fflate';
import { classifyPath } from '../data/listing';
import { sha256Of } from '../data/sha256';
import { DatasetError } from '../errors';
import type { SkippedFile } from '../protocol';
import { getProject } from './projects';
import type { FinetuneStore, ImageRecord } from './schema';

/** A file to import: its path inside the dataset (`class_name/image.jpg`) and its bytes. */
export interface ImportFile {
  path: string;
  blob: Blob;
}

export interface ImportResult {
  added: number;
  duplicates: number;
  skipped: SkippedFile[];
  classes: string[];
  imageCount: number;
}

/**
 * Drops a folder name every path shares (a picked or zipped folder `flowers/daisy/a.jpg` becomes
 * `daisy/a.jpg`), as long as what is left still has class folders.
 */
export function stripCommonRoot(paths: string[]): string[] {
  const split = paths.map((p) => p.split('/').filter((s) => s !== ''));
  const first = split[0]?.[0];
  // Files right under the picked folder (a README, macOS' .DS_Store) do not make it a class: they are
  // skipped as outside any class folder once it is dropped.
  const shared = first !== undefined && split.every((s) => s.length >= 2 && s[0] === first) && split.some((s) => s.length > 2);
  return split.map((s) => (shared ? s.slice(1) : s).join('/'));
}

/**
 * Stores each image once per project (by SHA-256), with its class from its top folder. Files that are
 * not images are skipped with the reason; the same bytes imported again are counted, not stored.
 */
export async function importFiles(
  db: FinetuneStore,
  projectId: string,
  files: ImportFile[],
  onProgress: (done: number, total: number) => void = () => undefined,
): Promise<ImportResult> {
  const project = await getProject(db, projectId);
  const paths = stripCommonRoot(files.map((f) => f.path));
  const skipped: SkippedFile[] = [];
  const records: ImageRecord[] = [];
  const seen = new Set<string>();
  let duplicates = 0;
  for (const [i, file] of files.entries()) {
    const entry = classifyPath(paths[i]!);
    if ('reason' in entry) {
      skipped.push({ path: entry.path, reason: entry.reason });
    } else {
      const hash = await sha256Of(file.blob);
      const key = `${projectId}/${hash}`;
      if (seen.has(key) || (await db.getKey('images', key)) !== undefined) {
        duplicates++;
        skipped.push({ path: entry.path, reason: 'duplicate: the same image is already in the project' });
      } else {
        seen.add(key);
        records.push({ key, projectId, hash, path: entry.path, className: entry.className, blob: file.blob, size: file.blob.size, addedAt: Date.now() });
      }
    }
    onProgress(i + 1, files.length);
  }
  const tx = db.transaction(['images', 'projects'], 'readwrite');
  await Promise.all(records.map((r) => tx.objectStore('images').put(r)));
  const classes = [...new Set([...project.classes, ...records.map((r) => r.className)])].sort();
  const imageCount = project.imageCount + records.length;
  await tx.objectStore('projects').put({ ...project, classes, imageCount, skipped: [...project.skipped, ...skipped], updatedAt: Date.now() });
  await tx.done;
  return { added: records.length, duplicates, skipped, classes, imageCount };
}

/** The files of a .zip, folders kept in their paths. */
export async function filesOfZip(zip: Blob, name: string): Promise<ImportFile[]> {
  const entries = await new Promise<Record<string, Uint8Array>>((resolve, reject) => {
    void zip.arrayBuffer().then((buffer) =>
      unzip(new Uint8Array(buffer), (error, data) => (error ? reject(new DatasetError(`${name} is not a readable zip file: ${error.message}`)) : resolve(data))),
    );
  });
  return Object.entries(entries)
    .filter(([path]) => !path.endsWith('/'))
    .map(([path, bytes]) => ({ path, blob: new Blob([bytes as Uint8Array<ArrayBuffer>]) }));
}

/** Every file below a picked directory (File System Access API), with paths relative to it. */
export async function filesOfDirectory(dir: FileSystemDirectoryHandle, prefix = ''): Promise<ImportFile[]> {
  const files: ImportFile[] = [];
  for await (const handle of dir.values()) {
    const path = `${prefix}${handle.name}`;
    if (handle.kind === 'directory') files.push(...(await filesOfDirectory(handle as FileSystemDirectoryHandle, `${path}/`)));
    else files.push({ path, blob: await (handle as FileSystemFileHandle).getFile() });
  }
  return files;
}
