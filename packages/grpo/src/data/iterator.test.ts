import { describe, expect, it } from 'vitest';
import { DataIterator } from './iterator.js';
import { createRng, hashString, mixSeed, permutation } from './prng.js';

const rows = Array.from({ length: 10 }, (_, i) => `r${i}`);

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

describe('DataIterator', () => {
  it('each epoch is a permutation of all rows; epochs differ; same seed repeats', () => {
    const it1 = new DataIterator(rows, { seed: 1 });
    const e0 = it1.take(10).map((s) => s.row);
    const e1 = it1.take(10).map((s) => s.row);
    expect([...e0].sort()).toEqual([...rows].sort());
    expect([...e1].sort()).toEqual([...rows].sort());
    expect(e0).not.toEqual(e1);
    expect(e0).not.toEqual(rows);
    expect(new DataIterator(rows, { seed: 1 }).take(10).map((s) => s.row)).toEqual(e0);
    expect(new DataIterator(rows, { seed: 2 }).take(10).map((s) => s.row)).not.toEqual(e0);
  });

  it('resuming from a saved position reproduces the rest exactly, across an epoch boundary', () => {
    const full = new DataIterator(rows, { seed: 9 }).take(25).map((s) => s.rowIndex);
    const first = new DataIterator(rows, { seed: 9 });
    first.take(7);
    const saved = JSON.parse(JSON.stringify(first.position)); // what a checkpoint stores
    expect(saved).toEqual({ epoch: 0, index: 7 });
    const resumed = new DataIterator(rows, { seed: 9, position: saved }).take(18).map((s) => s.rowIndex);
    expect(resumed).toEqual(full.slice(7));
  });

  it('reports the position each row was served at, and rolls over at the end of an epoch', () => {
    const it1 = new DataIterator(rows, { seed: 0 });
    const served = it1.take(11);
    expect(served[9].position).toEqual({ epoch: 0, index: 9 });
    expect(served[10].position).toEqual({ epoch: 1, index: 0 });
    expect(it1.position).toEqual({ epoch: 1, index: 1 });
  });

  it('shuffle false serves file order; maxEpochs ends it', () => {
    const it1 = new DataIterator(rows, { seed: 0, shuffle: false, maxEpochs: 2 });
    const all = [...it1].map((s) => s.row);
    expect(all).toEqual([...rows, ...rows]);
    expect(it1.done).toBe(true);
    expect(it1.take(3)).toEqual([]);
  });

  it('rejects an empty dataset and positions outside it', () => {
    expect(() => new DataIterator([], { seed: 0 })).toThrow(/empty/);
    expect(() => new DataIterator(rows, { seed: 0, position: { epoch: 0, index: 11 } })).toThrow(
      /position \{epoch: 0, index: 11\} is not valid for a dataset of 10 rows/,
    );
    expect(() => new DataIterator(rows, { seed: 0, position: { epoch: -1, index: 0 } })).toThrow(/not valid/);
  });

  it('index == rows.length normalises to the start of the next epoch', () => {
    expect(new DataIterator(rows, { seed: 0, position: { epoch: 2, index: 10 } }).position).toEqual({
      epoch: 3,
      index: 0,
    });
  });
});
