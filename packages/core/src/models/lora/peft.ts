/**
 * LoRA adapters in Hugging Face PEFT's on-disk format, so adapters move between aha, PEFT and vLLM:
 *   adapter_config.json        peft_type "LORA", task_type "CAUSAL_LM", r, lora_alpha, lora_dropout, target_modules,
 *                              bias "none", base_model_name_or_path (+ PEFT's other keys at their defaults)
 *   adapter_model.safetensors  `base_model.model.<module path>.lora_A.weight` [r, in] and `….lora_B.weight` [out, r]
 *                              (PEFT strips the adapter name "default" when saving).
 * Loading checks every key it cannot honour (DoRA, rsLoRA, bias training, rank / alpha patterns, regex targets,
 * modules_to_save, fan_in_fan_out, …): a non-default value is a ConfigError naming the key, never silently ignored.
 * Leaves out: several named adapters in one folder, embedding / conv LoRA, half-precision adapter files on save.
 */
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { AhaError, fmtShape, ShapeError } from '../../errors.js';
import { readSafetensors, type TensorToWrite, writeSafetensors } from '../../io/safetensors.js';
import { applyLora, loraAdaptersOf, loraStateOf, mergeLora } from '../../nn/lora.js';
import type { Module } from '../../nn/module.js';
import { ConfigError } from '../deepseek-v3/config.js';

/** PEFT's prefix of every saved adapter tensor (PeftModel.base_model = LoraModel, whose .model is the HF model). */
export const PEFT_PREFIX = 'base_model.model.';
export const ADAPTER_CONFIG = 'adapter_config.json';
export const ADAPTER_WEIGHTS = 'adapter_model.safetensors';

/** Keys a loader must honour; their default (PEFT's) values are the only ones aha supports. */
const MUST_BE_DEFAULT: Record<string, (v: unknown) => boolean> = {
  bias: (v) => v === undefined || v === 'none',
  use_dora: (v) => v === undefined || v === false,
  use_rslora: (v) => v === undefined || v === false,
  fan_in_fan_out: (v) => v === undefined || v === false,
  modules_to_save: (v) => v === undefined || v === null || (Array.isArray(v) && v.length === 0),
  layers_to_transform: (v) => v === undefined || v === null,
  layers_pattern: (v) => v === undefined || v === null || (Array.isArray(v) && v.length === 0),
  rank_pattern: (v) => v === undefined || v === null || (typeof v === 'object' && Object.keys(v).length === 0),
  alpha_pattern: (v) => v === undefined || v === null || (typeof v === 'object' && Object.keys(v).length === 0),
  layer_replication: (v) => v === undefined || v === null,
  exclude_modules: (v) => v === undefined || v === null || (Array.isArray(v) && v.length === 0),
  lora_bias: (v) => v === undefined || v === false,
  target_parameters: (v) => v === undefined || v === null || (Array.isArray(v) && v.length === 0),
  trainable_token_indices: (v) => v === undefined || v === null,
};

/** Keys that describe the adapter's origin or training and do not change what the loaded adapter computes. */
const INFORMATIONAL = new Set([
  'peft_type',
  'task_type',
  'r',
  'lora_alpha',
  'lora_dropout',
  'target_modules',
  'base_model_name_or_path',
  'revision',
  'inference_mode',
  'init_lora_weights',
  'auto_mapping',
  'megatron_config',
  'megatron_core',
  'loftq_config',
  'eva_config',
  'corda_config',
  'runtime_config',
  'qalora_group_size',
  'use_qalora',
  'peft_version',
]);

/**
 * Writes `model`'s adapters to `dir` as PEFT does (adapter_config.json + adapter_model.safetensors, float32).
 * @param options.baseModelNameOrPath what PEFT records as the base model (HF id or path; default null).
 */
export async function saveLoraAdapter(
  model: Module,
  dir: string,
  options: { baseModelNameOrPath?: string | null } = {},
): Promise<void> {
  const state = loraStateOf(model);
  if (!state) throw new AhaError('state', `saveLoraAdapter: the model has no LoRA adapters to write to ${dir}`);
  const tensors = new Map<string, TensorToWrite>();
  for (const [path, ad] of loraAdaptersOf(model)) {
    for (const [which, lin] of [
      ['lora_A', ad.lora_A],
      ['lora_B', ad.lora_B],
    ] as const) {
      tensors.set(`${PEFT_PREFIX}${path}.${which}.weight`, {
        data: lin.weight.toFloat32Array(),
        shape: lin.weight.shape,
      });
    }
  }
  const config = {
    peft_type: 'LORA',
    task_type: 'CAUSAL_LM',
    base_model_name_or_path: options.baseModelNameOrPath ?? null,
    r: state.r,
    lora_alpha: state.alpha,
    lora_dropout: state.dropout,
    target_modules: state.targetModules,
    bias: 'none',
    fan_in_fan_out: false,
    inference_mode: true,
    init_lora_weights: true,
    modules_to_save: null,
    layers_to_transform: null,
    layers_pattern: null,
    rank_pattern: {},
    alpha_pattern: {},
    use_rslora: false,
    use_dora: false,
  };
  await mkdir(dir, { recursive: true });
  await writeSafetensors(join(dir, ADAPTER_WEIGHTS), tensors);
  await writeFile(join(dir, ADAPTER_CONFIG), `${JSON.stringify(config, null, 2)}\n`);
}

