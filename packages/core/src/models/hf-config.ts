/**
 * What every model family's `config.json` schema shares with Hugging Face's `PretrainedConfig`: special-token ids
 * that must lie inside the vocabulary, and transformers v5's `rope_parameters` block folded into the v4 keys
 * (`rope_theta`, `rope_scaling`) the family schemas read. Leaves out: the family-specific checks (their config.ts).
 */
import type { z } from 'zod';

/** The special-token keys of a config: bos/pad may be null, eos may be one id, a list or null. */
export interface SpecialTokenIds {
  vocab_size: number;
  bos_token_id: number | null;
  pad_token_id: number | null;
  eos_token_id: number | number[] | null;
}

/** Adds an issue for each special-token id at or past `vocab_size`. */
export function checkSpecialTokenIds(c: SpecialTokenIds, ctx: z.RefinementCtx): void {
  const bad = (message: string, path: string) => ctx.addIssue({ code: 'custom', message, path: [path] });
  for (const key of ['bos_token_id', 'pad_token_id'] as const) {
    const id = c[key];
    if (id !== null && id >= c.vocab_size) bad(`${key} (${id}) is outside vocab_size (${c.vocab_size})`, key);
  }
  const eos = c.eos_token_id === null ? [] : Array.isArray(c.eos_token_id) ? c.eos_token_id : [c.eos_token_id];
  for (const id of eos) {
    if (id >= c.vocab_size) bad(`eos_token_id (${id}) is outside vocab_size (${c.vocab_size})`, 'eos_token_id');
  }
}

/** Folds a transformers-v5 `rope_parameters` block into `rope_theta` / `rope_scaling` (v4 keys win when both). */
export function foldRopeParameters(input: unknown): unknown {
  if (!input || typeof input !== 'object') return input;
  const raw = input as Record<string, unknown>;
  const rp = raw.rope_parameters as Record<string, unknown> | null | undefined;
  if (!rp || typeof rp !== 'object') return input;
  const out = { ...raw };
  if (out.rope_theta === undefined && typeof rp.rope_theta === 'number') out.rope_theta = rp.rope_theta;
  const kind = rp.rope_type ?? rp.type;
  if (out.rope_scaling === undefined && kind !== undefined && kind !== 'default') {
    const { rope_theta: _theta, ...scaling } = rp;
    out.rope_scaling = scaling;
  }
  return out;
}
