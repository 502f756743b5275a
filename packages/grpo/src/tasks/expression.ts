/**
 * A safe evaluator for Countdown answers: a recursive-descent parser over integers, + − × ÷ and parentheses, with
 * exact rational arithmetic (BigInt numerator/denominator, so 7 / 3 * 3 is exactly 7). No `eval`, no `Function`:
 * anything outside the grammar is "unparseable". Input length and nesting depth are capped so a hostile completion
 * cannot blow the stack or burn CPU.
 *
 *   expr   := term (('+' | '-') term)*
 *   term   := factor (('*' | '/') factor)*
 *   factor := INTEGER | '(' expr ')'
 *
 * Unary minus is not in the grammar (Countdown has none); `×`, `÷`, `x` between numbers are not accepted either.
 */

/** An exact rational p/q with q > 0, in lowest terms. */
export interface Rational {
  p: bigint;
  q: bigint;
}

const gcd = (a: bigint, b: bigint): bigint => {
  a = a < 0n ? -a : a;
  b = b < 0n ? -b : b;
  while (b) [a, b] = [b, a % b];
  return a;
};
const make = (p: bigint, q: bigint): Rational => {
  if (q < 0n) [p, q] = [-p, -q];
  const g = gcd(p, q) || 1n;
  return { p: p / g, q: q / g };
};

/** Why parsing/evaluation failed. */
export type ExpressionError = 'unparseable' | 'too_long' | 'too_deep' | 'division_by_zero';

/** The result of {@link evaluateExpression}. */
export type EvaluateResult =
  | { ok: true; value: Rational; literals: bigint[] }
  | { ok: false; error: ExpressionError; detail: string };

/** Limits for {@link evaluateExpression}. */
export interface EvaluateLimits {
  /** Max input length in characters (default 200). */
  maxLength?: number;
  /** Max parenthesis nesting (default 20). */
  maxDepth?: number;
}

class Fail extends Error {
  constructor(
    readonly code: ExpressionError,
    detail: string,
  ) {
    super(detail);
  }
}

/** Parse and evaluate `text`; returns the exact value and every integer literal used, in order. */
export function evaluateExpression(text: string, limits: EvaluateLimits = {}): EvaluateResult {
  const maxLength = limits.maxLength ?? 200;
  const maxDepth = limits.maxDepth ?? 20;
  if (text.length > maxLength) {
    return { ok: false, error: 'too_long', detail: `${text.length} characters > ${maxLength}` };
  }
  const tokens: string[] = [];
  for (let i = 0; i < text.length; ) {
    const c = text[i];
    if (c === ' ' || c === '\t' || c === '\n') {
      i++;
    } else if (c >= '0' && c <= '9') {
      let j = i;
      while (j < text.length && text[j] >= '0' && text[j] <= '9') j++;
      tokens.push(text.slice(i, j));
      i = j;
    } else if ('+-*/()'.includes(c)) {
      tokens.push(c);
      i++;
    } else {
      return { ok: false, error: 'unparseable', detail: `unexpected character '${c}' at ${i}` };
    }
  }
  let pos = 0;
  const literals: bigint[] = [];
  const peek = () => tokens[pos];
  const expr = (depth: number): Rational => {
    let v = term(depth);
    while (peek() === '+' || peek() === '-') {
      const op = tokens[pos++];
      const r = term(depth);
      v = op === '+' ? make(v.p * r.q + r.p * v.q, v.q * r.q) : make(v.p * r.q - r.p * v.q, v.q * r.q);
    }
    return v;
  };
  const term = (depth: number): Rational => {
    let v = factor(depth);
    while (peek() === '*' || peek() === '/') {
      const op = tokens[pos++];
      const r = factor(depth);
      if (op === '*') v = make(v.p * r.p, v.q * r.q);
      else {
        if (r.p === 0n) throw new Fail('division_by_zero', 'division by zero');
        v = make(v.p * r.q, v.q * r.p);
      }
    }
    return v;
  };
  const factor = (depth: number): Rational => {
    const t = tokens[pos];
    if (t === undefined) throw new Fail('unparseable', 'unexpected end of expression');
    if (t === '(') {
      if (depth >= maxDepth) throw new Fail('too_deep', `nesting deeper than ${maxDepth}`);
      pos++;
      const v = expr(depth + 1);
      if (tokens[pos] !== ')') throw new Fail('unparseable', `expected ')' at token ${pos}`);
      pos++;
      return v;
    }
    if (/^\d+$/.test(t)) {
      pos++;
      const n = BigInt(t);
      literals.push(n);
      return { p: n, q: 1n };
    }
    throw new Fail('unparseable', `unexpected '${t}' at token ${pos}`);
  };
  try {
    if (tokens.length === 0) return { ok: false, error: 'unparseable', detail: 'empty expression' };
    const value = expr(0);
    if (pos !== tokens.length)
      return { ok: false, error: 'unparseable', detail: `unexpected '${tokens[pos]}' at token ${pos}` };
    return { ok: true, value, literals };
  } catch (err) {
    if (err instanceof Fail) return { ok: false, error: err.code, detail: err.message };
    throw err;
  }
}
