/**
 * Configs of the dense decoder families (Llama, Qwen2, Qwen3) as zod schemas with Hugging Face's key names and
 * defaults: `transformers/models/{llama,qwen2,qwen3}/configuration_*.py`. One shape serves the three families; each
 * family fixes its `model_type` / `architectures` and its defaults (Qwen2 always has q/k/v biases and no
 * `attention_bias` key; Qwen3 adds per-head q/k RMSNorm and states `head_dim`). Unknown keys are kept (loose object)
 * so a config read from disk is written back unchanged. A transformers-v5 `rope_parameters` block is folded into
 * `rope_theta` / `rope_scaling` on read.
 *
 * RoPE scaling: `linear`, `dynamic` (NTK-aware, recomputed from the longest position of each call) and `llama3`, as
 * HF's `modeling_rope_utils` defines them; `default` / null = plain RoPE.
 * Leaves out: sliding-window attention (`use_sliding_window: true` is a ConfigError), yarn / longrope scaling for
 * these families, `mlp_bias` on Qwen, `pretraining_tp > 1` slicing (HF ignores it in the forward as well).
 */
import { readFile } from 'node:fs/promises';
import { z } from 'zod';
import { AhaError } from '../../errors.js';
import { ConfigError } from '../deepseek-v3/config.js';
import { checkSpecialTokenIds, foldRopeParameters } from '../hf-config.js';

const posInt = z.number().int().positive();
const nonNegInt = z.number().int().nonnegative();
const tokenId = nonNegInt.nullable();

/** The dense families and their HF names. */
export const DENSE_FAMILIES = {
  llama: 'LlamaForCausalLM',
  qwen2: 'Qwen2ForCausalLM',
  qwen3: 'Qwen3ForCausalLM',
} as const;
export type DenseFamily = keyof typeof DENSE_FAMILIES;

/** `rope_scaling` of the dense families (HF accepts `type` or `rope_type` for the kind). */
export const DenseRopeScalingSchema = z.discriminatedUnion('type', [
  z.looseObject({
    type: z.literal('linear').describe('Position interpolation: inv_freq / factor.'),
    factor: z.number().positive().describe('Context extension factor.'),
  }),
  z.looseObject({
    type: z
      .literal('dynamic')
      .describe(
        'Dynamic NTK: beyond max_position_embeddings, base θ·(s·L/L₀ − (s − 1))^(d/(d−2)) with L the longest position + 1.',
      ),
    factor: z.number().positive().describe('Context extension factor s.'),
  }),
  z.looseObject({
    type: z.literal('llama3').describe('Llama 3.1 frequency-band scaling.'),
    factor: z.number().positive().describe('Scale of the low frequencies (Llama 3.1: 8).'),
    low_freq_factor: z.number().positive().describe('Wavelengths above L₀ / this are divided by factor (1).'),
    high_freq_factor: z.number().positive().describe('Wavelengths below L₀ / this are kept (4).'),
    original_max_position_embeddings: posInt.describe('Pretraining context L₀ (Llama 3.1: 8192).'),
  }),
]);
export type DenseRopeScaling = z.infer<typeof DenseRopeScalingSchema>;

const ropeScalingInput = z.preprocess((v) => {
  if (v && typeof v === 'object') {
    const r = v as Record<string, unknown>;
    const kind = r.type ?? r.rope_type;
    if (kind === 'default') return null; // HF's name for plain RoPE
    if (!('type' in r) && 'rope_type' in r) return { ...r, type: r.rope_type };
  }
  return v;
}, DenseRopeScalingSchema.nullable());

