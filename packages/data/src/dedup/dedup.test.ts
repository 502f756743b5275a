// Exact and MinHash near-duplicate removal. The near-dup test plants near-duplicates (true word-5-gram Jaccard in
// [0.8, 1)) and hard negatives (Jaccard in [0.3, 0.65]) among random documents, runs the default settings, and
// requires recall ≥ 0.95 and precision ≥ 0.95 (printed on stderr). Also: determinism under a seed, the bands × rows
// check, and checkpoint/restore giving the same decisions as an uninterrupted run.
import { describe, expect, it } from 'vitest';
import type { DataRecord } from '../record.js';
import { exactDedupStep, normalizeForDedup } from './exact.js';
import { jaccard, MinHasher, MinHashIndex, nearDedupStep } from './minhash.js';

const rec = (id: string, text: string): DataRecord => ({ id, source: { file: 'f' }, text, fields: {}, tags: [] });

/** mulberry32: a small seeded PRNG for the synthetic corpus. */
function rng(seed: number) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

describe('exact dedup', () => {
  it('drops copies up to case and whitespace, reports groups', () => {
    const step = exactDedupStep();
    const outs = ['Hello  World', 'hello world', 'HELLO\nWORLD ', 'hello, world'].map((t, i) =>
      step.process(rec(`r${i}`, t)),
    );
    expect(outs.map((o) => ('reason' in o ? o.reason : o.action))).toEqual([
      'keep',
      'exact-duplicate',
      'exact-duplicate',
      'keep',
    ]);
    expect(step.report?.()).toEqual({ distinct: 2, groups: 1, duplicates: 2, clusters: [{ first: 'r0', size: 3 }] });
    expect(normalizeForDedup('Ａ  b')).toBe('a b');
  });
  it('restores from checkpoints', () => {
    const a = exactDedupStep();
    a.process(rec('r0', 'same text'));
    const delta = a.checkpoint?.();
    const b = exactDedupStep();
    b.restore?.([JSON.parse(JSON.stringify(delta))]);
    expect(b.process(rec('r1', 'Same text'))).toEqual({ action: 'drop', reason: 'exact-duplicate' });
  });
});

