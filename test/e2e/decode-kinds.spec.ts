import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { writePng, withExifOrientation } from '../fixtures/png';
import { expect, test, writeFiles } from './fixtures';

// Images as people's folders hold them, each decoded at 8 px and checked at the left and right (or top
// and bottom) of its middle: a wrong orientation, a misread sample depth or alpha shows as a wrong colour.
const RED = [255, 0, 0];
const BLUE = [0, 0, 255];
const BLACK = [0, 0, 0];
const WHITE = [255, 255, 255];
const halves = (x: number, width: number, left: number[], right: number[]): number[] => (x < width / 2 ? left : right);

test('grayscale, 16-bit and transparent PNGs, a CMYK JPEG, an EXIF-rotated JPEG and a 12000 x 9000 image decode upright, in colour order', async ({ runner, server, dataRoot }) => {
  test.setTimeout(3 * 60_000);
  const jpeg = Buffer.from(
    await runner.page.evaluate(async () => {
      const canvas = new OffscreenCanvas(40, 20); // left red, right blue
      const ctx = canvas.getContext('2d')!;
      ctx.fillStyle = '#f00';
      ctx.fillRect(0, 0, 20, 20);
      ctx.fillStyle = '#00f';
      ctx.fillRect(20, 0, 20, 20);
      return [...new Uint8Array(await (await canvas.convertToBlob({ type: 'image/jpeg', quality: 0.95 })).arrayBuffer())];
    }),
  );
  const files = {
    'gray 8-bit é.png': writePng(40, 20, 0, 8, (x) => [x < 20 ? 0 : 255]),
    'rgb 16-bit.png': writePng(40, 20, 2, 16, (x) => halves(x, 40, [65535, 0, 0], [0, 0, 65535])),
    'gray+alpha.png': writePng(40, 20, 4, 8, (x) => (x < 20 ? [0, 255] : [0, 0])), // right half fully transparent
    // No browser writes CMYK: made once with `convert -size 20x20 xc:red -size 20x20 xc:blue +append -colorspace CMYK cmyk.jpg`.
    'cmyk.jpg': readFileSync('test/fixtures/cmyk.jpg'),
    'rotated.jpg': withExifOrientation(jpeg, 6), // stored 40x20 left red / right blue; shown 20x40 top red / bottom blue
    'huge.png': writePng(12000, 9000, 0, 8, (x) => [x < 6000 ? 0 : 255], true),
  };
  await writeFiles(join(dataRoot, 'kinds', 'x'), files);
  const expected: Record<string, { at: [number, number][]; colours: number[][] }> = {
    'gray 8-bit é.png': { at: [[4, 0], [4, 7]], colours: [BLACK, WHITE] },
    'rgb 16-bit.png': { at: [[4, 0], [4, 7]], colours: [RED, BLUE] },
    'gray+alpha.png': { at: [[4, 0], [4, 7]], colours: [BLACK, WHITE] }, // transparency composited on white
    'cmyk.jpg': { at: [[4, 0], [4, 7]], colours: [RED, BLUE] },
    'rotated.jpg': { at: [[0, 4], [7, 4]], colours: [RED, BLUE] },
    'huge.png': { at: [[4, 0], [4, 7]], colours: [BLACK, WHITE] },
  };
  const items = Object.keys(files).map((name) => ({ path: `x/${name}`, className: 'x', url: `${server.url}/dataset/kinds/x/${encodeURIComponent(name)}` }));
  const decoded = await runner.page.evaluate(async (list) => {
    const results = await window.finetune.api.decodeImages(list, 8);
    return results.map((r) => ({ path: r.path, error: r.error, pixels: r.pixels ? Array.from(r.pixels) : null }));
  }, items);
  for (const image of decoded) {
    const name = image.path.slice(2);
    expect(image.error, name).toBeNull();
    const { at, colours } = expected[name]!;
    at.forEach(([row, col], i) => {
      const pixel = image.pixels!.slice((row * 8 + col) * 3, (row * 8 + col) * 3 + 3);
      expect(pixel.every((v, c) => Math.abs(v - colours[i]![c]!) <= 24), `${name} at row ${row}, column ${col}: ${pixel}`).toBe(true);
    });
  }
  expect(decoded).toHaveLength(6);
});
