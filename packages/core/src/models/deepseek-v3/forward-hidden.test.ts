/**
 * `forwardHidden`: the final-norm hidden states that reward/value heads read. Checked against `forward` (the LM head
 * applied to them gives the same logits), under left padding, and for gradient flow into the backbone.
 */
import { describe, expect, it } from 'vitest';
import { sum } from '../../ops/reduce.js';
import type { Tensor } from '../../tensor.js';
import { createModel } from './model.js';
import { TINY_CONFIG } from './testing.js';

const tokens = [
  [0, 5, 9, 17, 3, 22, 40, 8],
  [0, 12, 7, 7, 31, 2, 19, 44],
];

function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
  return a.length === b.length ? m : Number.POSITIVE_INFINITY;
}

/** x[b, t, :] of a [B, T, D] tensor. */
const at = (x: Tensor, b: number, t: number) => {
  const [, T, D] = x.shape;
  return x.values().slice((b * T + t) * D, (b * T + t + 1) * D);
};

describe('DeepseekV3Model.forwardHidden', () => {
  const model = createModel(TINY_CONFIG, { seed: 3 });

  it('returns [B, T, D] states whose LM-head projection equals forward', () => {
    const hidden = model.forwardHidden(tokens);
    expect(hidden.shape).toEqual([2, 8, 32]);
    const viaHead = model.head(hidden).toFloat32Array();
    expect(maxAbsDiff(viaHead, model.forward(tokens).toFloat32Array())).toBeLessThan(1e-6);
  });

  it('left padding with a mask gives the unpadded states at the real positions', () => {
    const short = [tokens[0].slice(0, 5)];
    const alone = model.forwardHidden(short);
    const padded = model.forwardHidden([[3, 3, 3, ...short[0]], tokens[1]], {
      attentionMask: [
        [0, 0, 0, 1, 1, 1, 1, 1],
        [1, 1, 1, 1, 1, 1, 1, 1],
      ],
    });
    for (let t = 0; t < 5; t++) expect(maxAbsDiff(at(alone, 0, t), at(padded, 0, t + 3))).toBeLessThan(1e-5);
    expect(maxAbsDiff(at(padded, 1, 7), at(model.forwardHidden([tokens[1]]), 0, 7))).toBeLessThan(1e-5);
  });

  it('is an autograd entry: gradients reach the embedding and the final norm, not the LM head', () => {
    for (const p of model.parameters()) p.grad = null;
    sum(model.forwardHidden(tokens)).backward();
    const grads = new Map(model.namedParameters().map(([n, p]) => [n, p.grad]));
    expect(grads.get('model.embed_tokens.weight')).toBeTruthy();
    expect(grads.get('model.norm.weight')).toBeTruthy();
    expect(grads.get('lm_head.weight') ?? null).toBeNull();
  });
});
