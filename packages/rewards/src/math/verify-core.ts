/**
 * The synchronous verifier that runs inside a worker thread: extract both answers, read multiple-choice letters, parse,
 * compare. Pure and bounded (answer length, token count, nesting depth, exponent size are all capped), but it is still
 * run off the main thread by `verifyMath` so a pathological input can be cut off by a timeout.
 * Verdicts: a gold answer we cannot read is `unparseable` (the sample should be skipped) unless the answer is the very
 * same text; a completion with no readable answer is `not_equal` (never "skip": a policy must not earn a neutral score
 * by writing garbage). A gold that is a worked solution without a box is read like a completion; a European decimal
 * comma ("1,22") is read as a decimal only against a one-number gold.
 */
import { type CompareOptions, compareAnswers, DEFAULT_COMPARE } from './equivalence.js';
import { EXTRACTION_TARGETS, type ExtractionTarget, extractAnswer, extractGold } from './extract.js';
import { MathParseError, type Node, parseAnswer } from './parse.js';

export type MathVerdict = 'equal' | 'not_equal' | 'unparseable' | 'timeout';

/** The outcome of one verification: the verdict and the two answers as extracted. */
export interface MathVerification {
  verdict: MathVerdict;
  /** The gold answer as extracted (e.g. the content of its last box). */
  gold?: string;
  /** The completion's final answer as extracted; absent when it has none. */
  answer?: string;
}

/** Longest gold string we accept (a worked solution fits; a pasted book does not). */
export const MAX_GOLD_CHARS = 100_000;

const stripWrappers = (s: string): string =>
  s
    .replace(/\\(?:text|textbf|mathrm|mathbf|mbox)\s*\{([^{}]*)\}/g, '$1')
    .replace(/[$*]/g, '')
    .trim();

/**
 * "C", "(C)", "\textbf{(C)}" → { letter: "C" }; AMC-style "\textbf{(C)}\ 12" → { letter: "C", value: "12" } (the
 * answer may give either).
 */
function goldChoice(gold: string): { letter: string; value?: string } | undefined {
  const s = stripWrappers(gold);
  const bare = /^\(?([A-E])\)?\.?$/.exec(s);
  if (bare) return { letter: bare[1] as string };
  const amc = /^\(([A-E])\)\s*(?:\\ )?\s*(\S.*)$/.exec(s);
  return amc ? { letter: amc[1] as string, value: amc[2] as string } : undefined;
}

/** "C", "(C)", "(C) 12", "C) 12", "option C" → "C"; undefined when a second letter appears ("(C) or (D)"). */
function answerChoice(answer: string): string | undefined {
  const s = stripWrappers(answer).replace(/^(?:option|choice)\s+/i, '');
  const first = /^\(?([A-E])(?:\)|\.|:|$|\s)/.exec(s)?.[1];
  if (first === undefined) return undefined;
  const letters = new Set([...s.matchAll(/(?:^|[\s(,])\(?([A-E])(?=$|[\s).:,])/g)].map((m) => m[1]));
  return letters.size === 1 ? first : undefined;
}

function tryParse(s: string): Node | undefined {
  try {
    return parseAnswer(s);
  } catch (err) {
    if (err instanceof MathParseError || err instanceof RangeError) return undefined;
    throw err;
  }
}

/** Text without spaces, math delimiters and spacing commands, for the exact-text fallback. */
const squash = (s: string): string => s.replace(/\\[,;:! ]|\\q?quad|[\s$]/g, '');

/** Settings of one verification (validated by verify.ts's zod schema before they reach a worker). */
export interface VerifyCoreOptions extends CompareOptions {
  /** Extraction targets tried on the completion, in priority order (Math-Verify's extraction configs). */
  targets: readonly ExtractionTarget[];
}
export const DEFAULT_VERIFY: VerifyCoreOptions = { ...DEFAULT_COMPARE, targets: EXTRACTION_TARGETS };

const SCALAR_KINDS = new Set(['num', 'sym', 'add', 'mul', 'neg', 'div', 'pow', 'fn', 'pct']);

/**
 * A European decimal comma: "1,22" or "3,5" is 1.22 / 3.5 when the gold is one number and the group after the comma
 * cannot be a thousands group (not exactly three digits); otherwise the answer stays a list.
 */
function decimalComma(answer: string, gold: Node): string | undefined {
  if (!SCALAR_KINDS.has(gold.t)) return undefined;
  const m = /^(\$?)(-?\d+),(\d{1,2}|\d{4,})(\$?)$/.exec(answer.trim());
  return m ? `${m[2]}.${m[3]}` : undefined;
}

/**
 * The gold answer: its last box, `####` tail, or the whole string; a worked solution without a box (NuminaMath-style
 * "… so the answer is $5$.") goes through the completion's extraction (phrase, closing block, last sentence) instead.
 */
function readGold(gold: string): string | undefined {
  const direct = extractGold(gold);
  if (direct === undefined || goldChoice(direct) !== undefined) return direct;
  // prose: three or more words outside commands (a product of words would parse, but it is a sentence)
  const words = direct.replace(/\\[a-zA-Z]+(?:\s*\{[^{}]*\})?/g, ' ').match(/(?<![a-zA-Z])[a-zA-Z]{3,}(?![a-zA-Z])/g);
  if ((words?.length ?? 0) < 3) return direct;
  return extractAnswer(gold) ?? direct;
}

/** Verifies a completion against a gold answer, synchronously. See `verifyMath` for the bounded, async version. */
export function verifyMathSync(
  gold: string,
  completion: string,
  options: VerifyCoreOptions = DEFAULT_VERIFY,
): MathVerification {
  const goldAnswer = gold.length > MAX_GOLD_CHARS ? undefined : readGold(gold);
  if (goldAnswer === undefined) return { verdict: 'unparseable' };
  const answer = extractAnswer(completion, options.targets);
  const choice = goldChoice(goldAnswer);
  if (choice !== undefined) {
    if (answer === undefined) return { verdict: 'not_equal', gold: goldAnswer };
    const letter = answerChoice(answer);
    if (letter !== undefined || choice.value === undefined) {
      return { verdict: letter === choice.letter ? 'equal' : 'not_equal', gold: goldAnswer, answer };
    }
  }
  const g = tryParse(choice?.value ?? goldAnswer);
  if (g === undefined) {
    // a gold we cannot read still equals the very same text (Math-Verify's string comparison)
    const same = answer !== undefined && squash(answer) === squash(goldAnswer);
    return same ? { verdict: 'equal', gold: goldAnswer, answer } : { verdict: 'unparseable', gold: goldAnswer };
  }
  if (answer === undefined) return { verdict: 'not_equal', gold: goldAnswer };
  const p = tryParse(decimalComma(answer, g) ?? answer);
  let same = false;
  try {
    same = p !== undefined && compareAnswers(g, p, options);
  } catch {
    same = false; // an unexpected failure while comparing is never a match
  }
  const verdict = same ? 'equal' : 'not_equal';
  return { verdict, gold: goldAnswer, answer };
}
