/**
 * Readability filters of rejection sampling (DeepSeek-R1 §2.3.3: "we have filtered out chain-of-thought with mixed
 * languages, long paragraphs, and code blocks"), each a plain check on the completion text that returns the reason a
 * sample is dropped, or null. The thresholds are ours (the paper gives none); all are off by default.
 * Leaves out: model-based judgement of readability (R1 used DeepSeek-V3 as a judge for some data).
 */
import { checkFormat, codeBlocks, type FormatOptions, languageCounts, thinkPart } from '@aha/rewards';
import { z } from 'zod';

/** Why a generated sample was not kept. */
export type RejectReason =
  | 'reward_failed'
  | 'no_reward'
  | 'below_min_reward'
  | 'format'
  | 'mixed_language'
  | 'long_paragraph'
  | 'code_block'
  | 'too_long'
  | 'duplicate'
  | 'filtered'
  | 'over_max_per_prompt';

export const ReadabilityOptionsSchema = z.object({
  requireFormat: z
    .union([z.boolean(), z.looseObject({})])
    .default(false)
    .describe(
      'Keep only completions that pass the strict format check (one <think> block then one <answer> block); an object is passed to checkFormat as its options (e.g. { mode: "boxed" }).',
    ),
  language: z
    .object({
      language: z.string().min(2).describe('Target language of the chain of thought (zh, en, …).'),
      minShare: z.number().min(0).max(1).default(0.95).describe('Least share of target-language words in the CoT.'),
    })
    .nullable()
    .default(null)
    .describe('Mixed-language filter (the language-consistency measure of R1 §2.3.2); null: off.'),
  maxParagraphChars: z
    .number()
    .int()
    .positive()
    .nullable()
    .default(null)
    .describe('Drop completions with a paragraph (text between blank lines) longer than this; null: off.'),
  noCodeBlocks: z.boolean().default(false).describe('Drop completions that contain a fenced code block.'),
  maxCompletionChars: z
    .number()
    .int()
    .positive()
    .nullable()
    .default(null)
    .describe('Drop completions longer than this many characters; null: off.'),
});
export type ReadabilityOptions = z.input<typeof ReadabilityOptionsSchema>;

/** The first readability filter `text` fails, or null when it passes all that are on. */
export function readabilityReject(
  text: string,
  options: z.output<typeof ReadabilityOptionsSchema>,
): RejectReason | null {
  if (options.requireFormat !== false) {
    const formatOptions = options.requireFormat === true ? {} : (options.requireFormat as FormatOptions);
    if (!checkFormat(text, formatOptions).ok) return 'format';
  }
  if (options.language) {
    const cot = thinkPart(text) ?? text;
    const { target, total } = languageCounts(cot, options.language.language.toLowerCase().split('-')[0]);
    if (total > 0 && target / total < options.language.minShare) return 'mixed_language';
  }
  if (options.maxParagraphChars !== null) {
    const longest = Math.max(0, ...text.split(/\n\s*\n/).map((p) => p.trim().length));
    if (longest > options.maxParagraphChars) return 'long_paragraph';
  }
  if (options.noCodeBlocks && codeBlocks(text).length > 0) return 'code_block';
  if (options.maxCompletionChars !== null && text.length > options.maxCompletionChars) return 'too_long';
  return null;
}

/** The key two completions of one prompt are duplicates under: trimmed, whitespace runs folded. */
export const dedupeKey = (text: string): string => text.trim().replace(/\s+/g, ' ');
