/**
 * Seeded randomness for data order and synthetic tasks: the generators (mulberry32, createRng, permutation) come from
 * @aha/core; this file adds a stable string hash for train / held-out splits.
 */
// The generators themselves live in @aha/core (one implementation for init, data order and tasks).
export { createRng, mixSeed, permutation, type Rng } from '@aha/core';

/** FNV-1a 32-bit hash of a string: a stable key → bucket map (used to split train / held-out). */
export function hashString(s: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}
