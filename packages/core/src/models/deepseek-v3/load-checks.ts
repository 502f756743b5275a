/**
 * Checks that run before a DeepSeek-V3 model allocates anything, so a wrong or hostile config.json is a typed error
 * instead of an allocation that grows until the process dies:
 * - the keys that define the architecture must be stated in a config.json read from a folder (an empty `{}` would
 *   otherwise become the 671B default);
 * - the parameters must fit a memory budget (values × 4 bytes plus ~2 KB of JS objects per tensor against `maxBytes`,
 *   the objects alone against V8's heap limit), measured in closed form (`deepseekV3Size`) without building anything;
 * - the config must agree with the checkpoint's tensor index (names, shapes and dtypes from the safetensors headers).
 * Plus the finite-weights check that runs as each tensor is read.
 * Leaves out: activation memory (it depends on the batch, not the config) and optimizer state.
 */
import { totalmem } from 'node:os';
import { getHeapStatistics } from 'node:v8';
import { DTypeError, fmtShape, ShapeError, ValueError } from '../../errors.js';
import { type SafetensorsCheckpoint, SafetensorsError } from '../../io/safetensors.js';
import { ConfigError, type DeepseekV3Config } from './config.js';
import { deepseekV3HfParamsOf, deepseekV3Size } from './hf-names.js';

/** Keys a config.json must state when a model is loaded from a folder: together they fix every tensor's shape. */
export const ARCHITECTURE_KEYS = [
  'vocab_size',
  'hidden_size',
  'intermediate_size',
  'moe_intermediate_size',
  'num_hidden_layers',
  'num_attention_heads',
  'n_routed_experts',
  'num_experts_per_tok',
  'first_k_dense_replace',
  'q_lora_rank',
  'kv_lora_rank',
  'qk_nope_head_dim',
  'qk_rope_head_dim',
  'v_head_dim',
] as const;

/** @throws ConfigError naming every architecture key `raw` (a parsed config.json) does not state. */
export function requireArchitectureKeys(raw: unknown, file: string): void {
  const obj = raw !== null && typeof raw === 'object' && !Array.isArray(raw) ? (raw as Record<string, unknown>) : {};
  const missing = ARCHITECTURE_KEYS.filter((k) => !(k in obj));
  if (missing.length > 0) {
    throw new ConfigError(
      `${file} does not state ${missing.join(', ')}: a config loaded from a folder must give every key that defines ` +
        'the architecture (defaults would silently describe another model, e.g. the 671B DeepSeek-V3)',
      missing.map((k) => `${k}: required`),
    );
  }
}

/** JS heap one parameter tensor costs (Tensor + module objects + name; measured ~1.4 KB, rounded up). */
const HEAP_BYTES_PER_TENSOR = 2048;

/** The default memory budget for a model's parameters: 90% of the machine's memory. */
export const defaultMaxBytes = (): number => Math.floor(totalmem() * 0.9);

/**
 * @throws ConfigError when the parameters of `config` (float32) would exceed `maxBytes`, or their tensors the V8
 * heap; the message gives the estimate and the budget.
 */
export function checkModelBudget(config: DeepseekV3Config, maxBytes = defaultMaxBytes(), where = 'model'): void {
  const sizes = `hidden_size ${config.hidden_size}, num_hidden_layers ${config.num_hidden_layers}, n_routed_experts ${config.n_routed_experts}, vocab_size ${config.vocab_size}`;
  checkParamBudget(deepseekV3Size(config), maxBytes, where, sizes);
}

/**
 * The budget check of any model family: `size` (parameter values and tensors, from the family's HF-name table)
 * against `maxBytes` as float32 plus the tensors' JS objects, and the objects alone against V8's heap limit.
 * `sizes` names the config keys behind the estimate, for the message.
 */
export function checkParamBudget(
  size: { values: number; tensors: number },
  maxBytes = defaultMaxBytes(),
  where = 'model',
  sizes = '',
): void {
  if (!(typeof maxBytes === 'number' && maxBytes > 0)) {
    throw new ValueError(`${where}: maxBytes must be a positive number of bytes, got ${String(maxBytes)}`);
  }
  const { values, tensors } = size;
  const bytes = values * 4 + tensors * HEAP_BYTES_PER_TENSOR;
  const gib = (n: number) => `${(n / 2 ** 30).toPrecision(3)} GiB`;
  if (bytes > maxBytes) {
    throw new ConfigError(
      `${where}: the config asks for ${values} parameters in ${tensors} tensors (${gib(bytes)} as float32 with ` +
        `their objects), more than the memory budget maxBytes = ${maxBytes} (${gib(maxBytes)}); ${sizes}`,
    );
  }
  const heap = getHeapStatistics().heap_size_limit;
  if (tensors * HEAP_BYTES_PER_TENSOR > heap / 2) {
    throw new ConfigError(
      `${where}: the config asks for ${tensors} parameter tensors (about ${gib(tensors * HEAP_BYTES_PER_TENSOR)} of JS ` +
        `objects), more than half the V8 heap limit (${gib(heap)}); ${sizes}`,
    );
  }
}

const FLOAT_DTYPES = new Set(['F32', 'BF16', 'F16']);

