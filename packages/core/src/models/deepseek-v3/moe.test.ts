import { describe, expect, it } from 'vitest';
import { InitRng } from '../../nn/module.js';
import { tensor } from '../../tensor.js';
import { randTensor } from '../../testing/gradcheck.js';
import { parseDeepseekV3Config } from './config.js';
import { DeepseekV3MoE, DeepseekV3TopkRouter, selectExperts } from './moe.js';
import { TINY_CONFIG } from './testing.js';

// 8 experts in 4 groups {0,1} {2,3} {4,5} {6,7}; 2 groups kept; 2 experts per token.
const routing = { n_routed_experts: 8, num_experts_per_tok: 2, n_group: 4, topk_group: 2 };
const scores = Float32Array.of(0.9, 0.15, 0.5, 0.5, 0.8, 0.05, 0.3, 0.2);
const config = parseDeepseekV3Config({ ...TINY_CONFIG, hidden_size: 8, ...routing, routed_scaling_factor: 2.5 });

/** A router whose sigmoid scores for a one-token input are exactly `s` (weight = identity, x = logit(s)). */
function routerWithScores(s: Float32Array, bias: number[]) {
  const router = new DeepseekV3TopkRouter(config, new InitRng(0));
  const w = router.weight.storage;
  w.fill(0);
  for (let i = 0; i < 8; i++) w[i * 8 + i] = 1;
  router.e_score_correction_bias.storage.set(bias);
  const x = tensor(
    Float32Array.from(s, (p) => Math.log(p / (1 - p))),
    [1, 8],
  );
  return router.forward(x);
}

describe('selectExperts (group-limited routing)', () => {
  it.each([
    // reason, bias, expected experts
    [
      'group sums 1.05, 1.0, 0.85, 0.5 keep groups 0 and 1, so expert 4 (0.8) loses to expert 2 (0.5, tie → lower id)',
      [0, 0, 0, 0, 0, 0, 0, 0],
      [0, 2],
    ],
    [
      'a bias on group 3 makes it win (0.3+0.8 + 0.2+0.6 = 1.9), then expert 6 (1.1) and expert 0 (0.9)',
      [0, 0, 0, 0, 0, 0, 0.8, 0.6],
      [6, 0],
    ],
    [
      'a negative bias on expert 0 drops group 0 (0.05 + 0.15); groups 1 and 2 remain: experts 4 (0.8) and 2',
      [-0.85, 0, 0, 0, 0, 0, 0, 0],
      [4, 2],
    ],
  ])('%s', (_reason, bias, expected) => {
    expect(Array.from(selectExperts(scores, Float32Array.from(bias), routing))).toEqual(expected);
  });

  it('with one group it is plain top-k', () => {
    const one = { ...routing, n_group: 1, topk_group: 1 };
    expect(Array.from(selectExperts(scores, new Float32Array(8), one))).toEqual([0, 4]);
  });

  it('routes each token independently', () => {
    const two = Float32Array.from([...scores, ...scores.slice().reverse()]);
    expect(Array.from(selectExperts(two, new Float32Array(8), routing))).toEqual([0, 2, 7, 4]);
  });
});

describe('DeepseekV3TopkRouter', () => {
  it('takes gate weights from the unbiased scores, normalised × routed_scaling_factor', () => {
    const { indices, weights } = routerWithScores(scores, [0, 0, 0, 0, 0, 0, 0.8, 0.6]);
    expect(Array.from(indices)).toEqual([6, 0]);
    const w = weights.toFloat32Array();
    // unbiased 0.3 and 0.9 → 0.25 and 0.75 of 2.5; the biased scores (1.1, 0.9) would give other weights.
    expect(w[0]).toBeCloseTo(0.625, 5);
    expect(w[1]).toBeCloseTo(1.875, 5);
  });

  it('the bias changes which experts are chosen but not the weight an expert gets for the same choice', () => {
    const a = routerWithScores(scores, [0, 0, 0, 0, 0, 0, 0, 0]);
    const b = routerWithScores(scores, [0.01, 0, 0.01, 0, 0, 0, 0, 0]);
    expect(Array.from(b.indices)).toEqual(Array.from(a.indices));
    expect(b.weights.toFloat32Array()).toEqual(a.weights.toFloat32Array());
  });
});