function shapeOf(
  family: DenseFamily,
  d: { vocab: number; inter: number; maxPos: number; bos: number | null; eos: number | null },
) {
  return z.looseObject({
    model_type: z.literal(family).default(family).describe('HF model type.'),
    architectures: z
      .array(z.string())
      .default([DENSE_FAMILIES[family]])
      .describe('HF architectures list (written to config.json).'),
    vocab_size: posInt.default(d.vocab).describe('Vocabulary size V.'),
    hidden_size: posInt.default(4096).describe('Model width d.'),
    intermediate_size: posInt.default(d.inter).describe('Hidden width of the SwiGLU MLP.'),
    num_hidden_layers: posInt.default(32).describe('Number of decoder layers.'),
    num_attention_heads: posInt.default(32).describe('Query heads H.'),
    num_key_value_heads: posInt
      .nullable()
      .default(null)
      .describe('Key/value heads Hk (grouped-query attention, H divisible by Hk); null = H.'),
    head_dim: posInt
      .nullable()
      .default(family === 'qwen3' ? 128 : null)
      .describe('Per-head dim; null = hidden_size / num_attention_heads.'),
    hidden_act: z.literal('silu').default('silu').describe('Activation of the SwiGLU MLP; only silu is supported.'),
    max_position_embeddings: posInt.default(d.maxPos).describe('Longest sequence (and L₀ of dynamic RoPE).'),
    rope_theta: z.number().positive().default(10000).describe('RoPE base θ.'),
    rope_scaling: ropeScalingInput.default(null).describe('RoPE scaling (linear, dynamic, llama3); null = plain.'),
    rms_norm_eps: z.number().positive().default(1e-6).describe('ε of every RMSNorm.'),
    initializer_range: z.number().nonnegative().default(0.02).describe('Std of the normal init of weights.'),
    attention_bias: z
      .boolean()
      .default(false)
      .describe(
        family === 'qwen2'
          ? 'Not a Qwen2 key: Qwen2 always has q/k/v biases and no o_proj bias (must stay false).'
          : 'Biases on q/k/v/o projections.',
      ),
    mlp_bias: z.boolean().default(false).describe('Biases on gate/up/down projections (Llama only).'),
    attention_dropout: z.number().min(0).max(1).default(0).describe('Dropout on attention probabilities (must be 0).'),
    tie_word_embeddings: z.boolean().default(false).describe('Share lm_head.weight with model.embed_tokens.weight.'),
    use_sliding_window: z.boolean().default(false).describe('Sliding-window attention (Qwen); not supported.'),
    use_cache: z.boolean().default(true).describe('Keep a KV cache during generation.'),
    pretraining_tp: posInt.default(1).describe('Tensor-parallel degree of pretraining (kept for HF).'),
    bos_token_id: tokenId.default(d.bos).describe('Beginning-of-sequence token id.'),
    eos_token_id: z
      .union([nonNegInt, z.array(nonNegInt)])
      .nullable()
      .default(d.eos)
      .describe('End-of-sequence token id (or ids).'),
    pad_token_id: tokenId.default(null).describe('Padding token id (null = none).'),
  });
}

const shapes = {
  llama: shapeOf('llama', { vocab: 32000, inter: 11008, maxPos: 2048, bos: 1, eos: 2 }),
  qwen2: shapeOf('qwen2', { vocab: 151936, inter: 22016, maxPos: 32768, bos: null, eos: null }),
  qwen3: shapeOf('qwen3', { vocab: 151936, inter: 22016, maxPos: 32768, bos: null, eos: null }),
};

type Shape<F extends DenseFamily> = z.infer<(typeof shapes)[F]>;
/** A validated Llama config (HF keys; unknown keys kept). */
export type LlamaConfig = Shape<'llama'>;
/** A validated Qwen2 config. */
export type Qwen2Config = Shape<'qwen2'>;
/** A validated Qwen3 config. */
export type Qwen3Config = Shape<'qwen3'>;
/** Any dense family's config; `model_type` tells which. */
export type DenseConfig = LlamaConfig | Qwen2Config | Qwen3Config;
export type LlamaConfigInput = z.input<(typeof shapes)['llama']>;
export type Qwen2ConfigInput = z.input<(typeof shapes)['qwen2']>;
export type Qwen3ConfigInput = z.input<(typeof shapes)['qwen3']>;
export type DenseConfigInput =
  | (LlamaConfigInput & { model_type: 'llama' })
  | (Qwen2ConfigInput & { model_type: 'qwen2' })
  | (Qwen3ConfigInput & { model_type: 'qwen3' });

/**
 * Keys a dense config.json must state when loaded from a folder: with the family's rules they fix every shape.
 * `num_key_value_heads` may be absent (HF reads that as one K/V head per query head, e.g. Llama 1 configs); a
 * checkpoint that disagrees still fails the tensor-index check.
 */
export const DENSE_ARCHITECTURE_KEYS = {
  llama: ['vocab_size', 'hidden_size', 'intermediate_size', 'num_hidden_layers', 'num_attention_heads'],
  qwen2: ['vocab_size', 'hidden_size', 'intermediate_size', 'num_hidden_layers', 'num_attention_heads'],
  qwen3: ['vocab_size', 'hidden_size', 'intermediate_size', 'num_hidden_layers', 'num_attention_heads', 'head_dim'],
} as const satisfies Record<DenseFamily, readonly string[]>;

/** Per-head dim: `head_dim` when stated, else hidden_size / num_attention_heads (HF). */
export const headDimOf = (c: DenseConfig): number => c.head_dim ?? c.hidden_size / c.num_attention_heads;
/** Key/value heads (num_key_value_heads, or every query head when null). */
export const kvHeadsOf = (c: DenseConfig): number => c.num_key_value_heads ?? c.num_attention_heads;