describe('MinHash', () => {
  it('is deterministic under a seed and checks bands × rows', () => {
    const text = 'the quick brown fox jumps over the lazy dog while the cat sleeps in the warm sun';
    expect(new MinHasher({ seed: 1 }).signature(text)).toEqual(new MinHasher({ seed: 1 }).signature(text));
    expect(new MinHasher({ seed: 1 }).signature(text)).not.toEqual(new MinHasher({ seed: 2 }).signature(text));
    expect(() => new MinHasher({ numPerm: 128, bands: 20, rows: 5 })).toThrow(/20 × 5 ≠ 128/);
    expect(new MinHasher().signature('!!! ...')).toBeNull();
  });

  it('recall ≥ 0.95 at Jaccard ≥ 0.8 and precision ≥ 0.95 on planted near-duplicates', () => {
    const rand = rng(7);
    const vocab = Array.from({ length: 5000 }, (_, i) => `w${i.toString(36)}`);
    const doc = (n: number) => Array.from({ length: n }, () => vocab[Math.floor(rand() * vocab.length)]);
    const hasher = new MinHasher();
    const trueJ = (a: string[], b: string[]) => jaccard(hasher.shingles(a.join(' ')), hasher.shingles(b.join(' ')));
    /** A variant of `words` with true Jaccard in [lo, hi): substitute, insert or delete words until it lands. */
    const variant = (words: string[], lo: number, hi: number): string[] | null => {
      for (let attempt = 0; attempt < 50; attempt++) {
        const v = [...words];
        const edits = 1 + Math.floor(rand() * (hi >= 1 ? 4 : 12 + 20 * (1 - hi)));
        for (let e = 0; e < edits; e++) {
          const i = Math.floor(rand() * v.length);
          const op = rand();
          if (op < 0.6) v[i] = vocab[Math.floor(rand() * vocab.length)];
          else if (op < 0.8) v.splice(i, 0, vocab[Math.floor(rand() * vocab.length)]);
          else v.splice(i, 1);
        }
        const j = trueJ(words, v);
        if (j >= lo && j < hi) return v;
      }
      return null;
    };
    type Doc = { id: number; words: string[]; group: number };
    const docs: Doc[] = [];
    let groups = 0;
    for (let g = 0; g < 300; g++) {
      const words = doc(150 + Math.floor(rand() * 200));
      const group = groups++;
      docs.push({ id: docs.length, words, group });
      if (g < 150) {
        for (let k = 0; k < 1 + (g % 2); k++) {
          const v = variant(words, 0.8, 1);
          if (v) docs.push({ id: docs.length, words: v, group });
        }
      } else if (g < 250) {
        const v = variant(words, 0.3, 0.65);
        if (v) docs.push({ id: docs.length, words: v, group: groups++ });
      }
    }
    // shuffle so variants can come before their originals
    for (let i = docs.length - 1; i > 0; i--) {
      const j = Math.floor(rand() * (i + 1));
      [docs[i], docs[j]] = [docs[j], docs[i]];
    }
    const index = new MinHashIndex();
    const owner: number[] = []; // index entry → doc id
    const cluster = new Map<number, number>(); // doc id → representative doc id
    for (const d of docs) {
      const sig = index.hasher.signature(d.words.join(' '));
      if (!sig) throw new Error('empty signature');
      const m = index.query(sig);
      if (m) cluster.set(d.id, owner[m.index]);
      else {
        index.insert(sig);
        owner.push(d.id);
        cluster.set(d.id, d.id);
      }
    }
    const byId = new Map(docs.map((d) => [d.id, d]));
    // ground truth pairs: every pair inside a planted group with true Jaccard ≥ 0.8
    let truePairs = 0;
    let found = 0;
    let predicted = 0;
    let correct = 0;
    const all = [...byId.values()];
    for (let a = 0; a < all.length; a++) {
      for (let b = a + 1; b < all.length; b++) {
        const x = all[a];
        const y = all[b];
        const same = cluster.get(x.id) === cluster.get(y.id);
        const planted = x.group === y.group;
        const dup = planted && trueJ(x.words, y.words) >= 0.8;
        if (dup) {
          truePairs++;
          if (same) found++;
        }
        if (same) {
          predicted++;
          if (planted) correct++;
        }
      }
    }
    const recall = found / truePairs;
    const precision = correct / predicted;
    process.stderr.write(
      `near-dedup (numPerm 128, 32×4, t 0.8): ${docs.length} docs, ${truePairs} planted pairs with J ≥ 0.8, recall ${recall.toFixed(3)}, precision ${precision.toFixed(3)} (${predicted} pairs clustered)\n`,
    );
    expect(truePairs).toBeGreaterThan(150);
    expect(recall).toBeGreaterThanOrEqual(0.95);
    expect(precision).toBeGreaterThanOrEqual(0.95);
  });

  it('the step drops near-duplicates, reports clusters, and resumes from checkpoints', () => {
    const base = Array.from({ length: 60 }, (_, i) => `word${i}`).join(' ');
    const near = base.replace('word30', 'other');
    const far = Array.from({ length: 60 }, (_, i) => `thing${i}`).join(' ');
    const step = nearDedupStep();
    expect(step.process(rec('a', base))).toEqual({ action: 'keep' });
    const delta = JSON.parse(JSON.stringify(step.checkpoint?.()));
    expect(step.process(rec('b', near))).toEqual({ action: 'drop', reason: 'near-duplicate' });
    expect(step.process(rec('c', far))).toEqual({ action: 'keep' });
    expect(step.report?.()).toMatchObject({
      indexed: 2,
      clusters: 1,
      duplicates: 1,
      examples: [{ representative: 'a', size: 2, members: ['b'] }],
    });
    const resumed = nearDedupStep();
    resumed.restore?.([delta]);
    expect(resumed.process(rec('b', near))).toEqual({ action: 'drop', reason: 'near-duplicate' });
  });
});
