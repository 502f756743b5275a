/**
 * Near-duplicate detection with MinHash and LSH banding (Broder 1997; Leskovec, Rajaraman & Ullman, "Mining of
 * Massive Datasets", ch. 3). A record's shingles (word or character n-grams of the normalised text) are hashed to
 * 32 bits; permutation p maps a shingle hash x to fmix32(x ⊕ seed_p) (MurmurHash3's finaliser, a bijection on 32
 * bits), and the signature keeps the minimum per permutation. The signature is cut into `bands` bands of `rows`
 * values; records sharing any band are candidates, and a candidate counts as a duplicate when the share of equal
 * signature values (the Jaccard estimate) is ≥ `threshold` less `recallZ` standard errors of that estimate. Only kept records enter the index, so clusters are stars
 * around the first record seen. Seeds come from `seed` through splitmix32, so runs are deterministic.
 * Memory: 4·numPerm bytes of signature plus `bands` map entries per kept record.
 * Leaves out: exact Jaccard verification on the shingle sets (would keep every record's shingles in memory).
 */
import { z } from 'zod';
import { DataConfigError } from '../errors.js';
import { type DataRecord, drop, KEEP, type StepOutcome, type SyncStep } from '../record.js';
import { normalizeForDedup } from './exact.js';

export const MinHashSchema = z
  .strictObject({
    shingleSize: z.number().int().min(1).default(5).describe('n of the n-gram shingles (words, or characters).'),
    unit: z
      .enum(['word', 'char'])
      .default('word')
      .describe('Shingle unit: word n-grams, or character n-grams (for text written without spaces).'),
    numPerm: z.number().int().min(8).max(1024).default(128).describe('Number of hash permutations (signature length).'),
    bands: z
      .number()
      .int()
      .min(1)
      .default(32)
      .describe(
        'LSH bands b; b × r must equal numPerm. 32 × 4 makes a pair at Jaccard 0.8 a candidate with p ≈ 1 − 5e-8.',
      ),
    rows: z.number().int().min(1).default(4).describe('Rows per band r; candidates start near (1/b)^(1/r) ≈ 0.42.'),
    threshold: z
      .number()
      .min(0)
      .max(1)
      .default(0.8)
      .describe('Jaccard similarity t at or above which two records are near-duplicates.'),
    recallZ: z
      .number()
      .min(0)
      .default(1.645)
      .describe(
        'Accept a candidate whose estimate is ≥ t − z·√(t(1−t)/numPerm), so a pair truly at t is caught with ~95% probability (z = 1.645); 0 = estimate ≥ t.',
      ),
    seed: z.number().int().default(42).describe('Seed of the permutations (same seed, same result).'),
  })
  .describe('MinHash + LSH near-duplicate settings.');
export type MinHashOptions = z.input<typeof MinHashSchema>;

/** MurmurHash3 fmix32: a bijective 32-bit mixer. */
export function fmix32(h: number): number {
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

/** FNV-1a over UTF-16 code units. */
function fnv1a(s: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 0x01000193);
  return h >>> 0;
}

/** splitmix32: seeds for the permutations. */
function seeds(seed: number, n: number): Uint32Array {
  const out = new Uint32Array(n);
  let s = seed >>> 0;
  for (let i = 0; i < n; i++) {
    s = (s + 0x9e3779b9) >>> 0;
    let z = s;
    z = Math.imul(z ^ (z >>> 16), 0x21f0aaad);
    z = Math.imul(z ^ (z >>> 15), 0x735a2d97);
    out[i] = (z ^ (z >>> 15)) >>> 0;
  }
  return out;
}

/** Computes MinHash signatures with fixed settings. */
export class MinHasher {
  readonly options: z.output<typeof MinHashSchema>;
  readonly #seeds: Uint32Array;

  constructor(options: MinHashOptions = {}) {
    this.options = MinHashSchema.parse(options);
    const { bands, rows, numPerm } = this.options;
    if (bands * rows !== numPerm)
      throw new DataConfigError(`minhash: bands × rows must equal numPerm, got ${bands} × ${rows} ≠ ${numPerm}`);
    this.#seeds = seeds(this.options.seed, numPerm);
  }

