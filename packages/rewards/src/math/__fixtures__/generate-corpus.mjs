#!/usr/bin/env node
// Generates corpus-long.jsonl: long, real-style worked solutions (2–8 kB for many) around hand-picked answer pairs,
// each pair placed in several answer styles (last \boxed{}, "Final Answer", Minerva's "The final answer is",
// "the answer is", "Answer:", a closing \[ \] or $$ $$ block, <answer> tags, a plain last sentence). The verdicts are
// the ones Hugging Face Math-Verify's documented rules give (extraction priority, last match of the best kind,
// float_rounding = 6, sets unordered, relations flipped, labels dropped); the reason says which rule decides.
// Deterministic (seeded), so the file only changes when this script does.
// Run: node packages/rewards/src/math/__fixtures__/generate-corpus.mjs
import { writeFileSync } from 'node:fs';

/** [category, gold, answer (LaTeX, no delimiters), expected, reason, kind] — kind 'num': a plain number too. */
const P = [
  // plain values
  ['value', '42', '42', 'equal', 'same integer', 'num'],
  ['value', '42', '24', 'not_equal', 'digits swapped', 'num'],
  ['value', '\\frac{3}{4}', '\\frac{3}{4}', 'equal', 'same fraction'],
  ['value', '\\frac{3}{4}', '0.75', 'equal', 'terminating decimal of the fraction', 'num'],
  ['value', '\\frac{3}{4}', '\\frac{4}{3}', 'not_equal', 'reciprocal'],
  ['value', '\\sqrt{2}', '\\frac{2}{\\sqrt{2}}', 'equal', 'rationalised form'],
  ['value', '2\\sqrt{3}', '\\sqrt{12}', 'equal', 'simplified radical'],
  ['value', '2\\sqrt{3}', '3\\sqrt{2}', 'not_equal', 'different radical'],
  ['value', '-7', '-7', 'equal', 'negative integer', 'num'],
  ['value', '-7', '7', 'not_equal', 'sign matters', 'num'],
  ['value', '1024', '2^{10}', 'equal', 'power evaluated'],
  ['value', '12', '12.0', 'equal', 'trailing .0', 'num'],
  ['value', '0.5', '\\frac{1}{2}', 'equal', 'decimal gold, fraction answer'],
  ['value', '\\frac{\\pi}{4}', '\\frac{\\pi}{4}', 'equal', 'same multiple of pi'],
  ['value', '\\frac{\\pi}{4}', '\\frac{\\pi}{2}', 'not_equal', 'different multiple of pi'],
  ['value', '\\frac{5\\sqrt{3}}{2}', '\\frac{5}{2}\\sqrt{3}', 'equal', 'commuted product'],
  ['value', '\\binom{6}{2}', '15', 'equal', 'binomial evaluated', 'num'],
  ['value', '5!', '120', 'equal', 'factorial evaluated', 'num'],
  ['value', '\\log_2 8', '3', 'equal', 'logarithm evaluated', 'num'],
  // precision (float_rounding = 6): a decimal equals a value when both agree rounded to 6 places
  ['precision', '\\frac{1}{3}', '0.333333', 'equal', 'agrees with 1/3 at 6 decimal places', 'num'],
  ['precision', '\\frac{1}{3}', '0.333', 'not_equal', '0.333 differs from 1/3 at 6 decimal places', 'num'],
  ['precision', '\\frac{2}{3}', '0.666667', 'equal', '2/3 rounded to 6 places', 'num'],
  ['precision', '\\frac{2}{3}', '0.666666', 'not_equal', 'truncated, not rounded, at 6 places', 'num'],
  ['precision', '\\pi', '3.14', 'not_equal', '3.14 is not pi at 6 decimal places', 'num'],
  ['precision', '\\pi', '3.141593', 'equal', 'pi rounded to 6 places', 'num'],
  ['precision', '\\sqrt{2}', '1.41', 'not_equal', 'too coarse for 6 decimal places', 'num'],
  ['precision', '\\sqrt{2}', '1.414214', 'equal', 'sqrt 2 rounded to 6 places', 'num'],
  ['precision', '100', '100.0001', 'not_equal', 'differs in the 4th decimal', 'num'],
  ['precision', 'e', '2.718282', 'equal', "Euler's e rounded to 6 places", 'num'],
  // number formats
  ['format', '1.22', '1,22', 'equal', 'European decimal comma (a 2-digit group cannot be thousands)'],
  ['format', '3.5', '3,5', 'equal', 'European decimal comma'],
  ['format', '12345', '12,345', 'equal', 'thousands separator', 'num'],
  ['format', '11111100', '11,\\! 111,\\! 100', 'equal', 'thousands separators with LaTeX negative space'],
  ['format', '32349', '32{,}349', 'equal', 'thousands separator written {,}'],
  ['format', '1000000', '1\\,000\\,000', 'equal', 'thin-space thousands separators'],
  ['format', '32349', '32{,}394', 'not_equal', 'separator fine, digits differ'],
  ['format', '28\\%', '28\\%', 'equal', 'same percent'],
  ['format', '28\\%', '28 \\text{ percent}', 'equal', 'percent word'],
  ['format', '28', '28 \\text{ pct}', 'equal', 'pct abbreviation'],
  ['format', '0.28', '28\\%', 'equal', 'percent is a hundredth'],
  ['format', '28\\%', '82\\%', 'not_equal', 'different percent'],
  ['format', '18.5', '\\$18.50', 'equal', 'currency sign dropped'],
  ['format', '18.5', '18.50 \\text{ dollars}', 'equal', 'currency word dropped'],
  ['format', '12', '€12', 'equal', 'euro sign dropped'],
  ['format', '18.5', '\\$15.80', 'not_equal', 'different amount'],
  ['format', 'e^{2}', '\\mathrm{e}^2', 'equal', '\\mathrm{e} is Euler’s number'],
  ['format', 'e', '\\text{e}', 'equal', '\\text{e} is Euler’s number'],
  ['format', 'e^{2}', 'e^{3}', 'not_equal', 'different power of e'],
  ['format', '12:00', '12:00', 'equal', 'same time'],
  ['format', '12:00', '12:30', 'not_equal', 'different time'],
  ['format', '204_5', '204_{5}', 'equal', 'base subscript with braces'],
  ['format', '204_5', '203_5', 'not_equal', 'different base-5 numeral'],
  ['format', '\\frac{22}{7}', '\\frac{22}{7} \\approx 3.14', 'equal', 'the exact value before \\approx'],
  ['format', '\\sqrt{2}', 'x = \\sqrt{2} \\approx 1.41', 'equal', 'label and \\approx tail dropped'],
  ['format', '3', '3 \\text{ cm}', 'equal', 'unit dropped'],
  ['format', '50', '50^\\circ', 'equal', 'degree sign dropped'],
  // several answers: unordered sets
  ['set', '\\{2, 3, 5\\}', '\\{5, 3, 2\\}', 'equal', 'sets are unordered'],
  ['set', '\\{2, 3, 5\\}', '\\{2, 3\\}', 'not_equal', 'missing element'],
  ['set', '-1, 3', 'x = 3 \\text{ or } x = -1', 'equal', 'solutions written as equations joined by "or"'],
  ['set', '-1, 3', 'x = 3', 'not_equal', 'one solution of two'],
  ['set', '1, 2', '\\{1, 2\\}', 'equal', 'list and set'],
  ['set', '\\pm 2', '2, -2', 'equal', '± expands to both values'],
  ['set', '1, 2, 3', '1, 2 \\text{ and } 3', 'equal', '\\text{ and } inside a list'],
  ['set', '1, 2, 3', '1, 2 \\text{ and } 4', 'not_equal', 'last element differs'],
  ['set', '\\frac{1}{2}, -3', '-3, \\frac{1}{2}', 'equal', 'order of roots does not matter'],
  ['set', '\\{1, 2, 3\\}', '\\{1, 2, 3, 4\\}', 'not_equal', 'extra element'],
  // labelled answers
  ['label', '(3, 2)', '(p, q) = (3, 2)', 'equal', 'the value right of the label'],
  ['label', '(3, 2)', '(p, q) = (2, 3)', 'not_equal', 'tuples are ordered'],
  ['label', '4, 5', 'AB = 4, CD = 5', 'equal', 'labelled list'],
  ['label', '1', 'f(x) = 1', 'equal', 'function label'],
  ['label', '1', 'f(x) = 2', 'not_equal', 'labelled wrong value'],
  ['label', '45, 2', 'k = 45, n = 2', 'equal', 'two labelled values'],
  ['label', '11:21', 'V_1 : V_2 = 11 : 21', 'equal', 'labelled ratio'],
  ['label', '11:21', 'V_1 : V_2 = 21 : 11', 'not_equal', 'inverted ratio'],
  ['label', '6', 'z = 1 + 5 = 6', 'equal', 'chained equality: the last side'],
  ['label', '5', 'x = 5', 'equal', 'variable label', 'num'],
  ['label', '5', 'x = 6', 'not_equal', 'wrong labelled value'],
  ['label', '2', 'a_n = 2', 'equal', 'subscripted label'],
  // relations, intervals, inequalities
  ['relation', 'x < 1', '-x > -1', 'equal', 'inequality multiplied by -1'],
  ['relation', 'x < 1', 'x \\le 1', 'not_equal', 'strict vs non-strict'],
  ['relation', 'x \\in [-2, 7]', '-2 \\le x \\le 7', 'equal', 'membership and chained inequality'],
  ['relation', '[-2, 7]', '-2 \\le x \\le 7', 'equal', 'interval and chained inequality'],
  ['relation', '[-2, 7)', '-2 \\le x \\le 7', 'not_equal', 'closed vs half-open'],
  ['relation', '(0, 1)', '0 < f(x) < 1', 'equal', 'range of a function'],
  [
    'relation',
    '\\left[-\\frac{3}{2}, -1\\right] \\cup \\left[1, \\frac{3}{2}\\right]',
    '1 \\le |z| \\le \\frac{3}{2}',
    'equal',
    'absolute value between two bounds is a union',
  ],
  ['relation', '[3, \\infty)', 'x \\ge 3', 'equal', 'ray as an inequality'],
  ['relation', '[3, \\infty)', '3 \\le x', 'equal', 'flipped inequality'],
  ['relation', '[3, \\infty)', 'x > 3', 'not_equal', 'open vs closed end'],
  ['relation', 'y = 2x + 1', 'y - 2x - 1 = 0', 'equal', 'same line, rearranged'],
  ['relation', 'y = 2x + 1', '2x - y + 1 = 0', 'equal', 'same line, scaled by -1'],
  ['relation', 'y = 2x + 1', 'y = 2x - 1', 'not_equal', 'different intercept'],
  ['relation', 'a < 2', '2 > a', 'equal', 'flipped relation'],
  ['relation', '(-\\infty, 2) \\cup (3, \\infty)', 'x < 2 \\text{ or } x > 3', 'equal', 'two rays joined by "or"'],
  ['relation', '(-\\infty, 2) \\cup (3, \\infty)', '(-\\infty, 2] \\cup (3, \\infty)', 'not_equal', 'closed end'],
  // structures
  ['structure', '\\begin{pmatrix} 1 & 2 \\\\ 3 & 4 \\end{pmatrix}', '\\begin{bmatrix} 1 & 2 \\\\ 3 & 4 \\end{bmatrix}', 'equal', 'matrix brackets do not matter'],
  ['structure', '\\begin{pmatrix} 1 & 2 \\\\ 3 & 4 \\end{pmatrix}', '\\begin{pmatrix} 1 & 2 \\\\ 4 & 3 \\end{pmatrix}', 'not_equal', 'cells swapped'],
  [
    'structure',
    '\\begin{pmatrix} 1 & 2 \\\\ 3 & 4 \\end{pmatrix}',
    '\\begin{pmatrix} 1 & 0 \\\\ 0 & 1 \\end{pmatrix} + \\begin{pmatrix} 0 & 2 \\\\ 3 & 3 \\end{pmatrix}',
    'equal',
    'matrix sum evaluated',
  ],
  [
    'structure',
    '\\begin{pmatrix} 2 & 2 \\\\ 0 & 2 \\end{pmatrix}',
    '\\begin{pmatrix} 2 & 0 \\\\ 0 & 2 \\end{pmatrix} \\begin{pmatrix} 1 & 1 \\\\ 0 & 1 \\end{pmatrix}',
    'equal',
    'matrix product evaluated',
  ],
  [
    'structure',
    '\\begin{pmatrix} 2 & 2 \\\\ 0 & 2 \\end{pmatrix}',
    '\\begin{pmatrix} 1 & 1 \\\\ 0 & 1 \\end{pmatrix} \\begin{pmatrix} 2 & 0 \\\\ 0 & 3 \\end{pmatrix}',
    'not_equal',
    'matrix product differs',
  ],
  ['structure', '\\begin{pmatrix} 6 \\\\ -3 \\end{pmatrix}', '3\\begin{pmatrix} 2 \\\\ -1 \\end{pmatrix}', 'equal', 'scalar times vector'],
  ['structure', '(1, 2)', '(1; 2)', 'equal', 'tuple with ; separator'],
  ['structure', '(1, 2, 3)', '(1; 3; 2)', 'not_equal', 'tuple order'],
  ['structure', '\\{1, 2, 3\\}', '\\{3, 2, 1\\}', 'equal', 'set braces'],
  ['structure', 'x + 2xy', '2yx + x', 'equal', 'commuted product inside a sum'],
  ['structure', '3ab + c', 'c + 3ba', 'equal', 'commuted product'],
  ['structure', '2\\sin x \\cos x', '\\sin 2x', 'equal', 'double-angle identity'],
  ['structure', '(x+1)^2', 'x^2 + 2x + 1', 'equal', 'expanded square'],
  ['structure', '(x+1)^2', 'x^2 + x + 1', 'not_equal', 'wrong middle term'],
  ['structure', '\\frac{x^2 - 1}{x - 1}', 'x + 1', 'equal', 'cancelled rational function'],
  // false positives that must stay not_equal
  ['false-positive', 'x', 'x + 10^{-9}', 'not_equal', 'a tiny term is still a term (exact polynomial comparison)'],
  ['false-positive', '\\pi', '\\pi + 10^{-10}', 'not_equal', 'a tiny constant is still a difference'],
  ['false-positive', 'x', 'x + \\lfloor x^2/10000 \\rfloor', 'not_equal', 'a rarely nonzero term'],
  ['false-positive', 'y = 2x + 1', 'y - 2x - 1 = 10^{-12}', 'not_equal', 'a tiny constant shifts the line'],
  ['false-positive', '12', '\\frac{1}{2}', 'not_equal', 'digits 1 and 2 are not 12'],
  ['false-positive', '0.5', '5', 'not_equal', 'dropped decimal point', 'num'],
  ['false-positive', '2x', '2y', 'not_equal', 'different variable'],
  ['false-positive', '\\sqrt{x^2}', 'x', 'not_equal', 'sqrt(x^2) is |x|'],
  ['false-positive', '\\frac{1}{3}', '0.33', 'not_equal', 'too coarse', 'num'],
  ['false-positive', '10^{10^{3}}', '10^{10^{3}} + 1', 'not_equal', 'huge values still compared exactly'],
  // choices and words
  ['choice', 'C', '\\text{(C)}', 'equal', 'choice letter'],
  ['choice', 'C', '\\text{(D)}', 'not_equal', 'other choice letter'],
  ['text', '\\text{Monday}', '\\text{Monday}', 'equal', 'word answer'],
  ['text', '\\text{Monday}', '\\text{Tuesday}', 'not_equal', 'other word'],
];

