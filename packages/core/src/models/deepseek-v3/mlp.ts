/**
 * SwiGLU feed-forward block: down_proj(silu(gate_proj(x)) · up_proj(x)). Used as the dense MLP of the first
 * `first_k_dense_replace` layers, as each routed expert and (n_shared_experts × wider) as the shared expert.
 * Follows HF `DeepseekV3MLP` (modeling_deepseek_v3.py); HF names gate_proj / up_proj / down_proj, no biases.
 * The gated activation is the fused `swiglu` op (one pass, no silu intermediate kept). Routed experts normally run
 * through the fused `moeExperts` op (moe.ts), which reads these same weights; `forward` here serves the dense layers,
 * the shared experts and anyone calling an expert alone; the dense families (models/dense) use it as their MLP.
 */
import { type InitRng, Linear, Module } from '../../nn/module.js';
import { swiglu } from '../../ops/swiglu.js';
import type { Tensor } from '../../tensor.js';

export class DeepseekV3MLP extends Module {
  readonly gate_proj: Linear;
  readonly up_proj: Linear;
  readonly down_proj: Linear;
  /** @param bias biases on the three projections (Llama's `mlp_bias`; DeepSeek-V3 has none). */
  constructor(hiddenSize: number, intermediateSize: number, rng: InitRng, std: number, bias = false) {
    super();
    this.gate_proj = this.child('gate_proj', new Linear(hiddenSize, intermediateSize, { rng, std, bias }));
    this.up_proj = this.child('up_proj', new Linear(hiddenSize, intermediateSize, { rng, std, bias }));
    this.down_proj = this.child('down_proj', new Linear(intermediateSize, hiddenSize, { rng, std, bias }));
  }

  /** x [..., D] → [..., D]. */
  forward(x: Tensor): Tensor {
    return this.down_proj.forward(swiglu(this.gate_proj.forward(x), this.up_proj.forward(x))); // [..., D]
  }
}
