// The seeded PRNG re-exported from @aha/core and the FNV-1a split hash.
import { describe, expect, it } from 'vitest';
import { createRng, hashString, mixSeed, permutation } from './prng.js';

describe('prng', () => {
  it('same seed, same stream; different seeds, different streams', () => {
    const a = createRng(7);
    const b = createRng(7);
    const c = createRng(8);
    const sa = Array.from({ length: 5 }, () => a.next());
    expect(Array.from({ length: 5 }, () => b.next())).toEqual(sa);
    expect(Array.from({ length: 5 }, () => c.next())).not.toEqual(sa);
    expect(sa.every((x) => x >= 0 && x < 1)).toBe(true);
  });

  it('state continues the exact stream', () => {
    const a = createRng(3);
    a.next();
    const b = createRng(0, a.state);
    expect(b.next()).toBe(a.next());
  });

  it('int is roughly uniform over 10k draws (each bucket within 15% of expected)', () => {
    const r = createRng(1);
    const counts = new Array(5).fill(0);
    for (let i = 0; i < 10000; i++) counts[r.int(5)]++;
    for (const c of counts) expect(Math.abs(c - 2000)).toBeLessThan(300);
  });

  it('permutation is a permutation; mixSeed and hashString are stable', () => {
    const p = permutation(50, createRng(5));
    expect([...p].sort((x, y) => x - y)).toEqual(Array.from({ length: 50 }, (_, i) => i));
    expect(mixSeed(1, 2)).not.toBe(mixSeed(2, 1));
    expect(hashString('')).toBe(0x811c9dc5); // FNV-1a offset basis
    expect(hashString('a')).toBe(0xe40c292c); // FNV-1a("a"), the published test vector
  });
});
