/**
 * Explicit labels for AI-generated text: a visible text notice ("人工智能生成" / "AI-generated") at the start
 * and/or the end of the text, as China's Measures for Labeling AI-Generated Synthetic Content (Art. 4(1): for text,
 * a text prompt or common symbol at the beginning, end or an appropriate middle position) and GB 45438-2025 (the
 * text prompt contains "人工智能" or "AI", and "生成" or "合成") ask for, in force since 2025-09-01.
 *
 * Adding is idempotent: a position that already carries a label (ours or anyone's, found by `findExplicitLabels`)
 * is left alone, so labelling twice never double-labels. Detection normalises the text first (full-width,
 * zero-width characters, case) so "ＡＩ生成" or "A\u200bI-generated" still count as labels.
 *
 * Leaves out: labels for images, audio, video and virtual scenes; labels in the interface around the text (an
 * application concern); the "middle of the text" position.
 */
import { SafetyError } from '../errors.js';
import { normalizeForMatching } from '../text/normalize.js';

/** The label texts. */
export const AI_LABEL_TEXT = { en: 'AI-generated', zh: '人工智能生成' } as const;

/** Options of {@link addExplicitLabel}. */
export interface ExplicitLabelOptions {
  /** Where the label goes (default 'start'). */
  position?: 'start' | 'end' | 'both';
  /** Label language: 'zh', 'en' or 'bilingual' (default; "人工智能生成 | AI-generated"). */
  language?: 'zh' | 'en' | 'bilingual';
  /** How the label is rendered (default 'plain': 【…】 on its own line). */
  format?: 'plain' | 'markdown' | 'html';
  /** A custom label text; it must itself be detected as a label (contain AI/人工智能 and generated/生成/合成). */
  text?: string;
}

/** A label found in a text (UTF-16 span in the original text). */
export interface FoundLabel {
  start: number;
  end: number;
  text: string;
}

// On normalised text (lower-case, NFKC, no zero-width characters; leet folding off so "4i" stays).
const LABEL_PATTERNS: RegExp[] = [
  /(?:人工智能|ai)\s*(?:生成|合成)/g,
  /由\s*(?:人工智能|ai)\s*(?:生成|合成)/g,
  /\bai[\s-]*(?:generated|synthesi[sz]ed)\b/g,
  /\b(?:generated|synthesi[sz]ed|created)\s+(?:by|with|using)\s+(?:an?\s+)?(?:ai|artificial intelligence)\b/g,
  /\bartificial[\s-]intelligence[\s-](?:generated|synthesi[sz]ed)\b/g,
];

/**
 * Every explicit label in `text`, in order (overlapping pattern matches merged). Only labels that stand alone count
 * (see `standsAlone`): a mention of "AI-generated" inside a sentence is not a label.
 */
export function findExplicitLabels(text: string): FoundLabel[] {
  if (typeof text !== 'string')
    throw new SafetyError('invalid', `findExplicitLabels: text must be a string, got ${typeof text}`);
  const n = normalizeForMatching(text, { leet: false, lookalikes: false });
  const spans: [number, number][] = [];
  for (const re of LABEL_PATTERNS) {
    for (const m of n.text.matchAll(re)) spans.push([m.index, m.index + m[0].length]);
  }
  spans.sort((a, b) => a[0] - b[0] || b[1] - a[1]);
  const merged: [number, number][] = [];
  for (const s of spans) {
    const last = merged.at(-1);
    if (last && s[0] <= last[1]) last[1] = Math.max(last[1], s[1]);
    else merged.push([...s]);
  }
  const found: FoundLabel[] = [];
  for (const [s, e] of merged) {
    const start = n.origin[s];
    const lastAt = n.origin[e - 1];
    const end = lastAt + (text.codePointAt(lastAt)! > 0xffff ? 2 : 1);
    const prev = found.at(-1);
    // "人工智能生成 | AI-generated": labels joined by punctuation on one line are one label
    const gap = prev ? text.slice(prev.end, start) : '';
    if (prev && !gap.includes('\n') && !hasContent(gap)) {
      prev.end = end;
      prev.text = text.slice(prev.start, end);
    } else {
      found.push({ start, end, text: text.slice(start, end) });
    }
  }
  return found.filter((f) => standsAlone(text, f, found));
}

const OPEN = '【[(（「<';
const CLOSE = '】])）」>';
/** Longest bracketed note (UTF-16 units, brackets included) that counts as a label. */
const MAX_NOTE = 40;

