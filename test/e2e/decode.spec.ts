import { readFile } from 'node:fs/promises';
import { expect, SAMPLE, test } from './fixtures';

test('decodes JPEG, PNG, WebP and BMP with the aspect-aware centre crop', async ({ runner }) => {
  const decoded = await runner.page.evaluate(async () => {
    // 40x20: left half red, right half blue. The centre square (columns 10-29) keeps both halves.
    const canvas = new OffscreenCanvas(40, 20);
    const ctx = canvas.getContext('2d')!;
    ctx.fillStyle = '#f00';
    ctx.fillRect(0, 0, 20, 20);
    ctx.fillStyle = '#00f';
    ctx.fillRect(20, 0, 20, 20);
    const rgba = ctx.getImageData(0, 0, 40, 20).data;
    // A 24-bit BMP, written by hand: rows bottom-up, BGR, padded to 4 bytes.
    const rowBytes = 40 * 3;
    const bmp = new DataView(new ArrayBuffer(54 + rowBytes * 20));
    [0x42, 0x4d].forEach((b, i) => bmp.setUint8(i, b));
    bmp.setUint32(2, bmp.byteLength, true);
    bmp.setUint32(10, 54, true);
    bmp.setUint32(14, 40, true);
    bmp.setInt32(18, 40, true);
    bmp.setInt32(22, 20, true);
    bmp.setUint16(26, 1, true);
    bmp.setUint16(28, 24, true);
    for (let y = 0; y < 20; y++) {
      for (let x = 0; x < 40; x++) {
        const src = ((19 - y) * 40 + x) * 4;
        const dst = 54 + y * rowBytes + x * 3;
        bmp.setUint8(dst, rgba[src + 2]!);
        bmp.setUint8(dst + 1, rgba[src + 1]!);
        bmp.setUint8(dst + 2, rgba[src]!);
      }
    }
    const blobs: Record<string, Blob> = {
      'x/image.png': await canvas.convertToBlob({ type: 'image/png' }),
      'x/image.jpg': await canvas.convertToBlob({ type: 'image/jpeg', quality: 0.95 }),
      'x/image.webp': await canvas.convertToBlob({ type: 'image/webp', quality: 1 }),
      'x/image.bmp': new Blob([bmp.buffer], { type: 'image/bmp' }),
    };
    const results = await window.finetune.api.decodeImages(
      Object.entries(blobs).map(([path, blob]) => ({ path, className: 'x', blob })),
      8,
    );
    const at = (pixels: Uint8Array, row: number, col: number): number[] => Array.from(pixels.subarray((row * 8 + col) * 3, (row * 8 + col) * 3 + 3));
    return results.map((r) => ({ path: r.path, error: r.error, left: at(r.pixels!, 4, 0), right: at(r.pixels!, 4, 7), length: r.pixels!.length }));
  });
  expect(decoded).toHaveLength(4);
  for (const image of decoded) {
    expect(image.error, image.path).toBeNull();
    expect(image.length).toBe(8 * 8 * 3);
    const near = (actual: number[], expected: number[]): boolean => actual.every((v, i) => Math.abs(v - expected[i]!) <= 24);
    expect(near(image.left, [255, 0, 0]), `${image.path} left ${image.left}`).toBe(true);
    expect(near(image.right, [0, 0, 255]), `${image.path} right ${image.right}`).toBe(true);
  }
});

test('unreadable files get a reason that names what is wrong', async ({ runner }) => {
  const jpeg = await readFile(`${SAMPLE}/daisy/daisy_001.jpg`);
  const garbled = Buffer.from(jpeg);
  garbled.fill(0x5a, 2, 400);
  const files = {
    'x/empty.jpg': Buffer.alloc(0),
    'x/text.png': Buffer.from('this is a text file, not a PNG'),
    'x/garbled.jpg': garbled,
    'x/truncated.jpg': jpeg.subarray(0, Math.floor(jpeg.length * 0.3)),
  };
  const results = await runner.page.evaluate(async (entries) => {
    const items = entries.map(([path, bytes]) => ({ path, className: 'x', blob: new Blob([new Uint8Array(bytes)]) }));
    return (await window.finetune.api.decodeImages(items, 8)).map((r) => [r.path, r.error]);
  }, Object.entries(files).map(([p, b]) => [p, Array.from(b)] as [string, number[]]));
  expect(Object.fromEntries(results)).toMatchObject({
    'x/empty.jpg': 'is empty (0 bytes)',
    'x/text.png': expect.stringMatching(/^could not be decoded \(corrupt, truncated or not an image; 30 bytes\)$/),
    'x/garbled.jpg': expect.stringMatching(/^could not be decoded/),
    'x/truncated.jpg': expect.stringMatching(/^could not be decoded/),
  });
});
