// The one data stream (DataIterator): order per epoch, exact resume from a position, epoch-bounded batches.
// Leaves out: the PRNG itself (random.test.ts / grpo's prng.test.ts).
import { describe, expect, it } from 'vitest';
import { DataIterator } from './data.js';

const rows = Array.from({ length: 10 }, (_, i) => `r${i}`);

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

  it('batch ends at the epoch end, and two streams resumed from the same position agree', () => {
    const a = new DataIterator(rows, { seed: 4 });
    expect([a.batch(4), a.batch(4), a.batch(4)].map((b) => [b.rows.length, b.epoch])).toEqual([
      [4, 0],
      [4, 0],
      [2, 0],
    ]);
    expect(a.batch(4).epoch).toBe(1);
    const b = new DataIterator(rows, { seed: 4, position: a.position });
    expect(b.batch(3).rows).toEqual(a.batch(3).rows);
    expect(() => a.batch(0)).toThrow(/size must be an integer >= 1/);
  });
});
