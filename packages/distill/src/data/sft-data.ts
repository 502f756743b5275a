/**
 * SFT data: dataset rows → token ids + per-token labels → padded micro-batches, with optional packing and a seeded,
 * resumable order. Follows TRL's `SFTTrainer` data handling: rows are `{ prompt, completion }` (text or chat messages)
 * or `{ messages }` (the chat template is applied, as `apply_chat_template`); with completion-only loss the prompt
 * tokens get `ignoreIndex` labels, so only the completion (the last assistant turn) is trained on.
 *
 * Packing here is greedy and in order: whole examples are appended to a sequence until the next would overflow
 * `maxLength` (TRL's "bfd" packing without the reordering). The model's attention mask is [B, T] padding only, so
 * packed examples can attend to earlier examples of the same sequence (TRL's older "wrapped" packing has the same
 * property); each example's first token is never a target, so no loss crosses an example boundary.
 * Letters: B batch, T positions.
 * Leaves out: per-turn assistant masks of multi-turn chats (everything before the last assistant turn is prompt),
 * streaming datasets, left truncation.
 */
import type { ChatMessage, Tokenizer } from '@aha/core';
import { AhaError, mulberry32, ValueError } from '@aha/core';
import { z } from 'zod';

const ChatMessageSchema = z.object({
  role: z.string().describe('system, user or assistant'),
  content: z.string().describe('The text of the turn.'),
});
const TextOrChat = z.union([z.string(), z.array(ChatMessageSchema).min(1)]);

/** One SFT row: `{ prompt, completion }` (strings, or chat messages) or `{ messages }`; other columns are kept. */
export const SftRowSchema = z.union([
  z.looseObject({
    messages: z.array(ChatMessageSchema).min(1).describe('A chat; the last assistant turn is the completion.'),
  }),
  z.looseObject({
    prompt: TextOrChat.describe('Prompt text, or chat messages ending before the assistant answer.'),
    completion: TextOrChat.describe('Completion text, or the assistant message(s).'),
  }),
]);
export type SftRow = z.infer<typeof SftRowSchema>;

/** A tokenized example: `labels[i]` is the id trained on at position i, or `ignoreIndex`. */
export interface TokenizedExample {
  tokens: number[];
  labels: number[];
  /** Tokens of the prompt (at most tokens.length); unset for packed sequences. */
  promptLength?: number;
}

/** How rows are tokenized. */
export interface TokenizeOptions {
  /** Only completion tokens are targets (TRL `completion_only_loss`). */
  completionOnlyLoss: boolean;
  /** Examples are cut to this many tokens (from the right). */
  maxLength: number;
  /** Append the tokenizer's EOS after a text completion (chat templates write their own). */
  appendEos: boolean;
  ignoreIndex: number;
}

const isPrefix = (prefix: number[], full: number[]) =>
  prefix.length <= full.length && prefix.every((v, i) => full[i] === v);

/** Prompt ids and full ids of one row, before truncation. */
function encodeRow(row: SftRow, tokenizer: Tokenizer, appendEos: boolean, index: number) {
  const where = `SFT row ${index}`;
  const chat = (messages: ChatMessage[], generation: boolean) =>
    tokenizer.encodeChat(messages, { addGenerationPrompt: generation });
  let prompt: number[];
  let full: number[];
  if ('messages' in row) {
    const messages = row.messages as ChatMessage[];
    const last = messages.findLastIndex((m) => m.role === 'assistant');
    if (last < 0) throw new ValueError(`${where}: messages has no assistant turn to train on`);
    prompt = chat(messages.slice(0, last), true);
    full = chat(messages.slice(0, last + 1), false);
  } else if (typeof row.prompt === 'string' && typeof row.completion === 'string') {
    prompt = tokenizer.encode(row.prompt);
    const eos = appendEos && tokenizer.eosTokenId !== null ? [tokenizer.eosTokenId] : [];
    full = [...prompt, ...tokenizer.encode(row.completion, { addSpecialTokens: false }), ...eos];
  } else if (Array.isArray(row.prompt) && Array.isArray(row.completion)) {
    prompt = chat(row.prompt, true);
    full = chat([...row.prompt, ...row.completion], false);
  } else {
    throw new ValueError(`${where}: prompt and completion must both be text or both be chat messages`);
  }
  if (!isPrefix(prompt, full))
    throw new AhaError(
      'value',
      `${where}: the chat template renders the prompt differently inside the full chat, so prompt tokens cannot be masked`,
    );
  return { prompt, full };
}

