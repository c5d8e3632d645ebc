import { describe, expect, it } from 'vitest';
import { decodeImage, ImageDecodeError } from '../../src/data/decode';
import { declaredSize } from '../../src/data/image-size';

const bytes = (...parts: (number[] | string)[]): Uint8Array => Uint8Array.from(parts.flatMap((p) => (typeof p === 'string' ? [...p].map((c) => c.charCodeAt(0)) : p)));
const be32 = (n: number): number[] => [n >>> 24, (n >>> 16) & 255, (n >>> 8) & 255, n & 255];
const le16 = (n: number): number[] => [n & 255, n >>> 8];
const le32 = (n: number): number[] => [...le16(n & 0xffff), ...le16(n >>> 16)];

/** A PNG signature and IHDR declaring this size, and nothing after: what a header check needs, and all it reads. */
const pngHeader = (w: number, h: number): Uint8Array => bytes([0x89], 'PNG\r\n\x1a\n', be32(13), 'IHDR', be32(w), be32(h), [8, 2, 0, 0, 0]);

describe('the size an image header declares', () => {
  it('reads PNG, JPEG (past its EXIF segment), GIF, BMP and WebP', () => {
    expect(declaredSize(pngHeader(15000, 15000))).toEqual({ width: 15000, height: 15000 });
    const exif = [0xff, 0xe1, 0, 8, 1, 2, 3, 4, 5, 6];
    expect(declaredSize(bytes([0xff, 0xd8], exif, [0xff, 0xc0, 0, 17, 8, 0x0b, 0xb8, 0x0f, 0xa0, 3]))).toEqual({ width: 4000, height: 3000 });
    expect(declaredSize(bytes('GIF89a', le16(640), le16(480)))).toEqual({ width: 640, height: 480 });
    expect(declaredSize(bytes('BM', Array(16).fill(0), le32(800), le32(-600 >>> 0)))).toEqual({ width: 800, height: 600 });
    expect(declaredSize(bytes('RIFF', le32(100), 'WEBPVP8X', le32(10), Array(4).fill(0), [0x1f, 0x03, 0], [0x57, 0x02, 0]))).toEqual({ width: 800, height: 600 });
    expect(declaredSize(bytes('not an image at all'))).toBeNull();
  });

  it('an image over the megapixel limit is refused before it is decoded, naming its size', async () => {
    const blob = new Blob([pngHeader(15000, 15000) as Uint8Array<ArrayBuffer>]);
    const refused = await decodeImage({ blob }, 32).catch((e: Error) => e);
    expect(refused).toBeInstanceOf(ImageDecodeError);
    expect((refused as Error).message).toBe('is 15000 x 15000 (225 megapixels), over the limit of 120 megapixels (maxImageMegapixels, --max-megapixels)');
    // Under a higher limit it goes on to decoding (which Node cannot do: there is no createImageBitmap here).
    await expect(decodeImage({ blob }, 32, 300)).rejects.toThrow(/could not be decoded|createImageBitmap/);
  });
});
