/**
 * Seeded randomness for everything that must replay exactly: weight init, data order, synthetic tasks, probing
 * points, test fixtures. mulberry32 (Tommy Ettinger's 32-bit generator): deterministic on every platform and Node
 * version, state = one uint32 that a checkpoint stores as a number. Not cryptographic; period 2^32 — ample for
 * shuffling and sampling, not for Monte-Carlo estimates that need long streams.
 */
import { ValueError } from './errors.js';

/** A mulberry32 stream whose `state` can be saved and restored. */
export class Mulberry32 {
  state: number;
  constructor(seed: number) {
    this.state = seed >>> 0;
  }
  /** Uniform in [0, 1). */
  next(): number {
    this.state = (this.state + 0x6d2b79f5) >>> 0;
    let t = this.state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }
}

/** A uniform [0, 1) generator seeded directly with `seed` (no mixing: nearby seeds give related-looking starts). */
export function mulberry32(seed: number): () => number {
  const g = new Mulberry32(seed);
  return () => g.next();
}

/** Mixes several 32-bit integers into one seed (murmur3-style finaliser), so seed + epoch streams do not overlap. */
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

/** A seeded generator of uniform numbers with a serialisable state. */
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

/** A generator seeded with `mixSeed(seed)` (so nearby seeds give unrelated streams), or continued from `state`. */
export function createRng(seed: number, state?: number): Rng {
  if (!Number.isInteger(seed)) throw new ValueError(`createRng: seed must be an integer, got ${seed}`);
  const g = new Mulberry32(state === undefined ? mixSeed(seed) : state);
  const next = (): number => g.next();
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
      return g.state;
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
