/**
 * Multi-digit addition: the smallest verifiable task for R1-Zero in miniature. Operands are digit strings, so any
 * length works exactly (no 2^53 limit). An optional reference completion shows the schoolbook method digit by digit
 * with carries inside `<think>`, then the sum in `<answer>` — usable as cold-start SFT data (R1 §2.3.1 in spirit) or
 * to check a format reward.
 *
 * Two layouts of the same problems (one split, one gold sum): the English prompt `generateAddition` writes ("What is
 * 47 + 385?", long schoolbook trace), and the compact one of the R1-Zero main job (`additionProblems`: "47+385=",
 * trace "7+5=12 4+8+1=13 0+3+1=4"), kept short because every completion token costs a decode step on 2 CPU cores.
 * Scoring: `scoreAddition` (0/1 for a row) and `verifyAddition` (the same rule in the `verify` shape of the accuracy
 * reward), used alike by the trainer tests, the recipes and the CLI.
 *
 * Left out: negative numbers and other operations (Countdown covers those).
 */
import { ValueError } from '@aha/core';
import { createRng, type Rng } from '../data/prng.js';
import { checkGenerateOptions, drawDistinct, extractAnswer, type GenerateOptions, type TaskVerify } from './common.js';

/** A generated addition problem. */
export interface AdditionRow {
  prompt: string;
  /** The sum, in decimal without leading zeros. */
  solution: string;
  task: 'addition';
  /** The two operands as decimal strings. */
  operands: [string, string];
  /** Reference completion `<think>…</think>\n<answer>…</answer>` (when `trace` is on). */
  completion?: string;
  [column: string]: unknown;
}

/** Options for {@link generateAddition}. */
export interface AdditionOptions extends GenerateOptions {
  /** Digits per operand, sampled per operand in [min, max] (default 2..4). */
  digits?: { min: number; max: number };
  /** Add a `completion` column with the digit-by-digit carry trace (default false). */
  trace?: boolean;
}

function randomOperand(rng: Rng, digits: number): string {
  if (digits === 1) return String(rng.int(10));
  let s = String(rng.range(1, 9));
  for (let i = 1; i < digits; i++) s += String(rng.int(10));
  return s;
}

/** Sum of two non-negative decimal strings, and the schoolbook trace (right to left, one line per column). */
export function addDigits(a: string, b: string): { sum: string; steps: string[] } {
  if (!/^\d+$/.test(a) || !/^\d+$/.test(b))
    throw new ValueError(`addDigits: operands must be digit strings, got '${a}', '${b}'`);
  const steps: string[] = [];
  let carry = 0;
  let out = '';
  const n = Math.max(a.length, b.length);
  for (let i = 0; i < n; i++) {
    const da = i < a.length ? Number(a[a.length - 1 - i]) : 0;
    const db = i < b.length ? Number(b[b.length - 1 - i]) : 0;
    const s = da + db + carry;
    const terms = carry ? `${da} + ${db} + ${carry}` : `${da} + ${db}`;
    carry = s >= 10 ? 1 : 0;
    out = String(s % 10) + out;
    steps.push(`${ordinal(i + 1)} digit from the right: ${terms} = ${s}, write ${s % 10}, carry ${carry}.`);
  }
  if (carry) {
    out = '1' + out;
    steps.push('The last carry 1 becomes the leading digit.');
  }
  const sum = out.replace(/^0+(?=\d)/, '');
  return { sum, steps };
}

function ordinal(n: number): string {
  const s = n % 100 >= 11 && n % 100 <= 13 ? 'th' : (['th', 'st', 'nd', 'rd'][n % 10] ?? 'th');
  return `${n}${s}`;
}

