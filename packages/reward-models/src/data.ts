/**
 * Reward-model datasets and their encoding. Row formats follow TRL: preference pairs `{ prompt, chosen, rejected }`
 * (standard text or conversational message lists; `prompt` may be left out when it is inside chosen/rejected, TRL's
 * "implicit prompt"), and labelled samples `{ prompt, response, label }` for the point-wise safety RM. Text rows are
 * encoded as `prompt + completion` (+ EOS); message rows through the tokenizer's chat template.
 * Leaves out: Parquet and streaming (rows are held in memory; reward data sets are small next to SFT/RL data).
 */
import { readFile } from 'node:fs/promises';
import { AhaError, type ChatMessage, type Tokenizer, ValueError } from '@aha/core';
import { z } from 'zod';

const MessageSchema = z.object({
  role: z.string().describe('Chat role: system, user or assistant.'),
  content: z.string().describe('Message text.'),
});
const TextSchema = z
  .union([z.string(), z.array(MessageSchema)])
  .describe('Plain text, or a list of chat messages (TRL conversational format).');
type Text = string | ChatMessage[];

/** A preference pair: the same prompt with a preferred (`chosen`) and a dispreferred (`rejected`) completion. */
export const PreferencePairSchema = z.object({
  prompt: TextSchema.optional().describe('The prompt; left out when chosen/rejected hold whole conversations.'),
  chosen: TextSchema.describe('The preferred completion.'),
  rejected: TextSchema.describe('The dispreferred completion.'),
  margin: z
    .number()
    .optional()
    .describe('Preference strength m of this pair (Llama 2 margin); used when the trainer has useMargin on.'),
});
export type PreferencePair = z.infer<typeof PreferencePairSchema>;

/** A labelled sample for a point-wise RM: label 1 / 'safe' = the positive class, 0 / 'unsafe' the negative one. */
export const LabeledSampleSchema = z.object({
  prompt: TextSchema.optional().describe('The prompt the response answers.'),
  response: TextSchema.describe('The response to judge.'),
  label: z
    .union([z.number().min(0).max(1), z.enum(['safe', 'unsafe']), z.boolean()])
    .describe('Target: a probability in [0, 1] (1 = safe), "safe"/"unsafe", or true (safe) / false (unsafe).'),
});
export type LabeledSample = z.infer<typeof LabeledSampleSchema>;

/** The numeric target of a labelled sample (1 = positive class, e.g. safe). */
export function labelValue(label: LabeledSample['label']): number {
  if (typeof label === 'number') return label;
  if (typeof label === 'boolean') return label ? 1 : 0;
  return label === 'safe' ? 1 : 0;
}

/**
 * Reads a JSONL file of rows checked against `schema` (blank lines skipped). Errors name the file, the line and the
 * first problem.
 */
export async function readJsonl<S extends z.ZodType>(path: string, schema: S): Promise<z.infer<S>[]> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    throw new AhaError('io', `readJsonl: cannot read ${path}: ${(err as Error).message}`, { cause: err });
  }
  const rows: z.infer<S>[] = [];
  text.split('\n').forEach((line, i) => {
    if (line.trim() === '') return;
    let value: unknown;
    try {
      value = JSON.parse(line);
    } catch (err) {
      throw new ValueError(`readJsonl: ${path}:${i + 1} is not JSON (${(err as Error).message})`);
    }
    const r = schema.safeParse(value);
    if (!r.success) {
      const issue = r.error.issues[0];
      throw new ValueError(`readJsonl: ${path}:${i + 1}: ${issue.path.join('.') || '(row)'}: ${issue.message}`);
    }
    rows.push(r.data);
  });
  return rows;
}

/** Options of `encodeSample`. */
export interface EncodeOptions {
  /** Keep at most this many tokens, dropping from the start (the scored last token is kept). Default: no limit. */
  maxLength?: number | null;
  /** Append EOS to plain-text samples so every sequence ends on the same token (what the value head reads). */
  appendEos?: boolean;
}

/**
 * Token ids of prompt + completion. Messages (in either part) go through `tokenizer.encodeChat`, a string prompt
 * becoming a user turn and a string completion an assistant turn; plain text is `encode(prompt + completion)`.
 */
export function encodeSample(
  tokenizer: Tokenizer,
  prompt: Text | undefined,
  completion: Text,
  options: EncodeOptions = {},
): number[] {
  let ids: number[];
  if (Array.isArray(prompt) || Array.isArray(completion)) {
    const head: ChatMessage[] =
      prompt === undefined ? [] : typeof prompt === 'string' ? [{ role: 'user', content: prompt }] : prompt;
    const tail: ChatMessage[] =
      typeof completion === 'string' ? [{ role: 'assistant', content: completion }] : completion;
    ids = tokenizer.encodeChat([...head, ...tail]);
  } else {
    ids = tokenizer.encode((prompt ?? '') + completion);
    const eos = tokenizer.eosTokenId;
    if ((options.appendEos ?? true) && eos !== null && ids[ids.length - 1] !== eos) ids.push(eos);
  }
  const max = options.maxLength;
  if (max != null) {
    if (!(Number.isInteger(max) && max > 0)) throw new ValueError(`encodeSample: maxLength must be > 0, got ${max}`);
    if (ids.length > max) ids = ids.slice(ids.length - max);
  }
  if (ids.length === 0) throw new ValueError('encodeSample: the sample encodes to no tokens');
  return ids;
}

/** Left-pads sequences to one length (the core model's convention): tokens [B][T] and attentionMask [B][T]. */
export function padBatch(
  sequences: readonly number[][],
  padId: number,
): { tokens: number[][]; attentionMask: number[][] } {
  const T = Math.max(...sequences.map((s) => s.length));
  const tokens = sequences.map((s) => [...new Array(T - s.length).fill(padId), ...s]);
  const attentionMask = sequences.map((s) => [...new Array(T - s.length).fill(0), ...new Array(s.length).fill(1)]);
  return { tokens, attentionMask };
}

/** The id used for padding: the tokenizer's pad token, else EOS, else 0 (masked out either way). */
export function padIdOf(tokenizer: Tokenizer): number {
  return tokenizer.padTokenId ?? tokenizer.eosTokenId ?? 0;
}