  /** The 32-bit hashes of the shingles of `text` (after the dedup normalisation). */
  shingles(text: string): Uint32Array {
    const norm = normalizeForDedup(text).replace(/[^\p{L}\p{N}\s]/gu, ' ');
    const n = this.options.shingleSize;
    if (this.options.unit === 'char') {
      const chars = [...norm.replace(/\s+/g, ' ').trim()];
      if (chars.length === 0) return new Uint32Array(0);
      const count = Math.max(1, chars.length - n + 1);
      const out = new Uint32Array(count);
      for (let i = 0; i < count; i++) out[i] = fnv1a(chars.slice(i, i + n).join(''));
      return out;
    }
    const words = norm.split(/\s+/).filter(Boolean);
    if (words.length === 0) return new Uint32Array(0);
    const wh = words.map(fnv1a);
    const count = Math.max(1, words.length - n + 1);
    const out = new Uint32Array(count);
    for (let i = 0; i < count; i++) {
      let h = 0x9747b28c;
      for (let k = i; k < Math.min(i + n, wh.length); k++) h = Math.imul((h << 5) | (h >>> 27), 0x27d4eb2d) ^ wh[k];
      out[i] = fmix32(h);
    }
    return out;
  }

  /** The signature (numPerm minima); null for a text with no shingles. */
  signature(text: string): Uint32Array | null {
    const sh = this.shingles(text);
    if (sh.length === 0) return null;
    const seedsArr = this.#seeds;
    const sig = new Uint32Array(seedsArr.length).fill(0xffffffff);
    for (let p = 0; p < seedsArr.length; p++) {
      const s = seedsArr[p];
      let min = 0xffffffff;
      for (let i = 0; i < sh.length; i++) {
        const v = fmix32(sh[i] ^ s);
        if (v < min) min = v;
      }
      sig[p] = min;
    }
    return sig;
  }

  /** Band keys of a signature: one 53-bit number per band. */
  bandKeys(sig: Uint32Array): number[] {
    const { bands, rows } = this.options;
    const keys: number[] = [];
    for (let b = 0; b < bands; b++) {
      let h1 = 0x12345678 ^ b;
      let h2 = 0x9abcdef0 ^ b;
      for (let r = 0; r < rows; r++) {
        const v = sig[b * rows + r];
        h1 = fmix32(h1 ^ v);
        h2 = fmix32(Math.imul(h2 ^ v, 0x01000193));
      }
      keys.push(h1 * 2097152 + (h2 >>> 11));
    }
    return keys;
  }
}

/** Share of equal positions: the MinHash estimate of Jaccard similarity. */
export function estimateJaccard(a: Uint32Array, b: Uint32Array): number {
  let eq = 0;
  for (let i = 0; i < a.length; i++) if (a[i] === b[i]) eq++;
  return eq / a.length;
}

/** Exact Jaccard similarity of two shingle-hash sets (for tests and evaluation). */
export function jaccard(a: Uint32Array, b: Uint32Array): number {
  const sa = new Set(a);
  const sb = new Set(b);
  let inter = 0;
  for (const x of sa) if (sb.has(x)) inter++;
  return inter / (sa.size + sb.size - inter || 1);
}

/** A streaming near-duplicate index: `add` returns the index of the earlier record a text duplicates, or -1. */
export class MinHashIndex {
  readonly hasher: MinHasher;
  readonly #bands: Map<number, number[]>[];
  readonly #accept: number;
  #sigs: Uint32Array;
  #count = 0;

  constructor(options: MinHashOptions = {}) {
    this.hasher = new MinHasher(options);
    this.#bands = Array.from({ length: this.hasher.options.bands }, () => new Map());
    this.#sigs = new Uint32Array(this.hasher.options.numPerm * 1024);
    const { threshold: t, recallZ, numPerm } = this.hasher.options;
    this.#accept = t - recallZ * Math.sqrt((t * (1 - t)) / numPerm);
  }

  /** The smallest estimated Jaccard counted as a duplicate. */
  get acceptThreshold(): number {
    return this.#accept;
  }

  /** Records in the index. */
  get size(): number {
    return this.#count;
  }

  /** The stored signature of entry `i`. */
  signatureOf(i: number): Uint32Array {
    const k = this.hasher.options.numPerm;
    return this.#sigs.subarray(i * k, (i + 1) * k);
  }

