/**
 * Final-answer extraction for math completions (DeepSeek-R1 §2.2.2 "accuracy rewards": the model gives its final answer
 * in a specified format, e.g. in a box). Order: the answer part (after the last `</think>`; inside the last
 * `<answer>…</answer>` when present), then the last `\boxed{}`/`\fbox{}` with balanced braces, then "final answer is …"
 * / "answer: …" / GSM8K `#### …`, then a trailing expression on the last line. Every scan is linear in the input
 * (lastIndexOf and bounded brace walks; no backtracking regex over the whole text), so 1 MB completions stay cheap.
 * Leaves out: answers spread over several boxes (the last box wins) and natural-language answers ("three").
 */

/** Longest answer string we hand to the parser; longer extracted answers count as no answer. */
export const MAX_ANSWER_CHARS = 2000;

/**
 * The part of a completion that may hold the answer: after `</think>`, inside `<answer>` when present. `tagged` says
 * the text came from an `<answer>` tag (then all of it is the answer unless it holds a box or a phrase).
 */
export function answerPart(completion: string): { text: string; tagged: boolean } {
  let text = completion;
  const close = text.lastIndexOf('</think>');
  if (close >= 0) text = text.slice(close + '</think>'.length);
  else if (text.includes('<think>')) return { text: '', tagged: false }; // unclosed think block: no answer part
  const open = text.lastIndexOf('<answer>');
  if (open >= 0) {
    const end = text.indexOf('</answer>', open);
    return { text: text.slice(open + '<answer>'.length, end >= 0 ? end : undefined), tagged: true };
  }
  return { text, tagged: false };
}

/** Content of the last `\boxed{…}` / `\fbox{…}` (balanced braces; `\boxed 5` without braces too), or undefined. */
export function lastBoxed(text: string): string | undefined {
  const a = text.lastIndexOf('\\boxed');
  const b = text.lastIndexOf('\\fbox');
  const at = Math.max(a, b);
  if (at < 0) return undefined;
  let i = at + (at === a ? '\\boxed'.length : '\\fbox'.length);
  if (text[i] === ' ' && text[i + 1] !== '{') {
    // `\boxed 5`: one token up to whitespace or `$`
    const m = /^ ([^\s$]+)/.exec(text.slice(i, i + MAX_ANSWER_CHARS + 2));
    return m?.[1];
  }
  while (text[i] === ' ') i++;
  if (text[i] !== '{') return undefined;
  let depth = 0;
  const start = i + 1;
  for (; i < text.length; i++) {
    const c = text[i];
    if (c === '\\') {
      i++; // skip escaped char such as \{ or \}
      continue;
    }
    if (c === '{') depth++;
    else if (c === '}') {
      depth--;
      if (depth === 0) return text.slice(start, i);
    }
  }
  return undefined; // unbalanced
}

const MATH_SEGMENT = /\$\$([^$]+)\$\$|\$([^$]+)\$|\\\[([\s\S]+?)\\\]|\\\(([\s\S]+?)\\\)/g;

/** Last inline/display math segment of a short string, or undefined. */
function lastMath(text: string): string | undefined {
  let last: string | undefined;
  for (const m of text.matchAll(MATH_SEGMENT)) last = m[1] ?? m[2] ?? m[3] ?? m[4];
  return last;
}

/** Cleans a phrase-extracted answer: first line only, trailing period, math delimiters. */
function cleanPhrase(s: string): string {
  let t = s.split('\n')[0] ?? '';
  t = t.trim();
  const math = lastMath(t);
  if (math !== undefined) return math.trim();
  t = t.replace(/^[:\s]+/, '');
  // cut at a sentence end ("5. Next" / "5 because"), keeping decimals like 2.5
  const end = /\.(\s|$)|,\s+(so|which|because|since)\b/i.exec(t);
  if (end) t = t.slice(0, end.index);
  return t.replace(/\*\*/g, '').trim();
}

const PHRASES = ['final answer is', 'final answer:', 'answer is', 'answer:', '####'];

/** Text after the last answer phrase ("the final answer is", "answer:", `####`), or undefined. */
function afterPhrase(text: string): string | undefined {
  const lower = text.toLowerCase();
  for (const phrase of PHRASES) {
    const at = lower.lastIndexOf(phrase);
    if (at >= 0) {
      const rest = text.slice(at + phrase.length, at + phrase.length + MAX_ANSWER_CHARS + 200);
      const cleaned = cleanPhrase(rest);
      if (cleaned.length > 0) return cleaned;
    }
  }
  return undefined;
}

const TRAILING_NUMBER = /-?\d[\d,]*(?:\.\d+)?(?:\/\d+)?%?/g;

/** A trailing expression: the last math segment of the last non-empty line, else its last number. */
function trailing(text: string): string | undefined {
  const tail = text.slice(-4000).trimEnd();
  const line = tail.slice(tail.lastIndexOf('\n') + 1).trim();
  if (line.length === 0) return undefined;
  const math = lastMath(line);
  if (math !== undefined) return math.trim();
  // a line of pure math ("\\frac{3}{4}", "x = 2"): the whole line, without a leading "="
  if (line.length <= 200 && !/[a-zA-Z]{3,}/.test(line.replace(/\\[a-zA-Z]+/g, ''))) return line.replace(/^=\s*/, '');
  let last: string | undefined;
  for (const m of line.matchAll(TRAILING_NUMBER)) last = m[0];
  return last?.replace(/,$/, '');
}

/** Extracts the model's final answer from a completion; undefined when there is none. */
export function extractAnswer(completion: string): string | undefined {
  const { text, tagged } = answerPart(completion);
  if (text.trim().length === 0) return undefined;
  const found =
    lastBoxed(text) ??
    afterPhrase(text) ??
    (tagged && text.length <= MAX_ANSWER_CHARS ? (lastMath(text) ?? text) : undefined) ??
    trailing(text);
  if (found === undefined) return undefined;
  const answer = found.trim();
  return answer.length === 0 || answer.length > MAX_ANSWER_CHARS ? undefined : answer;
}

/**
 * Extracts the reference answer from a gold string: the last box of a worked solution, the text after `####`
 * (GSM8K), else the whole string (without `$` delimiters).
 */
export function extractGold(gold: string): string | undefined {
  const boxed = lastBoxed(gold);
  let answer = boxed;
  if (answer === undefined) {
    const hash = gold.lastIndexOf('####');
    answer = hash >= 0 ? gold.slice(hash + 4) : gold;
  }
  answer = answer.trim();
  const math = /^\$+([^$]*)\$+$/.exec(answer) ?? /^\\\((.*)\\\)$/s.exec(answer) ?? /^\\\[(.*)\\\]$/s.exec(answer);
  if (math) answer = (math[1] ?? '').trim();
  return answer.length === 0 || answer.length > MAX_ANSWER_CHARS ? undefined : answer;
}