/** Answers that contain their own boxes (several answers): placed as the last sentence, never re-boxed. */
const RAW = [
  ['multi-box', '\\{2, 3, 5\\}', '$\\boxed{2}$, $\\boxed{3}$, $\\boxed{5}$', 'equal', 'several boxes are one set'],
  ['multi-box', '2, 3, 5', '$\\boxed{2}, \\boxed{3}, \\boxed{5}$', 'equal', 'several boxes are one set'],
  ['multi-box', '\\{2, 3, 5\\}', '$\\boxed{2}$ and $\\boxed{3}$', 'not_equal', 'one solution missing'],
  ['multi-box', '(2, 1), (1, 2)', '$\\boxed{(1, 2)} \\text{ and } \\boxed{(2, 1)}$', 'equal', 'two boxed pairs are a set'],
  ['multi-box', '(2, 1), (1, 2)', '$\\boxed{(1, 2)} \\text{ and } \\boxed{(1, 2)}$', 'not_equal', 'one pair twice'],
  ['multi-box', '5', '$\\boxed{5}$ or $\\boxed{6}$', 'not_equal', 'hedging with two boxes is a set of two'],
  ['multi-box', '-1, 3', '$\\boxed{3}$ and $\\boxed{-1}$', 'equal', 'two boxed roots'],
  ['word-digit', '2', 'the code word XY2Z', 'not_equal', 'a digit inside a word is not a number'],
  ['word-digit', '3', 'the label is part B3', 'not_equal', 'a digit glued to a word is not the answer'],
];

