/**
 * Reflective column traces for the "aha moment" base model (DeepSeek-R1 §2.2.4: during R1-Zero the model learns to
 * re-check itself, with "wait" growing late). The corpus of a base model that has *seen* reflection, rarely: most
 * traces are the plain compact trace of the main job (`additionTrace`, "7+5=12 4+8+1=13"); a few write one column
 * wrong — the carry dropped or added ("4+8=12"), or the sum off by one ("7+5=11") — then ` wait ` and that column
 * again, right, and go on from it; a few more re-check a right column needlessly ("4+8+1=13 wait 4+8+1=13"). After
 * "wait" the corpus always holds the right column, so a redo can only help the final answer: reflection is possible
 * but not habitual, and RL on accuracy alone decides whether it grows.
 *
 * Why these mistakes and this redo (each alternative was measured, examples/aha-moment/README.md): a wrong sum or
 * carry is visible in the column itself (or the one before), and the redo copies the two digits from just before
 * "wait" — both local, what a tiny model can learn from a few percent of its corpus. Misread operand digits (the
 * weak model's most common error) cannot be fixed by a local redo, and a redo of the whole trace from the first
 * column broke the model's position-based digit lookup: after "wait" it wrote digits of no operand.
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
 * A column written wrong in a way the column itself (or the one before) shows: the carry dropped or added, or the
 * sum off by one — each half the time. Never the right column.
 */
export function wrongColumn(c: AdditionColumn, rng: Rng): string {
  if (rng.next() < 0.5) {
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
  const u = rng.next();
  const kind: ReflectionKind = u < mistake ? 'mistake' : u < mistake + recheck ? 'recheck' : 'none';
  const at = kind === 'none' ? -1 : rng.int(columns.length);
  const parts = columns.map((c, i) => {
    if (i !== at) return columnSum(c);
    return `${kind === 'mistake' ? wrongColumn(c, rng) : columnSum(c)} wait ${columnSum(c)}`;
  });
  return { trace: parts.join(' '), kind };
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
