/**
 * Redaction and pseudonymisation. `redact` replaces a finding with its category label (`<EMAIL>`); `pseudonymise`
 * numbers distinct values per document (`<EMAIL_1>`, `<EMAIL_2>`; the same address twice gets the same number), so
 * a model still learns that two mentions are one person without learning who. The PII step applies an action per
 * category (also `drop` the whole record, or `off`) and keeps counts by category, never values.
 */
import { z } from 'zod';
import { DataConfigError } from '../errors.js';
import { type DataRecord, drop, EDIT, KEEP, type StepOutcome, type SyncStep } from '../record.js';
import { detectPii, PII_CATEGORIES, PII_LABELS, type PiiCategory, type PiiFinding } from './detect.js';

export type PiiAction = 'pseudonymise' | 'redact' | 'drop' | 'off';
const PiiActionSchema = z.enum(['pseudonymise', 'redact', 'drop', 'off']);

type Mode = 'redact' | 'pseudonymise';

/** Replaces `findings` (sorted, not overlapping) in `text`; `mode` may differ per category. */
export function replaceFindings(
  text: string,
  findings: readonly PiiFinding[],
  mode: Mode | ((category: PiiCategory) => Mode),
): string {
  const modeOf = typeof mode === 'function' ? mode : () => mode;
  const numbers = new Map<string, number>();
  const perCategory = new Map<PiiCategory, number>();
  let out = '';
  let at = 0;
  for (const f of findings) {
    out += text.slice(at, f.start);
    const label = PII_LABELS[f.category];
    if (modeOf(f.category) === 'redact') out += `<${label}>`;
    else {
      const key = `${f.category}\u0000${text.slice(f.start, f.end)}`;
      let n = numbers.get(key);
      if (n === undefined) {
        n = (perCategory.get(f.category) ?? 0) + 1;
        perCategory.set(f.category, n);
        numbers.set(key, n);
      }
      out += `<${label}_${n}>`;
    }
    at = f.end;
  }
  return out + text.slice(at);
}

/** Detects and replaces every finding of `categories` (all by default) in one call. */
export function redactPii(
  text: string,
  options: { mode?: 'redact' | 'pseudonymise'; categories?: readonly PiiCategory[] } = {},
): { text: string; findings: Partial<Record<PiiCategory, number>> } {
  const findings = detectPii(text, options.categories);
  const counts: Partial<Record<PiiCategory, number>> = {};
  for (const f of findings) counts[f.category] = (counts[f.category] ?? 0) + 1;
  return { text: replaceFindings(text, findings, options.mode ?? 'redact'), findings: counts };
}

export const PiiStepSchema = z
  .strictObject({
    type: z.literal('pii'),
    name: z.string().default('pii').describe('Step name in the stats.'),
    default: PiiActionSchema.default('pseudonymise').describe(
      'Action for categories not listed in `categories`: pseudonymise (<EMAIL_1>), redact (<EMAIL>), drop the record, or off.',
    ),
    categories: z
      .partialRecord(z.enum(PII_CATEGORIES), PiiActionSchema)
      .default({})
      .describe(`Action per category (${PII_CATEGORIES.join(', ')}), overriding \`default\`.`),
    fields: z
      .array(z.string())
      .default([])
      .describe('Other string columns to clean the same way (the text column always is).'),
  })
  .describe('Find personal data and secrets; pseudonymise, redact or drop per category.');
export type PiiStepConfig = z.input<typeof PiiStepSchema>;

/** Findings per category (occurrences and records), the PII step's report. */
export interface PiiReport {
  findings: Partial<Record<PiiCategory, number>>;
  records: Partial<Record<PiiCategory, number>>;
}

/** The PII cleaning step. */
export function piiStep(config: Omit<PiiStepConfig, 'type'> = {}): SyncStep {
  const c = PiiStepSchema.parse({ ...config, type: 'pii' });
  const action = (cat: PiiCategory): PiiAction => c.categories[cat] ?? c.default;
  const active = PII_CATEGORIES.filter((cat) => action(cat) !== 'off');
  if (active.length === 0) throw new DataConfigError(`${c.name}: every PII category is off; remove the step instead`);
  let report: PiiReport = { findings: {}, records: {} };
  let delta: PiiReport = { findings: {}, records: {} };
  const add = (r: PiiReport, cat: PiiCategory, n: number) => {
    r.findings[cat] = (r.findings[cat] ?? 0) + n;
    r.records[cat] = (r.records[cat] ?? 0) + 1;
  };
  const clean = (text: string): { text: string; counts: Map<PiiCategory, number>; dropFor?: PiiCategory } => {
    const findings = detectPii(text, active);
    const counts = new Map<PiiCategory, number>();
    for (const f of findings) counts.set(f.category, (counts.get(f.category) ?? 0) + 1);
    const dropFor = [...counts.keys()].find((cat) => action(cat) === 'drop');
    if (dropFor || findings.length === 0) return { text, counts, dropFor };
    const out = replaceFindings(text, findings, (cat) => (action(cat) === 'redact' ? 'redact' : 'pseudonymise'));
    return { text: out, counts };
  };
  return {
    name: c.name,
    process(record: DataRecord): StepOutcome {
      const results = [{ key: null as string | null, ...clean(record.text) }];
      for (const f of c.fields) {
        const v = record.fields[f];
        if (typeof v === 'string') results.push({ key: f, ...clean(v) });
      }
      const total = new Map<PiiCategory, number>();
      for (const r of results) for (const [cat, n] of r.counts) total.set(cat, (total.get(cat) ?? 0) + n);
      for (const [cat, n] of total) {
        add(report, cat, n);
        add(delta, cat, n);
      }
      const dropped = results.find((r) => r.dropFor);
      if (dropped) return drop(`pii:${dropped.dropFor}`);
      if (total.size === 0) return KEEP;
      for (const r of results) {
        if (r.key === null) record.text = r.text;
        else record.fields[r.key] = r.text;
      }
      return EDIT;
    },
    report: () => report,
    checkpoint() {
      const d = delta;
      delta = { findings: {}, records: {} };
      return d;
    },
    absorb(d) {
      const add = (into: PiiReport) => {
        for (const [cat, n] of Object.entries((d as PiiReport).findings))
          into.findings[cat as PiiCategory] = (into.findings[cat as PiiCategory] ?? 0) + (n ?? 0);
        for (const [cat, n] of Object.entries((d as PiiReport).records))
          into.records[cat as PiiCategory] = (into.records[cat as PiiCategory] ?? 0) + (n ?? 0);
      };
      add(report);
      add(delta);
    },
    restore(deltas) {
      report = { findings: {}, records: {} };
      for (const d of deltas as PiiReport[]) {
        for (const [cat, n] of Object.entries(d.findings))
          report.findings[cat as PiiCategory] = (report.findings[cat as PiiCategory] ?? 0) + (n ?? 0);
        for (const [cat, n] of Object.entries(d.records))
          report.records[cat as PiiCategory] = (report.records[cat as PiiCategory] ?? 0) + (n ?? 0);
      }
    },
  };
}
