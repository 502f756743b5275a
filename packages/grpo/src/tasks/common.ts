/**
 * Shared pieces of the synthetic tasks: answer extraction from `<answer>` tags, and the hash-based train/held-out
 * split that keeps the two disjoint by construction (a problem's canonical key decides its split, so no seed choice
 * can leak a test problem into training).
 */
import { ValueError } from '@aha/core';
import { hashString } from '../data/prng.js';

/**
 * A task's answer check in the `verify` shape of @aha/rewards' `accuracyReward` (and `verifyMath`): the gold answer
 * from the row's `solution` column, the whole completion. So `accuracyReward({ verify: verifyAddition, answerOnly:
 * false })` scores with the task's own rule, with no adapter. A row without gold is not judged ('unparseable').
 */
export type TaskVerify = (
  gold: string | null | undefined,
  completion: string,
) => Promise<{ verdict: 'equal' | 'not_equal' | 'unparseable' }>;

/** Which side of the split a generated problem lands on. */
export type Split = 'train' | 'test';

/**
 * The text of the last complete `<answer>…</answer>` block, trimmed, or null when there is none. Only extraction:
 * whether the completion's *format* is right (think first, nothing after) is the format reward's job.
 */
export function extractAnswer(completion: string): string | null {
  const re = /<answer>([\s\S]*?)<\/answer>/g;
  let last: string | null = null;
  for (let m = re.exec(completion); m !== null; m = re.exec(completion)) last = m[1];
  return last === null ? null : last.trim();
}

/** The split a problem key belongs to: the held-out share of the 32-bit hash space is `heldOutFraction`. */
export function splitOf(key: string, heldOutFraction: number): Split {
  return hashString(key) / 4294967296 < heldOutFraction ? 'test' : 'train';
}

/** Common generator options. */
export interface GenerateOptions {
  /** Number of distinct problems to generate. */
  count: number;
  /** Seed of the generator: same options, same rows. */
  seed: number;
  /** Which split to draw from (default 'train'). Train and test never share a problem. */
  split?: Split;
  /** Share of the problem space reserved for 'test' (default 0.1). Must be the same for both splits. */
  heldOutFraction?: number;
}

export function checkGenerateOptions(fn: string, o: GenerateOptions): Required<GenerateOptions> {
  const split = o.split ?? 'train';
  const heldOutFraction = o.heldOutFraction ?? 0.1;
  if (!Number.isInteger(o.count) || o.count < 0)
    throw new ValueError(`${fn}: count must be an integer >= 0, got ${o.count}`);
  if (!Number.isInteger(o.seed)) throw new ValueError(`${fn}: seed must be an integer, got ${o.seed}`);
  if (split !== 'train' && split !== 'test')
    throw new ValueError(`${fn}: split must be 'train' or 'test', got ${split}`);
  if (!(heldOutFraction > 0 && heldOutFraction < 1)) {
    throw new ValueError(`${fn}: heldOutFraction must be in (0, 1), got ${heldOutFraction}`);
  }
  return { count: o.count, seed: o.seed, split, heldOutFraction };
}

/**
 * Draw `count` distinct problems of one split by rejection: sample, keep it when its key is on the wanted side and
 * unseen. Gives up with a clear error when the problem space is too small for `count`.
 */
export function drawDistinct<T>(
  fn: string,
  o: Required<GenerateOptions>,
  sample: () => { key: string; value: T },
): T[] {
  const out: T[] = [];
  const seen = new Set<string>();
  const maxAttempts = 1000 + o.count * 200;
  for (let attempts = 0; out.length < o.count; attempts++) {
    if (attempts >= maxAttempts) {
      throw new ValueError(
        `${fn}: found only ${out.length} distinct '${o.split}' problems of ${o.count} requested after ${maxAttempts} ` +
          'draws; widen the problem space (more digits / numbers) or ask for fewer',
      );
    }
    const { key, value } = sample();
    if (seen.has(key) || splitOf(key, o.heldOutFraction) !== o.split) continue;
    seen.add(key);
    out.push(value);
  }
  return out;
}
