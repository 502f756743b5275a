/**
 * LoRA for `aha train grpo|sft`: the `lora` setting of their sections (`{ r, alpha, dropout, targets }`, PEFT's
 * LoraConfig), the strict parser of the `--lora r=16,alpha=32,targets=q_proj,v_proj` flag, and what the commands do
 * with it: attach adapters before training (every base weight frozen, so the trainer's optimizer sees only the
 * adapters) and afterwards write the adapter in PEFT's layout to `<outputDir>/adapter`, plus with `merge` a merged
 * Hugging Face checkpoint to `<outputDir>/final`.
 * Leaves out: resuming from an adapter folder (load it with `loadLoraAdapter`), per-module ranks, QLoRA.
 */
import { join } from 'node:path';
import { applyLora, type Model, mergeLora, saveLoraAdapter } from '@aha/core';
import { z } from 'zod';
import { ConfigError } from '../config/errors.js';
import { saveFinalModel } from './common.js';

export const LoraSettingsSchema = z
  .strictObject({
    r: z.number().int().positive().describe('Rank of the adapters (PEFT `r`).'),
    alpha: z.number().positive().optional().describe('Scale numerator: updates are (alpha / r) · B A (default r).'),
    dropout: z.number().min(0).lt(1).default(0).describe('Dropout on the adapter input while training.'),
    targets: z
      .array(z.string().min(1))
      .min(1)
      .describe("Linear modules to adapt, by name or dotted-path suffix (e.g. ['q_proj', 'v_proj'])."),
  })
  .describe('Train LoRA adapters (PEFT format) instead of the full model.');
export type LoraSettings = z.output<typeof LoraSettingsSchema>;

/** The section keys LoRA adds to `grpo` / `sft`. */
export const loraSectionShape = {
  lora: LoraSettingsSchema.optional(),
  merge: z
    .boolean()
    .default(false)
    .describe('With `lora`: also save the merged model (base + adapters) as a Hugging Face checkpoint in final/.'),
};

const NUMBER_KEYS = new Set(['r', 'alpha', 'dropout']);

/**
 * Parses `--lora r=16,alpha=32,dropout=0.05,targets=q_proj,v_proj`: comma-separated `key=value` parts, where bare
 * parts after `targets=` are more targets. Unknown keys, repeated keys, bad numbers and stray parts are errors naming
 * the part; the ranges are checked by {@link LoraSettingsSchema}.
 */
export function parseLoraFlag(spec: string): LoraSettings {
  const problems: string[] = [];
  const out: Record<string, unknown> = {};
  let inTargets = false;
  for (const part of spec.split(',').map((p) => p.trim())) {
    const eq = part.indexOf('=');
    if (eq < 0) {
      if (inTargets && part !== '') (out.targets as string[]).push(part);
      else problems.push(`--lora: part "${part}" is not key=value (keys: r, alpha, dropout, targets)`);
      continue;
    }
    const key = part.slice(0, eq).trim();
    const value = part.slice(eq + 1).trim();
    inTargets = key === 'targets';
    if (key in out) problems.push(`--lora: "${key}" given twice`);
    else if (key === 'targets') out.targets = value === '' ? [] : [value];
    else if (NUMBER_KEYS.has(key)) {
      const n = Number(value);
      if (value === '' || !Number.isFinite(n)) problems.push(`--lora: ${key}="${value}" is not a number`);
      else out[key] = n;
    } else problems.push(`--lora: unknown key "${key}" in "${part}" (keys: r, alpha, dropout, targets)`);
  }
  if (problems.length) throw new ConfigError('--lora', problems);
  const parsed = LoraSettingsSchema.safeParse(out);
  if (!parsed.success) {
    throw new ConfigError(
      '--lora',
      parsed.error.issues.map((i) => `--lora: ${i.path.join('.') || 'value'}: ${i.message}`),
    );
  }
  return parsed.data;
}

/**
 * A section's raw value with the flags laid over it: `--dataset` (absolute, from the cwd), `--lora` (parsed) and
 * `--merge`. The result is checked by the section's schema as if the config file had said it.
 */
export function sectionWithFlags(
  section: unknown,
  options: Record<string, unknown>,
  cwdPath: (p: string) => string,
): Record<string, unknown> {
  const out = { ...((section ?? {}) as Record<string, unknown>) };
  if (typeof options.dataset === 'string') out.dataset = cwdPath(options.dataset);
  if (typeof options.lora === 'string') out.lora = parseLoraFlag(options.lora);
  if (options.merge === true) out.merge = true;
  return out;
}

/** Attaches the adapters (seeded by the run's seed); returns the adapted module paths. */
export function attachLora(model: Model, lora: LoraSettings, seed: number): string[] {
  return applyLora(model, {
    r: lora.r,
    alpha: lora.alpha,
    dropout: lora.dropout,
    targetModules: lora.targets,
    seed,
  });
}

/** Writes `<runDir>/adapter` (PEFT) and, with `merge`, merges and writes `<runDir>/final` (HF checkpoint). */
export async function saveLoraResult(
  runDir: string,
  model: Model,
  tokenizer: { save(dir: string): Promise<void> | void },
  options: { merge: boolean; baseModel: string },
): Promise<{ adapter: string; finalModel?: string }> {
  const adapter = join(runDir, 'adapter');
  await saveLoraAdapter(model, adapter, { baseModelNameOrPath: options.baseModel });
  await tokenizer.save(adapter);
  if (!options.merge) return { adapter };
  mergeLora(model);
  return { adapter, finalModel: await saveFinalModel(runDir, model, tokenizer) };
}
