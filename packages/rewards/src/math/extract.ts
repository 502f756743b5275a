/**
 * Final-answer extraction for math completions (DeepSeek-R1 §2.2.2; the targets and their priority follow Hugging Face
 * Math-Verify's documented parser: regexes in priority order, the last match of the best kind wins).
 * The answer part is the text after the last `</think>` (inside the last `<answer>…</answer>` when present); in it:
 *   1. the last `\boxed{}` / `\fbox{}` — several boxes joined by `,` / `and` / `or` / `\text{ and }` are one set;
 *      a "final answer is" / "Final Answer:" phrase after the last box ranks with it, and the later one wins;
 *   2. the text after the last "final answer is" / "Final Answer:" / "the answer is" / "answer:" / GSM8K `####`
 *      (its first math segment, else its first clause);
 *   3. the last display block `\[…\]` / `$$…$$` when it closes the text (nothing but a short digit-free tail after it);
 *   4. the last sentence: its last inline math segment, else its last number (a digit glued to a word is no number).
 * `targets` switches kinds off (Math-Verify's extraction configs). Every scan is linear in the input (lastIndexOf,
 * bounded brace walks, regexes over bounded windows), so 1 MB completions stay cheap.
 * Leaves out: natural-language answers ("three") beyond the number words the parser knows.
 */

/** Longest answer string we hand to the parser; longer extracted answers count as no answer. */
export const MAX_ANSWER_CHARS = 2000;

/** The extraction targets, most concrete first (the order is the priority). */
export const EXTRACTION_TARGETS = ['boxed', 'phrase', 'latex', 'expr'] as const;
export type ExtractionTarget = (typeof EXTRACTION_TARGETS)[number];

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

/** A box found in the text: its content and where it starts and ends. */
interface Box {
  content: string;
  start: number;
  end: number;
}

/** The box whose command starts at `at` (balanced braces; `\boxed 5` without braces too), or undefined. */
function boxAt(text: string, at: number): Box | undefined {
  const name = text.startsWith('\\boxed', at) ? '\\boxed' : '\\fbox';
  let i = at + name.length;
  if (text[i] === ' ' && text[i + 1] !== '{') {
    const m = /^ ([^\s$]+)/.exec(text.slice(i, i + MAX_ANSWER_CHARS + 2));
    return m ? { content: m[1] as string, start: at, end: i + m[0].length } : undefined;
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
      if (depth === 0) return { content: text.slice(start, i), start: at, end: i + 1 };
    }
  }
  return undefined; // unbalanced
}

function lastBoxStart(text: string, before: number): number {
  return Math.max(text.lastIndexOf('\\boxed', before), text.lastIndexOf('\\fbox', before));
}

/** Content of the last `\boxed{…}` / `\fbox{…}`, or undefined. */
export function lastBoxed(text: string): string | undefined {
  const at = lastBoxStart(text, text.length);
  return at < 0 ? undefined : boxAt(text, at)?.content;
}

/** What may sit between two boxes of one multi-answer: a separator word or comma, math delimiters, spaces. */
const SEPARATOR_PART = /\s+|\$|\\[()]|\\q?quad|\\[,;]|,|;|&|\band\b|\bor\b|\\text\s*\{[^{}]{0,30}\}/giy;

/**
 * Whether the text between two boxes joins them into one answer: only delimiters, spacing and separators
 * (`, `, `and`, `or`, `;`, `\quad \text{and} \quad`, `\text{ for part (a) and }`), with at least one separator.
 */
function joinsBoxes(between: string): boolean {
  if (between.length > 60) return false;
  SEPARATOR_PART.lastIndex = 0;
  let at = 0;
  let joined = false;
  while (at < between.length) {
    SEPARATOR_PART.lastIndex = at;
    const m = SEPARATOR_PART.exec(between);
    if (m === null || m[0].length === 0) return false;
    const part = m[0];
    if (part.startsWith('\\text')) {
      // \text{ and }, \text{ for part (a) and }: a few words ending in the separator
      if (!/^\\text\s*\{\s*(?:[a-z()]+\s+){0,3}(?:and|or|,)\s*\}$/i.test(part)) return false;
      joined = true;
    } else if (/^(?:,|;|&|and|or|\\q?quad)$/i.test(part)) joined = true;
    at += part.length;
  }
  return joined;
}

