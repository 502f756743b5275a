/**
 * PII detectors: each is a candidate regular expression plus a validity check (checks.ts) and context rules, so a
 * number is reported only when it is a plausible identifier — a card number must pass Luhn and fit an issuer, an ID
 * its checksum and birth date, an IBAN mod-97, an IP address must be valid — and dates, version strings, ISBNs and
 * order numbers stay. Overlapping hits resolve by priority (a secret beats the e-mail inside it, an ID number beats
 * the card-like run of digits it is). Regexes are ASCII-word based: CJK text next to a number is a boundary.
 * Leaves out: names and postal addresses (need a model), phone formats of countries other than mainland China and
 * North America unless written internationally with `+`.
 */
import { isIPv6 } from 'node:net';
import { cardValid, chinaIdValid, ibanValid, ipv4Valid } from './checks.js';

/** The PII categories, in priority order (earlier wins an overlap). */
export const PII_CATEGORIES = [
  'secret',
  'url_credentials',
  'email',
  'cn_id',
  'iban',
  'payment_card',
  'phone',
  'ip_address',
] as const;
export type PiiCategory = (typeof PII_CATEGORIES)[number];

/** Placeholder label per category (`<EMAIL_1>`, `<PHONE>`). */
export const PII_LABELS: Record<PiiCategory, string> = {
  secret: 'SECRET',
  url_credentials: 'CREDENTIALS',
  email: 'EMAIL',
  cn_id: 'CN_ID',
  iban: 'IBAN',
  payment_card: 'CARD',
  phone: 'PHONE',
  ip_address: 'IP',
};

/** One hit: a UTF-16 span of the text. The value itself is `text.slice(start, end)`; reports never carry it. */
export interface PiiFinding {
  category: PiiCategory;
  start: number;
  end: number;
}

/** Tokens with published, distinctive prefixes (vendors document these so scanners can find leaked keys). */
const SECRET_PATTERNS: RegExp[] = [
  /(?<![\w-])sk-(?:proj-|ant-(?:api\d\d-)?)?[A-Za-z0-9_-]{20,}/g, // OpenAI, Anthropic
  /(?<![\w-])gh[pousr]_[A-Za-z0-9]{36,}(?!\w)/g, // GitHub tokens
  /(?<![\w-])github_pat_[A-Za-z0-9_]{22,}/g,
  /(?<![A-Za-z0-9])(?:AKIA|ASIA)[0-9A-Z]{16}(?![A-Za-z0-9])/g, // AWS access key ids
  /(?<![\w-])xox[abposr]-[A-Za-z0-9-]{10,}/g, // Slack
  /(?<![\w-])AIza[0-9A-Za-z_-]{35}(?![\w-])/g, // Google API keys
  /(?<![\w-])glpat-[A-Za-z0-9_-]{20,}/g, // GitLab
  /(?<![\w-])hf_[A-Za-z0-9]{30,}(?!\w)/g, // Hugging Face
  /(?<![\w-])(?:sk|rk|pk)_(?:live|test)_[A-Za-z0-9]{24,}(?!\w)/g, // Stripe
  /(?<![\w-])npm_[A-Za-z0-9]{36}(?!\w)/g, // npm
  /(?<![\w-])eyJ[A-Za-z0-9_-]{8,}\.eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}/g, // JWT
];

/** A key body must mix letters and digits: "sk-this-is-not-a-real-key-at-all" is prose, not a key. */
const looksRandom = (s: string) => /\d/.test(s) && /[A-Za-z]/.test(s);

