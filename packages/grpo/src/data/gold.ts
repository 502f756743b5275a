/**
 * Gold-answer extraction for the common math datasets, so a `solution` column can hold the dataset's worked answer
 * as published: GSM8K ends its answer with `#### 42`; MATH (Hendrycks) puts the final answer in the last `\boxed{}`
 * of the solution. `raw` keeps the text as it is. Also the typed error of a bad dataset record, naming the file,
 * the line (JSONL) or row (Parquet) and the column.
 * Leaves out: `\fbox{}` and other answer markers, and normalising the extracted answer (the accuracy reward does that).
 */
import { ValueError } from '@aha/core';

/** How the gold answer is read from the solution column. */
export const GOLD_FORMATS = ['raw', 'gsm8k', 'math'] as const;
export type GoldFormat = (typeof GOLD_FORMATS)[number];

/** A dataset record that cannot be used: `file`, `where` ("line 3" or "row 2") and `column` name it. */
export class DatasetRecordError extends ValueError {
  constructor(
    readonly file: string,
    readonly where: string,
    readonly column: string | undefined,
    detail: string,
  ) {
    super(`${file}: ${where}${column === undefined ? '' : `, column '${column}'`}: ${detail}`);
    this.name = 'DatasetRecordError';
  }
}

/** The text inside the last `\boxed{...}` (nested braces matched), or undefined when there is none or it is open. */
export function lastBoxed(text: string): string | undefined {
  const start = text.lastIndexOf('\\boxed');
  if (start < 0) return undefined;
  let i = start + '\\boxed'.length;
  while (text[i] === ' ') i++;
  if (text[i] !== '{') return undefined;
  let depth = 0;
  for (let j = i; j < text.length; j++) {
    if (text[j] === '{') depth++;
    else if (text[j] === '}' && --depth === 0) return text.slice(i + 1, j).trim();
  }
  return undefined;
}

/** The GSM8K final answer: what follows the last `####`, thousands separators removed; undefined when absent. */
export function gsm8kAnswer(text: string): string | undefined {
  const at = text.lastIndexOf('####');
  if (at < 0) return undefined;
  const answer = text
    .slice(at + 4)
    .trim()
    .replace(/(\d),(?=\d{3}\b)/g, '$1');
  return answer === '' ? undefined : answer;
}

/** The gold answer of `text` in `format`; undefined when the format's marker is missing. */
export function extractGold(text: string, format: GoldFormat): string | undefined {
  if (format === 'gsm8k') return gsm8kAnswer(text);
  if (format === 'math') return lastBoxed(text);
  return text;
}
