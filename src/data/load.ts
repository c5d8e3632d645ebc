import { DatasetError } from '../errors';
import type { DatasetItem, DatasetSource, SkippedFile } from '../protocol';
import { decodeImage, ImageDecodeError, MAX_IMAGE_MEGAPIXELS, type RgbPixels } from './decode';
import { requireImagesInEveryClass } from './listing';
import { MB } from '../units';

/** Where a dataset's decoded images come from when a batch needs them. */
export interface PixelStore {
  /** 'memory': every image decoded once and kept; 'stream': decoded again from its file for each batch. */
  kind: 'memory' | 'stream';
  /** Bytes of decoded pixels held in memory. */
  residentBytes: number;
  /** The images at `indices`, `size * size * 3` bytes each, one after another. */
  read(indices: readonly number[]): Promise<Uint8Array>;
}

/** Every usable image of a dataset at `size x size` RGB, with its class. */
export interface PixelDataset {
  size: number;
  classes: string[];
  paths: string[];
  labels: Int32Array;
  pixels: PixelStore;
}

export interface LoadProgress {
  onProgress(done: number, total: number): void;
  onSkipped(file: SkippedFile): void;
}

const CONCURRENCY = 4;

/** Runs `work` on 0..count-1, `CONCURRENCY` at a time. */
async function eachConcurrently(count: number, work: (index: number) => Promise<void>): Promise<void> {
  let next = 0;
  const lane = async (): Promise<void> => {
    while (next < count) await work(next++);
  };
  await Promise.all(Array.from({ length: Math.min(CONCURRENCY, count) }, lane));
}

/** Decoded images kept in memory, `length` bytes each. */
export function memoryStore(pixels: Uint8Array, length: number): PixelStore {
  return {
    kind: 'memory',
    residentBytes: pixels.byteLength,
    read: (indices) => {
      const bytes = new Uint8Array(indices.length * length);
      indices.forEach((index, row) => bytes.set(pixels.subarray(index * length, (index + 1) * length), row * length));
      return Promise.resolve(bytes);
    },
  };
}

/** Decodes each batch's images from their files (blobs in IndexedDB, or URLs): nothing stays in memory. */
function streamStore(items: DatasetItem[], size: number, maxMegapixels: number): PixelStore {
  const length = size * size * 3;
  return {
    kind: 'stream',
    residentBytes: 0,
    async read(indices) {
      const bytes = new Uint8Array(indices.length * length);
      await eachConcurrently(indices.length, async (row) => {
        const item = items[indices[row]!]!;
        try {
          bytes.set(await decodeImage(item, size, maxMegapixels), row * length);
        } catch (error) {
          if (!(error instanceof ImageDecodeError)) throw error;
          throw new DatasetError(`${item.path} was readable when the run started but ${error.message} now: was it changed or removed?`);
        }
      });
      return bytes;
    },
  };
}

/**
 * Decodes every item once: an unreadable image is skipped and reported (never fatal), but a class left
 * with no image at all is a DatasetError naming its folder. The decoded pixels are kept when the whole
 * dataset fits in `budgetBytes`; otherwise only the check is kept, and batches decode their images again.
 */
export async function loadPixels(
  source: DatasetSource,
  size: number,
  root: string,
  progress: LoadProgress,
  budgetBytes = Infinity,
  maxMegapixels = MAX_IMAGE_MEGAPIXELS,
): Promise<PixelDataset> {
  const total = source.items.length;
  const length = size * size * 3;
  const keep = total * length <= budgetBytes;
  const decoded: (RgbPixels | null)[] = new Array(total).fill(null);
  const usable = new Array<boolean>(total).fill(false);
  let done = 0;
  await eachConcurrently(total, async (index) => {
    const item = source.items[index]!;
    try {
      const pixels = await decodeImage(item, size, maxMegapixels);
      usable[index] = true;
      if (keep) decoded[index] = pixels;
    } catch (error) {
      if (!(error instanceof ImageDecodeError)) throw error;
      progress.onSkipped({ path: item.path, reason: error.message });
    }
    progress.onProgress(++done, total);
  });

  const kept = usable.map((ok, i) => (ok ? i : -1)).filter((i) => i >= 0);
  const classIndex = new Map(source.classes.map((c, i) => [c, i]));
  const labels = Int32Array.from(kept, (i) => classIndex.get(source.items[i]!.className)!);
  requireImagesInEveryClass(source.classes, kept.map((i) => source.items[i]!.className), root);
  let pixels: PixelStore;
  if (keep) {
    const all = new Uint8Array(kept.length * length);
    kept.forEach((i, row) => all.set(decoded[i]!, row * length));
    pixels = memoryStore(all, length);
  } else {
    pixels = streamStore(kept.map((i) => source.items[i]!), size, maxMegapixels);
  }
  return { size, classes: source.classes, paths: kept.map((i) => source.items[i]!.path), labels, pixels };
}

/** How the log describes where the decoded images live. */
export function describePixels(data: PixelDataset, budgetMB: number, prefetch: number): string {
  const shape = `${data.paths.length} images at ${data.size}x${data.size}`;
  const mb = (data.paths.length * data.size * data.size * 3) / MB;
  return data.pixels.kind === 'memory'
    ? `pixels: ${shape} kept in memory, ${mb.toFixed(1)} MB`
    : `pixels: ${shape} would take ${mb.toFixed(0)} MB (budget ${budgetMB} MB): decoded from their files batch by batch, ${prefetch} batches ahead`;
}
