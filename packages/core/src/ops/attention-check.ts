/**
 * Fixed scaledDotProductAttention cases for attention.test.ts: each returns the output and the q, k, v gradients,
 * large enough to split across threads and to cross row and key tiles. Run as a script (the test spawns it with
 * AHA_DISABLE_SIMD=1) it prints `{ simd, results }` as one JSON line, so the portable kernels can be compared with
 * the SIMD ones of the test process (the SIMD choice is made once per process).
 */
import { fileURLToPath } from 'node:url';
import { simdLevel } from '../native.js';
import type { Tensor } from '../tensor.js';
import { randTensor } from '../testing/gradcheck.js';
import { scaledDotProductAttention } from './attention.js';
import { narrow } from './view.js';

export interface AttentionCase {
  name: string;
  shape: [B: number, H: number, Hk: number, T: number, S: number, D: number, Dv: number];
  causal: boolean;
  padded: boolean;
  /** Pass q and k as pairs split at this column of the last dim (the second score term). */
  split?: number;
}

export const attentionCases: AttentionCase[] = [
  { name: 'prefill, per-head k/v, left padding', shape: [2, 4, 4, 80, 80, 19, 16], causal: true, padded: true },
  { name: 'decode-like, shared latent head', shape: [2, 4, 1, 3, 133, 41, 33], causal: true, padded: true, split: 33 },
  { name: 'bidirectional', shape: [1, 3, 3, 40, 70, 8, 8], causal: false, padded: false },
];

/** Output, then the gradients of q, k and v for a fixed random upstream gradient. */
export function runCase(c: AttentionCase): Float32Array[] {
  const [B, H, Hk, T, S, D, Dv] = c.shape;
  const q = randTensor([B, H, T, D], 1, -2, 2);
  const k = randTensor([B, Hk, S, D], 2, -2, 2);
  const v = randTensor([B, Hk, S, Dv], 3);
  const keyMask = c.padded ? new Uint8Array(B * S).fill(1).fill(0, 0, S - T + 2) : null;
  const parts = (t: Tensor, at: number) => [narrow(t, 3, 0, at), narrow(t, 3, at, D - at)] as const;
  const opts = { causal: c.causal, keyMask };
  const y = c.split
    ? scaledDotProductAttention(parts(q, c.split), parts(k, c.split), v, opts)
    : scaledDotProductAttention(q, k, v, opts);
  y.backward(randTensor(y.shape, 4).detach());
  return [y, q.grad!, k.grad!, v.grad!].map((t) => t.toFloat32Array());
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const results = attentionCases.map((c) => runCase(c).map((x) => Array.from(x)));
  process.stdout.write(`${JSON.stringify({ simd: simdLevel(), results })}\n`);
}
