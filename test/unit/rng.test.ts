import { describe, expect, it } from 'vitest';
import { deriveSeed, SeededRandom, streamFor } from '../../src/rng';

describe('SeededRandom', () => {
  it('repeats its sequence from the same state, including a saved one', () => {
    const a = new SeededRandom(42);
    const first = [a.next(), a.next()];
    const saved = a.state;
    const rest = [a.next(), a.next()];
    const b = new SeededRandom(42);
    expect([b.next(), b.next()]).toEqual(first);
    expect([new SeededRandom(saved).next(), new SeededRandom(saved).next()]).toEqual([rest[0], rest[0]]);
  });

  it('draws floats in [0, 1) spread over the range', () => {
    const r = new SeededRandom(1);
    const values = Array.from({ length: 10_000 }, () => r.next());
    expect(Math.min(...values)).toBeGreaterThanOrEqual(0);
    expect(Math.max(...values)).toBeLessThan(1);
    const mean = values.reduce((s, v) => s + v, 0) / values.length;
    expect(mean).toBeGreaterThan(0.48);
    expect(mean).toBeLessThan(0.52);
  });

  it('shuffles into a permutation', () => {
    const items = Array.from({ length: 50 }, (_, i) => i);
    const shuffled = new SeededRandom(3).shuffle([...items]);
    expect(shuffled).not.toEqual(items);
    expect([...shuffled].sort((x, y) => x - y)).toEqual(items);
  });
});

describe('deriveSeed', () => {
  it('gives independent streams per name and per run seed', () => {
    expect(deriveSeed(42, 'split')).toBe(deriveSeed(42, 'split'));
    expect(deriveSeed(42, 'split')).not.toBe(deriveSeed(42, 'shuffle'));
    expect(deriveSeed(42, 'split')).not.toBe(deriveSeed(43, 'split'));
    expect(streamFor(42, 'augment').next()).toBe(streamFor(42, 'augment').next());
  });
});