  /** The best earlier match of `sig` (index and estimated Jaccard) at or above the threshold, or null. */
  query(sig: Uint32Array): { index: number; similarity: number } | null {
    let best: { index: number; similarity: number } | null = null;
    const seen = new Set<number>();
    const keys = this.hasher.bandKeys(sig);
    for (let b = 0; b < keys.length; b++) {
      for (const i of this.#bands[b].get(keys[b]) ?? []) {
        if (seen.has(i)) continue;
        seen.add(i);
        const s = estimateJaccard(sig, this.signatureOf(i));
        if (s >= this.#accept && (!best || s > best.similarity)) best = { index: i, similarity: s };
      }
    }
    return best;
  }

  /** Stores `sig` as a new entry; returns its index. */
  insert(sig: Uint32Array): number {
    const k = this.hasher.options.numPerm;
    if ((this.#count + 1) * k > this.#sigs.length) {
      const grown = new Uint32Array(this.#sigs.length * 2);
      grown.set(this.#sigs);
      this.#sigs = grown;
    }
    this.#sigs.set(sig, this.#count * k);
    const keys = this.hasher.bandKeys(sig);
    for (let b = 0; b < keys.length; b++) {
      const list = this.#bands[b].get(keys[b]);
      if (list) list.push(this.#count);
      else this.#bands[b].set(keys[b], [this.#count]);
    }
    return this.#count++;
  }
}

export const NearDedupStepSchema = z
  .strictObject({
    type: z.literal('near-dedup'),
    name: z.string().default('near-dedup').describe('Step name in the stats.'),
    ...MinHashSchema.shape,
    maxClustersReported: z
      .number()
      .int()
      .min(0)
      .default(100)
      .describe('Clusters listed (with member ids) in the report.'),
    maxMembersReported: z.number().int().min(1).default(10).describe('Member ids listed per reported cluster.'),
  })
  .describe('Near-duplicate removal with MinHash + LSH.');
export type NearDedupStepConfig = z.input<typeof NearDedupStepSchema>;

interface NearDelta {
  ids: string[];
  /** base64 of the new entries' signatures, concatenated. */
  sigs: string;
  dups: [number, string][];
}

/** The near-dedup step: drops a record whose signature matches a kept record's. */
export function nearDedupStep(config: Omit<NearDedupStepConfig, 'type'> = {}): SyncStep {
  const c = NearDedupStepSchema.parse({ ...config, type: 'near-dedup' });
  const { type: _t, name: _n, maxClustersReported: _c, maxMembersReported: _m, ...mh } = c;
  const index = new MinHashIndex(mh);
  const ids: string[] = [];
  const clusters = new Map<number, { size: number; members: string[] }>();
  let delta: NearDelta = { ids: [], sigs: '', dups: [] };
  let newSigs: Uint32Array[] = [];
  const noteDup = (rep: number, id: string) => {
    let cl = clusters.get(rep);
    if (!cl) {
      cl = { size: 1, members: [] };
      clusters.set(rep, cl);
    }
    cl.size++;
    if (cl.members.length < c.maxMembersReported) cl.members.push(id);
  };
  return {
    name: c.name,
    process(record: DataRecord): StepOutcome {
      const sig = index.hasher.signature(record.text);
      if (!sig) return KEEP;
      const match = index.query(sig);
      if (match) {
        noteDup(match.index, record.id);
        delta.dups.push([match.index, record.id]);
        return drop('near-duplicate');
      }
      index.insert(sig);
      ids.push(record.id);
      delta.ids.push(record.id);
      newSigs.push(sig);
      return KEEP;
    },
    report() {
      let duplicates = 0;
      for (const cl of clusters.values()) duplicates += cl.size - 1;
      return {
        indexed: index.size,
        clusters: clusters.size,
        duplicates,
        examples: [...clusters.entries()]
          .slice(0, c.maxClustersReported)
          .map(([rep, cl]) => ({ representative: ids[rep], size: cl.size, members: cl.members })),
      };
    },
    checkpoint() {
      const all = new Uint32Array(newSigs.length * c.numPerm);
      for (const [i, s] of newSigs.entries()) all.set(s, i * c.numPerm);
      const d: NearDelta = {
        ...delta,
        sigs: Buffer.from(all.buffer, all.byteOffset, all.byteLength).toString('base64'),
      };
      delta = { ids: [], sigs: '', dups: [] };
      newSigs = [];
      return d;
    },
    restore(deltas) {
      for (const d of deltas as NearDelta[]) {
        const buf = Buffer.from(d.sigs, 'base64');
        const all = new Uint32Array(buf.buffer.slice(buf.byteOffset, buf.byteOffset + buf.byteLength));
        d.ids.forEach((id, i) => {
          index.insert(all.subarray(i * c.numPerm, (i + 1) * c.numPerm));
          ids.push(id);
        });
        for (const [rep, id] of d.dups) noteDup(rep, id);
      }
    },
  };
}