/** Generate `count` distinct addition problems of one split, deterministically from `seed`. */
export function generateAddition(opts: AdditionOptions): AdditionRow[] {
  const o = checkGenerateOptions('generateAddition', opts);
  const { min, max } = opts.digits ?? { min: 2, max: 4 };
  if (!Number.isInteger(min) || !Number.isInteger(max) || min < 1 || max < min) {
    throw new ValueError(
      `generateAddition: digits must be integers with 1 <= min <= max, got {min: ${min}, max: ${max}}`,
    );
  }
  const rng = createRng(o.seed);
  return drawDistinct('generateAddition', o, () => {
    const a = randomOperand(rng, rng.range(min, max));
    const b = randomOperand(rng, rng.range(min, max));
    // a + b and b + a are the same problem: one key, so they share a split.
    const key = BigInt(a) <= BigInt(b) ? `${a}+${b}` : `${b}+${a}`;
    const { sum, steps } = addDigits(a, b);
    const row: AdditionRow = { prompt: `What is ${a} + ${b}?`, solution: sum, task: 'addition', operands: [a, b] };
    if (opts.trace) {
      const think = [`Add ${a} and ${b} column by column.`, ...steps, `So ${a} + ${b} = ${sum}.`].join('\n');
      row.completion = `<think>\n${think}\n</think>\n<answer>${sum}</answer>`;
    }
    return { key, value: row };
  });
}

/**
 * 1 when the completion's last `<answer>` holds the sum (an integer, leading zeros and surrounding spaces allowed),
 * else 0. Text around the number inside the tags ("= 42", "42.") does not count — the task asks for the number.
 */
export function scoreAddition(completion: string, row: Pick<AdditionRow, 'solution'>): 0 | 1 {
  const ans = extractAnswer(completion);
  if (ans === null || !/^\d+$/.test(ans)) return 0;
  return ans.replace(/^0+(?=\d)/, '') === row.solution ? 1 : 0;
}

/** `scoreAddition` in the `verify` shape (gold = the `solution` column): 'equal' when the last `<answer>` holds it. */
export const verifyAddition: TaskVerify = async (gold, completion) => ({
  verdict:
    gold === undefined || gold === null
      ? 'unparseable'
      : scoreAddition(completion, { solution: String(gold) }) === 1
        ? 'equal'
        : 'not_equal',
});

/** A problem in the compact layout, with the `solution` column the accuracy reward reads. */
export interface AdditionProblem {
  prompt: string;
  solution: string;
  operands: [string, string];
}

/** The compact prompt for `a + b`; with `width`, operands are zero-padded to it (fixed digit positions). */
export const additionPrompt = (a: string, b: string, width = 0): string =>
  `${a.padStart(width, '0')}+${b.padStart(width, '0')}=`;

/** One column of `a + b`, right to left: its digits, the carry in, and the column sum `s` (carry out = s ≥ 10). */
export interface AdditionColumn {
  da: number;
  db: number;
  carryIn: 0 | 1;
  s: number;
}

/** The columns of `a + b` from the ones up (the walk every addition trace writes out). */
export function additionColumns(a: string, b: string): AdditionColumn[] {
  const columns: AdditionColumn[] = [];
  let carryIn: 0 | 1 = 0;
  const n = Math.max(a.length, b.length);
  for (let i = 0; i < n; i++) {
    const da = i < a.length ? Number(a[a.length - 1 - i]) : 0;
    const db = i < b.length ? Number(b[b.length - 1 - i]) : 0;
    const s: number = da + db + carryIn;
    columns.push({ da, db, carryIn, s });
    carryIn = s >= 10 ? 1 : 0;
  }
  return columns;
}

/** `da+db(+1)=s`: one column as the traces write it. */
export const columnSum = (c: AdditionColumn): string =>
  c.carryIn ? `${c.da}+${c.db}+1=${c.s}` : `${c.da}+${c.db}=${c.s}`;

/** Compact column-by-column trace: right to left, `da+db(+carry)=s` per column. */
export function additionTrace(a: string, b: string): string {
  return additionColumns(a, b).map(columnSum).join(' ');
}

/** The compact reference completion `<think>trace</think><answer>sum</answer>` (EOS is the tokenizer's business). */
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

/** `count` distinct problems of one split in the compact layout (the problems of `generateAddition`). */
export function additionProblems(o: AdditionProblemOptions): AdditionProblem[] {
  const rows = generateAddition({
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