/** The last box, merged with the boxes before it when they are joined by separators (`\boxed{2}, \boxed{3}`). */
function lastBoxes(text: string): string | undefined {
  const lastAt = lastBoxStart(text, text.length);
  if (lastAt < 0) return undefined;
  const last = boxAt(text, lastAt);
  if (last === undefined) return undefined;
  const boxes = [last];
  for (let k = 0; k < 32; k++) {
    const head = boxes[0] as Box;
    const at = lastBoxStart(text, head.start - 1);
    if (at < 0) break;
    const prev = boxAt(text, at);
    if (prev === undefined || prev.end > head.start) break;
    const between = text.slice(prev.end, head.start);
    if (!joinsBoxes(between)) break;
    boxes.unshift(prev);
  }
  if (boxes.length === 1) return last.content;
  return `\\{${boxes.map((b) => b.content.trim()).join(', ')}\\}`;
}

/** A math segment of the text: its content and its end offset. */
interface Segment {
  content: string;
  start: number;
  end: number;
  display: boolean;
}

/** All math segments (`$$…$$`, `$…$`, `\[…\]`, `\(…\)`) of `text`, in order; escaped `\$` is not a delimiter. */
export function mathSegments(text: string, limit = 10_000): Segment[] {
  const out: Segment[] = [];
  let i = 0;
  while (i < text.length && out.length < limit) {
    const c = text[i];
    if (c === '\\') {
      const n = text[i + 1];
      if (n === '[' || n === '(') {
        const closer = n === '[' ? '\\]' : '\\)';
        const end = text.indexOf(closer, i + 2);
        if (end < 0) return out;
        const content = text.slice(i + 2, end);
        // inline math stays on one line (Math-Verify); display math may span lines
        if (n === '(' && content.includes('\n')) {
          i += 2;
          continue;
        }
        out.push({ content, start: i, end: end + 2, display: n === '[' });
        i = end + 2;
        continue;
      }
      i += 2; // an escaped character (\$ included)
      continue;
    }
    if (c === '$') {
      const display = text[i + 1] === '$';
      const open = display ? 2 : 1;
      let j = i + open;
      while (j < text.length) {
        if (text[j] === '\\') j += 2;
        else if (text[j] === '$' || (!display && text[j] === '\n')) break;
        else j++;
      }
      if (j >= text.length) return out;
      if (text[j] === '\n') {
        i += 1; // an inline $ whose line ends first is a stray dollar, not a delimiter
        continue;
      }
      if (display && text[j + 1] !== '$') return out;
      out.push({ content: text.slice(i + open, j), start: i, end: j + open, display });
      i = j + open;
      continue;
    }
    i++;
  }
  return out;
}