/** Config keys whose value is `size`, to say which key a disagreeing dimension comes from. */
function keysOfSize(config: DeepseekV3Config, size: number): string[] {
  const keys: readonly (keyof DeepseekV3Config)[] = [...ARCHITECTURE_KEYS, 'n_shared_experts'];
  return keys.filter((k) => config[k] === size).map(String);
}

function shapeHint(config: DeepseekV3Config, want: readonly number[], got: readonly number[]): string {
  if (want.length !== got.length) return '';
  const parts: string[] = [];
  want.forEach((w, i) => {
    if (w === got[i]) return;
    const keys = keysOfSize(config, w);
    parts.push(
      `dim ${i} is ${got[i]} in the checkpoint but ${w} from the config${keys.length ? ` (${keys.join(' / ')} = ${w})` : ''}`,
    );
  });
  return parts.length ? `: ${parts.join('; ')}` : '';
}

function missingHint(name: string): string {
  if (/\.mlp\.experts\.\d+\./.test(name)) return ' (check n_routed_experts, first_k_dense_replace, moe_layer_freq)';
  if (/^model\.layers\.\d+\./.test(name)) return ' (check num_hidden_layers and the per-layer keys)';
  return '';
}

/**
 * Checks the config against the checkpoint's tensor index before any weight is allocated or read: every tensor the
 * config needs is present with the same shape and a float dtype (MTP layers may be absent: HF's save_pretrained drops
 * them), and the checkpoint has no `model.*` / `lm_head.*` tensor the config does not describe (a checkpoint with
 * more layers or experts than its config says would otherwise load partially without a word).
 * @throws ShapeError (a shape), SafetensorsError 'missing-tensor' / 'unexpected-tensor', DTypeError (not a float).
 */
export function checkCheckpointAgainstConfig(ckpt: SafetensorsCheckpoint, config: DeepseekV3Config): void {
  const mtpStart = config.num_hidden_layers;
  checkCheckpointAgainstParams(ckpt, deepseekV3HfParamsOf(config), {
    optional: (name) => {
      const layer = /^model\.layers\.(\d+)\./.exec(name);
      return layer !== null && Number(layer[1]) >= mtpStart;
    },
    missingHint,
    shapeHint: (want, got) => shapeHint(config, want, got),
  });
}

/**
 * The checkpoint check of any model family, against the tensors its HF-name table lists: each present (unless
 * `optional`), with the same shape and a float dtype; no `model.*` / `lm_head.*` tensor beyond the list.
 */
export function checkCheckpointAgainstParams(
  ckpt: SafetensorsCheckpoint,
  params: Iterable<{ name: string; shape: number[] }>,
  hints: {
    optional?: (name: string) => boolean;
    missingHint?: (name: string) => string;
    shapeHint?: (want: readonly number[], got: readonly number[]) => string;
  } = {},
): void {
  const expected = new Set<string>();
  for (const p of params) {
    expected.add(p.name);
    if (!ckpt.has(p.name)) {
      if (hints.optional?.(p.name)) continue;
      throw new SafetensorsError(
        'missing-tensor',
        `loadModel: checkpoint ${ckpt.dir} has no tensor "${p.name}" ${fmtShape(p.shape)} that config.json implies${hints.missingHint?.(p.name) ?? ''}`,
      );
    }
    const info = ckpt.info(p.name);
    if (info.shape.join() !== p.shape.join()) {
      throw new ShapeError(
        `loadModel: "${p.name}" is ${fmtShape(info.shape)} in ${ckpt.dir} but the config needs ${fmtShape(p.shape)}${hints.shapeHint?.(p.shape, info.shape) ?? ''}`,
      );
    }
    if (!FLOAT_DTYPES.has(info.dtype)) {
      throw new DTypeError(`loadModel: "${p.name}" in ${ckpt.dir} is ${info.dtype}; only F32, BF16, F16 load`);
    }
  }
  const unexpected = ckpt.names().filter((n) => /^(model|lm_head)\./.test(n) && !expected.has(n));
  if (unexpected.length > 0) {
    const shown = unexpected.slice(0, 3).map((n) => `"${n}"`);
    throw new SafetensorsError(
      'unexpected-tensor',
      `loadModel: checkpoint ${ckpt.dir} has ${unexpected.length} tensor(s) the config does not describe (${shown.join(', ')}${unexpected.length > 3 ? ', …' : ''}): config.json and the weights disagree${hints.missingHint?.(unexpected[0]) ?? ''}`,
    );
  }
}

/** Row-major multi-index of flat index `i` in `shape`. */
function multiIndex(i: number, shape: readonly number[]): number[] {
  const out = new Array<number>(shape.length).fill(0);
  for (let d = shape.length - 1; d >= 0 && shape[d] > 0; d--) {
    out[d] = i % shape[d];
    i = Math.floor(i / shape[d]);
  }
  return out;
}

/** @throws ValueError naming the tensor and the first NaN / ±Inf value with its index. */
export function checkFiniteWeights(name: string, data: Float32Array, shape: readonly number[], file: string): void {
  for (let i = 0; i < data.length; i++) {
    const v = data[i];
    if (v - v !== 0) {
      throw new ValueError(
        `loadModel: tensor "${name}" ${fmtShape(shape)} in ${file} has a non-finite weight ${v} at index ${i} ` +
          `[${multiIndex(i, shape).join(', ')}] (pass { checkFinite: false } to load it anyway)`,
      );
    }
  }
}
