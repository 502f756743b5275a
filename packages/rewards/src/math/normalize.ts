/**
 * String-level normalization of an extracted answer before tokenizing (the role of latex2sympy's normalization step in
 * Math-Verify): Unicode to LaTeX, math delimiters, spacing commands, units and currency, and number formats —
 * thousands separators (`1,000`, `11,\! 111,\! 100`, `32{,}349`, `1\,000\,000`), percent words (`28 percent`,
 * `28 pct`), `\text{e}` / `\mathrm{e}` as Euler's number, `;` as a tuple separator, repeating decimals, number words
 * and mixed numbers. A European decimal comma (`1,22`) is read in verify-core, where the gold tells a decimal from a list.
 * Leaves out: unit conversion (5 cm is not 50 mm here).
 */
const UNIT_WORDS =
  /^(?:units?|sq|square|cubic|cm|mm|km|m|meters?|metres?|centimeters?|inches|inch|in|feet|foot|ft|yards?|miles?|mph|kg|g|grams?|pounds?|lbs?|ounces?|oz|liters?|litres?|l|ml|gallons?|seconds?|secs?|s|minutes?|mins?|hours?|hrs?|days?|weeks?|months?|years?|am|pm|a\.m\.|p\.m\.|degrees?|deg|dollars?|cents?|euros?|people|students|apples|times|ways|points?|hats?|marbles|books|pages|cookies|cups?|eggs|boxes|bags|cars|miles per hour|km\/h|m\/s|sq\.? ?(?:ft|m|cm|units)|square (?:units|feet|meters|inches|cm|centimeters)|cubic (?:units|feet|meters|inches|cm|centimeters))$/i;

/** Words that change a value's meaning ("not 5", "at least 5"): such \text{} is never dropped as a unit. */
const LOGIC_WORDS =
  /\b(?:not|no|none|never|except|excluding|but|or|and|more|less|than|least|most|fewer|greater|over|under|between|all|any|every|neither|nor|only|undefined|impossible|infinite|infinitely|many|approximately|about|roughly|nearly|almost)\b/i;

const NUMBER_WORDS =
  'zero one two three four five six seven eight nine ten eleven twelve thirteen fourteen fifteen sixteen seventeen eighteen nineteen twenty'.split(
    ' ',
  );

/** Superscript characters; they must become powers before NFKC, which would turn 2⁵ into the digits 25. */
const SUPERSCRIPT: Record<string, string> = Object.fromEntries([
  ...[...'⁰¹²³⁴⁵⁶⁷⁸⁹'].map((c, i) => [c, String(i)]),
  ['⁺', '+'],
  ['⁻', '-'],
]);

/**
 * Unicode → LaTeX/ASCII: superscripts become powers, then NFKC turns fullwidth and mathematical digits into ASCII digits;
 * symbols get their commands.
 */
function unicodeToAscii(s: string): string {
  return s
    .replace(/(\d*)([\u00bc-\u00be\u2150-\u215e])/g, (_m, whole: string, f: string) => {
      // vulgar fractions: 2½ is 2 + 1/2 (NFKC alone would make it "21⁄2")
      const frac = f.normalize('NFKC').replace('\u2044', '/');
      return whole ? `(${whole}+${frac})` : `(${frac})`;
    })
    .replace(/[⁰¹²³⁴⁵⁶⁷⁸⁹⁺⁻]+/g, (sup) => `^{${[...sup].map((c) => SUPERSCRIPT[c] ?? '').join('')}}`)
    .replace(/[₀₁₂₃₄₅₆₇₈₉]+/g, (sub) => `_{${[...sub].map((c) => String('₀₁₂₃₄₅₆₇₈₉'.indexOf(c))).join('')}}`)
    .normalize('NFKC')
    .replace(/[\u2212\u2012\u2013\u2014]/g, '-')
    .replace(/×/g, '\\times ')
    .replace(/[·⋅]/g, '\\cdot ')
    .replace(/[÷\u2044\u2215]/g, '/')
    .replace(/π/g, '\\pi ')
    .replace(/√/g, '\\sqrt')
    .replace(/∞/g, '\\infty ')
    .replace(/≤/g, '\\le ')
    .replace(/≥/g, '\\ge ')
    .replace(/≠/g, '\\ne ')
    .replace(/°/g, '^\\circ ')
    .replace(/∪/g, '\\cup ')
    .replace(/±/g, '\\pm ')
    .replace(/∓/g, '\\mp ')
    .replace(/≈/g, '\\approx ')
    .replace(/∈/g, '\\in ')
    .replace(/∩/g, '\\cap ');
}