let seed = 0x1234;
const rand = () => {
  seed = (seed * 1103515245 + 12345) >>> 0;
  return seed / 4294967296;
};
const pick = (xs) => xs[Math.floor(rand() * xs.length)];

/** Reasoning paragraphs with intermediate values (never boxed), for long completions. */
const PARAS = [
  'First, let us restate the problem. We are given a configuration and asked for a single quantity. It helps to name the unknowns: let $a$ be the first length and $b$ the second, so that $a + b = 17$ and $a - b = 3$. Adding the two equations gives $2a = 20$, so $a = 10$ and $b = 7$.',
  'Next we check the small cases by hand. For $n = 1$ the expression equals $3$, for $n = 2$ it equals $8$, and for $n = 3$ it equals $15$. The pattern $n^2 + 2n$ fits all three, which suggests an induction argument.',
  'We can double-check with a different method. Consider the quadratic $t^2 - 9t + 14 = 0$. Its discriminant is $81 - 56 = 25$, so the roots are $t = \\frac{9 \\pm 5}{2}$, that is $t = 7$ or $t = 2$.\n\n\\[\n(t - 7)(t - 2) = 0\n\\]',
  'Wait, I should be careful about the constraint. The problem says the numbers are positive integers, so negative candidates such as $-4$ are excluded. That leaves only the values computed above, and the sum of the remaining candidates is $19$.',
  'Let me compute the area in two ways. Splitting the region into a rectangle of area $6 \\cdot 4 = 24$ and a triangle of area $\\frac{1}{2} \\cdot 4 \\cdot 3 = 6$, we get a total of $30$ square units, which matches the coordinate computation using the shoelace formula.',
  'Hmm, that does not look right. Going back to the second step: the factor should be $\\frac{5}{2}$, not $\\frac{2}{5}$. With the corrected factor the intermediate value becomes $\\frac{25}{4}$, and the rest of the computation goes through.',
  'Now I substitute back. Since $u = x^2$ and we found $u = 9$ or $u = -1$, the second value is impossible for real $x$. So $x^2 = 9$, and the candidates are the two square roots of $9$. Both satisfy the original equation.',
  'To be thorough, here is a table of the values we need:\n\n| k | value |\n|---|-------|\n| 1 | 4 |\n| 2 | 11 |\n| 3 | 26 |\n\nThe differences $7$ and $15$ grow, so the sequence is not arithmetic.',
  'Using the identity $\\sin^2\\theta + \\cos^2\\theta = 1$ with $\\sin\\theta = \\frac{3}{5}$, we get $\\cos\\theta = \\frac{4}{5}$ in the first quadrant, so $\\tan\\theta = \\frac{3}{4}$. This fixes the slope of the line through the origin.',
  'Counting carefully: there are $\\binom{8}{3} = 56$ ways to choose the committee, of which $\\binom{5}{3} = 10$ contain no women. The complement therefore has $46$ elements. We will need this count again below.',
  'Alternatively, we can set up a system. From the first condition $3p + 2q = 13$ and from the second $p - q = 1$. Substituting $p = q + 1$ gives $5q + 3 = 13$, so $q = 2$ and $p = 3$.',
  'Let me verify the arithmetic once more: $48 \\div 6 = 8$, $8 \\times 7 = 56$, and $56 - 14 = 42$. Each step is consistent with the statement, so no correction is needed there.',
];

