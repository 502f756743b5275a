/**
 * The R1-Zero-in-miniature task: multi-digit addition written compactly for a byte-level model. A prompt is
 * `"<a>+<b>="`; the reference completion works the columns right to left inside `<think>` (`"7+5=12 4+8+1=13 3+1=4"`)
 * and gives the sum in `<answer>`. Problems, their held-out split and gold sums come from @aha/grpo's
 * `generateAddition`; only the text layout is chosen here, kept short because every completion token costs a decode
 * step on 2 CPU cores (the long English trace of `generateAddition({ trace: true })` is ~6× longer).
 * Leaves out: other tasks (Countdown would need a larger model to reach the target in minutes).
 */
import { type AdditionRow, generateAddition } from '@aha/grpo';

/** A problem in the compact layout, with the `solution` column the accuracy reward reads. */
export interface AdditionProblem {
  prompt: string;
  solution: string;
  operands: [string, string];
}

/** The prompt text for `a + b`; with `width`, operands are zero-padded to it (fixed digit positions). */
export const additionPrompt = (a: string, b: string, width = 0): string =>
  `${a.padStart(width, '0')}+${b.padStart(width, '0')}=`;

/** Column-by-column trace: right to left, `da+db(+carry)=s` per column, then the final carry if any. */
export function additionTrace(a: string, b: string): string {
  const parts: string[] = [];
  let carry = 0;
  const n = Math.max(a.length, b.length);
  for (let i = 0; i < n; i++) {
    const da = i < a.length ? Number(a[a.length - 1 - i]) : 0;
    const db = i < b.length ? Number(b[b.length - 1 - i]) : 0;
    const s = da + db + carry;
    parts.push(carry ? `${da}+${db}+1=${s}` : `${da}+${db}=${s}`);
    carry = s >= 10 ? 1 : 0;
  }
  return parts.join(' ');
}

/** The reference completion `<think>trace</think><answer>sum</answer>` (EOS is appended by the tokenizer side). */
export function additionCompletion(p: AdditionProblem): string {
  const [a, b] = p.operands;
  // With zero-padded prompts the trace covers every printed column.
  const width = p.prompt.indexOf('+');
  if (width > Math.max(a.length, b.length)) {
    return `<think>${additionTrace(a.padStart(width, '0'), b.padStart(width, '0'))}</think><answer>${p.solution}</answer>`;
  }
  return `<think>${additionTrace(a, b)}</think><answer>${p.solution}</answer>`;
}

/** Options of {@link additionProblems}. */
export interface AdditionProblemOptions {
  count: number;
  seed: number;
  split: 'train' | 'test';
  minDigits: number;
  maxDigits: number;
  /** Zero-pad both operands to maxDigits in the prompt. */
  pad?: boolean;
}

/** `count` distinct problems of one split (train and test never share a problem), deterministic for the seed. */
export function additionProblems(o: AdditionProblemOptions): AdditionProblem[] {
  const rows: AdditionRow[] = generateAddition({
    count: o.count,
    seed: o.seed,
    split: o.split,
    digits: { min: o.minDigits, max: o.maxDigits },
  });
  const width = o.pad ? o.maxDigits : 0;
  return rows.map((r) => ({
    prompt: additionPrompt(r.operands[0], r.operands[1], width),
    solution: r.solution,
    operands: r.operands,
  }));
}