/**
 * Several solutions, each a list of assignments, separated by ";" or "and": `p=5,q=2;p=7,q=2` and
 * `p = 5, q = 2 \quad \text{and} \quad p = 7, q = 2` are the set of points (5, 2), (7, 2). Anything else is left alone.
 */
function assignmentTuples(s: string): string {
  if (!/;|\\text\s*\{\s*(?:and|or)\s*\}/.test(s)) return s;
  const parts = s.split(/\s*;\s*|(?:\\q?quad\s*)?\\text\s*\{\s*(?:and|or)\s*\}(?:\s*\\q?quad)?/);
  if (parts.length < 2) return s;
  const tuples: string[] = [];
  for (const part of parts) {
    const items = part.replace(/\\[,;:! ]/g, ' ').split(',');
    if (items.length < 2) return s;
    const values = items.map((it) => /^\s*[a-zA-Z](?:_\{?\w+\}?)?\s*=\s*(\S.*?)\s*$/.exec(it)?.[1]);
    if (!values.every((v) => v !== undefined)) return s;
    tuples.push(`(${values.join(', ')})`);
  }
  return tuples.join(', ');
}

/** String-level clean-up before tokenizing: delimiters, spacing commands, units, thousands separators. */
export function normalizeAnswer(raw: string): string {
  let s = unicodeToAscii(raw).replace(/[€£¥]/g, '').trim();
  // outer math delimiters
  for (;;) {
    const m = /^\$\$?([\s\S]*?)\$?\$$/.exec(s) ?? /^\\\(([\s\S]*)\\\)$/.exec(s) ?? /^\\\[([\s\S]*)\\\]$/.exec(s);
    if (!m) break;
    s = (m[1] ?? '').trim();
  }
  s = assignmentTuples(s)
    // "or" / "and" glued between answers: (11,7)or(7,11)
    .replace(/(?<=[)\]}\d])\s*(?:or|and)\s*(?=[([{\d-])/g, ', ');
  s = s
    // a doubled backslash before a command name is an escaping slip (\\left, \\frac), not a line break
    .replace(
      /\\\\(?=(?:left|right|frac|dfrac|tfrac|sqrt|pi|cdot|times|infty|text|mathrm|le|ge|neq|pm)(?![a-zA-Z]))/g,
      '\\',
    )
    .replace(/\\(?:left|right|bigl|bigr|Bigl|Bigr|big|Big|displaystyle|textstyle|limits)(?![a-zA-Z])/g, '')
    // thousands groups written with LaTeX spacing after the comma: 11,\! 111,\! 100
    .replace(/(\d),\s*\\[!,]\s*(?=\d{3}(?!\d))/g, '$1,')
    .replace(/(?<!\\)\\(?:[,;:! ]|quad|qquad)/g, ' ')
    .replace(/~/g, ' ')
    .replace(/\\mathbb\s*\{?\s*R\s*\}?/g, '(-\\infty, \\infty)')
    .replace(/\\langle(?![a-zA-Z])/g, '(')
    .replace(/\\rangle(?![a-zA-Z])/g, ')')
    .replace(/\\[dtc]frac/g, '\\frac')
    .replace(/\\[dt]binom/g, '\\binom')
    .replace(/\\operatorname\s*\{\s*(lcm|gcd|max|min|sin|cos|tan|log|ln|exp)\s*\}/g, '\\$1')
    .replace(/\\(?:mathrm|mathbf|mathit|textbf|textit|textrm|textnormal|mbox|operatorname)\s*\{/g, '\\text{')
    .replace(/\{,\}/g, '')
    // degrees inside a trig function are an angle: \sin 60^\circ = sin(60π/180); elsewhere the degree sign is a unit
    .replace(
      /\\(sin|cos|tan|sec|csc|cot)\s*(\(?)\s*(\d+(?:\.\d+)?)\s*\^\s*\{?\s*\\circ\s*\}?/g,
      (_m, f: string, paren: string, deg: string) => `\\${f}${paren}(${deg}\\pi/180)`,
    )
    .replace(/\^\s*\{?\s*\\circ\s*\}?/g, '')
    .replace(/\\(?:\$|dollar)/g, '')
    .replace(/\$/g, '')
    .replace(/\\%/g, '%')
    .replace(/(\d)\s*\\text\{\s*%\s*\}/g, '$1%')
    // Euler's number written upright
    .replace(/\\text\{\s*e\s*\}/g, ' e ')
    // percent words: 28 percent, 28 \text{ pct}
    .replace(/(\d)\s*(?:\\text\{\s*(?:percent|pct)\.?\s*\}|(?:percent|pct)\b\.?)/gi, '$1%')
    // currency codes next to a number
    .replace(/\b(?:USD|EUR|GBP)\s*(?=\d)|(?<=\d)\s*\b(?:USD|EUR|GBP)\b/g, '');
  // a number with its unit inside one \text{}: \text{12 apples}
  s = s.replace(/\\text\{\s*(-?\d[\d,]*(?:\.\d+)?)\s+([a-zA-Z][a-zA-Z .]*)\}/g, (whole, n: string, words: string) =>
    /^[a-zA-Z]+(?:[.\s]+[a-zA-Z]+)*\.?$/.test(words.trim()) && !LOGIC_WORDS.test(words) ? n : whole,
  );
  // units and words in \text{…} next to other content; " or "/" and " separate list items
  s = s.replace(/\\text\{([^{}]*)\}(?:\^\{?[23]\}?)?/g, (whole, inner: string) => {
    const t = inner.trim();
    if (/^(?:or|and)$/i.test(t)) return ',';
    const unitLike = UNIT_WORDS.test(t) || /^[a-zA-Z]+(?:[.\s]+[a-zA-Z]+)*\.?\s*(?:\^?\d)?$/.test(t);
    if (unitLike && !LOGIC_WORDS.test(t)) {
      // keep a lone \text{…} (a word answer); drop it when it follows a value (a unit)
      return s.trim() === whole ? whole : ' ';
    }
    return whole;
  });
  s = s.replace(/\s+(?:or|and)\s+/g, ', ');
  // plain trailing unit words after a number: "12 cm", "5 apples", "3 square units"
  s = s.replace(/(\d)\s+([a-zA-Z][a-zA-Z ./]*?)(?:\^?[23])?\s*$/, (whole, d: string, words: string) =>
    UNIT_WORDS.test(words.trim()) ? d : whole,
  );
  // repeating decimals: 0.\overline{3} = 1/3, 0.1\overline{6} = 1/6 (exact, as a fraction)
  s = s.replace(/(\d*)\.(\d*)\\overline\s*\{(\d{1,50})\}/g, (_m, int: string, fixed: string, rep: string) => {
    const ten = (k: number) => 10n ** BigInt(k);
    const den = ten(fixed.length) * (ten(rep.length) - 1n);
    const num = BigInt(int || '0') * den + BigInt(fixed || '0') * (ten(rep.length) - 1n) + BigInt(rep);
    return `(${num}/${den})`;
  });
  // a bracketed pair is two numbers, not one with a thousands separator: (12,102), [1,500)
  s = s.replace(/([([]\s*-?\d{1,3}),(\d{3}\s*[)\]])/g, '$1, $2');
  // thousands separators: 1,000,000 and 1\,000 (already a space): only full groups of three digits
  s = s.replace(
    /(^|[^\d.,])(\d{1,3}(?:,\d{3})+)(?![\d,]*\d)(?=(?:\.\d+)?(?:$|[^\d,]))/g,
    (_w, pre: string, num: string) => `${pre}${num.replace(/,/g, '')}`,
  );
  // 1 000 000 (thin spaces became spaces): repeat, each pass joins one group
  for (let k = 0; k < 8 && /(?<![\d.])\d{1,3}(?:\d{3})* \d{3}(?!\d)/.test(s); k++) {
    s = s.replace(/((?<![\d.])\d{1,3}(?:\d{3})*) (\d{3})(?!\d)/g, '$1$2');
  }
  s = s.replace(/;/g, ',');
  s = s
    .trim()
    .replace(/[.;]+$/, '')
    .trim();
  const word = NUMBER_WORDS.indexOf(s.toLowerCase());
  if (word >= 0) return String(word);
  // a plain mixed number "3 3/4" (GSM8K style) is 3 + 3/4
  const mixed = /^(-?)(\d+) (\d+)\/(\d+)$/.exec(s);
  if (mixed) return `${mixed[1]}(${mixed[2]} + ${mixed[3]}/${mixed[4]})`;
  return s;
}
