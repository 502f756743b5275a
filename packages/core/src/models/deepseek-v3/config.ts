/**
 * DeepseekV3Config: the model's hyper-parameters as a zod schema with Hugging Face's key names and defaults.
 *
 * Follows `transformers/models/deepseek_v3/configuration_deepseek_v3.py` (defaults = DeepSeek-V3 671B) plus the keys
 * DeepSeek's own `configuration_deepseek.py` adds and the hub `config.json` carries (`moe_layer_freq`, `scoring_func`,
 * `topk_method`, `num_nextn_predict_layers`, `rope_scaling`). Unknown keys are kept (loose object) so a config read
 * from disk is written back unchanged. A transformers-v5 style `rope_parameters` block is folded into `rope_theta` /
 * `rope_scaling` on read (and kept as-is for write-back).
 *
 * Leaves out: V2-style routing (`scoring_func: 'softmax'`, `topk_method: 'greedy' | 'group_limited_greedy'`), rope
 * types other than default and YaRN, training-only keys (`aux_loss_alpha`, `seq_aux`) which are merely kept.
 */
import { readFile } from 'node:fs/promises';
import { z } from 'zod';
import { AhaError } from '../../errors.js';
import type { DenseConfig } from '../dense/config.js';
import { checkSpecialTokenIds, foldRopeParameters } from '../hf-config.js';

/** A config that does not validate: the message lists every offending key with its value. */
export class ConfigError extends AhaError {
  constructor(
    message: string,
    readonly issues: readonly string[] = [],
  ) {
    super('config', message);
  }
}

const posInt = z.number().int().positive();
const nonNegInt = z.number().int().nonnegative();

/** YaRN RoPE scaling (arXiv:2309.00071), in the `rope_scaling` block of DeepSeek-V3's config.json. */
export const YarnRopeScalingSchema = z
  .looseObject({
    type: z
      .literal('yarn')
      .describe('RoPE scaling type; only YaRN is supported ("rope_type" is accepted as an alias).'),
    factor: z.number().positive().describe('Context extension factor s (DeepSeek-V3: 40).'),
    original_max_position_embeddings: posInt.describe(
      'Context length the rotary frequencies were pretrained on; sets the YaRN correction range (DeepSeek-V3: 4096).',
    ),
    beta_fast: z.number().positive().default(32).describe('β_fast: rotations above which a dimension is extrapolated.'),
    beta_slow: z.number().positive().default(1).describe('β_slow: rotations below which a dimension is interpolated.'),
    mscale: z.number().default(1).describe('mscale for the cos/sin attention factor (numerator of the ratio).'),
    mscale_all_dim: z
      .number()
      .default(0)
      .describe(
        'mscale applied to every dim: cos/sin denominator, and softmax scale × mscale(s, this)² when non-zero.',
      ),
    truncate: z.boolean().optional().describe('Floor/ceil the correction range to whole dims (HF default true).'),
    attention_factor: z
      .number()
      .positive()
      .optional()
      .describe('Overrides the cos/sin attention factor (HF); unset = mscale(s, mscale) / mscale(s, mscale_all_dim).'),
  })
  .describe('YaRN rope scaling; null = plain RoPE.');
export type YarnRopeScaling = z.infer<typeof YarnRopeScalingSchema>;

const ropeScalingInput = z.preprocess((v) => {
  // HF accepts both "type" and "rope_type" for the scaling kind.
  if (v && typeof v === 'object' && !('type' in v) && 'rope_type' in v) {
    return { ...(v as Record<string, unknown>), type: (v as Record<string, unknown>).rope_type };
  }
  return v;
}, YarnRopeScalingSchema.nullable());

const tokenId = nonNegInt.nullable();

