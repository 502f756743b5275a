/**
 * Harmful-content filtering. `ContentClassifier` is the seam: text in, categories hit out. @aha/data ships a plain
 * keyword classifier over lists in the risk-control list format of @aha/safety (`{ version: 1, categories: [{ id,
 * terms, allow, wholeWord }] }`), case-insensitive with word boundaries; the `aha` CLI backs the same interface with
 * @aha/safety's KeywordFilter (normalisation, spelled-apart and obfuscated terms), and a model or an HTTP endpoint can
 * back it too. The content step drops or tags a record per category. Leaves out: the normalisation folds and the
 * separated-letter matching of @aha/safety (this package must not import it; use that filter through the interface).
 */
import { readFile } from 'node:fs/promises';
import { z } from 'zod';
import { DataConfigError } from '../errors.js';
import { createTally } from '../pipeline/tally.js';
import { type DataRecord, drop, EDIT, KEEP, type Step, type StepOutcome } from '../record.js';

/** Categories a classifier found in a text (empty: nothing found). */
export interface ContentVerdict {
  categories: string[];
}

/** Text → categories hit. Implement it with a keyword list, a model, or a remote moderation endpoint. */
export interface ContentClassifier {
  /** Every category this classifier can report, so configs naming an unknown one fail early. */
  readonly categories: readonly string[];
  classify(text: string): ContentVerdict | Promise<ContentVerdict>;
}

/** One category of a keyword list (the risk-control list format; `action`/`description` are read but unused here). */
export const KeywordCategorySchema = z.object({
  id: z
    .string()
    .regex(/^[\w.-]+$/, 'letters, digits, _ . - only')
    .describe('Category id, e.g. "violence".'),
  description: z.string().default('').describe('What the category covers.'),
  action: z.enum(['block', 'review']).default('review').describe('Used by risk control; the data step has its own.'),
  terms: z.array(z.string().min(1)).min(1).describe('Keywords and phrases.'),
  allow: z.array(z.string().min(1)).default([]).describe('Phrases that make a hit inside them harmless.'),
  wholeWord: z.boolean().default(true).describe('Require word boundaries (not next to CJK/Thai characters).'),
});
export const KeywordListSchema = z.object({
  version: z.literal(1).default(1).describe('Format version of the list file.'),
  categories: z.array(KeywordCategorySchema).min(1).describe('The categories.'),
});
export type KeywordList = z.output<typeof KeywordListSchema>;
export type KeywordListInput = z.input<typeof KeywordListSchema>;

/** Reads a JSON keyword list (YAML lists go through @aha/safety's loader in the CLI). */
export async function loadKeywordListJson(path: string): Promise<KeywordList> {
  let value: unknown;
  try {
    value = JSON.parse(await readFile(path, 'utf8'));
  } catch (err) {
    throw new DataConfigError(`keyword list ${path}: ${(err as Error).message}`, { cause: err });
  }
  const r = KeywordListSchema.safeParse(value);
  if (!r.success) {
    const issues = r.error.issues.slice(0, 5).map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`);
    throw new DataConfigError(`keyword list ${path}: ${issues.join('; ')}`);
  }
  return r.data;
}

const UNSPACED = /[\p{Script=Han}\p{Script=Hiragana}\p{Script=Katakana}\p{Script=Thai}]/u;
const escapeRegex = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/** The built-in keyword classifier: one case-insensitive regex per category, allow-phrases masked out first. */
export function keywordClassifier(lists: KeywordListInput | readonly KeywordListInput[]): ContentClassifier {
  const parsed = (Array.isArray(lists) ? lists : [lists]).map((l) => KeywordListSchema.parse(l));
  const seen = new Set<string>();
  const rules = parsed.flatMap((l) =>
    l.categories.map((c) => {
      if (seen.has(c.id)) throw new DataConfigError(`keyword lists: category '${c.id}' is defined twice`);
      seen.add(c.id);
      const term = (t: string) =>
        c.wholeWord && !UNSPACED.test(t) ? `(?<![\\p{L}\\p{N}_])${escapeRegex(t)}(?![\\p{L}\\p{N}_])` : escapeRegex(t);
      return {
        id: c.id,
        terms: new RegExp(c.terms.map(term).join('|'), 'iu'),
        allow: c.allow.length ? new RegExp(c.allow.map(escapeRegex).join('|'), 'giu') : null,
      };
    }),
  );
  return {
    categories: rules.map((r) => r.id),
    classify(text) {
      const categories: string[] = [];
      for (const r of rules) {
        const t = r.allow ? text.replace(r.allow, (m) => ' '.repeat(m.length)) : text;
        if (r.terms.test(t)) categories.push(r.id);
      }
      return { categories };
    },
  };
}

export const ContentStepSchema = z
  .strictObject({
    type: z.literal('content'),
    name: z.string().default('content').describe('Step name in the stats.'),
    lists: z
      .array(z.string().min(1))
      .min(1)
      .describe('Keyword list files (risk-control list format; relative to the config file).'),
    default: z.enum(['drop', 'tag']).default('drop').describe('Action for a hit in a category not in `actions`.'),
    actions: z
      .record(z.string(), z.enum(['drop', 'tag']))
      .default({})
      .describe('Action per category id: drop the record, or tag it `content:<id>` and keep it.'),
  })
  .describe('Harmful-content filter (keyword categories, or the classifier the caller supplies).');
export type ContentStepConfig = z.input<typeof ContentStepSchema>;

/** The content step over any classifier. */
export function contentStep(
  classifier: ContentClassifier,
  config: Omit<ContentStepConfig, 'type' | 'lists'> = {},
): Step {
  const c = ContentStepSchema.omit({ lists: true }).parse({ ...config, type: 'content' });
  for (const id of Object.keys(c.actions)) {
    if (!classifier.categories.includes(id))
      throw new DataConfigError(
        `${c.name}.actions: unknown category '${id}' (the classifier has: ${classifier.categories.join(', ')})`,
      );
  }
  const hits = createTally();
  return {
    name: c.name,
    async process(record: DataRecord): Promise<StepOutcome> {
      const { categories } = await classifier.classify(record.text);
      if (categories.length === 0) return KEEP;
      for (const id of categories) hits.add(id);
      const dropFor = categories.find((id) => (c.actions[id] ?? c.default) === 'drop');
      if (dropFor) return drop(`content:${dropFor}`);
      for (const id of categories) if (!record.tags.includes(`content:${id}`)) record.tags.push(`content:${id}`);
      return EDIT;
    },
    report: () => ({ recordsPerCategory: hits.totals() }),
    checkpoint: hits.checkpoint,
    absorb: hits.absorb,
    restore: hits.restore,
  };
}
