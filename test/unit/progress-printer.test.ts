import { describe, expect, it } from 'vitest';
import { backendSummary, makePrinter, PROGRESS_LINE_EVERY_MS, progressText } from '../../cli/progress-printer';
import type { BackendChoice } from '../../src/protocol';
import type { TrainEvent } from '../../src/protocol';

const cache = (done: number): TrainEvent => ({ type: 'cache-progress', stage: 1, done, total: 3000, images: 900, views: 3, held: 300 });

function printer(tty: boolean, verbose = false) {
  let now = 0;
  const written: string[] = [];
  const lines: string[] = [];
  const print = makePrinter({ tty, verbose }, { write: (text: string) => written.push(text) > 0 }, () => now, (line) => lines.push(line));
  return { print, written, lines, advance: (ms: number) => (now += ms) };
}

describe('the command line progress', () => {
  it('words each kind of long work', () => {
    expect(progressText(cache(1200), {})).toBe('stage 1: running the frozen layers once, 1200/3000 passes (900 training images in 3 views, 300 held-out images once)');
    expect(progressText({ type: 'search-progress', stage: 2, trial: 3, epoch: 1, epochs: 2 }, {})).toBe('stage 2: search trial 3, epoch 1/2');
    expect(progressText({ type: 'batch', stage: 1, epoch: 3, step: 14, steps: 28, loss: 0.41234, acc: 0.9 }, { 1: 25 })).toBe('stage 1 epoch 3/25 batch 14/28 - loss: 0.4123 - acc: 0.9000');
  });

  it('in a log file, prints a progress line only after a long silence', () => {
    const p = printer(false);
    p.print(cache(100));
    p.advance(PROGRESS_LINE_EVERY_MS - 1);
    p.print(cache(200));
    expect(p.written).toEqual([]);
    p.advance(1);
    p.print(cache(300));
    p.advance(1000);
    p.print(cache(400));
    expect(p.written).toEqual(['[INFO] stage 1: running the frozen layers once, 300/3000 passes (900 training images in 3 views, 300 held-out images once)\n']);
    p.print({ type: 'info', message: 'done' });
    expect(p.lines).toEqual(['[INFO] done']);
  });

  it('on a terminal, redraws one line in place and clears it before the next log line', () => {
    const p = printer(true);
    p.print(cache(100));
    p.print(cache(200));
    p.print({ type: 'warning', message: 'careful' });
    expect(p.written).toEqual([
      '\r\x1b[2K  stage 1: running the frozen layers once, 100/3000 passes (900 training images in 3 views, 300 held-out images once)',
      '\r\x1b[2K  stage 1: running the frozen layers once, 200/3000 passes (900 training images in 3 views, 300 held-out images once)',
      '\r\x1b[2K',
    ]);
    expect(p.lines).toEqual(['[WARN] careful']);
  });

  const checkpoint: TrainEvent = { type: 'checkpoint', state: 'saved', where: 'stage 1, epoch 2, batch 0', bytes: 59e6, ms: 410, sink: 'the output folder' };
  const webgpu: BackendChoice = {
    stage: 1,
    backend: 'wasm',
    reason: 'measured fastest: wasm 41 ms, cpu 900 ms per training step; passed over webgpu: software adapter (Google SwiftShader, Vulkan 1.3.0 (SwiftShader Device (Subzero) (0x0000C0DE)), SwiftShader driver), far slower than wasm; webgl: ...',
    skipped: [
      { backend: 'webgpu', reason: 'software adapter' },
      { backend: 'webgl', reason: 'software renderer' },
    ],
    probes: [],
    detail: 'wasm simd, 2 thread(s) of 2 core(s)',
  };

  it('leaves checkpoint lines to --verbose, and says the backend in one line', () => {
    const quiet = printer(false);
    quiet.print(checkpoint);
    quiet.print({ type: 'backend', choice: webgpu });
    expect(quiet.lines).toEqual(['[INFO] backend: wasm (wasm simd, 2 thread(s) of 2 core(s)): measured fastest: wasm 41 ms, cpu 900 ms per training step; passed over webgpu, webgl (--verbose says more)']);
    const verbose = printer(false, true);
    verbose.print(checkpoint);
    verbose.print({ type: 'backend', choice: webgpu });
    expect(verbose.lines[0]).toBe('[INFO] checkpoint: stage 1, epoch 2, batch 0 (56.3 MB, 410 ms, the output folder)');
    expect(verbose.lines[1]).toContain('SwiftShader driver), far slower than wasm');
  });

  it('clips a long backend detail or reason to a line', () => {
    const long = backendSummary({ ...webgpu, backend: 'webgpu', skipped: [], reason: `auto: ${'x'.repeat(300)}`, detail: 'y'.repeat(300) });
    expect(long.length).toBeLessThan(260);
    expect(long).toMatch(/^\[INFO\] backend: webgpu \(y+…\): auto: x+… \(--verbose says more\)$/);
  });
});