const shape = z.looseObject({
  model_type: z.literal('deepseek_v3').default('deepseek_v3').describe('HF model type.'),
  architectures: z
    .array(z.string())
    .default(['DeepseekV3ForCausalLM'])
    .describe('HF architectures list (written to config.json).'),
  vocab_size: posInt.default(129280).describe('Vocabulary size V (rows of embed_tokens and lm_head).'),
  hidden_size: posInt.default(7168).describe('Model width d.'),
  intermediate_size: posInt
    .default(18432)
    .describe('Hidden width of the dense SwiGLU MLP (first_k_dense_replace layers).'),
  moe_intermediate_size: posInt
    .default(2048)
    .describe('Hidden width of each routed expert (shared: × n_shared_experts).'),
  num_hidden_layers: posInt.default(61).describe('Number of decoder layers L (MTP layers come after them).'),
  num_attention_heads: posInt.default(128).describe('Number of attention heads n_h.'),
  num_key_value_heads: posInt
    .nullable()
    .default(128)
    .describe('KV heads; MLA expands the latent to every head, so this must equal num_attention_heads (null = same).'),
  n_shared_experts: nonNegInt.default(1).describe('Shared experts N_s per MoE layer (fused into one wider MLP).'),
  n_routed_experts: posInt.default(256).describe('Routed experts N_r per MoE layer.'),
  num_experts_per_tok: posInt.default(8).describe('Routed experts chosen per token K_r.'),
  n_group: posInt.default(8).describe('Expert groups M for group-limited routing (N_r / M experts each).'),
  topk_group: posInt.default(4).describe('Groups a token may route to (group score = sum of its top-2 affinities).'),
  routed_scaling_factor: z.number().positive().default(2.5).describe("Multiplier on the routed experts' gate weights."),
  norm_topk_prob: z.boolean().default(true).describe('Normalise the K_r selected sigmoid affinities to sum to 1.'),
  scoring_func: z
    .literal('sigmoid')
    .default('sigmoid')
    .describe('Token-to-expert affinity s = sigmoid(u·e); only sigmoid (DeepSeek-V3) is supported.'),
  topk_method: z
    .literal('noaux_tc')
    .default('noaux_tc')
    .describe('Auxiliary-loss-free routing: bias b_i added for selection only; only noaux_tc is supported.'),
  first_k_dense_replace: nonNegInt.default(3).describe('The first k layers use a dense MLP instead of MoE.'),
  moe_layer_freq: posInt.default(1).describe('After the dense layers, every n-th layer is MoE (DeepSeek-V3: 1).'),
  q_lora_rank: posInt
    .nullable()
    .default(1536)
    .describe("Query compression rank d_c' (q_a_proj → norm → q_b_proj); null = a plain q_proj."),
  kv_lora_rank: posInt.default(512).describe('KV latent rank d_c (what the MLA cache stores).'),
  qk_nope_head_dim: posInt.default(128).describe('Per-head query/key dims without RoPE d_h.'),
  qk_rope_head_dim: posInt.default(64).describe('Per-head decoupled RoPE dims d_h^R (one shared key head).'),
  v_head_dim: posInt.default(128).describe('Per-head value dims.'),
  hidden_act: z.literal('silu').default('silu').describe('Activation of the SwiGLU MLPs; only silu is supported.'),
  max_position_embeddings: posInt.default(4096).describe('Longest sequence the RoPE tables cover.'),
  rope_theta: z.number().positive().default(10000).describe('RoPE base θ.'),
  rope_scaling: ropeScalingInput.default(null).describe('YaRN rope scaling; null = plain RoPE.'),
  rope_interleave: z
    .boolean()
    .default(true)
    .describe('RoPE dims stored as interleaved pairs (x0,x1),(x2,x3)… (DeepSeek weights) rather than halves.'),
  rms_norm_eps: z.number().positive().default(1e-6).describe('ε of every RMSNorm.'),
  initializer_range: z
    .number()
    .nonnegative()
    .default(0.02)
    .describe('Std of the normal init of linear/embedding weights.'),
  attention_bias: z.boolean().default(false).describe('Bias on q_a_proj, kv_a_proj_with_mqa and o_proj.'),
  attention_dropout: z
    .number()
    .min(0)
    .max(1)
    .default(0)
    .describe('Dropout on attention probabilities (training only).'),
  tie_word_embeddings: z.boolean().default(false).describe('Share lm_head.weight with model.embed_tokens.weight.'),
  num_nextn_predict_layers: nonNegInt
    .default(1)
    .describe('Multi-token-prediction depth D (MTP modules stored as model.layers.{L + k}); 0 = none.'),
  use_cache: z.boolean().default(true).describe('Keep a KV cache during generation.'),
  pretraining_tp: posInt.default(1).describe('Tensor-parallel degree used in pretraining (kept for HF).'),
  bos_token_id: tokenId.default(0).describe('Beginning-of-sequence token id.'),
  eos_token_id: z
    .union([nonNegInt, z.array(nonNegInt)])
    .nullable()
    .default(1)
    .describe('End-of-sequence token id (or ids).'),
  pad_token_id: tokenId.default(null).describe('Padding token id (null = none).'),
});