/** Tokenizes one row (see the file comment); the first token is never a target. */
export function tokenizeSftRow(
  row: SftRow,
  tokenizer: Tokenizer,
  options: TokenizeOptions,
  index = 0,
): TokenizedExample {
  const { prompt, full } = encodeRow(row, tokenizer, options.appendEos, index);
  const tokens = full.slice(0, options.maxLength);
  const labels = tokens.map((t, i) =>
    i === 0 || (options.completionOnlyLoss && i < prompt.length) ? options.ignoreIndex : t,
  );
  return { tokens, labels, promptLength: Math.min(prompt.length, tokens.length) };
}

/**
 * Validates and tokenizes a dataset. Examples left without any target (e.g. the prompt alone fills maxLength) are
 * dropped and counted: a micro-batch of them would have no loss.
 */
export function tokenizeSftDataset(
  rows: readonly unknown[],
  tokenizer: Tokenizer,
  options: TokenizeOptions,
): { examples: TokenizedExample[]; dropped: number } {
  if (!(Number.isInteger(options.maxLength) && options.maxLength >= 2))
    throw new ValueError(`tokenizeSftDataset: maxLength must be an integer ≥ 2, got ${options.maxLength}`);
  const examples: TokenizedExample[] = [];
  let dropped = 0;
  rows.forEach((raw, i) => {
    const parsed = SftRowSchema.safeParse(raw);
    if (!parsed.success)
      throw new ValueError(
        `SFT row ${i} is neither { prompt, completion } nor { messages }: ${z.prettifyError(parsed.error)}`,
      );
    const ex = tokenizeSftRow(parsed.data, tokenizer, options, i);
    if (ex.labels.some((l) => l !== options.ignoreIndex)) examples.push(ex);
    else dropped++;
  });
  return { examples, dropped };
}

/** Greedy in-order packing of whole examples into sequences of at most `maxLength` tokens. */
export function packExamples(examples: readonly TokenizedExample[], maxLength: number): TokenizedExample[] {
  const packed: TokenizedExample[] = [];
  let cur: TokenizedExample = { tokens: [], labels: [] };
  for (const ex of examples) {
    if (cur.tokens.length > 0 && cur.tokens.length + ex.tokens.length > maxLength) {
      packed.push(cur);
      cur = { tokens: [], labels: [] };
    }
    cur.tokens.push(...ex.tokens);
    cur.labels.push(...ex.labels);
  }
  if (cur.tokens.length > 0) packed.push(cur);
  return packed;
}

/** A padded micro-batch for a causal LM. */
export interface LmBatch {
  /** [B][T] ids, right-padded. */
  tokens: number[][];
  /** [B][T] 1 = real token, 0 = padding. */
  attentionMask: number[][];
  /** [B·T] next-token targets: targets[b·T + i] = labels[b][i + 1], ignoreIndex where nothing is trained. */
  targets: Int32Array;
  /** [B][T] 1 where position i has a target (the mask of the distillation losses). */
  targetMask: number[][];
  /** Number of targets. */
  count: number;
}

/** Right-pads examples into one batch (`padId` for padding) and shifts labels into next-token targets. */
export function collate(examples: readonly TokenizedExample[], padId: number, ignoreIndex: number): LmBatch {
  if (examples.length === 0) throw new ValueError('collate: no examples');
  const T = Math.max(...examples.map((e) => e.tokens.length));
  const B = examples.length;
  const targets = new Int32Array(B * T).fill(ignoreIndex);
  const targetMask = examples.map(() => new Array<number>(T).fill(0));
  let count = 0;
  examples.forEach((e, b) => {
    for (let i = 0; i + 1 < e.tokens.length; i++) {
      const label = e.labels[i + 1];
      if (label === ignoreIndex) continue;
      targets[b * T + i] = label;
      targetMask[b][i] = 1;
      count++;
    }
  });
  return {
    tokens: examples.map((e) => [...e.tokens, ...new Array<number>(T - e.tokens.length).fill(padId)]),
    attentionMask: examples.map((e) => [
      ...new Array<number>(e.tokens.length).fill(1),
      ...new Array<number>(T - e.tokens.length).fill(0),
    ]),
    targets,
    targetMask,
    count,
  };
}

/** mulberry32, seeded per use (KD draws its on-policy coin from it). */
export const prng = mulberry32;