function checkConsistency(c: DenseConfig, ctx: z.RefinementCtx): void {
  const bad = (message: string, path: string) => ctx.addIssue({ code: 'custom', message, path: [path] });
  const H = c.num_attention_heads;
  const Hk = kvHeadsOf(c);
  if (H % Hk !== 0) {
    bad(`num_attention_heads (${H}) must be divisible by num_key_value_heads (${Hk})`, 'num_key_value_heads');
  }
  if (c.head_dim === null && c.hidden_size % H !== 0) {
    bad(
      `hidden_size (${c.hidden_size}) must be divisible by num_attention_heads (${H}) when head_dim is null`,
      'head_dim',
    );
  } else if (headDimOf(c) % 2 !== 0) {
    bad(`the head dim (${headDimOf(c)}) must be even for RoPE`, 'head_dim');
  }
  if (c.model_type === 'qwen2' && c.attention_bias) {
    bad('attention_bias is not a Qwen2 key: Qwen2 has q/k/v biases always and no o_proj bias', 'attention_bias');
  }
  if (c.model_type !== 'llama' && c.mlp_bias) bad(`mlp_bias is a Llama key, not ${c.model_type}`, 'mlp_bias');
  if (c.use_sliding_window) bad('use_sliding_window: sliding-window attention is not supported', 'use_sliding_window');
  if (c.attention_dropout !== 0) {
    bad(
      `attention_dropout (${c.attention_dropout}) must be 0: attention dropout is not implemented`,
      'attention_dropout',
    );
  }
  const rs = c.rope_scaling;
  if (rs?.type === 'llama3' && !(rs.high_freq_factor > rs.low_freq_factor)) {
    bad(
      `rope_scaling.high_freq_factor (${rs.high_freq_factor}) must exceed low_freq_factor (${rs.low_freq_factor})`,
      'rope_scaling',
    );
  }
  checkSpecialTokenIds(c, ctx);
}

/** The zod schema of each family's config.json. */
export const DenseConfigSchemas = {
  llama: z.preprocess(foldRopeParameters, shapes.llama.superRefine(checkConsistency)),
  qwen2: z.preprocess(foldRopeParameters, shapes.qwen2.superRefine(checkConsistency)),
  qwen3: z.preprocess(foldRopeParameters, shapes.qwen3.superRefine(checkConsistency)),
};
/** The object schemas alone (per-key `.describe()` texts for docs). */
export const DenseConfigShapes = shapes;

/** Every model type and architecture name aha loads, for error messages. */
export const SUPPORTED_ARCHITECTURES = ['DeepseekV3ForCausalLM', ...Object.values(DENSE_FAMILIES)] as const;

/**
 * The dense family a config object describes, from `model_type` or `architectures` (HF's two keys); null when it
 * names neither a dense family.
 */
export function denseFamilyOf(raw: unknown): DenseFamily | null {
  if (!raw || typeof raw !== 'object') return null;
  const r = raw as { model_type?: unknown; architectures?: unknown };
  if (typeof r.model_type === 'string' && r.model_type in DENSE_FAMILIES) return r.model_type as DenseFamily;
  if (Array.isArray(r.architectures)) {
    for (const [family, arch] of Object.entries(DENSE_FAMILIES)) {
      if (r.architectures.includes(arch)) return family as DenseFamily;
    }
  }
  return null;
}

/**
 * Validates a dense config (the family from `model_type` / `architectures`) and fills its family's defaults.
 * @throws ConfigError listing every offending key with its value, or naming the supported families.
 */
export function parseDenseConfig(input: unknown): DenseConfig {
  const family = denseFamilyOf(input);
  if (family === null) {
    throw new ConfigError(
      `parseDenseConfig: model_type / architectures must name a dense family (${Object.entries(DENSE_FAMILIES)
        .map(([k, v]) => `${k} / ${v}`)
        .join(', ')})`,
    );
  }
  const obj = input as Record<string, unknown>;
  const result = DenseConfigSchemas[family].safeParse({ ...obj, model_type: obj.model_type ?? family });
  if (result.success) return result.data as DenseConfig;
  const issues = result.error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`);
  throw new ConfigError(`invalid ${DENSE_FAMILIES[family]} config: ${issues.join('; ')}`, issues);
}

/** @throws ConfigError naming every architecture key of `family` that `raw` (a parsed config.json) does not state. */
export function requireDenseArchitectureKeys(raw: unknown, family: DenseFamily, file: string): void {
  const obj = raw !== null && typeof raw === 'object' && !Array.isArray(raw) ? (raw as Record<string, unknown>) : {};
  const missing = DENSE_ARCHITECTURE_KEYS[family].filter((k) => !(k in obj));
  if (missing.length > 0) {
    throw new ConfigError(
      `${file} does not state ${missing.join(', ')}: a ${DENSE_FAMILIES[family]} config loaded from a folder must give ` +
        'every key that defines the architecture (defaults would silently describe another model)',
      missing.map((k) => `${k}: required`),
    );
  }
}

/** Reads a config.json as JSON (typed errors for a missing file or bad JSON); validation is the caller's. */
export async function readConfigJson(path: string): Promise<unknown> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    throw new AhaError('io', `cannot read config ${path}: ${(err as Error).message}`, { cause: err });
  }
  try {
    return JSON.parse(text);
  } catch (err) {
    throw new ConfigError(`config ${path} is not valid JSON: ${(err as Error).message}`);
  }
}

/** The JSON text HF expects in config.json (every key, unknown ones included). */
export function denseConfigToJson(config: DenseConfig): string {
  return `${JSON.stringify(config, null, 2)}\n`;
}
