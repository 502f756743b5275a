/**
 * DeepSeekMoE (DeepSeek-V3 paper §2.1.2): shared experts + routed experts with sigmoid affinities, a per-expert bias
 * used for selection only (auxiliary-loss-free balancing, §2.1.2 "Auxiliary-Loss-Free Load Balancing"),
 * group-limited routing (n_group / topk_group; group score = sum of the group's top-2 biased scores), gate weights
 * from the *unbiased* scores, normalised over the top-k (norm_topk_prob) × routed_scaling_factor, and the optional
 * sequence-wise balance loss (§2.1.2, eq. 17–20).
 * Follows HF `DeepseekV3TopkRouter` / `DeepseekV3MoE` (modeling_deepseek_v3.py): experts outside the kept groups get
 * a biased score of 0.0 (HF's masked_fill), not −∞ as in DeepSeek's inference/model.py; the two differ only when a
 * biased score is negative.
 * Routed expert compute is the fused `moeExperts` op (ops/moe-experts.ts: tokens sorted by expert, a grouped GEMM,
 * fused SwiGLU, weighted un-permute), never a loop over tokens; it gives what indexSelect → expert MLP → weighted
 * scatterAdd gave, including no gradient for an expert that received no token.
 * Leaves out: expert parallelism, capacity limits / token dropping.
 */
import { isGradEnabled } from '../../autograd/node.js';
import { add, div, gather, linear, mul, reshape, sigmoid, sum } from '../../nn/functional.js';
import { type InitRng, Module, ModuleList } from '../../nn/module.js';
import { moeExperts } from '../../ops/moe-experts.js';
import { type Tensor, tensor, zeros } from '../../tensor.js';
import type { DeepseekV3Config } from './config.js';
import { DeepseekV3MLP } from './mlp.js';

/** The routing hyper-parameters `selectExperts` needs (HF config names). */
export interface RoutingConfig {
  n_routed_experts: number;
  num_experts_per_tok: number;
  n_group: number;
  topk_group: number;
}

/**
 * Group-limited top-k selection on sigmoid scores [N, E] (row-major) plus the correction bias [E].
 * Per token: biased = score + bias; group score = sum of the top-2 biased scores of each of n_group groups; keep the
 * topk_group best groups; zero the biased scores elsewhere; take the num_experts_per_tok largest (ties → lower index).
 * Returns expert ids [N, K], best first. Pure JS: selection has no gradient.
 */
export function selectExperts(scores: Float32Array, bias: Float32Array, cfg: RoutingConfig): Int32Array {
  const E = cfg.n_routed_experts;
  const K = cfg.num_experts_per_tok;
  const G = cfg.n_group;
  const per = E / G;
  const N = scores.length / E;
  const out = new Int32Array(N * K);
  const biased = new Float64Array(E);
  const groupScore = new Float64Array(G);
  const byDesc = (v: ArrayLike<number>) => (a: number, b: number) => v[b] - v[a] || a - b;
  const groupOrder = Array.from({ length: G }, (_, g) => g);
  const expertOrder = Array.from({ length: E }, (_, e) => e);
  for (let n = 0; n < N; n++) {
    for (let e = 0; e < E; e++) biased[e] = Math.fround(scores[n * E + e] + bias[e]);
    for (let g = 0; g < G; g++) {
      // Sum of the two largest biased scores in the group (HF: topk(2).sum()).
      let first = -Infinity;
      let second = -Infinity;
      for (let e = g * per; e < (g + 1) * per; e++) {
        const v = biased[e];
        if (v > first) {
          second = first;
          first = v;
        } else if (v > second) second = v;
      }
      groupScore[g] = per >= 2 ? first + second : first;
    }
    groupOrder.sort(byDesc(groupScore));
    const kept = new Uint8Array(G);
    for (let i = 0; i < cfg.topk_group; i++) kept[groupOrder[i]] = 1;
    for (let e = 0; e < E; e++) if (!kept[Math.floor(e / per)]) biased[e] = 0;
    expertOrder.sort(byDesc(biased));
    for (let k = 0; k < K; k++) out[n * K + k] = expertOrder[k];
  }
  return out;
}

/** The router (HF `DeepseekV3TopkRouter`, named `gate`): weight [E, D] and the selection-only bias buffer [E]. */
export class DeepseekV3TopkRouter extends Module {
  readonly weight: Tensor;
  readonly e_score_correction_bias: Tensor;
  constructor(
    readonly config: DeepseekV3Config,
    rng: InitRng,
  ) {
    super();
    this.weight = this.param(
      'weight',
      rng.normalTensor([config.n_routed_experts, config.hidden_size], config.initializer_range),
    );
    this.e_score_correction_bias = this.buffer('e_score_correction_bias', zeros([config.n_routed_experts]));
  }

  /** x [N, D] → sigmoid scores [N, E] (with gradient), expert ids [N, K] and gate weights [N, K] (with gradient). */
  forward(x: Tensor): { scores: Tensor; indices: Int32Array; weights: Tensor } {
    const c = this.config;
    const N = x.shape[0];
    const K = c.num_experts_per_tok;
    const scores = sigmoid(linear(x, this.weight)); // [N, E]
    const indices = selectExperts(scores.values(), this.e_score_correction_bias.values(), c); // [N, K]
    let weights = gather(scores, 1, indices, [N, K]); // [N, K] from the unbiased scores
    if (c.norm_topk_prob) weights = div(weights, add(sum(weights, -1, true), 1e-20)); // [N, K]
    weights = mul(weights, c.routed_scaling_factor); // [N, K]
    return { scores, indices, weights };
  }
}

