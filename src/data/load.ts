import type { DatasetSource, SkippedFile } from '../protocol';
import { decodeImage, ImageDecodeError, type RgbPixels } from './decode';
import { requireImagesInEveryClass } from './listing';

/** Every usable image of a dataset, decoded once to `size x size` RGB bytes (4x smaller than floats). */
export interface PixelDataset {
  size: number;
  classes: string[];
  paths: string[];
  labels: Int32Array;
  /** count * size * size * 3 bytes, image after image. */
  pixels: Uint8Array;
}

export function imageAt(data: PixelDataset, index: number): RgbPixels {
  const length = data.size * data.size * 3;
  return data.pixels.subarray(index * length, (index + 1) * length);
}

export interface LoadProgress {
  onProgress(done: number, total: number): void;
  onSkipped(file: SkippedFile): void;
}

const CONCURRENCY = 4;

/**
 * Decodes every item; an unreadable image is skipped and reported (never fatal), but a class left with
 * no image at all is a DatasetError naming its folder.
 */
export async function loadPixels(source: DatasetSource, size: number, root: string, progress: LoadProgress): Promise<PixelDataset> {
  const total = source.items.length;
  const decoded: (RgbPixels | null)[] = new Array(total).fill(null);
  let next = 0;
  let done = 0;
  const worker = async (): Promise<void> => {
    while (next < total) {
      const index = next++;
      const item = source.items[index]!;
      try {
        decoded[index] = await decodeImage(item, size);
      } catch (error) {
        if (!(error instanceof ImageDecodeError)) throw error;
        progress.onSkipped({ path: item.path, reason: error.message });
      }
      progress.onProgress(++done, total);
    }
  };
  await Promise.all(Array.from({ length: Math.min(CONCURRENCY, total) }, worker));

  const kept = decoded.map((d, i) => (d ? i : -1)).filter((i) => i >= 0);
  const classIndex = new Map(source.classes.map((c, i) => [c, i]));
  const labels = Int32Array.from(kept, (i) => classIndex.get(source.items[i]!.className)!);
  requireImagesInEveryClass(source.classes, kept.map((i) => source.items[i]!.className), root);
  const length = size * size * 3;
  const pixels = new Uint8Array(kept.length * length);
  kept.forEach((i, row) => pixels.set(decoded[i]!, row * length));
  return { size, classes: source.classes, paths: kept.map((i) => source.items[i]!.path), labels, pixels };
}
