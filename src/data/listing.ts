import { DatasetError } from '../errors';
import type { DatasetItem, DatasetSource, ImageBytes, SkippedFile } from '../protocol';

export const IMAGE_EXTENSIONS = ['jpg', 'jpeg', 'png', 'webp', 'bmp', 'gif'] as const;
const JUNK_FILES = new Set(['thumbs.db', 'desktop.ini']);

export type ListedFile = {
  /** Relative to the dataset root, '/'-separated: `class_name/image.jpg` (deeper nesting allowed). */
  path: string;
} & ImageBytes;

export interface DatasetListing {
  source: DatasetSource;
  skipped: SkippedFile[];
}

/** The class of a dataset file (its top folder) or why it is not a training image. */
export function classifyPath(path: string): { path: string; className: string } | { path: string; reason: string } {
  const segments = path.split('/').filter((s) => s !== '');
  const reason = skipReason(segments);
  return reason ? { path, reason } : { path: segments.join('/'), className: segments[0] as string };
}

function skipReason(segments: string[]): string | null {
  const name = segments[segments.length - 1] ?? '';
  if (segments.some((s) => s.startsWith('.'))) return 'hidden file';
  if (JUNK_FILES.has(name.toLowerCase())) return 'system file';
  if (segments.length < 2) return 'not inside a class folder (expected class_name/image.jpg)';
  const dot = name.lastIndexOf('.');
  const ext = dot >= 0 ? name.slice(dot + 1).toLowerCase() : '';
  if (!(IMAGE_EXTENSIONS as readonly string[]).includes(ext)) {
    return `not an image file (extension '${ext || 'none'}'; expected ${IMAGE_EXTENSIONS.join(', ')})`;
  }
  return null;
}

/**
 * Turns the files of a dataset folder into classes (sorted folder names, fixed once for every split)
 * and items. `folders` lists the top-level folders, so that an empty class folder is reported too.
 * `root` names the dataset in messages.
 */
export function listDataset(files: ListedFile[], root: string, folders: string[] = []): DatasetListing {
  const skipped: SkippedFile[] = [];
  const items: DatasetItem[] = [];
  const classNames = new Set(folders.filter((f) => !f.startsWith('.')));
  for (const file of files) {
    const entry = classifyPath(file.path);
    if ('reason' in entry) {
      skipped.push({ path: file.path, reason: entry.reason });
      continue;
    }
    classNames.add(entry.className);
    items.push({ path: entry.path, className: entry.className, ...(file.url !== undefined ? { url: file.url } : { blob: file.blob }) });
  }
  const classes = [...classNames].sort();
  if (items.length === 0) {
    throw new DatasetError(
      `no images found in ${root}: expected one folder per class with images inside (${root}/class_name/image.jpg)` +
        (skipped.length ? `; ${skipped.length} other file(s) were skipped` : ''),
    );
  }
  requireImagesInEveryClass(classes, items.map((i) => i.className), root);
  items.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
  return { source: { classes, items }, skipped };
}

/** At least two classes, each with at least one image; names the empty folders. */
export function requireImagesInEveryClass(classes: string[], labels: string[], root: string): void {
  const present = new Set(labels);
  const empty = classes.filter((c) => !present.has(c));
  if (empty.length) {
    throw new DatasetError(
      `class folder${empty.length > 1 ? 's' : ''} ${empty.map((c) => `'${root}/${c}'`).join(', ')} ` +
        `hold${empty.length > 1 ? '' : 's'} no usable images: add images or remove the folder`,
    );
  }
  if (classes.length < 2) {
    throw new DatasetError(
      `${root} has only one class folder ('${classes[0] ?? ''}'): a classifier needs at least two, ` +
        `e.g. ${root}/cats/*.jpg and ${root}/dogs/*.jpg`,
    );
  }
}
