// What the worker gets from the browser, given to Node for bench/gpu/run.ts: WebGPU from Dawn (the `webgpu`
// package, the same Dawn that Chromium ships), and just enough of createImageBitmap and OffscreenCanvas for
// decodeImage() to read the bundled sample's JPEGs (jpeg-js, bilinear resize). No WebGL: its probe finds no
// context and says so.
import jpeg from 'jpeg-js';
import { create, globals } from 'webgpu';

interface NodeBitmap {
  width: number;
  height: number;
  data: Uint8Array;
  close(): void;
}

async function createImageBitmap(blob: Blob): Promise<NodeBitmap> {
  const { width, height, data } = jpeg.decode(new Uint8Array(await blob.arrayBuffer()), { useTArray: true, formatAsRGBA: true });
  return { width, height, data, close: () => undefined };
}

/** Bilinear sample of channel `c` at source coordinates (x, y), edges clamped. */
function sample(bitmap: NodeBitmap, x: number, y: number, c: number): number {
  const x0 = Math.max(0, Math.min(bitmap.width - 1, Math.floor(x)));
  const y0 = Math.max(0, Math.min(bitmap.height - 1, Math.floor(y)));
  const x1 = Math.min(bitmap.width - 1, x0 + 1);
  const y1 = Math.min(bitmap.height - 1, y0 + 1);
  const fx = Math.max(0, Math.min(1, x - x0));
  const fy = Math.max(0, Math.min(1, y - y0));
  const at = (px: number, py: number): number => bitmap.data[(py * bitmap.width + px) * 4 + c]!;
  const top = at(x0, y0) * (1 - fx) + at(x1, y0) * fx;
  const bottom = at(x0, y1) * (1 - fx) + at(x1, y1) * fx;
  return top * (1 - fy) + bottom * fy;
}

class Context2D {
  fillStyle = '#fff';
  imageSmoothingEnabled = true;
  imageSmoothingQuality = 'high';
  private readonly rgba: Uint8ClampedArray;

  constructor(private readonly width: number, height: number) {
    this.rgba = new Uint8ClampedArray(width * height * 4).fill(255);
  }

  fillRect(): void {
    this.rgba.fill(255); // decodeImage only ever fills the whole canvas with white
  }

  drawImage(bitmap: NodeBitmap, sx: number, sy: number, sw: number, sh: number, dx: number, dy: number, dw: number, dh: number): void {
    for (let y = 0; y < dh; y++) {
      for (let x = 0; x < dw; x++) {
        const out = ((dy + y) * this.width + dx + x) * 4;
        const srcX = sx + ((x + 0.5) * sw) / dw - 0.5;
        const srcY = sy + ((y + 0.5) * sh) / dh - 0.5;
        for (let c = 0; c < 3; c++) this.rgba[out + c] = sample(bitmap, srcX, srcY, c);
      }
    }
  }

  getImageData(): { data: Uint8ClampedArray } {
    return { data: this.rgba };
  }
}

class NodeOffscreenCanvas {
  constructor(private readonly width: number, private readonly height: number) {}

  getContext(kind: string): Context2D | null {
    return kind === '2d' ? new Context2D(this.width, this.height) : null;
  }
}

// Installed on import, so that it comes before TF.js' WebGPU backend, which registers only where
// navigator.gpu exists. DAWN_OPTIONS: Dawn's options, comma-separated, e.g. 'backend=vulkan'.
const dawnOptions = process.env['DAWN_OPTIONS']?.split(',').filter(Boolean) ?? [];
Object.assign(globalThis, globals, { createImageBitmap, OffscreenCanvas: NodeOffscreenCanvas });
Object.defineProperty(globalThis, 'navigator', { value: { gpu: create(dawnOptions), hardwareConcurrency: 1 }, configurable: true });