/** Cross-field rules; each message names the keys and their values. */
function checkConsistency(c: z.infer<typeof shape>, ctx: z.RefinementCtx): void {
  const bad = (message: string, path: string) => ctx.addIssue({ code: 'custom', message, path: [path] });
  if (c.n_routed_experts % c.n_group !== 0) {
    bad(`n_routed_experts (${c.n_routed_experts}) must be divisible by n_group (${c.n_group})`, 'n_group');
  } else if (c.n_routed_experts / c.n_group < 2) {
    bad(
      `each expert group needs at least 2 experts (its score is the sum of its top-2), but n_routed_experts / n_group = ${c.n_routed_experts}/${c.n_group}`,
      'n_group',
    );
  }
  if (c.topk_group > c.n_group) bad(`topk_group (${c.topk_group}) exceeds n_group (${c.n_group})`, 'topk_group');
  if (c.num_experts_per_tok > c.n_routed_experts) {
    bad(
      `num_experts_per_tok (${c.num_experts_per_tok}) exceeds n_routed_experts (${c.n_routed_experts})`,
      'num_experts_per_tok',
    );
  } else if (
    c.n_routed_experts % c.n_group === 0 &&
    c.topk_group <= c.n_group &&
    c.num_experts_per_tok > c.topk_group * (c.n_routed_experts / c.n_group)
  ) {
    bad(
      `num_experts_per_tok (${c.num_experts_per_tok}) exceeds the experts in topk_group (${c.topk_group}) groups of ${c.n_routed_experts / c.n_group}`,
      'num_experts_per_tok',
    );
  }
  if (c.first_k_dense_replace > c.num_hidden_layers) {
    bad(
      `first_k_dense_replace (${c.first_k_dense_replace}) exceeds num_hidden_layers (${c.num_hidden_layers})`,
      'first_k_dense_replace',
    );
  }
  if (c.num_key_value_heads !== null && c.num_key_value_heads !== c.num_attention_heads) {
    bad(
      `num_key_value_heads (${c.num_key_value_heads}) must equal num_attention_heads (${c.num_attention_heads}): MLA expands the KV latent to every head`,
      'num_key_value_heads',
    );
  }
  if (c.qk_rope_head_dim % 2 !== 0) bad(`qk_rope_head_dim (${c.qk_rope_head_dim}) must be even`, 'qk_rope_head_dim');
  checkSpecialTokenIds(c, ctx);
}

/** The zod schema of `config.json` for DeepseekV3ForCausalLM (defaults = DeepSeek-V3). */
export const DeepseekV3ConfigSchema = z.preprocess(foldRopeParameters, shape.superRefine(checkConsistency));
/** The object schema alone (per-key schemas and their `.describe()` texts, for docs / CLI help / JSON Schema). */
export const DeepseekV3ConfigShape = shape;

/** A validated DeepSeek-V3 config (HF key names; unknown keys kept). */
export type DeepseekV3Config = z.infer<typeof shape>;
/** What a user may pass: every key optional. */
export type DeepseekV3ConfigInput = z.input<typeof shape>;

/**
 * Validates `input` (a parsed config.json or a partial object) and fills the defaults.
 * @throws ConfigError listing every offending key with its value.
 */
export function parseDeepseekV3Config(input: unknown): DeepseekV3Config {
  const result = DeepseekV3ConfigSchema.safeParse(input ?? {});
  if (result.success) return result.data as DeepseekV3Config;
  const issues = result.error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`);
  throw new ConfigError(`invalid DeepseekV3Config: ${issues.join('; ')}`, issues);
}

/**
 * Reads and validates a `config.json` file. `check(raw)` runs on the parsed JSON before defaults are filled (loadModel
 * uses it to require the keys that define the architecture).
 */
export async function readDeepseekV3Config(
  path: string,
  options: { check?: (raw: unknown) => void } = {},
): Promise<DeepseekV3Config> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    throw new AhaError('io', `cannot read config ${path}: ${(err as Error).message}`, { cause: err });
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (err) {
    throw new ConfigError(`config ${path} is not valid JSON: ${(err as Error).message}`);
  }
  options.check?.(json);
  return parseDeepseekV3Config(json);
}

/**
 * The JSON text HF expects in config.json (every key, unknown ones included; 2-space indent). Takes the dense
 * families' configs too (written the same way), since trainers save whatever model they train.
 */
export function deepseekV3ConfigToJson(config: DeepseekV3Config | DenseConfig): string {
  return `${JSON.stringify(config, null, 2)}\n`;
}

/** q/k head dim: the no-RoPE part plus the RoPE part (HF `qk_head_dim`). */
export const qkHeadDim = (c: DeepseekV3Config): number => c.qk_nope_head_dim + c.qk_rope_head_dim;

/** Whether decoder layer `i` has a MoE block (DeepSeek's rule; HF's equals it for moe_layer_freq = 1). */
export const isMoeLayer = (c: DeepseekV3Config, i: number): boolean =>
  c.n_routed_experts > 0 && i >= c.first_k_dense_replace && i % c.moe_layer_freq === 0;
