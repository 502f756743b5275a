/**
 * Multi-token prediction module (DeepSeek-V3 paper §2.2, eq. 21–25). Module k (1…D) combines the previous depth's
 * hidden state h^{k−1}_i with the embedding of token t_{i+k}:
 *   h'_i = eh_proj([enorm(Emb(t_{i+k})); hnorm(h^{k−1}_i)]),  h^k = Block(h'),  P^k = head(shared_head.norm(h^k))
 * and predicts t_{i+k+1}. The embedding and output head are shared with the main model (paper: "shared"); the
 * checkpoint's per-module copies (`embed_tokens`, `shared_head.head`) are written on save for DeepSeek/vLLM loaders.
 * HF names: model.layers.{L + k − 1}.{enorm, hnorm, eh_proj, shared_head.norm, self_attn…, mlp…} (after the last
 * decoder layer). Concatenation order [embedding; hidden] follows vLLM's deepseek_mtp.py (which runs DeepSeek's
 * released MTP weights). Leaves out: MTP-based speculative decoding.
 */
import { cat } from '../../nn/functional.js';
import { type InitRng, Linear, Module, RMSNorm } from '../../nn/module.js';
import type { Tensor } from '../../tensor.js';
import type { DeepseekV3Config } from './config.js';
import { DeepseekV3DecoderLayer } from './decoder-layer.js';
import type { AttentionInputs } from './mla.js';
import type { MoeStats } from './moe.js';

class SharedHead extends Module {
  readonly norm: RMSNorm;
  constructor(config: DeepseekV3Config) {
    super();
    this.norm = this.child('norm', new RMSNorm(config.hidden_size, config.rms_norm_eps));
  }
}

export class DeepseekV3MTPLayer extends DeepseekV3DecoderLayer {
  readonly enorm: RMSNorm;
  readonly hnorm: RMSNorm;
  readonly eh_proj: Linear;
  readonly shared_head: SharedHead;

  constructor(config: DeepseekV3Config, layerIdx: number, rng: InitRng) {
    super(config, layerIdx, rng);
    const D = config.hidden_size;
    this.enorm = this.child('enorm', new RMSNorm(D, config.rms_norm_eps));
    this.hnorm = this.child('hnorm', new RMSNorm(D, config.rms_norm_eps));
    this.eh_proj = this.child('eh_proj', new Linear(2 * D, D, { rng, std: config.initializer_range }));
    this.shared_head = this.child('shared_head', new SharedHead(config));
  }

  /** emb [B, T, D] of t_{i+k}, prev [B, T, D] = h^{k−1}_i → h^k [B, T, D] (before shared_head.norm). */
  step(emb: Tensor, prev: Tensor, inputs: AttentionInputs, stats?: MoeStats): Tensor {
    const h = this.eh_proj.forward(cat([this.enorm.forward(emb), this.hnorm.forward(prev)], -1)); // [B, T, D]
    return this.forward(h, inputs, undefined, stats); // [B, T, D]
  }
}