describe('DeepseekV3MoE', () => {
  const moeConfig = parseDeepseekV3Config(TINY_CONFIG);
  it('grouped expert compute equals a per-token loop over the chosen experts, plus the shared expert', () => {
    const moe = new DeepseekV3MoE(moeConfig, new InitRng(3));
    const D = moeConfig.hidden_size;
    const x = randTensor([2, 5, D], 11);
    const y = moe.forward(x).toFloat32Array();
    const flat = x.toFloat32Array();
    const { indices, weights } = moe.gate.forward(tensor(flat, [10, D]));
    const w = weights.toFloat32Array();
    const K = moeConfig.num_experts_per_tok;
    for (let n = 0; n < 10; n++) {
      const xt = tensor(flat.slice(n * D, (n + 1) * D), [1, D]);
      const expected = moe.shared_experts!.forward(xt).toFloat32Array();
      for (let k = 0; k < K; k++) {
        const e = moe.experts[indices[n * K + k]].forward(xt).toFloat32Array();
        for (let d = 0; d < D; d++) expected[d] += w[n * K + k] * e[d];
      }
      for (let d = 0; d < D; d++) expect(y[n * D + d]).toBeCloseTo(expected[d], 5);
    }
  });

  it('sends gradients to the gate, the chosen experts and the shared expert only', () => {
    const moe = new DeepseekV3MoE(moeConfig, new InitRng(3));
    const x = randTensor([1, 1, moeConfig.hidden_size], 5);
    const chosen = new Set(moe.gate.forward(tensor(x.toFloat32Array(), [1, moeConfig.hidden_size])).indices);
    moe.forward(x).backward(tensor(new Float32Array(moeConfig.hidden_size).fill(1), [1, 1, moeConfig.hidden_size]));
    expect(moe.gate.weight.grad).not.toBeNull();
    expect(moe.shared_experts!.up_proj.weight.grad).not.toBeNull();
    for (const [i, e] of moe.experts.entries()) expect(e.up_proj.weight.grad !== null).toBe(chosen.has(i));
  });

  it('updateRoutingBias nudges the bias by ±γ against the counted load, then resets the counts', () => {
    const moe = new DeepseekV3MoE(moeConfig, new InitRng(3));
    moe.forward(randTensor([2, 8, moeConfig.hidden_size], 9));
    const load = Array.from(moe.load);
    expect(load.reduce((a, b) => a + b, 0)).toBe(16 * moeConfig.num_experts_per_tok);
    const mean = load.reduce((a, b) => a + b, 0) / load.length;
    moe.updateRoutingBias(0.01);
    const bias = Array.from(moe.gate.e_score_correction_bias.toFloat32Array());
    for (const [e, l] of load.entries()) expect(bias[e]).toBeCloseTo(0.01 * Math.sign(mean - l), 7);
    expect(Array.from(moe.load).every((l) => l === 0)).toBe(true);
    moe.eval();
    moe.forward(randTensor([1, 4, moeConfig.hidden_size], 10));
    expect(Array.from(moe.load).every((l) => l === 0)).toBe(true); // eval forwards are not counted
  });

  it('keeps padding out of the loads and the balance loss', () => {
    const D = moeConfig.hidden_size;
    const x = randTensor([1, 6, D], 21);
    const real = tensor(x.toFloat32Array().slice(2 * D), [1, 4, D]);
    const a = new DeepseekV3MoE(moeConfig, new InitRng(4));
    const b = new DeepseekV3MoE(moeConfig, new InitRng(4));
    const sa = { balanceAlpha: 0.1, balanceLosses: [] as ReturnType<typeof randTensor>[] };
    const sb = { balanceAlpha: 0.1, balanceLosses: [] as ReturnType<typeof randTensor>[] };
    a.forward(x, sa, Uint8Array.of(0, 0, 1, 1, 1, 1));
    b.forward(real, sb);
    expect(Array.from(a.load)).toEqual(Array.from(b.load));
    expect(sa.balanceLosses[0].item()).toBeCloseTo(sb.balanceLosses[0].item(), 6);
  });

  it('sequence-wise balance loss = α · Σ_i f_i P_i per sequence, averaged over the batch', () => {
    const moe = new DeepseekV3MoE(moeConfig, new InitRng(4));
    const [B, T, D, E, K] = [2, 3, moeConfig.hidden_size, moeConfig.n_routed_experts, moeConfig.num_experts_per_tok];
    const x = randTensor([B, T, D], 12);
    const stats = { balanceAlpha: 0.1, balanceLosses: [] as ReturnType<typeof randTensor>[] };
    moe.forward(x, stats);
    const { scores, indices } = moe.gate.forward(tensor(x.toFloat32Array(), [B * T, D]));
    const s = scores.toFloat32Array();
    let expected = 0;
    for (let b = 0; b < B; b++) {
      const f = new Float64Array(E);
      const p = new Float64Array(E);
      for (let t = 0; t < T; t++) {
        const row = (b * T + t) * E;
        let z = 0;
        for (let e = 0; e < E; e++) z += s[row + e];
        for (let e = 0; e < E; e++) p[e] += s[row + e] / z / T;
        for (let k = 0; k < K; k++) f[indices[(b * T + t) * K + k]] += E / (K * T);
      }
      for (let e = 0; e < E; e++) expected += (0.1 * f[e] * p[e]) / B;
    }
    expect(stats.balanceLosses).toHaveLength(1);
    expect(stats.balanceLosses[0].item()).toBeCloseTo(expected, 6);
    stats.balanceLosses[0].backward();
    expect(moe.gate.weight.grad).not.toBeNull();
  });
});
