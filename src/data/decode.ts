// Decoding runs where OffscreenCanvas exists (the worker, or a page); nothing here touches the DOM tree.
import type { DatasetItem, DecodedImage } from '../protocol';
import { declaredSize } from './image-size';

/** RGB bytes of one image, `size * size * 3`, row-major. */
export type RgbPixels = Uint8Array;

/** The source rectangle that "shorter side to size, then centre crop" keeps: a centred square. */
export function centreSquare(width: number, height: number): { sx: number; sy: number; side: number } {
  const side = Math.min(width, height);
  return { sx: (width - side) / 2, sy: (height - side) / 2, side };
}

export class ImageDecodeError extends Error {
  override name = 'ImageDecodeError';
}

async function readBytes(item: { url?: string; blob?: Blob }): Promise<Blob> {
  if (item.blob) return item.blob;
  if (!item.url) throw new ImageDecodeError('has neither bytes nor a URL');
  const response = await fetch(item.url);
  if (!response.ok) throw new ImageDecodeError(`could not be read (HTTP ${response.status})`);
  return response.blob();
}

/** Enough of a file for its header to declare its size (a JPEG's EXIF and ICC segments come first). */
const HEADER_BYTES = 1 << 20;

/** The default largest image decoded, in megapixels: a 108-megapixel phone photo passes, a 15000 x 15000 scan does not. */
export const MAX_IMAGE_MEGAPIXELS = 120;

/**
 * Aspect-aware resize: the shorter side becomes `size`, then the centre `size x size` is kept
 * (the recipe's AspectAwarePreprocessor). EXIF orientation is applied; transparency is composited on white.
 * An image whose header declares more than `maxMegapixels` is refused before it is decoded.
 */
export async function decodeImage(item: { url?: string; blob?: Blob }, size: number, maxMegapixels = MAX_IMAGE_MEGAPIXELS): Promise<RgbPixels> {
  const blob = await readBytes(item);
  if (blob.size === 0) throw new ImageDecodeError('is empty (0 bytes)');
  const declared = declaredSize(new Uint8Array(await blob.slice(0, HEADER_BYTES).arrayBuffer()));
  if (declared && declared.width * declared.height > maxMegapixels * 1e6) {
    const megapixels = ((declared.width * declared.height) / 1e6).toFixed(0);
    throw new ImageDecodeError(`is ${declared.width} x ${declared.height} (${megapixels} megapixels), over the limit of ${maxMegapixels} megapixels (maxImageMegapixels, --max-megapixels)`);
  }
  let bitmap: ImageBitmap;
  try {
    bitmap = await createImageBitmap(blob, { imageOrientation: 'from-image' });
  } catch {
    throw new ImageDecodeError(`could not be decoded (corrupt, truncated or not an image; ${blob.size} bytes)`);
  }
  try {
    const canvas = new OffscreenCanvas(size, size);
    const ctx = canvas.getContext('2d', { willReadFrequently: true });
    if (!ctx) throw new ImageDecodeError('could not be drawn (no 2D canvas in this context)');
    ctx.fillStyle = '#fff';
    ctx.fillRect(0, 0, size, size);
    ctx.imageSmoothingEnabled = true;
    ctx.imageSmoothingQuality = 'high';
    const { sx, sy, side } = centreSquare(bitmap.width, bitmap.height);
    ctx.drawImage(bitmap, sx, sy, side, side, 0, 0, size, size);
    return rgbaToRgb(ctx.getImageData(0, 0, size, size).data);
  } finally {
    bitmap.close();
  }
}

export function rgbaToRgb(rgba: Uint8ClampedArray | Uint8Array): RgbPixels {
  const pixels = rgba.length / 4;
  const rgb = new Uint8Array(pixels * 3);
  for (let p = 0; p < pixels; p++) {
    rgb[p * 3] = rgba[p * 4] as number;
    rgb[p * 3 + 1] = rgba[p * 4 + 1] as number;
    rgb[p * 3 + 2] = rgba[p * 4 + 2] as number;
  }
  return rgb;
}

/** Decodes each item as decodeImage does; one that cannot be read says why, and the others still decode. */
export async function decodeEach(items: DatasetItem[], size: number): Promise<DecodedImage[]> {
  const decoded: DecodedImage[] = [];
  for (const item of items) {
    try {
      decoded.push({ path: item.path, pixels: await decodeImage(item, size), error: null });
    } catch (error) {
      decoded.push({ path: item.path, pixels: null, error: (error as Error).message });
    }
  }
  return decoded;
}
