/**
 * The native boundary checks against crafted sizes, strides and offsets, with the TypeScript checks bypassed (raw
 * kernels). Each case used to wrap int64 arithmetic: a stride extent of (2^24) · 2^40 = 2^64 made the bounds check
 * see a one-element view (out-of-bounds read or write: SIGSEGV), and a product of sizes past 2^63 made a huge view
 * look empty or small (a wrong result without error). Now every one is a RangeError naming the overflow.
 * Leaves out: the TypeScript-side checks (packages/core/src/tensor.test.ts covers the Tensor constructor).
 */
import { createRequire } from 'node:module';
import { describe, expect, it } from 'vitest';

// biome-ignore lint/suspicious/noExplicitAny: raw kernels called with deliberately crafted arguments.
const native = createRequire(import.meta.url)('@aha/native') as Record<string, (...args: any[]) => unknown>;

const W = 2 ** 24 + 1; // (W − 1) · S = 2^64: wraps to 0
const S = 2 ** 40; // the largest stride the boundary accepts
const BIG = 2 ** 32; // BIG · BIG = 2^64: wraps to 0
const f32 = (n: number) => new Float32Array(n);
const i32 = (...v: number[]) => Int32Array.from(v);

const cases: [string, string, () => unknown[]][] = [
  ['sum over a wrapped stride extent', 'sumForward', () => [[W], [S], 0, f32(1), 0, 1, f32(1)]],
  ['sum over an expanded view of 2^64 elements', 'sumForward', () => [[BIG, BIG], [0, 0], 0, f32(1), 0, 1, f32(1)]],
  [
    'sum keeping a dim of an expanded 2^64 view',
    'sumForward',
    () => [[2, BIG, BIG], [0, 0, 0], 0, f32(1), 1, 1, f32(2)],
  ],
  ['max over a wrapped stride extent', 'maxForward', () => [[2, W], [0, S], 0, f32(1), f32(2), i32(0, 0)]],
  ['max over an expanded view of 2^64 elements', 'maxForward', () => [[BIG, BIG], [0, 0], 0, f32(1), f32(1), i32(0)]],
  ['max backward into a wrapped extent', 'maxBackward', () => [[2, W], [0, S], f32(2), i32(1, 1), f32(1)]],
  ['strided copy from a wrapped extent', 'copyStrided', () => [f32(1), [1, W], [0, S], 0, f32(1)]],
  ['strided scatter-add of 2^64 elements', 'scatterStridedAdd', () => [f32(1), [BIG, BIG], [0, 0], 0, f32(1)]],
  ['unary over a wrapped extent', 'unaryForward', () => [0, [1, W], f32(1), [0, S], 0, 0, 0, f32(1)]],
  ['binary over a wrapped extent', 'binaryForward', () => [0, [1, W], f32(1), [0, S], 0, f32(1), [0, S], 0, f32(1)]],
  [
    'where over a wrapped extent',
    'whereForward',
    () => [[1, W], f32(1), [0, S], 0, f32(1), [0, S], 0, f32(1), [0, S], 0, f32(1)],
  ],
  ['gather from a wrapped extent', 'gatherForward', () => [f32(1), [W], [S], 0, 0, i32(1), [1], f32(1)]],
  [
    'rope over 2^80 elements',
    'ropeApply',
    () => [f32(1), [S, S, 1, 2], [0, 0, 0, 1], 0, f32(1), f32(1), 1, 0, 1, f32(1)],
  ],
  [
    'gemm rows reaching past 2^64',
    'batchedGemm',
    () => [0, 0, W, 1, 1, 1, f32(1), S, [0], f32(1), 1, [0], 0, f32(1), S, [0], 0, 1],
  ],
  [
    'attention keys reaching past 2^64',
    'attentionForward',
    () => [f32(1), f32(1), f32(1), 1, 1, 1, 1, W, 1, 1, 1, false, null, [0, 0, S, 0, 0, S], f32(1), f32(1)],
  ],
  ['softmax over 2^80 elements', 'softmaxForward', () => [S, S, f32(1), f32(1), 0]],
  ['cat of 2^80 elements', 'catForward', () => [S, S, [1], [f32(1)], f32(1)]],
  ['topk over 2^80 elements', 'topkForward', () => [f32(1), S, S, 1, 1, f32(1), i32(0)]],
];

describe('native size arithmetic is overflow-checked', () => {
  it.each(cases)('%s: a RangeError, not a crash', (_what, kernel, args) => {
    expect(typeof native[kernel]).toBe('function');
    expect(() => native[kernel](...args())).toThrow(RangeError);
    expect(() => native[kernel](...args())).toThrow(/overflows int64/);
  });

  it('a view within int64 still runs (the checks only reject what wraps)', () => {
    const out = f32(1);
    native.sumForward([3], [2], 1, Float32Array.of(0, 1, 0, 2, 0, 3), 0, 1, out);
    expect(out[0]).toBe(6);
  });
});