/** Reads and checks adapter_config.json: returns the LoRA settings aha can honour, else a ConfigError. */
export async function readLoraAdapterConfig(
  dir: string,
): Promise<{ r: number; alpha: number; dropout: number; targetModules: string[] }> {
  const path = join(dir, ADAPTER_CONFIG);
  let raw: Record<string, unknown>;
  try {
    raw = JSON.parse(await readFile(path, 'utf8'));
  } catch (err) {
    throw new AhaError('io', `loadLoraAdapter: cannot read ${path}: ${(err as Error).message}`, { cause: err });
  }
  const issues: string[] = [];
  if (raw.peft_type !== 'LORA') issues.push(`peft_type ${JSON.stringify(raw.peft_type)} (only "LORA")`);
  if (raw.task_type !== undefined && raw.task_type !== null && raw.task_type !== 'CAUSAL_LM')
    issues.push(`task_type ${JSON.stringify(raw.task_type)} (only "CAUSAL_LM")`);
  for (const [k, ok] of Object.entries(MUST_BE_DEFAULT))
    if (!ok(raw[k])) issues.push(`${k} ${JSON.stringify(raw[k])} is not supported`);
  for (const k of Object.keys(raw))
    if (!(k in MUST_BE_DEFAULT) && !INFORMATIONAL.has(k)) {
      const v = raw[k];
      const isDefault = v === null || v === false || (typeof v === 'object' && Object.keys(v as object).length === 0);
      if (!isDefault) issues.push(`unknown key ${k} = ${JSON.stringify(v)}`);
    }
  const r = raw.r;
  if (!Number.isInteger(r) || (r as number) < 1) issues.push(`r ${JSON.stringify(r)} must be a positive integer`);
  const alpha = raw.lora_alpha ?? r;
  if (typeof alpha !== 'number' || !(alpha > 0)) issues.push(`lora_alpha ${JSON.stringify(alpha)} must be > 0`);
  const dropout = raw.lora_dropout ?? 0;
  if (typeof dropout !== 'number' || !(dropout >= 0 && dropout < 1))
    issues.push(`lora_dropout ${JSON.stringify(dropout)} must be in [0, 1)`);
  const tm = raw.target_modules;
  if (!Array.isArray(tm) || tm.length === 0 || tm.some((t) => typeof t !== 'string'))
    issues.push(
      `target_modules ${JSON.stringify(tm)} must be a non-empty list of names (a regex string is not supported)`,
    );
  if (issues.length > 0) throw new ConfigError(`loadLoraAdapter: ${path}: ${issues.join('; ')}`, issues);
  return { r: r as number, alpha: alpha as number, dropout: dropout as number, targetModules: tm as string[] };
}

/**
 * Attaches the PEFT adapter in `dir` to `model` (which must have none yet): applies LoRA with the folder's settings,
 * then copies every lora_A / lora_B tensor in. A missing or unexpected tensor is an io AhaError, a shape that
 * disagrees with the model a ShapeError; on any error the model is left without adapters.
 */
export async function loadLoraAdapter(model: Module, dir: string): Promise<string[]> {
  if (loraStateOf(model)) throw new AhaError('state', `loadLoraAdapter: the model already has LoRA adapters (${dir})`);
  const cfg = await readLoraAdapterConfig(dir);
  const file = join(dir, ADAPTER_WEIGHTS);
  const tensors = await readSafetensors(file);
  const adapted = applyLora(model, cfg);
  try {
    const expected = new Set<string>();
    for (const [path, ad] of loraAdaptersOf(model)) {
      for (const [which, lin] of [
        ['lora_A', ad.lora_A],
        ['lora_B', ad.lora_B],
      ] as const) {
        const name = `${PEFT_PREFIX}${path}.${which}.weight`;
        expected.add(name);
        const t = tensors.get(name);
        if (!t)
          throw new AhaError('io', `loadLoraAdapter: ${file} has no tensor "${name}" ${fmtShape(lin.weight.shape)}`);
        if (t.shape.join() !== lin.weight.shape.join())
          throw new ShapeError(
            `loadLoraAdapter: "${name}" is ${fmtShape(t.shape)} in ${file} but the model needs ${fmtShape(lin.weight.shape)}`,
          );
        lin.weight.values().set(t.data);
      }
    }
    const extra = [...tensors.keys()].filter((n) => !expected.has(n));
    if (extra.length > 0)
      throw new AhaError(
        'io',
        `loadLoraAdapter: ${file} has tensors no adapted module takes: ${extra.slice(0, 5).join(', ')}${extra.length > 5 ? ', …' : ''}`,
      );
  } catch (err) {
    // Drop the half-loaded adapters: zero B first so removing them leaves the base weights untouched.
    for (const ad of loraAdaptersOf(model).values()) ad.lora_B.weight.values().fill(0);
    mergeLora(model);
    throw err;
  }
  return adapted;
}
