/**
 * A small seeded PRNG (mulberry32) and seeded Fisher–Yates shuffle. Deterministic across platforms and Node versions,
 * with a 32-bit state that serialises as one number — what exact resume of data order and task generation needs.
 * Not cryptographic, and 2^32 period only: ample for shuffling datasets and generating synthetic problems.
 */
import { ValueError } from '@aha/core';

/** Mix several 32-bit integers into one seed (murmur3-style finaliser), so seed+epoch streams do not overlap. */
export function mixSeed(...parts: number[]): number {
  let h = 0x9e3779b9;
  for (const p of parts) {
    let k = Math.imul(p >>> 0, 0xcc9e2d51);
    k = (k << 15) | (k >>> 17);
    k = Math.imul(k, 0x1b873593);
    h ^= k;
    h = (h << 13) | (h >>> 19);
    h = (Math.imul(h, 5) + 0xe6546b64) | 0;
  }
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

/** A seeded generator of uniform numbers. */
export interface Rng {
  /** Uniform in [0, 1). */
  next(): number;
  /** Uniform integer in [0, n). */
  int(n: number): number;
  /** Uniform integer in [lo, hi] (both inclusive). */
  range(lo: number, hi: number): number;
  /** The generator's state; `createRng(0, state)` continues the exact stream. */
  readonly state: number;
}

/**
 * A mulberry32 generator seeded with `seed` (any integer; mixed first so nearby seeds give unrelated streams), or
 * continued from a saved `state`.
 */
export function createRng(seed: number, state?: number): Rng {
  if (!Number.isInteger(seed)) throw new ValueError(`createRng: seed must be an integer, got ${seed}`);
  let s = state === undefined ? mixSeed(seed) : state >>> 0;
  const next = (): number => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const int = (n: number): number => {
    if (!Number.isInteger(n) || n < 1) throw new ValueError(`Rng.int: n must be an integer >= 1, got ${n}`);
    return Math.floor(next() * n);
  };
  return {
    next,
    int,
    range: (lo, hi) => {
      if (!Number.isInteger(lo) || !Number.isInteger(hi) || hi < lo) {
        throw new ValueError(`Rng.range: need integers lo <= hi, got [${lo}, ${hi}]`);
      }
      return lo + int(hi - lo + 1);
    },
    get state() {
      return s;
    },
  };
}

/** A permutation of 0..n−1 drawn with Fisher–Yates from `rng`. */
export function permutation(n: number, rng: Rng): number[] {
  const p = Array.from({ length: n }, (_, i) => i);
  for (let i = n - 1; i > 0; i--) {
    const j = rng.int(i + 1);
    const t = p[i];
    p[i] = p[j];
    p[j] = t;
  }
  return p;
}

/** FNV-1a 32-bit hash of a string: a stable key → bucket map (used to split train / held-out). */
export function hashString(s: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}