function reasoning(long) {
  const n = long ? 8 + Math.floor(rand() * 14) : 2 + Math.floor(rand() * 2);
  const out = [];
  for (let i = 0; i < n; i++) out.push(pick(PARAS));
  return out.join('\n\n');
}

/** Answer styles: how a solution states its final answer (`a` is LaTeX without delimiters). */
const STYLES = {
  boxed: (r, a) => `${r}\n\nTherefore, the answer is $\\boxed{${a}}$.`,
  'r1-final': (r, a) => `<think>\n${r}\n</think>\n\n${pick(PARAS)}\n\n**Final Answer**\n\\[\n\\boxed{${a}}\n\\]`,
  minerva: (r, a) => `${r}\n\nFinal Answer: The final answer is $${a}$. I hope it is correct.`,
  'answer-is': (r, a) => `${r}\n\nPutting this together, the answer is $${a}$.`,
  'answer-colon': (r, a) => `${r}\n\nAnswer: $${a}$`,
  'display-block': (r, a) => `${r}\n\nCombining the cases above, we obtain\n\\[\n${a}\n\\]`,
  'dollar-block': (r, a) => `${r}\n\nHence\n$$\n${a}\n$$`,
  'answer-tag': (r, a) => `<think>\n${r}\n</think>\n<answer>\nThe result is $${a}$.\n</answer>`,
  'last-sentence': (r, a) => `${r}\n\nAdding everything up, she ends with a total of ${a}.`,
};
const LATEX_STYLES = Object.keys(STYLES).filter((k) => k !== 'last-sentence');

