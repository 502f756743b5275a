/**
 * Reflective column traces for the "aha moment" base model (DeepSeek-R1 §2.2.4: during R1-Zero the model learns to
 * re-check itself, with "wait" growing late). The corpus of a base model that has *seen* reflection, rarely: most
 * traces are the plain compact trace of the main job (`additionTrace`, "7+5=12 4+8+1=13"); a few write a column
 * wrong — a digit misread ("4+3+1=8"), the carry dropped ("4+8=12") or the sum off by one ("7+5=11") — then ` wait `
 * and the whole trace again from the first column, right this time; a few more stop after a right column, say
 * ` wait ` and redo the trace needlessly. After "wait" the corpus always holds the right trace, so a redo can only
 * help the final answer: reflection is possible but not habitual, and RL on accuracy alone decides whether it grows.
 *
 * Why the redo restarts from the first column instead of fixing the one column: a tiny model finds its place in
 * the walk by counting columns since `<think>`; "count since the last wait" is a rule it can learn from a few
 * percent of the corpus, while "redo the column before wait" broke its counting (the first design, measured: after
 * "wait" it wrote some other column, and reflecting completions were never right — examples/aha-moment/README.md).
 *
 * Left out: more than one reflection per trace, and reflection words other than "wait".
 */
import { ValueError } from '@aha/core';
import type { Rng } from '../data/prng.js';
import { type AdditionColumn, type AdditionProblem, additionColumns, columnSum } from './addition.js';

/** Shares of the corpus that reflect (each trace does at most one of the two). */
export interface ReflectionRates {
  /** Share of traces with one wrong column followed by ` wait ` and the corrected column. */
  mistake: number;
  /** Share of traces that re-check one correct column (` wait ` and the same column again). */
  recheck: number;
}

/** What {@link reflectiveAdditionTrace} wrote, for the corpus statistics and the tests. */
export type ReflectionKind = 'none' | 'mistake' | 'recheck';

/**
 * A column written wrong the way a weak model gets it wrong (the errors of the early-stopped main-job base model):
 * an operand digit misread (the sum then follows from it), the carry dropped or added, or the sum off by one —
 * one of the three, uniformly. Never the right column.
 */
export function wrongColumn(c: AdditionColumn, rng: Rng): string {
  const kind = rng.int(3);
  if (kind === 0) {
    // Misread one operand digit: any other digit, and a sum that is right for the misread column.
    const other = (d: number) => (d + 1 + rng.int(9)) % 10;
    const [da, db] = rng.next() < 0.5 ? [other(c.da), c.db] : [c.da, other(c.db)];
    return columnSum({ da, db, carryIn: c.carryIn, s: da + db + c.carryIn });
  }
  if (kind === 1) {
    const carryIn = c.carryIn ? 0 : 1;
    return columnSum({ da: c.da, db: c.db, carryIn, s: c.da + c.db + carryIn });
  }
  const s = c.s === 0 || (c.s < 19 && rng.next() < 0.5) ? c.s + 1 : c.s - 1;
  return columnSum({ ...c, s });
}

/**
 * The compact column trace of `a + b`, with at most one reflection drawn with `rates` (see the file comment).
 * Without a reflection it is exactly `additionTrace(a, b)`.
 */
export function reflectiveAdditionTrace(
  a: string,
  b: string,
  rates: ReflectionRates,
  rng: Rng,
): { trace: string; kind: ReflectionKind } {
  const { mistake, recheck } = rates;
  if (!(mistake >= 0 && recheck >= 0 && mistake + recheck <= 1)) {
    throw new ValueError(
      `reflectiveAdditionTrace: rates must be >= 0 with mistake + recheck <= 1, got {mistake: ${mistake}, recheck: ${recheck}}`,
    );
  }
  const columns = additionColumns(a, b);
  const plain = columns.map(columnSum).join(' ');
  const u = rng.next();
  const kind: ReflectionKind = u < mistake ? 'mistake' : u < mistake + recheck ? 'recheck' : 'none';
  if (kind === 'none') return { trace: plain, kind };
  const at = rng.int(columns.length);
  const prefix = columns.slice(0, at).map(columnSum);
  prefix.push(kind === 'mistake' ? wrongColumn(columns[at], rng) : columnSum(columns[at]));
  return { trace: `${prefix.join(' ')} wait ${plain}`, kind };
}

/** The reference completion `<think>trace</think><answer>sum</answer>` with the trace of {@link reflectiveAdditionTrace}. */
export function reflectiveAdditionCompletion(
  p: AdditionProblem,
  rates: ReflectionRates,
  rng: Rng,
): { completion: string; kind: ReflectionKind } {
  const [a, b] = p.operands;
  // Zero-padded prompts trace every printed column, as additionCompletion does.
  const width = Math.max(p.prompt.indexOf('+'), a.length, b.length);
  const { trace, kind } = reflectiveAdditionTrace(a.padStart(width, '0'), b.padStart(width, '0'), rates, rng);
  return { completion: `<think>${trace}</think><answer>${p.solution}</answer>`, kind };
}
