/**
 * Countdown: reach a target with + − × ÷ over given numbers, each used at most once — the task of TinyZero and of
 * the "R1-Zero on Countdown" reproductions, small enough for a tiny model yet needing search and backtracking.
 * Generator: draw numbers, combine them at random (positive integer intermediates only, exact division) into one
 * expression, whose value is the target — so every problem is solvable and `solution` holds one answer.
 * Verifier: parse the last `<answer>` safely (./expression.ts, no eval), check each literal is one of the numbers
 * and used no more often than given, and that the value equals the target exactly.
 *
 * Score Countdown with {@link scoreCountdown}, not a math-equivalence accuracy reward: equivalence to the target
 * alone would accept "22" or an expression with made-up numbers.
 */
import { ValueError } from '@aha/core';
import { createRng, type Rng } from '../data/prng.js';
import { checkGenerateOptions, drawDistinct, extractAnswer, type GenerateOptions, type TaskVerify } from './common.js';
import { type EvaluateLimits, evaluateExpression } from './expression.js';

/** A generated Countdown problem. */
export interface CountdownRow {
  prompt: string;
  /** One expression that reaches the target (others may exist). */
  solution: string;
  task: 'countdown';
  numbers: number[];
  target: number;
  [column: string]: unknown;
}

/** Options for {@link generateCountdown}. */
export interface CountdownOptions extends GenerateOptions {
  /** How many numbers per problem, in [min, max] (default 3..4, as TinyZero's Countdown-Tasks-3to4). */
  size?: { min: number; max: number };
  /** Range of each number (default 1..99). */
  numberRange?: { min: number; max: number };
  /** Range of the target (default 1..999). */
  targetRange?: { min: number; max: number };
}

interface Node {
  value: number;
  text: string;
  atom: boolean;
}

function combine(rng: Rng, a: Node, b: Node): Node | null {
  const wrap = (n: Node) => (n.atom ? n.text : `(${n.text})`);
  switch (rng.int(4)) {
    case 0:
      return { value: a.value + b.value, text: `${wrap(a)} + ${wrap(b)}`, atom: false };
    case 1: {
      const [x, y] = a.value >= b.value ? [a, b] : [b, a];
      if (x.value === y.value) return null; // a zero intermediate is a wasted number
      return { value: x.value - y.value, text: `${wrap(x)} - ${wrap(y)}`, atom: false };
    }
    case 2:
      return { value: a.value * b.value, text: `${wrap(a)} * ${wrap(b)}`, atom: false };
    default: {
      const [x, y] = a.value >= b.value ? [a, b] : [b, a];
      if (y.value <= 1 || x.value % y.value !== 0) return null;
      return { value: x.value / y.value, text: `${wrap(x)} / ${wrap(y)}`, atom: false };
    }
  }
}

function checkRange(name: string, r: { min: number; max: number }, lo: number): void {
  if (!Number.isInteger(r.min) || !Number.isInteger(r.max) || r.min < lo || r.max < r.min) {
    throw new ValueError(
      `generateCountdown: ${name} must be integers with ${lo} <= min <= max, got {min: ${r.min}, max: ${r.max}}`,
    );
  }
}

/** The task text for numbers and target (plain; wrap it with the R1-Zero template via `renderPrompt`). */
export function countdownPrompt(numbers: readonly number[], target: number): string {
  return (
    `Using the numbers [${numbers.join(', ')}], write an arithmetic expression that equals ${target}. ` +
    'You may use +, -, *, / and parentheses, and each number at most once. ' +
    'Give only the expression as the answer.'
  );
}

