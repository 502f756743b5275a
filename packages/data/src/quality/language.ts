/**
 * Language identification with franc-min (wooorm/franc: trigram profiles of 82 languages bundled in the package, so
 * it runs offline, is pure JavaScript, small, and maintained; ISO 639-3 codes). Chosen over eld (more accurate on
 * short text, but a larger data file loaded at run time) because the cleaning pipeline needs a dependency that
 * installs anywhere with no download step; franc's weakness on very short texts is handled by `minLength` (shorter
 * → `und`). Only the first `sampleChars` characters are classified, which bounds the cost per record.
 * The step sets `record.lang`; it drops records outside `keep` and the output can be routed per language.
 */
import { z } from 'zod';
import { DataConfigError } from '../errors.js';
import { createTally } from '../pipeline/tally.js';
import { type DataRecord, drop, KEEP, type StepOutcome, type SyncStep } from '../record.js';

export const LanguageStepSchema = z
  .strictObject({
    type: z.literal('language'),
    name: z.string().default('language').describe('Step name in the stats.'),
    keep: z
      .array(z.string().regex(/^([a-z]{3}|und)$/, 'ISO 639-3 code such as "eng", or "und"'))
      .optional()
      .describe('Keep only these languages (ISO 639-3: eng, cmn, fra, ...; "und" = undetermined); default: all.'),
    only: z
      .array(z.string().regex(/^[a-z]{3}$/))
      .optional()
      .describe('Restrict the detector to these candidate languages (more accurate when the corpus is known).'),
    minLength: z.number().int().min(1).default(20).describe('Shorter texts are "und" (franc default 10).'),
    sampleChars: z.number().int().min(100).default(2000).describe('Classify only this many leading characters.'),
  })
  .describe('Language identification (franc-min) and filtering; the output can be routed per language.');
export type LanguageStepConfig = z.input<typeof LanguageStepSchema>;

type Franc = (value: string, options?: { only?: string[]; minLength?: number }) => string;
let francFn: Franc | undefined;

/** franc-min is ESM-only: imported on first use so the CommonJS build of this package loads too. */
export async function loadLanguageDetector(): Promise<
  (text: string, options?: { only?: string[]; minLength?: number }) => string
> {
  if (!francFn) francFn = (await import('franc-min')).franc as Franc;
  return francFn;
}

let supported: Set<string> | undefined;

/** The ISO 639-3 codes franc-min can return (its trigram profiles plus the languages it tells by script), and `und`. */
export async function supportedLanguages(): Promise<ReadonlySet<string>> {
  if (!supported) {
    const { data } = (await import('franc-min/data.js')) as { data: Record<string, Record<string, string>> };
    const { expressions } = (await import('franc-min/expressions.js')) as { expressions: Record<string, RegExp> };
    supported = new Set(['und']);
    for (const script of Object.values(data)) for (const code of Object.keys(script)) supported.add(code);
    for (const key of Object.keys(expressions)) if (/^[a-z]{3}$/.test(key)) supported.add(key);
  }
  return supported;
}

/** Throws when `codes` names a language the detector cannot return (it would never match). */
export async function checkLanguageCodes(codes: readonly string[] | undefined, key: string): Promise<void> {
  if (!codes) return;
  const known = await supportedLanguages();
  const unknown = codes.filter((c) => !known.has(c));
  if (unknown.length)
    throw new DataConfigError(
      `${key}: ${unknown.map((c) => `'${c}'`).join(', ')} ${unknown.length > 1 ? 'are' : 'is'} not a language franc-min detects (ISO 639-3, e.g. eng, cmn, fra, deu, spa, rus, jpn, kor, arb)`,
    );
}

/** The language step (async: loads the detector). */
export async function languageStep(config: Omit<LanguageStepConfig, 'type'> = {}): Promise<SyncStep> {
  const c = LanguageStepSchema.parse({ ...config, type: 'language' });
  await checkLanguageCodes(c.keep, `${c.name}.keep`);
  await checkLanguageCodes(c.only, `${c.name}.only`);
  const franc = await loadLanguageDetector();
  const counts = createTally();
  return {
    name: c.name,
    process(record: DataRecord): StepOutcome {
      const lang = franc(record.text.slice(0, c.sampleChars), { only: c.only, minLength: c.minLength });
      counts.add(lang);
      // the language is metadata, not an edit of the text: a kept record counts as kept
      record.lang = lang;
      if (c.keep && !c.keep.includes(lang)) return drop(`language:${lang}`);
      return KEEP;
    },
    report: () => ({ detected: counts.totals() }),
    checkpoint: counts.checkpoint,
    absorb: counts.absorb,
    restore: counts.restore,
  };
}
