/**
 * The quality step: C4 line/page rules, then the Gopher document rules on what C4 kept (either set can be turned
 * off). With `languages`, only records whose detected language (set by an earlier language step) is in the list are
 * checked — both rule sets assume space-separated text with English stop words.
 */
import { z } from 'zod';
import { DataConfigError } from '../errors.js';
import { type DataRecord, drop, EDIT, KEEP, type StepOutcome, type SyncStep } from '../record.js';
import { C4Schema, c4Clean } from './c4.js';
import { GopherSchema, gopherCheckParsed } from './gopher.js';

export const QualityStepSchema = z
  .strictObject({
    type: z.literal('quality'),
    name: z.string().default('quality').describe('Step name in the stats.'),
    gopher: z
      .union([GopherSchema, z.literal(false)])
      .prefault({})
      .describe('Gopher rule thresholds, or false to skip them.'),
    c4: z
      .union([C4Schema, z.literal(false)])
      .prefault({})
      .describe('C4 rule switches, or false to skip them.'),
    languages: z
      .array(z.string().regex(/^[a-z]{3}$/, 'ISO 639-3 code such as "eng"'))
      .optional()
      .describe('Only check records whose detected language is one of these (needs an earlier language step).'),
  })
  .describe('Heuristic quality rules: C4 (line and page) then Gopher (document).');
export type QualityStepConfig = z.input<typeof QualityStepSchema>;

/** The quality step. */
export function qualityStep(config: Omit<QualityStepConfig, 'type'> = {}): SyncStep {
  const c = QualityStepSchema.parse({ ...config, type: 'quality' });
  if (c.gopher === false && c.c4 === false) throw new DataConfigError(`${c.name}: gopher and c4 are both false`);
  const { gopher, c4 } = c;
  return {
    name: c.name,
    process(record: DataRecord): StepOutcome {
      if (c.languages) {
        if (record.lang === undefined)
          throw new DataConfigError(`${c.name}.languages is set but no language step ran before it`);
        if (!c.languages.includes(record.lang)) return KEEP;
      }
      let text = record.text;
      if (c4 !== false) {
        const r = c4Clean(text, c4);
        if ('drop' in r) return drop(r.drop);
        text = r.text;
      }
      if (gopher !== false) {
        const reason = gopherCheckParsed(text, gopher);
        if (reason) return drop(reason);
      }
      if (text === record.text) return KEEP;
      record.text = text;
      return EDIT;
    },
  };
}