/** Gold shapes: a short answer, in $…$, or a worked solution whose last box holds it (NuminaMath / MATH). */
function goldShape(g, i) {
  switch (i % 4) {
    case 1:
      return `$${g}$`;
    case 3:
      return `${pick(PARAS)}\n\nThus the answer is $\\boxed{${g}}$.`;
    default:
      return g;
  }
}

const rows = [];
P.forEach(([category, gold, answer, expected, reason, kind], i) => {
  const styles = kind === 'num' ? [...LATEX_STYLES, 'last-sentence'] : LATEX_STYLES;
  const chosen = new Set();
  while (chosen.size < 5) chosen.add(styles[(i * 3 + chosen.size * 5 + Math.floor(rand() * styles.length)) % styles.length]);
  [...chosen].forEach((style, k) => {
    const long = (i + k) % 2 === 0;
    rows.push({
      style: `long-${category}`,
      gold: goldShape(gold, i + k),
      completion: STYLES[style](reasoning(long), answer),
      expected,
      reason: `${reason} (${style}${long ? ', long' : ''})`,
    });
  });
});
RAW.forEach(([category, gold, raw, expected, reason], i) => {
  for (let k = 0; k < 4; k++) {
    const long = k !== 1;
    const lead = k === 2 ? '<think>\nLet me solve it.\n</think>\n' : '';
    rows.push({
      style: `long-${category}`,
      gold: goldShape(gold, i + k),
      completion: `${lead}${reasoning(long)}\n\nSo the answer is ${raw}.`,
      expected,
      reason: `${reason}${long ? ' (long)' : ''}`,
    });
  }
});

writeFileSync(new URL('./corpus-long.jsonl', import.meta.url), `${rows.map((r) => JSON.stringify(r)).join('\n')}\n`);
process.stdout.write(`wrote ${rows.length} cases\n`);
