// fast-check fuzz test of the math reader: random and adversarial LaTeX-like strings (token soup from the grammar's
// own alphabet, unbalanced braces, deep nesting, huge numbers, Unicode) never make parseAnswer throw anything but a
// MathParseError, never make verifyMathSync throw, and each call returns within the verifier's default time limit.
// Leaves out: the worker pool (verify.test.ts covers timeouts by terminating workers).
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { MathParseError, parseAnswer } from './parse.js';
import { verifyMathSync } from './verify-core.js';

/** The verifier's default per-call limit (verify.ts timeoutMs): the bound a synchronous call must stay within. */
const BOUND_MS = 5_000;

const TOKENS = [
  '\\frac',
  '\\dfrac',
  '\\sqrt',
  '\\left(',
  '\\right)',
  '\\{',
  '\\}',
  '{',
  '}',
  '(',
  ')',
  '[',
  ']',
  '^',
  '_',
  '|',
  '\\pm',
  '\\cdot',
  '\\times',
  '\\le',
  '\\ge',
  '<',
  '>',
  '=',
  '\\approx',
  '\\in',
  '\\cup',
  ',',
  ';',
  ':',
  '.',
  '%',
  '\\%',
  '$',
  '$$',
  '\\[',
  '\\]',
  '\\boxed{',
  '\\text{',
  '\\mathrm{e}',
  'and',
  'or',
  '\\begin{pmatrix}',
  '\\end{pmatrix}',
  '&',
  '\\\\',
  '\\,',
  '\\!',
  '{,}',
  '\\pi',
  '\\infty',
  '\\sin',
  '\\log_',
  '\\lfloor',
  '\\rfloor',
  '\\overline{',
  '^\\circ',
  'x',
  'y',
  'e',
  'i',
  'AB',
  'f(x)',
  '0',
  '1',
  '2',
  '9',
  '12',
  '1,000',
  '3,5',
  '0.333',
  '10^{10^{10}}',
  '204_5',
  '12:00',
  '-',
  '+',
  '*',
  '/',
  '!',
  ' ',
  '\n',
  '½',
  '²',
  '∞',
  '√',
  '−',
  '€',
  'percent',
  '\\overline',
  '\\binom',
  '\\lvert',
  '\\rvert',
  '\\lceil',
  '\\rceil',
  'ZZZ',
  '#',
];

const soup = fc.array(fc.constantFrom(...TOKENS), { maxLength: 60 }).map((ts) => ts.join(''));
const adversarial = fc.oneof(
  soup,
  fc.string({ maxLength: 200 }),
  fc.integer({ min: 1, max: 400 }).map((n) => `${'\\frac{'.repeat(n)}1${'}{2}'.repeat(n)}`),
  fc.integer({ min: 1, max: 2_000 }).map((n) => `${'('.repeat(n)}x${')'.repeat(n)}`),
  fc.integer({ min: 1, max: 300 }).map((n) => `${'2^'.repeat(n)}2`),
  fc.integer({ min: 1, max: 5_000 }).map((n) => '9'.repeat(n)),
  fc.integer({ min: 1, max: 200 }).map((n) => `\\{${'1,'.repeat(n)}2\\}`),
  fc.integer({ min: 1, max: 60 }).map((n) => `${'\\sqrt{'.repeat(n)}2${'}'.repeat(n)} + x^{${n}}`),
);

function timed<T>(f: () => T): { value?: T; error?: unknown; ms: number } {
  const t0 = performance.now();
  try {
    return { value: f(), ms: performance.now() - t0 };
  } catch (error) {
    return { error, ms: performance.now() - t0 };
  }
}

describe('math reader fuzz', () => {
  it('parseAnswer returns a node or throws MathParseError, within the time bound', () => {
    fc.assert(
      fc.property(adversarial, (s) => {
        const r = timed(() => parseAnswer(s));
        expect(r.error === undefined || r.error instanceof MathParseError).toBe(true);
        expect(r.ms).toBeLessThan(BOUND_MS);
      }),
      { numRuns: 400, seed: 1337 },
    );
  });

  it('verifyMathSync never throws and answers one of the four verdicts, within the time bound', () => {
    const completion = fc.tuple(fc.constantFrom('', 'So the answer is ', '\\boxed{', '<think>x</think>'), adversarial);
    fc.assert(
      fc.property(adversarial, completion, (gold, [lead, body]) => {
        const r = timed(() => verifyMathSync(gold, `${lead}${body}`));
        expect(r.error).toBeUndefined();
        expect(['equal', 'not_equal', 'unparseable']).toContain(r.value?.verdict);
        expect(r.ms).toBeLessThan(BOUND_MS);
      }),
      { numRuns: 300, seed: 4242 },
    );
  });

  it('an answer never equals a gold it differs from by one appended digit', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 10 ** 9 }), fc.integer({ min: 0, max: 9 }), (n, d) => {
        expect(verifyMathSync(String(n), `\\boxed{${n}${d}}`).verdict).toBe('not_equal');
      }),
      { numRuns: 200, seed: 7 },
    );
  });
});
