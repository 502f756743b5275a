/**
 * `aha generate`: sample completions from a model folder (@aha/core `model.generate`: latent KV cache, temperature /
 * top-p / top-k, seeded so the same seed gives the same text). Prompts come from `--prompt` (repeatable) or
 * `--input`, a JSONL file with a `prompt` column (text, or chat messages rendered with the tokenizer's template).
 * Prints the completions, or writes one JSONL row per completion with `--output`; `--json` returns them.
 * Settings: the `generate` section of a config file, overridden by flags. Leaves out: streaming tokens as they come.
 *
 * AI-generated-content labelling is on by default (China's labelling measures, GB 45438-2025; @aha/safety): printed
 * completions open with an explicit label line (`--no-label` drops that line), and every completion in `--json` and
 * `--output` carries its implicit label (`aigc`: producer, model, time, content id); an `--output` file also gets a
 * `<file>.aigc.json` sidecar. The implicit labels stay with `--no-label`: they change nothing a person reads.
 */
import { writeFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import type { ChatMessage } from '@aha/core';
import { type ImplicitLabel, labelGenerated, renderExplicitLabel, writeLabelSidecar } from '@aha/safety';
import { z } from 'zod';
import { type CommandContext, type CommandInput, type CommandResult, HUMAN_TEXT } from '../cli/registry.js';
import { ConfigError } from '../config/errors.js';
import { loadModelAndTokenizer, parseSection, readRows, resolveModelDir } from './common.js';

/** Sampling settings (the `generate` section; flags of the same name override it). */
export const GenerateSettingsSchema = z
  .strictObject({
    maxNewTokens: z.number().int().positive().default(64).describe('Most tokens generated per completion.'),
    temperature: z.number().nonnegative().default(1).describe('Sampling temperature τ; 0 = greedy.'),
    topP: z.number().gt(0).max(1).default(1).describe('Nucleus sampling p (1 = off).'),
    topK: z.number().int().nonnegative().default(0).describe('Top-k sampling (0 = off).'),
    n: z.number().int().positive().default(1).describe('Completions per prompt.'),
  })
  .describe('`aha generate` settings.');
export type GenerateSettings = z.output<typeof GenerateSettingsSchema>;

const PromptRowSchema = z.looseObject({
  prompt: z.union([z.string(), z.array(z.object({ role: z.string(), content: z.string() })).min(1)]),
});

/** One generated completion. */
export interface GeneratedRow {
  prompt: string | ChatMessage[];
  /** Which of the `n` completions of the prompt (0-based). */
  index: number;
  completion: string;
  finishReason: 'stop' | 'length';
  tokens: number;
  /** The implicit AI-generated label of the completion. */
  aigc: ImplicitLabel;
}

/** Flags that override the config's `generate` section, by their schema key. */
export function settingsFrom(
  input: CommandInput,
  key: string,
  schema: z.ZodType,
  flagKeys: readonly string[],
): Record<string, unknown> {
  const section = { ...((input.config.config as Record<string, unknown>)[key] as object | undefined) };
  for (const k of flagKeys) {
    const v = input.options[k];
    if (v !== undefined) (section as Record<string, unknown>)[k] = v;
  }
  const loaded = { ...input.config, config: { ...input.config.config, [key]: section } };
  return parseSection(loaded, key, schema) as Record<string, unknown>;
}

/** The handler of `aha generate`. */
export async function generateCommand(input: CommandInput, ctx: CommandContext): Promise<CommandResult> {
  const { config: loaded, options } = input;
  const s = settingsFrom(input, 'generate', GenerateSettingsSchema, [
    'maxNewTokens',
    'temperature',
    'topP',
    'topK',
    'n',
  ]) as GenerateSettings;
  const flagPrompts = (options.prompt as string[] | undefined) ?? [];
  const inputFile = options.input as string | undefined;
  if (flagPrompts.length && inputFile) {
    throw new ConfigError('command line', ['--prompt and --input: give one of them, not both']);
  }
  let prompts: (string | ChatMessage[])[];
  if (inputFile) {
    const file = resolve(ctx.cwd, inputFile);
    prompts = (await readRows(file, PromptRowSchema, '--input', file)).map((r) => r.prompt);
  } else prompts = flagPrompts;
  if (prompts.length === 0) throw new ConfigError('command line', ['--prompt: give a prompt (or --input <jsonl>)']);
  const modelDir = resolveModelDir(loaded.config.model, loaded.source, '--model');
  const { model, tokenizer } = await loadModelAndTokenizer(modelDir);
  const ids = prompts.map((p) =>
    typeof p === 'string' ? tokenizer.encode(p) : tokenizer.encodeChat(p, { addGenerationPrompt: true }),
  );
  const seed = loaded.config.seed;
  const gens = await model.generate(ids, {
    maxNewTokens: s.maxNewTokens,
    temperature: s.temperature,
    topP: s.topP,
    topK: s.topK,
    numReturnSequences: s.n,
    seed,
    tokenizer,
  });
  const timestamp = new Date();
  const rows: GeneratedRow[] = gens.map((g, i) => {
    const completion = g.text ?? tokenizer.decode(g.tokens);
    return {
      prompt: prompts[Math.floor(i / s.n)],
      index: i % s.n,
      completion,
      finishReason: g.finishReason,
      tokens: g.tokens.length,
      aigc: labelGenerated(completion, { model: modelDir, timestamp }),
    };
  });
  const result: CommandResult = { model: modelDir, seed, ...s };
  if (options.output) {
    const file = resolve(ctx.cwd, options.output as string);
    await writeFile(file, rows.map((r) => `${JSON.stringify(r)}\n`).join(''));
    result.label = await writeLabelSidecar(file, { model: modelDir, timestamp });
    result.output = file;
    result.count = rows.length;
    result[HUMAN_TEXT] = `wrote ${rows.length} completions to ${file}\n`;
  } else {
    result.completions = rows;
    const show = (p: string | ChatMessage[]) => (typeof p === 'string' ? p : JSON.stringify(p));
    const label = options.label === false ? '' : `${renderExplicitLabel()}\n`;
    result[HUMAN_TEXT] =
      label +
      rows
        .map((r) => `${s.n > 1 ? `[${r.index}] ` : ''}${show(r.prompt)}${r.completion}\n`)
        .join(rows.length > 1 ? '---\n' : '');
  }
  return result;
}