/**
 * A label must be perceivable as one, not a phrase in a sentence ("AI-generated images are everywhere"): it is
 * inside a short bracketed note, or its line holds nothing but labels, markup and punctuation.
 */
function standsAlone(text: string, f: FoundLabel, all: readonly FoundLabel[]): boolean {
  // a short bracketed note on one line: "（本内容由人工智能合成）", "[AI-generated]"
  const lineStart = text.lastIndexOf('\n', f.start - 1) + 1;
  const nl = text.indexOf('\n', f.end);
  const lineEnd = nl < 0 ? text.length : nl;
  for (let o = f.start - 1; o >= Math.max(lineStart, f.start - MAX_NOTE); o--) {
    const k = OPEN.indexOf(text[o]);
    if (k < 0) continue;
    const c = text.indexOf(CLOSE[k], f.end);
    if (c >= 0 && c < lineEnd && c - o <= MAX_NOTE) return true;
    break;
  }
  let rest = '';
  let at = lineStart;
  for (const g of all) {
    if (g.end <= lineStart || g.start >= lineEnd) continue;
    rest += text.slice(at, g.start);
    at = g.end;
  }
  rest += text.slice(at, lineEnd);
  return !hasContent(rest);
}

/** Text with HTML tags removed, for deciding whether anything but markup stands before/after a label. */
const hasContent = (s: string) => /[\p{L}\p{N}]/u.test(s.replace(/<[^>]*>/g, ''));

/** Where `text` carries an explicit label: anywhere, at its start, at its end. */
export function explicitLabelPositions(text: string): { anywhere: boolean; start: boolean; end: boolean } {
  const found = findExplicitLabels(text);
  return {
    anywhere: found.length > 0,
    start: found.length > 0 && !hasContent(text.slice(0, found[0].start)),
    end: found.length > 0 && !hasContent(text.slice(found[found.length - 1].end)),
  };
}

/** True when `text` carries an explicit AI-generated label (anywhere, or only at its start/end with `where`). */
export function isLabelled(text: string, options: { where?: 'anywhere' | 'start' | 'end' | 'edges' } = {}): boolean {
  const p = explicitLabelPositions(text);
  switch (options.where ?? 'anywhere') {
    case 'start':
      return p.start;
    case 'end':
      return p.end;
    case 'edges':
      return p.start || p.end;
    default:
      return p.anywhere;
  }
}

/** The rendered label for the options. */
export function renderExplicitLabel(options: Omit<ExplicitLabelOptions, 'position'> = {}): string {
  const language = options.language ?? 'bilingual';
  const label =
    options.text ??
    (language === 'zh'
      ? AI_LABEL_TEXT.zh
      : language === 'en'
        ? AI_LABEL_TEXT.en
        : `${AI_LABEL_TEXT.zh} | ${AI_LABEL_TEXT.en}`);
  if (findExplicitLabels(`【${label}】`).length === 0) {
    throw new SafetyError(
      'invalid',
      `explicit label ${JSON.stringify(label)} is not recognisable as one: it must contain "AI"/"人工智能" and "generated"/"生成"/"合成"`,
    );
  }
  switch (options.format ?? 'plain') {
    case 'html':
      return `<p class="aigc-label" data-aigc="explicit">${escapeHtml(label)}</p>`;
    case 'markdown':
      return `*【${label}】*`;
    default:
      return `【${label}】`;
  }
}

/**
 * Add a visible AI-generated label to `text` at the start, the end or both. Idempotent: a position that already
 * has a label keeps the text as it is there.
 */
export function addExplicitLabel(text: string, options: ExplicitLabelOptions = {}): string {
  if (typeof text !== 'string')
    throw new SafetyError('invalid', `addExplicitLabel: text must be a string, got ${typeof text}`);
  const position = options.position ?? 'start';
  if (!['start', 'end', 'both'].includes(position)) {
    throw new SafetyError(
      'invalid',
      `addExplicitLabel: position must be 'start', 'end' or 'both', got ${JSON.stringify(position)}`,
    );
  }
  const label = renderExplicitLabel(options);
  const sep = options.format === 'markdown' ? '\n\n' : '\n';
  const has = explicitLabelPositions(text);
  let out = text;
  if ((position === 'start' || position === 'both') && !has.start) out = out ? `${label}${sep}${out}` : label;
  if ((position === 'end' || position === 'both') && !has.end && !(out === label)) out = `${out}${sep}${label}`;
  return out;
}

export function escapeHtml(s: string): string {
  return s
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
    .replace(/'/g, '&#39;');
}
