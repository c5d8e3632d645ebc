import { codeUnits, fnv1a, FNV_OFFSET } from './fnv1a';

// Seeded, serialisable randomness: every random choice in a run comes from a stream whose whole state
// is one uint32, so a run can be repeated and (later) resumed exactly.

/** mulberry32: small, fast and good enough for shuffles, splits and augmentation draws. */
export class SeededRandom {
  constructor(public state: number) {
    this.state = state >>> 0;
  }

  /** A float in [0, 1). */
  next(): number {
    this.state = (this.state + 0x6d2b79f5) >>> 0;
    let t = this.state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }

  /** A float in [min, max). */
  uniform(min: number, max: number): number {
    return min + (max - min) * this.next();
  }

  /** An integer in [0, n). */
  int(n: number): number {
    return Math.floor(this.next() * n);
  }

  /** A uint32, e.g. to seed a TF.js random op. */
  uint32(): number {
    return Math.floor(this.next() * 4294967296) >>> 0;
  }

  /** Fisher-Yates, in place; returns the same array. */
  shuffle<T>(items: T[]): T[] {
    for (let i = items.length - 1; i > 0; i--) {
      const j = this.int(i + 1);
      [items[i], items[j]] = [items[j] as T, items[i] as T];
    }
    return items;
  }
}

/** Independent streams from one run seed: hash (seed, name) so adding a stream never shifts another. */
export function deriveSeed(seed: number, stream: string): number {
  let h = fnv1a(codeUnits(stream), FNV_OFFSET ^ (seed >>> 0));
  h = Math.imul(h ^ (h >>> 16), 0x85ebca6b);
  h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35);
  return (h ^ (h >>> 16)) >>> 0;
}

export function streamFor(seed: number, stream: string): SeededRandom {
  return new SeededRandom(deriveSeed(seed, stream));
}
