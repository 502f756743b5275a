/**
 * Synthetic data of the `r1` recipe (DeepSeek-R1 §2.3), all generated in the repo from seeds:
 * - readable chains of thought for the addition task (the cold start of §2.3.1): the column trace of the shipped
 *   base model with its carries said in English words — `"7+5=12 carry 1, 4+8+1=13 carry 1, done"` —
 *   instead of the base model's compact `"7+5=12 4+8+1=13"`;
 * - language noise: a share of those traces has some words in Chinese (`7+5=12 进位 1, …, 完成`), the miniature of
 *   R1-Zero's language mixing. The paper's cold-start data is clean and the mixing comes from RL; a tiny model that
 *   never saw a Chinese word would never write one, so the language-consistency reward of §2.3.2 would have nothing
 *   to fix. Mixing it into the cold start (default 30 % of examples, half their words) gives stage 2 something real to
 *   remove, measured as the sampled language consistency before and after;
 * - "general" (non-reasoning) prompts and answers (§2.3.3's writing / QA data, in miniature): `"Tell me about rivers: "`
 *   → a few plain words, the distribution of @aha/reward-models' synthetic preference and safety sets; a share of the
 *   answers carries the banned word or a hazard word (imperfect SFT data) that the stage-4 reward models penalise.
 * Leaves out: real data of any kind (the recipe runs offline in minutes).
 */

import type { AdditionProblem } from '@aha/grpo';
import { additionColumns, columnSum, createRng } from '@aha/grpo';
import { bannedWordPairs } from '@aha/reward-models';

/** The words of a readable trace, in the target language (English) and in the noise language (Chinese). */
const WORDS = {
  en: { carry: 'carry', done: 'done' },
  zh: { carry: '进位', done: '完成' },
} as const;

/**
 * The readable chain of thought for `a + b`: the base model's column sums, right to left, each carry said in words,
 * then `done` — `"7+5=12 carry 1, 4+8+1=13 carry 1, done"`; the answer tag then holds the sum. The sums sit where the
 * base model's compact trace has them: first tries that named every column ("ones 7+5=12 …") or wrote the total
 * inside the trace cost the tiny model most of its accuracy after the cold start (greedy 44 % → 12–15 %).
 * `pickZh(i)` says whether word `i` is written in Chinese (noise); by default none is.
 */
export function readableTrace(a: string, b: string, pickZh: (word: number) => boolean = () => false): string {
  let word = 0;
  const w = (key: 'carry' | 'done') => (pickZh(word++) ? WORDS.zh : WORDS.en)[key];
  const parts = additionColumns(a, b).map((c) => (c.s >= 10 ? `${columnSum(c)} ${w('carry')} 1` : columnSum(c)));
  parts.push(w('done'));
  return parts.join(', ');
}

/** The readable completion `<think>trace</think><answer>sum</answer>`. */
export function readableCompletion(p: AdditionProblem, pickZh?: (word: number) => boolean): string {
  const [a, b] = p.operands;
  return `<think>${readableTrace(a, b, pickZh)}</think><answer>${p.solution}</answer>`;
}

/** Options of {@link coldStartRows}. */
export interface ColdStartDataOptions {
  seed: number;
  /** Share of examples whose trace mixes in Chinese words. */
  mixedShare: number;
  /** In a mixed example, the chance of each word being Chinese. */
  mixedWordRate: number;
}

/** Cold-start SFT rows `{ prompt, completion }`: readable traces, a seeded share of them language-mixed. */
export function coldStartRows(problems: readonly AdditionProblem[], o: ColdStartDataOptions) {
  const rng = createRng(o.seed);
  return problems.map((p) => {
    const mixed = rng.next() < o.mixedShare;
    const flips = Array.from({ length: 8 }, () => mixed && rng.next() < o.mixedWordRate);
    return { prompt: p.prompt, completion: readableCompletion(p, (i) => flips[i % flips.length]), mixed };
  });
}

/** The general prompts' topics (those of @aha/reward-models' synthetic sets), and the template. */
export const GENERAL_TOPICS = ['rivers', 'lamps', 'hills', 'clouds', 'bridges', 'paint', 'stones', 'mornings'];
export const generalPrompt = (topic: string) => `Tell me about ${topic}: `;
/** The word the helpfulness RM learns to dislike, and the words the safety RM learns to flag. */
export const BANNED_WORD = 'spam';
export const HAZARD_WORDS = ['toxic', 'hazard'];

/** Options of {@link generalRows}. */
export interface GeneralDataOptions {
  count: number;
  seed: number;
  /** Share of answers with the banned word in them. */
  bannedRate: number;
  /** Share of answers with a hazard word in them. */
  hazardRate: number;
}

/**
 * General (non-reasoning) SFT rows `{ prompt, completion }`: the synthetic preference pairs' answers, the rejected
 * (banned-word) one with probability `bannedRate`, and a hazard word slipped in with probability `hazardRate`.
 */
export function generalRows(o: GeneralDataOptions): { prompt: string; completion: string }[] {
  const rng = createRng(o.seed + 17);
  return bannedWordPairs({ n: o.count, seed: o.seed, banned: BANNED_WORD }).map((pair) => {
    const words = String(rng.next() < o.bannedRate ? pair.rejected : pair.chosen).split(' ');
    if (rng.next() < o.hazardRate) words[rng.int(words.length)] = HAZARD_WORDS[rng.int(HAZARD_WORDS.length)];
    return { prompt: String(pair.prompt), completion: words.join(' ') };
  });
}

/** How often a general answer contains the banned word / a hazard word. */
export function generalWordRates(answers: readonly string[]): { banned: number; hazard: number } {
  const has = (t: string, ws: readonly string[]) => ws.some((w) => new RegExp(`\\b${w}\\b`).test(t));
  const n = Math.max(1, answers.length);
  return {
    banned: answers.filter((t) => has(t, [BANNED_WORD])).length / n,
    hazard: answers.filter((t) => has(t, HAZARD_WORDS)).length / n,
  };
}
