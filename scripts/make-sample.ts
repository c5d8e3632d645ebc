// Regenerates the bundled sample dataset (samples/flowers4): procedurally drawn flowers, four classes,
// drawn with Canvas 2D in Chromium and saved as JPEG. Deterministic: the same seed draws the same files.
// Usage: npx tsx scripts/make-sample.ts [--per-class 40] [--size 96] [--out samples/flowers4]
import { mkdir, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { launchChromium, newPage } from '../cli/chromium';

const { values } = parseArgs({
  options: {
    'per-class': { type: 'string', default: '40' },
    size: { type: 'string', default: '96' },
    out: { type: 'string', default: 'samples/flowers4' },
    seed: { type: 'string', default: '17' },
  },
});

const CLASSES = ['bluebell', 'daisy', 'rose', 'sunflower'] as const;

/** Runs in the page: draws one image of `kind` and returns it as a JPEG data URL. */
function drawFlower(kind: string, index: number, size: number, seed: number): string {
  let state = (seed * 9973 + index * 7919 + kind.length * 104729) >>> 0;
  const rand = (): number => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const between = (a: number, b: number): number => a + (b - a) * rand();
  const canvas = new OffscreenCanvas(size, size);
  const ctx = canvas.getContext('2d')!;
  // Background: foliage greens or sky, with soft blobs so no two images share a backdrop.
  const sky = rand() < 0.25;
  ctx.fillStyle = sky ? `hsl(${between(195, 215)} 60% ${between(60, 80)}%)` : `hsl(${between(80, 140)} ${between(30, 60)}% ${between(20, 40)}%)`;
  ctx.fillRect(0, 0, size, size);
  for (let i = 0; i < 14; i++) {
    ctx.fillStyle = `hsla(${between(70, 150)} 50% ${between(15, 55)}% / ${between(0.2, 0.6)})`;
    ctx.beginPath();
    ctx.ellipse(between(0, size), between(0, size), between(4, size / 4), between(3, size / 6), between(0, Math.PI), 0, Math.PI * 2);
    ctx.fill();
  }
  const flowers = kind === 'bluebell' ? 1 : rand() < 0.2 ? 2 : 1;
  for (let f = 0; f < flowers; f++) {
    const cx = between(size * 0.3, size * 0.7);
    const cy = between(size * 0.3, size * 0.7);
    const r = between(size * 0.18, size * 0.34) / Math.sqrt(flowers);
    const turn = between(0, Math.PI * 2);
    const petal = (count: number, length: number, width: number, colour: () => string): void => {
      for (let p = 0; p < count; p++) {
        const a = turn + (p / count) * Math.PI * 2;
        ctx.fillStyle = colour();
        ctx.beginPath();
        ctx.ellipse(cx + Math.cos(a) * length * 0.55, cy + Math.sin(a) * length * 0.55, length * 0.5, width, a, 0, Math.PI * 2);
        ctx.fill();
      }
    };
    const disc = (radius: number, colour: string): void => {
      ctx.fillStyle = colour;
      ctx.beginPath();
      ctx.arc(cx, cy, radius, 0, Math.PI * 2);
      ctx.fill();
    };
    if (kind === 'daisy') {
      petal(Math.round(between(12, 20)), r, r * 0.16, () => `hsl(${between(40, 60)} ${between(0, 30)}% ${between(88, 98)}%)`);
      disc(r * 0.28, `hsl(${between(42, 52)} 95% ${between(45, 55)}%)`);
    } else if (kind === 'sunflower') {
      petal(Math.round(between(14, 22)), r * 1.1, r * 0.2, () => `hsl(${between(38, 50)} 95% ${between(48, 60)}%)`);
      disc(r * 0.5, `hsl(${between(20, 30)} 60% ${between(14, 24)}%)`);
      for (let s = 0; s < 25; s++) {
        ctx.fillStyle = `hsla(30 40% 35% / 0.6)`;
        ctx.fillRect(cx + between(-r * 0.35, r * 0.35), cy + between(-r * 0.35, r * 0.35), 1.5, 1.5);
      }
    } else if (kind === 'rose') {
      const hue = rand() < 0.8 ? between(345, 365) % 360 : between(320, 340);
      for (let ring = 5; ring >= 1; ring--) {
        disc((r * ring) / 5, `hsl(${hue} ${between(65, 85)}% ${25 + ring * 7}%)`);
        ctx.strokeStyle = `hsl(${hue} 70% 20% / 0.7)`;
        ctx.lineWidth = 1;
        ctx.beginPath();
        ctx.arc(cx + between(-1, 1), cy + between(-1, 1), (r * ring) / 5, turn + ring, turn + ring + Math.PI * 1.3);
        ctx.stroke();
      }
    } else {
      // bluebell: a bent stem carrying a row of drooping violet-blue bells
      const bells = Math.round(between(4, 7));
      ctx.strokeStyle = `hsl(${between(90, 120)} 50% 30%)`;
      ctx.lineWidth = Math.max(1, size / 60);
      ctx.beginPath();
      ctx.moveTo(cx - r, cy + r);
      ctx.quadraticCurveTo(cx, cy - r * 1.4, cx + r, cy - r * 0.4);
      ctx.stroke();
      for (let b = 0; b < bells; b++) {
        const t = (b + 0.5) / bells;
        const bx = (1 - t) * (1 - t) * (cx - r) + 2 * (1 - t) * t * cx + t * t * (cx + r);
        const by = (1 - t) * (1 - t) * (cy + r) + 2 * (1 - t) * t * (cy - r * 1.4) + t * t * (cy - r * 0.4) + r * 0.25;
        ctx.fillStyle = `hsl(${between(225, 260)} ${between(55, 80)}% ${between(45, 62)}%)`;
        ctx.beginPath();
        ctx.ellipse(bx, by, r * 0.16, r * 0.26, between(-0.3, 0.3), 0, Math.PI * 2);
        ctx.fill();
      }
    }
  }
  // Light and noise: a random brightness wash and grain, as in real photos.
  ctx.fillStyle = rand() < 0.5 ? `rgba(255,255,255,${between(0, 0.15)})` : `rgba(0,0,0,${between(0, 0.25)})`;
  ctx.fillRect(0, 0, size, size);
  const image = ctx.getImageData(0, 0, size, size);
  for (let i = 0; i < image.data.length; i += 4) {
    const n = (rand() - 0.5) * 24;
    for (let c = 0; c < 3; c++) image.data[i + c] = Math.max(0, Math.min(255, image.data[i + c]! + n));
  }
  ctx.putImageData(image, 0, 0);
  const html = document.createElement('canvas');
  html.width = size;
  html.height = size;
  html.getContext('2d')!.drawImage(canvas, 0, 0);
  return html.toDataURL('image/jpeg', 0.88);
}

async function main(): Promise<void> {
  const perClass = Number(values['per-class']);
  const size = Number(values.size);
  const seed = Number(values.seed);
  const out = values.out!;
  const browser = await launchChromium({ webgpu: false });
  try {
    const page = await newPage(browser);
    await page.goto('data:text/html,<!doctype html><title>sample</title>');
    await rm(out, { recursive: true, force: true });
    for (const kind of CLASSES) {
      await mkdir(join(out, kind), { recursive: true });
      for (let i = 0; i < perClass; i++) {
        const dataUrl = await page.evaluate(
          ([source, k, index, s, sd]) => (new Function(`return (${source})`)() as typeof drawFlower)(k, index, s, sd),
          [drawFlower.toString(), kind, i, size, seed] as const,
        );
        await writeFile(join(out, kind, `${kind}_${String(i + 1).padStart(3, '0')}.jpg`), Buffer.from(dataUrl.split(',')[1]!, 'base64'));
      }
    }
    console.log(`wrote ${CLASSES.length} x ${perClass} images of ${size}x${size} px to ${out}`);
  } finally {
    await browser.close();
  }
}

await main();
