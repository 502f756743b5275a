/**
 * One pre-norm decoder block (HF `DeepseekV3DecoderLayer`): h + MLA(input_layernorm(h)), then
 * + FFN(post_attention_layernorm(h)) where the FFN is the dense SwiGLU MLP for the first `first_k_dense_replace`
 * layers (and off-frequency layers when moe_layer_freq > 1) and DeepSeekMoE otherwise. Also the block inside each MTP
 * module. Leaves out: dropout (DeepSeek-V3 trains without it).
 */
import { add } from '../../nn/functional.js';
import { type InitRng, Module, RMSNorm } from '../../nn/module.js';
import type { Tensor } from '../../tensor.js';
import { type DeepseekV3Config, isMoeLayer } from './config.js';
import type { LatentLayerCache } from './kv-cache.js';
import { type AttentionInputs, DeepseekV3Attention } from './mla.js';
import { DeepseekV3MLP } from './mlp.js';
import { DeepseekV3MoE, type MoeStats } from './moe.js';

export class DeepseekV3DecoderLayer extends Module {
  readonly self_attn: DeepseekV3Attention;
  readonly mlp: DeepseekV3MLP | DeepseekV3MoE;
  readonly input_layernorm: RMSNorm;
  readonly post_attention_layernorm: RMSNorm;

  constructor(
    readonly config: DeepseekV3Config,
    readonly layerIdx: number,
    rng: InitRng,
  ) {
    super();
    this.self_attn = this.child('self_attn', new DeepseekV3Attention(config, rng));
    this.mlp = this.child(
      'mlp',
      isMoeLayer(config, layerIdx)
        ? new DeepseekV3MoE(config, rng)
        : new DeepseekV3MLP(config.hidden_size, config.intermediate_size, rng, config.initializer_range),
    );
    this.input_layernorm = this.child('input_layernorm', new RMSNorm(config.hidden_size, config.rms_norm_eps));
    this.post_attention_layernorm = this.child(
      'post_attention_layernorm',
      new RMSNorm(config.hidden_size, config.rms_norm_eps),
    );
  }

  /** h [B, T, D] → [B, T, D]. */
  forward(h: Tensor, inputs: AttentionInputs, cache?: LatentLayerCache, stats?: MoeStats): Tensor {
    h = add(h, this.self_attn.forward(this.input_layernorm.forward(h), inputs, cache)); // [B, T, D]
    const x = this.post_attention_layernorm.forward(h); // [B, T, D]
    return add(
      h,
      this.mlp instanceof DeepseekV3MoE ? this.mlp.forward(x, stats, inputs.tokenMask) : this.mlp.forward(x),
    ); // [B, T, D]
  }
}
