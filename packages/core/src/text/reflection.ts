/**
 * The reflection words of DeepSeek-R1 (§2.2, the "aha moment": wait, mistake, however, but, retry, error, verify,
 * wrong, evaluate, check — together 5–7× more frequent over R1-Zero training, "wait" rising late) and the one
 * counting rule every package uses, so GRPO metrics, safety analysis and reports agree: whole words,
 * case-insensitive, exactly the ten forms ("Wait," counts; "waiting" and "await" do not).
 * Lives in core because both @aha/grpo and @aha/safety need it and may not import each other.
 * Leaves out: word lists for other languages (the paper's list is English).
 */

/** The R1 paper's reflection words, in the paper's order. */
export const REFLECTION_WORDS = [
  'wait',
  'mistake',
  'however',
  'but',
  'retry',
  'error',
  'verify',
  'wrong',
  'evaluate',
  'check',
] as const;
export type ReflectionWord = (typeof REFLECTION_WORDS)[number];

const WORD_RE = new RegExp(`\\b(${REFLECTION_WORDS.join('|')})\\b`, 'gi');

/** A zero count for every reflection word. */
export function emptyReflectionCounts(): Record<ReflectionWord, number> {
  return Object.fromEntries(REFLECTION_WORDS.map((w) => [w, 0])) as Record<ReflectionWord, number>;
}

/** Occurrences of each reflection word in `text`, and their sum. */
export function matchReflectionWords(text: string): { counts: Record<ReflectionWord, number>; total: number } {
  const counts = emptyReflectionCounts();
  let total = 0;
  for (const m of text.matchAll(WORD_RE)) {
    counts[m[1].toLowerCase() as ReflectionWord]++;
    total++;
  }
  return { counts, total };
}