/** Cleans a phrase-extracted answer: first line; its first math segment, else its first clause. */
function cleanPhrase(s: string): string {
  const t = s.replace(/^[\s:*]+/, '');
  const firstLine = t.split('\n')[0] ?? '';
  const window = t.slice(0, MAX_ANSWER_CHARS + 200);
  const segs = mathSegments(window, 16);
  const seg = segs[0];
  // a math segment that starts the phrase (possibly on the next line, as in "**Final Answer**\n\[ … \]"),
  // with the segments joined to it by "or" / "and" / "," (several answers, or a hedge: both count)
  if (seg !== undefined && /^[\s*]*(?:(?:is|=|of)\s+)?$/i.test(t.slice(0, seg.start)) && seg.content.trim()) {
    const parts = [seg.content.trim()];
    for (let j = 1; j < segs.length; j++) {
      const next = segs[j] as Segment;
      if (!LIST_SEPARATOR.test(window.slice((segs[j - 1] as Segment).end, next.start)) || !next.content.trim()) break;
      parts.push(next.content.trim());
    }
    return parts.join(', ');
  }
  // the first clause of the line: up to a sentence end ("5. Next", "5 because"), keeping decimals like 2.5
  let line = firstLine.trim();
  const end = /\.(\s|$)|,\s+(so|which|because|since)\b/i.exec(line);
  if (end) line = line.slice(0, end.index);
  const inLine = mathSegments(line, 16).filter((x) => x.content.trim());
  const last = inLine[inLine.length - 1];
  if (last !== undefined) {
    // "The volume of $ABCD$ is 120": a number after the last math segment is the stated value
    const later = [...line.slice(last.end).matchAll(STANDALONE_NUMBER)].map((m) => m[0].replace(/,$/, ''));
    if (later.length > 0) return later.join(', ');
    return (inLine[0] as Segment).content.trim();
  }
  const clause = line.replace(/\*\*/g, '').trim();
  // prose ("Jane started 3 hours ago"): its numbers; a word answer ("Tuesday") or pure math stays whole
  const prose = [...clause.matchAll(/(?<![\\a-zA-Z])[a-zA-Z]{3,}/g)].some((w) => !/^(?:and|or)$/i.test(w[0]));
  if (prose) {
    const numbers = [...clause.matchAll(STANDALONE_NUMBER)].map((m) => m[0].replace(/,$/, ''));
    if (numbers.length > 1 && /\b(?:or|and)\b/i.test(clause)) return numbers.join(', ');
    if (numbers.length > 0) return numbers[numbers.length - 1] as string;
  }
  return clause;
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

/** The last display block when it closes the text (only a short tail without digits after it). */
function closingDisplay(segs: Segment[], text: string): string | undefined {
  for (let k = segs.length - 1; k >= 0; k--) {
    const s = segs[k] as Segment;
    if (!s.display) continue;
    const tail = text.slice(s.end);
    if (tail.length > 120 || /\d/.test(tail)) return undefined;
    return s.content.trim() || undefined;
  }
  return undefined;
}

/** What may join two answers in one sentence. */
const LIST_SEPARATOR = /^\s*(?:,|;|and|or|,\s*and)?\s*$/i;

/** A number not glued to a word before it: 1,234.5, -3/4, 25%, 1,000.99m² (a unit may follow; XY2Z has no number). */
const STANDALONE_NUMBER = /(?<![\w.])-?\d[\d,]*(?:\.\d+)?(?:\/\d+)?%?(?!\d)/g;

/** Start of the last sentence of `t` (after the last ". " of its last line). */
function sentenceStartOf(t: string): number {
  const lastLineStart = t.lastIndexOf('\n') + 1;
  let cut = 0;
  for (const m of t.slice(lastLineStart).matchAll(/[.!?]\s+(?=\S)/g)) cut = (m.index ?? 0) + m[0].length;
  return lastLineStart + cut;
}

/** Drops up to four closing sentences without a digit or math ("I hope this helps!", "✓", "---"). */
function dropChatter(text: string, segs: Segment[]): string {
  let t = text.trimEnd();
  for (let k = 0; k < 4 && t.length > 0; k++) {
    const start = sentenceStartOf(t);
    if (/\d/.test(t.slice(start)) || segs.some((s) => s.end > start && s.start < t.length)) return t;
    t = t.slice(0, start).trimEnd();
  }
  return t;
}

/** The last sentence's last math segment, else its last stand-alone number. */
function lastSentence(text: string, segs: Segment[]): string | undefined {
  const trimmed = dropChatter(text, segs);
  const lastLineStart = trimmed.lastIndexOf('\n') + 1;
  // the last sentence: after the last ". " of the last line (a decimal point is followed by a digit, not a space)
  const line = trimmed.slice(lastLineStart);
  let cut = 0;
  for (const m of line.matchAll(/[.!?]\s+(?=\S)/g)) cut = (m.index ?? 0) + m[0].length;
  const sentenceStart = lastLineStart + cut;
  for (let k = segs.length - 1; k >= 0; k--) {
    const s = segs[k] as Segment;
    if (s.end <= sentenceStart) break;
    if (!s.content.trim()) continue;
    // a number after the last math segment is the later, stated value: "the value of $k$ is 7."
    const tail = trimmed.slice(s.end, s.end + 4000);
    const later = [...tail.matchAll(STANDALONE_NUMBER)].map((m) => m[0].replace(/,$/, ''));
    // "$k$ is 7 or 8" is a hedge: both numbers, as a list
    if (later.length > 1 && /\b(?:or|and)\b/i.test(tail)) return later.join(', ');
    if (later.length > 0) return later[later.length - 1];
    // several answers in one sentence: "$x = 3$ or $x = -1$", "$k = 45$, $n = 2$"
    const parts = [s.content.trim()];
    for (let j = k - 1; j >= 0 && parts.length < 16; j--) {
      const prev = segs[j] as Segment;
      if (prev.end <= sentenceStart || !LIST_SEPARATOR.test(trimmed.slice(prev.end, segs[j + 1]?.start))) break;
      parts.unshift(prev.content.trim());
    }
    return parts.join(', ');
  }
  const sentence = trimmed.slice(sentenceStart);
  // the math after the sentence's last word: "Solving, x = 3 or x = -1", "They meet at 12:00"
  const words = [...sentence.matchAll(/(?<![\\a-zA-Z])[A-Za-z]?[a-z]+(?![a-zA-Z])/g)]
    .filter((w) => w[0].length >= 2)
    .filter((w) => !/^(?:and|or)$/i.test(w[0]));
  const lastWord = words[words.length - 1];
  const after = sentence
    .slice(lastWord === undefined ? 0 : (lastWord.index ?? 0) + lastWord[0].length)
    .replace(/^[\s,:;&]+(?:=\s*)?/, '')
    .replace(/\\\\\s*$/, '')
    .replace(/[.\s]+$/, '');
  if (after && /\d/.test(after) && /[=:<>]|\b(?:or|and)\b/.test(after) && after.length <= 200) return after;
  if (sentence.length <= 200 && !/[a-zA-Z]{3,}/.test(sentence.replace(/\\[a-zA-Z]+/g, ''))) {
    // a line of an align block: "&= 42 \\" is 42
    const pure = sentence
      .replace(/^[\s&]*=?\s*/, '')
      .replace(/\\\\\s*$/, '')
      .replace(/[.\s]+$/, '');
    if (pure) return pure; // a line of pure math: "x = 2", "\frac{3}{4}"
  }
  let last: string | undefined;
  for (const m of sentence.slice(-4000).matchAll(STANDALONE_NUMBER)) last = m[0];
  return last?.replace(/,$/, '');
}

/** Extracts the model's final answer from a completion; undefined when there is none. */
export function extractAnswer(
  completion: string,
  targets: readonly ExtractionTarget[] = EXTRACTION_TARGETS,
): string | undefined {
  const { text, tagged } = answerPart(completion);
  if (text.trim().length === 0) return undefined;
  const on = new Set(targets);
  let found = on.has('boxed') ? lastBoxes(text) : undefined;
  if (found !== undefined && on.has('phrase')) {
    // "final answer is" / "Final Answer:" rank with the box (Math-Verify): the later of the two wins
    const lower = text.toLowerCase();
    const phraseAt = Math.max(lower.lastIndexOf('final answer is'), lower.lastIndexOf('final answer:'));
    if (phraseAt > lastBoxStart(text, text.length)) found = afterPhrase(text) ?? found;
  }
  if (found === undefined && on.has('phrase')) found = afterPhrase(text);
  if (found === undefined && (on.has('latex') || on.has('expr'))) {
    // only the tail can hold a closing block or the last sentence: keeps the scan bounded on huge texts
    const tail = text.length > 20_000 ? text.slice(-20_000) : text;
    const segs = mathSegments(tail);
    if (on.has('latex')) found = closingDisplay(segs, tail);
    if (found === undefined && tagged && tail.length <= MAX_ANSWER_CHARS && on.has('latex')) {
      const inner = segs.length > 0 ? segs[segs.length - 1]?.content : undefined;
      found = inner?.trim() || undefined;
    }
    if (found === undefined && tagged && tail.length <= MAX_ANSWER_CHARS && on.has('expr') && segs.length === 0)
      found = tail.trim();
    if (found === undefined && on.has('expr')) found = lastSentence(tail, segs);
    else if (found === undefined && on.has('latex')) {
      const seg = segs[segs.length - 1];
      found = seg?.content.trim() || undefined;
    }
  }
  if (found === undefined) return undefined;
  // markdown emphasis or code around the whole answer: **18**, `18`
  const answer = found.trim().replace(/^(\*\*|\*|`|__)(?=\S)([\s\S]*?\S)\1$/, '$2');
  return answer.length === 0 || answer.length > MAX_ANSWER_CHARS ? undefined : answer;
}

/**
 * Extracts the reference answer from a gold string: the last box(es) of a worked solution, the text after `####`
 * (GSM8K), else the whole string (without `$` delimiters).
 */
export function extractGold(gold: string): string | undefined {
  let answer = lastBoxes(gold);
  if (answer === undefined) {
    const hash = gold.lastIndexOf('####');
    answer = hash >= 0 ? gold.slice(hash + 4) : gold;
  }
  answer = answer.trim();
  const math = /^\$+([^$]*)\$+$/.exec(answer) ?? /^\\\((.*)\\\)$/s.exec(answer) ?? /^\\\[(.*)\\\]$/s.exec(answer);
  if (math) answer = (math[1] ?? '').trim();
  return answer.length === 0 || answer.length > MAX_ANSWER_CHARS ? undefined : answer;
}
