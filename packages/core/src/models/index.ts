/**
 * The family dispatch of `createModel` / `loadModel`: DeepSeek-V3 (MLA + MoE, models/deepseek-v3) and the dense
 * families Llama / Qwen2 / Qwen3 (models/dense), picked from HF's `model_type` / `architectures` keys. A config with
 * neither key is DeepSeek-V3 (aha's own configs before the dense families; its architecture keys are still required
 * when loading from a folder); one that names another family is a ConfigError listing what is supported.
 */
import { join } from 'node:path';
import { ConfigError, type DeepseekV3Config, type DeepseekV3ConfigInput } from './deepseek-v3/config.js';
import {
  createModel as createDeepseekV3Model,
  type DeepseekV3Model,
  type LoadModelOptions,
  loadModel as loadDeepseekV3Model,
} from './deepseek-v3/model.js';
import {
  type DenseConfig,
  type DenseConfigInput,
  denseFamilyOf,
  parseDenseConfig,
  readConfigJson,
  requireDenseArchitectureKeys,
  SUPPORTED_ARCHITECTURES,
} from './dense/config.js';
import { createDenseModel, type DenseModel, loadDenseModel } from './dense/model.js';

/** Any model `createModel` / `loadModel` returns; the trainers take it as is. */
export type Model = DeepseekV3Model | DenseModel;
/** Any config `createModel` accepts. */
export type ModelConfig = DeepseekV3Config | DeepseekV3ConfigInput | DenseConfig | DenseConfigInput;

/**
 * Which family a config object names: a dense one, 'deepseek_v3', or null when it names something else.
 * Neither `model_type` nor `architectures` = 'deepseek_v3'.
 */
export function modelFamilyOf(raw: unknown): 'deepseek_v3' | 'llama' | 'qwen2' | 'qwen3' | null {
  const dense = denseFamilyOf(raw);
  if (dense) return dense;
  const r = (raw && typeof raw === 'object' ? raw : {}) as { model_type?: unknown; architectures?: unknown };
  if (r.model_type === undefined && r.architectures === undefined) return 'deepseek_v3';
  if (r.model_type === 'deepseek_v3') return 'deepseek_v3';
  if (Array.isArray(r.architectures) && r.architectures.includes('DeepseekV3ForCausalLM')) return 'deepseek_v3';
  return null;
}

function unsupported(raw: unknown, where: string): ConfigError {
  const r = (raw && typeof raw === 'object' ? raw : {}) as { model_type?: unknown; architectures?: unknown };
  return new ConfigError(
    `${where}: model_type ${JSON.stringify(r.model_type)} / architectures ${JSON.stringify(r.architectures)} is not ` +
      `supported; supported: ${SUPPORTED_ARCHITECTURES.join(', ')} (model_type deepseek_v3, llama, qwen2, qwen3)`,
  );
}

/**
 * A freshly initialised model of the family `config` names (weights ~ N(0, initializer_range²), norms 1, biases 0,
 * the same for the same `seed`); `config` is validated and its family's defaults filled (HF key names).
 * @param options.maxBytes memory budget for the parameters (default 90% of the machine's memory).
 */
export function createModel(
  config: DenseConfig | DenseConfigInput,
  options?: { seed?: number; maxBytes?: number },
): DenseModel;
export function createModel(
  config: DeepseekV3Config | DeepseekV3ConfigInput,
  options?: { seed?: number; maxBytes?: number },
): DeepseekV3Model;
export function createModel(config: ModelConfig, options?: { seed?: number; maxBytes?: number }): Model;
export function createModel(config: ModelConfig, options: { seed?: number; maxBytes?: number } = {}): Model {
  const family = modelFamilyOf(config ?? {});
  if (family === null) throw unsupported(config, 'createModel');
  if (family === 'deepseek_v3') return createDeepseekV3Model(config as DeepseekV3ConfigInput, options);
  return createDenseModel(config as DenseConfigInput, options);
}

/**
 * Loads an HF-layout folder (config.json + model.safetensors or a sharded index; f32/bf16/f16 weights), the family
 * picked from config.json's `model_type` / `architectures`. Before anything is allocated: the family's architecture
 * keys must be stated, the parameters must fit `maxBytes`, and the config must agree with the tensor index.
 */
export async function loadModel(dir: string, options: LoadModelOptions = {}): Promise<Model> {
  const configPath = join(dir, 'config.json');
  const raw = await readConfigJson(configPath);
  const family = modelFamilyOf(raw);
  if (family === null) throw unsupported(raw, `loadModel(${configPath})`);
  if (family === 'deepseek_v3') return loadDeepseekV3Model(dir, options);
  requireDenseArchitectureKeys(raw, family, configPath);
  return loadDenseModel(dir, parseDenseConfig(raw), options);
}