/** Generate `count` distinct solvable Countdown problems of one split, deterministically from `seed`. */
export function generateCountdown(opts: CountdownOptions): CountdownRow[] {
  const o = checkGenerateOptions('generateCountdown', opts);
  const size = opts.size ?? { min: 3, max: 4 };
  const numberRange = opts.numberRange ?? { min: 1, max: 99 };
  const targetRange = opts.targetRange ?? { min: 1, max: 999 };
  checkRange('size', size, 2);
  checkRange('numberRange', numberRange, 1);
  checkRange('targetRange', targetRange, 1);
  const rng = createRng(o.seed);
  const sample = (): { key: string; value: CountdownRow } => {
    for (let tries = 0; ; tries++) {
      if (tries >= 10_000) {
        throw new ValueError(
          `generateCountdown: no target in [${targetRange.min}, ${targetRange.max}] after 10000 tries with numbers ` +
            `in [${numberRange.min}, ${numberRange.max}]; widen targetRange`,
        );
      }
      const numbers = Array.from({ length: rng.range(size.min, size.max) }, () =>
        rng.range(numberRange.min, numberRange.max),
      );
      let pool: Node[] = numbers.map((n) => ({ value: n, text: String(n), atom: true }));
      let failed = false;
      while (pool.length > 1 && !failed) {
        const i = rng.int(pool.length);
        let j = rng.int(pool.length - 1);
        if (j >= i) j++;
        const c = combine(rng, pool[i], pool[j]);
        if (c === null) failed = true;
        else pool = [...pool.filter((_, k) => k !== i && k !== j), c];
      }
      const target = pool[0].value;
      if (failed || target < targetRange.min || target > targetRange.max) continue;
      const sorted = [...numbers].sort((x, y) => x - y);
      return {
        key: `${sorted.join(',')}=${target}`,
        value: { prompt: countdownPrompt(numbers, target), solution: pool[0].text, task: 'countdown', numbers, target },
      };
    }
  };
  return drawDistinct('generateCountdown', o, sample);
}

/** Why a Countdown answer was accepted or rejected. */
export type CountdownVerdict =
  | 'ok'
  | 'no_answer'
  | 'unparseable'
  | 'too_long'
  | 'too_deep'
  | 'division_by_zero'
  | 'number_not_given'
  | 'number_reused'
  | 'missing_numbers'
  | 'wrong_value';

/**
 * Check a Countdown expression against the numbers and target. A trailing `= <target>` is allowed and ignored
 * (models often write it); anything else outside the grammar is 'unparseable'.
 */
export function verifyCountdown(
  expression: string,
  numbers: readonly number[],
  target: number,
  opts: { requireAll?: boolean } & EvaluateLimits = {},
): { verdict: CountdownVerdict; detail?: string } {
  let text = expression.trim();
  const eq = /=\s*(\d+)\s*$/.exec(text);
  if (eq && Number(eq[1]) === target) text = text.slice(0, eq.index).trim();
  const r = evaluateExpression(text, opts);
  if (!r.ok) return { verdict: r.error, detail: r.detail };
  const left = new Map<string, number>();
  for (const n of numbers) left.set(String(n), (left.get(String(n)) ?? 0) + 1);
  for (const lit of r.literals) {
    const k = lit.toString();
    const c = left.get(k);
    if (c === undefined) return { verdict: 'number_not_given', detail: `${k} is not in [${numbers.join(', ')}]` };
    if (c === 0) return { verdict: 'number_reused', detail: `${k} used more often than given` };
    left.set(k, c - 1);
  }
  if (opts.requireAll && [...left.values()].some((c) => c > 0)) {
    return { verdict: 'missing_numbers', detail: 'not every number was used' };
  }
  if (r.value.q !== 1n || r.value.p !== BigInt(target)) {
    const v = r.value.q === 1n ? r.value.p.toString() : `${r.value.p}/${r.value.q}`;
    return { verdict: 'wrong_value', detail: `evaluates to ${v}, target ${target}` };
  }
  return { verdict: 'ok' };
}

/** 1 when the completion's last `<answer>` is a valid Countdown solution for the row, else 0. */
export function scoreCountdown(
  completion: string,
  row: Pick<CountdownRow, 'numbers' | 'target'>,
  opts: { requireAll?: boolean } = {},
): 0 | 1 {
  const ans = extractAnswer(completion);
  if (ans === null) return 0;
  return verifyCountdown(ans, row.numbers, row.target, opts).verdict === 'ok' ? 1 : 0;
}

/**
 * `scoreCountdown` in the `verify` shape, with the row's `solution` expression as gold: the numbers are its literals
 * and the target its value (the generator's solution uses every number once), so a reward needs no other column.
 */
export const verifyCountdownAnswer: TaskVerify = async (gold, completion) => {
  if (gold === undefined || gold === null) return { verdict: 'unparseable' };
  const g = evaluateExpression(String(gold));
  if (!g.ok || g.value.q !== 1n) return { verdict: 'unparseable' };
  const numbers = g.literals.map((n) => Number(n));
  return { verdict: scoreCountdown(completion, { numbers, target: Number(g.value.p) }) === 1 ? 'equal' : 'not_equal' };
};