/** What one MoE forward adds to training: expert loads and, when asked, the sequence-wise balance loss. */
export interface MoeStats {
  /** Add the balance loss α·Σ f_i P_i (paper eq. 17) here when α > 0. */
  balanceAlpha: number;
  balanceLosses: Tensor[];
}

/** Shared experts + routed experts (HF `DeepseekV3MoE`). */
export class DeepseekV3MoE extends Module {
  readonly gate: DeepseekV3TopkRouter;
  readonly experts: DeepseekV3MLP[];
  readonly shared_experts: DeepseekV3MLP | null;
  /** Tokens routed to each expert since the last `updateRoutingBias` (training forwards with grad on only). */
  readonly load: Float64Array;

  constructor(
    readonly config: DeepseekV3Config,
    rng: InitRng,
  ) {
    super();
    const std = config.initializer_range;
    const D = config.hidden_size;
    this.experts = Array.from(
      { length: config.n_routed_experts },
      () => new DeepseekV3MLP(D, config.moe_intermediate_size, rng, std),
    );
    this.child('experts', new ModuleList(this.experts));
    this.gate = this.child('gate', new DeepseekV3TopkRouter(config, rng));
    this.shared_experts =
      config.n_shared_experts > 0
        ? this.child(
            'shared_experts',
            new DeepseekV3MLP(D, config.moe_intermediate_size * config.n_shared_experts, rng, std),
          )
        : null;
    this.load = new Float64Array(config.n_routed_experts);
  }

  /**
   * x [B, T, D] → [B, T, D]. `tokenMask` [B·T] (1 = real token) keeps padding out of the expert loads and the
   * balance loss; padding is still computed (its outputs are ignored downstream).
   */
  forward(x: Tensor, stats?: MoeStats, tokenMask?: Uint8Array | null): Tensor {
    const [B, T, D] = x.shape;
    const N = B * T;
    const K = this.config.num_experts_per_tok;
    const flat = reshape(x, [N, D]); // [N, D]
    const { scores, indices, weights } = this.gate.forward(flat);

    // Loads count for balancing only in training forwards (grad on): rollouts and evaluation leave them alone.
    if (this.training && isGradEnabled()) {
      for (let i = 0; i < N * K; i++) if (!tokenMask || tokenMask[Math.floor(i / K)]) this.load[indices[i]]++;
    }
    let y = moeExperts(flat, indices, weights, {
      gate: this.experts.map((e) => e.gate_proj.weight), // E × [I, D]
      up: this.experts.map((e) => e.up_proj.weight), // E × [I, D]
      down: this.experts.map((e) => e.down_proj.weight), // E × [D, I]
    }); // [N, D]
    if (this.shared_experts) y = add(y, this.shared_experts.forward(flat)); // [N, D]

    if (stats && stats.balanceAlpha > 0)
      stats.balanceLosses.push(this.balanceLoss(scores, indices, B, T, stats.balanceAlpha, tokenMask));
    return reshape(y, [B, T, D]);
  }

  /**
   * Sequence-wise balance loss (paper eq. 17–20): per sequence, α · Σ_i f_i · P_i with f_i = N_r/(K_r·T) · #tokens
   * routed to i and P_i = mean over tokens of the normalised affinity s_i / Σ_j s_j (T and the sums over the real
   * tokens of the row); averaged over the batch.
   */
  private balanceLoss(
    scores: Tensor,
    indices: Int32Array,
    B: number,
    T: number,
    alpha: number,
    tokenMask?: Uint8Array | null,
  ): Tensor {
    const E = this.config.n_routed_experts;
    const K = this.config.num_experts_per_tok;
    const f = new Float32Array(B * E); // [B, E], constant
    const w = new Float32Array(B * T); // [B, T]: 1 / T_b on real tokens, 0 on padding
    for (let b = 0; b < B; b++) {
      let real = 0;
      for (let t = 0; t < T; t++) real += !tokenMask || tokenMask[b * T + t] ? 1 : 0;
      if (real === 0) continue;
      for (let t = 0; t < T; t++) {
        const n = b * T + t;
        if (tokenMask && !tokenMask[n]) continue;
        w[n] = 1 / real;
        for (let k = 0; k < K; k++) f[b * E + indices[n * K + k]] += E / (K * real);
      }
    }
    const s = reshape(scores, [B, T, E]); // [B, T, E]
    const p = sum(mul(div(s, sum(s, -1, true)), tensor(w, [B, T, 1])), 1); // [B, E]
    return mul(sum(mul(p, tensor(f, [B, E]))), alpha / B);
  }

  /**
   * Auxiliary-loss-free balancing step: b_i += γ · sign(mean load − load_i) from the loads counted since the last
   * call, then resets the counts. Returns the loads that were used.
   */
  updateRoutingBias(gamma: number): Float64Array {
    const E = this.config.n_routed_experts;
    const used = this.load.slice();
    let total = 0;
    for (let e = 0; e < E; e++) total += used[e];
    if (total === 0) return used;
    const meanLoad = total / E;
    const b = this.gate.e_score_correction_bias.values();
    for (let e = 0; e < E; e++) b[e] += gamma * Math.sign(meanLoad - used[e]);
    this.load.fill(0);
    return used;
  }
}