const EMAIL =
  /(?<![\w.%+-])[A-Za-z0-9][A-Za-z0-9._%+-]{0,63}@(?:[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.)+([A-Za-z]{2,24})(?![\w-])/g;
/** "icon@2x.png" is a file name (retina asset), not an address. */
const FILE_EXTENSIONS = new Set(['png', 'jpg', 'jpeg', 'gif', 'svg', 'webp', 'bmp', 'ico', 'pdf', 'css', 'js', 'ts']);

const URL_CREDENTIALS = /\b[A-Za-z][A-Za-z0-9+.-]*:\/\/[^\s:@/]+:[^\s@/]+@[^\s]/g;
const CN_ID = /(?<![\w])\d{17}[\dXx](?![\w])/g;
const IBAN = /(?<![A-Za-z0-9])[A-Z]{2}\d{2}(?: ?[A-Z0-9]{4}){2,7}(?: ?[A-Z0-9]{1,4})?(?![A-Za-z0-9])/g;
const CARD = /(?<![\w.-])\d(?:[ -]?\d){12,18}(?![\w]|[.-]\d)/g;
const CN_MOBILE = /(?<![\w+])(?:(?:\+|00)?86[ -]?)?1[3-9]\d(?:[ -]?\d{4}){2}(?![\w])/g;
const CN_LANDLINE = /(?<![\w-])(?:\(0\d{2,3}\) ?|0\d{2,3}-)[2-8]\d{6,7}(?:-\d{1,4})?(?![\w-])/g;
const INTERNATIONAL = /(?<![\w+])\+[1-9]\d{0,2}(?:[ .-]?(?:\(\d{1,4}\)|\d{1,4})){2,6}(?![\w])/g;
const NANP = /(?<![\w+-])\(?[2-9]\d{2}\)?[ .-][2-9]\d{2}[ .-]\d{4}(?![\w-])/g;
const IPV4 = /(?<![\w.])(?:\d{1,3}\.){3}\d{1,3}(?![\w]|\.\d)/g;
const IPV6 = /(?<![\w:.])(?:[0-9A-Fa-f]{0,4}:){2,7}(?:[0-9A-Fa-f]{1,4}|\d{1,3}(?:\.\d{1,3}){3})?(?![\w:])/g;

/** Words right before a number that make it an order/invoice/tracking number or a version, not PII. */
const NOT_PII_CONTEXT =
  /(?:order|invoice|tracking|ticket|ref(?:erence)?|isbn|issn|sku|serial|订单|单号|编号|发票)\s*(?:no\.?|number|#|号|:|：)?\s*[:：#]?\s*$/i;
const VERSION_CONTEXT = /(?:version|ver\.?|release|build|v)\s*$/i;

const before = (text: string, start: number) => text.slice(Math.max(0, start - 24), start);

function* matches(re: RegExp, text: string): Generator<RegExpExecArray> {
  re.lastIndex = 0;
  for (let m = re.exec(text); m; m = re.exec(text)) {
    yield m;
    if (m[0].length === 0) re.lastIndex++;
  }
}

/** Card digits in one of the printed groupings: none, 4-4-4-4(-3), or Amex/Diners 4-6-5 / 4-6-4. */
function cardGroupingOk(s: string): boolean {
  const groups = s.split(/[ -]/);
  if (groups.length === 1) return true;
  if (new Set(s.match(/[ -]/g)).size > 1) return false;
  const lens = groups.map((g) => g.length);
  if (lens.length === 3 && lens[0] === 4 && lens[1] === 6 && (lens[2] === 5 || lens[2] === 4)) return true;
  return lens.slice(0, -1).every((l) => l === 4) && lens[lens.length - 1] >= 1 && lens[lens.length - 1] <= 4;
}

const digitsOf = (s: string) => s.replace(/\D/g, '');

type Detector = (text: string, out: PiiFinding[]) => void;

const DETECTORS: Record<PiiCategory, Detector> = {
  secret(text, out) {
    for (const re of SECRET_PATTERNS) {
      for (const m of matches(re, text)) {
        if (looksRandom(m[0].slice(4))) out.push({ category: 'secret', start: m.index, end: m.index + m[0].length });
      }
    }
  },
  url_credentials(text, out) {
    for (const m of matches(URL_CREDENTIALS, text)) {
      // only the user:password part, so the host stays readable
      const start = m.index + m[0].indexOf('//') + 2;
      out.push({ category: 'url_credentials', start, end: m.index + m[0].length - 2 });
    }
  },
  email(text, out) {
    for (const m of matches(EMAIL, text)) {
      if (!FILE_EXTENSIONS.has(m[1].toLowerCase()))
        out.push({ category: 'email', start: m.index, end: m.index + m[0].length });
    }
  },
  cn_id(text, out) {
    for (const m of matches(CN_ID, text)) {
      if (chinaIdValid(m[0])) out.push({ category: 'cn_id', start: m.index, end: m.index + 18 });
    }
  },
  iban(text, out) {
    for (const m of matches(IBAN, text)) {
      if (ibanValid(m[0])) out.push({ category: 'iban', start: m.index, end: m.index + m[0].length });
    }
  },
  payment_card(text, out) {
    for (const m of matches(CARD, text)) {
      if (NOT_PII_CONTEXT.test(before(text, m.index))) continue;
      if (cardGroupingOk(m[0]) && cardValid(digitsOf(m[0])))
        out.push({ category: 'payment_card', start: m.index, end: m.index + m[0].length });
    }
  },
  phone(text, out) {
    for (const re of [CN_MOBILE, CN_LANDLINE, INTERNATIONAL, NANP]) {
      for (const m of matches(re, text)) {
        if (NOT_PII_CONTEXT.test(before(text, m.index))) continue;
        const n = digitsOf(m[0]).length;
        if (re === INTERNATIONAL && (n < 8 || n > 15)) continue;
        out.push({ category: 'phone', start: m.index, end: m.index + m[0].length });
      }
    }
  },
  ip_address(text, out) {
    for (const m of matches(IPV4, text)) {
      if (ipv4Valid(m[0]) && !VERSION_CONTEXT.test(before(text, m.index)))
        out.push({ category: 'ip_address', start: m.index, end: m.index + m[0].length });
    }
    for (const m of matches(IPV6, text)) {
      const s = m[0];
      if (!isIPv6(s)) continue;
      const groups = s.split(':').filter(Boolean);
      // "fe80::1" yes; "ab::cd" (two hex-letter words) no; "::1" (loopback, not personal) no
      if (groups.length < 8 && (groups.length < 2 || !/\d/.test(s))) continue;
      out.push({ category: 'ip_address', start: m.index, end: m.index + s.length });
    }
  },
};

/**
 * Every PII finding in `text` for the given categories, sorted by position, overlaps resolved by category priority
 * (then by the longer span).
 */
export function detectPii(text: string, categories: readonly PiiCategory[] = PII_CATEGORIES): PiiFinding[] {
  const raw: PiiFinding[] = [];
  for (const c of PII_CATEGORIES) if (categories.includes(c)) DETECTORS[c](text, raw);
  // Overlaps only matter inside runs of transitively overlapping findings: sweep by start, resolve each run by
  // priority, so a log with thousands of addresses costs n log n, not n².
  const rank = (f: PiiFinding) => PII_CATEGORIES.indexOf(f.category);
  raw.sort((a, b) => a.start - b.start);
  const kept: PiiFinding[] = [];
  for (let i = 0; i < raw.length; ) {
    let end = raw[i].end;
    let j = i + 1;
    while (j < raw.length && raw[j].start < end) end = Math.max(end, raw[j++].end);
    if (j === i + 1) kept.push(raw[i]);
    else {
      const run = raw
        .slice(i, j)
        .sort((a, b) => rank(a) - rank(b) || b.end - b.start - (a.end - a.start) || a.start - b.start);
      const chosen: PiiFinding[] = [];
      for (const f of run) if (!chosen.some((k) => f.start < k.end && k.start < f.end)) chosen.push(f);
      kept.push(...chosen.sort((a, b) => a.start - b.start));
    }
    i = j;
  }
  return kept;
}
