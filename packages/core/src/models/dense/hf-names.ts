/**
 * The one HF-name table of the dense families (LlamaForCausalLM, Qwen2ForCausalLM, Qwen3ForCausalLM): every
 * parameter's checkpoint name, shape and init for a config, following `modeling_llama.py` / `modeling_qwen2.py` /
 * `modeling_qwen3.py` (nn.Linear weights are [out_features, in_features]):
 * - q_proj [H·Dh, d], k_proj / v_proj [Hk·Dh, d], o_proj [d, H·Dh]; biases on q/k/v always for Qwen2, on q/k/v/o with
 *   `attention_bias` for Llama and Qwen3;
 * - Qwen3: `self_attn.q_norm` / `self_attn.k_norm` [Dh] (RMSNorm per head, before RoPE);
 * - mlp gate/up [I, d], down [d, I] (+ biases with Llama's `mlp_bias`);
 * - input_layernorm / post_attention_layernorm [d], model.norm [d]; lm_head [V, d] unless tie_word_embeddings.
 * The model's modules are built from this table's names (model.ts), and loadModel checks checkpoints against it.
 */
import type { HfInit, HfParam } from '../deepseek-v3/hf-names.js';
import { type DenseConfig, headDimOf, kvHeadsOf } from './config.js';

/** Whether q/k/v have biases, and whether o_proj has one. */
export function attentionBiases(c: DenseConfig): { qkv: boolean; o: boolean } {
  if (c.model_type === 'qwen2') return { qkv: true, o: false };
  return { qkv: c.attention_bias, o: c.attention_bias };
}

/** Every checkpoint tensor of `config`, in module order. */
export function* denseHfParamsOf(c: DenseConfig): Generator<HfParam> {
  const d = c.hidden_size;
  const H = c.num_attention_heads;
  const Hk = kvHeadsOf(c);
  const Dh = headDimOf(c);
  const I = c.intermediate_size;
  const bias = attentionBiases(c);
  const param = (name: string, shape: number[], init: HfInit = 'normal'): HfParam => ({ name, shape, init });
  yield param('model.embed_tokens.weight', [c.vocab_size, d]);
  for (let i = 0; i < c.num_hidden_layers; i++) {
    const p = `model.layers.${i}`;
    for (const [proj, out] of [
      ['q_proj', H * Dh],
      ['k_proj', Hk * Dh],
      ['v_proj', Hk * Dh],
    ] as const) {
      yield param(`${p}.self_attn.${proj}.weight`, [out, d]);
      if (bias.qkv) yield param(`${p}.self_attn.${proj}.bias`, [out], 'zeros');
    }
    yield param(`${p}.self_attn.o_proj.weight`, [d, H * Dh]);
    if (bias.o) yield param(`${p}.self_attn.o_proj.bias`, [d], 'zeros');
    if (c.model_type === 'qwen3') {
      yield param(`${p}.self_attn.q_norm.weight`, [Dh], 'ones');
      yield param(`${p}.self_attn.k_norm.weight`, [Dh], 'ones');
    }
    for (const [proj, shape] of [
      ['gate_proj', [I, d]],
      ['up_proj', [I, d]],
      ['down_proj', [d, I]],
    ] as const) {
      yield param(`${p}.mlp.${proj}.weight`, [...shape]);
      if (c.mlp_bias) yield param(`${p}.mlp.${proj}.bias`, [shape[0]], 'zeros');
    }
    yield param(`${p}.input_layernorm.weight`, [d], 'ones');
    yield param(`${p}.post_attention_layernorm.weight`, [d], 'ones');
  }
  yield param('model.norm.weight', [d], 'ones');
  if (!c.tie_word_embeddings) yield param('lm_head.weight', [c.vocab_size, d]);
}

/**
 * Parameter values and tensors of `config`, in closed form (one layer counted, times num_hidden_layers): for the
 * memory budget, so a hostile layer count costs nothing to check.
 */
export function denseSize(c: DenseConfig): { values: number; tensors: number } {
  const count = (params: Iterable<HfParam>) => {
    let values = 0;
    let tensors = 0;
    for (const p of params) {
      values += p.shape.reduce((a, b) => a * b, 1);
      tensors++;
    }
    return { values, tensors };
  };
  const outer = count(denseHfParamsOf({ ...c, num_hidden_layers: 0 } as DenseConfig));
  const layer = count(
    [...denseHfParamsOf({ ...c, num_hidden_layers: 1 } as DenseConfig)].filter((p) =>
      p.name.startsWith('model.layers.'),
    ),
  );
  return {
    values: outer.values + layer.values * c.num_hidden_layers,
    tensors: outer.tensors + layer.tensors * c.num_hidden_layers,
  };
}
