/**
 * Copyright/licence-marker filter: records carrying boilerplate that says the text may not be reused ("All rights
 * reserved", "未经许可不得转载") are dropped or tagged. Phrases are configurable; matching is case-insensitive on
 * whitespace-collapsed text, and `minHits` distinct phrases are needed so one stray phrase in a long text can be
 * tolerated. Leaves out: deciding whether a licence actually permits training — that is the operator's call.
 */
import { z } from 'zod';
import { type DataRecord, drop, EDIT, KEEP, type StepOutcome, type SyncStep } from '../record.js';

export const DEFAULT_LICENCE_MARKERS = [
  'all rights reserved',
  'reproduction is prohibited',
  'may not be reproduced',
  'unauthorized reproduction',
  'do not redistribute',
  'proprietary and confidential',
  '版权所有',
  '未经许可不得转载',
  '未经授权不得转载',
  '保留所有权利',
  '無断転載を禁じます',
];

export const LicenceStepSchema = z
  .strictObject({
    type: z.literal('licence'),
    name: z.string().default('licence').describe('Step name in the stats.'),
    phrases: z
      .array(z.string().min(1))
      .min(1)
      .default(DEFAULT_LICENCE_MARKERS)
      .describe(
        'Marker phrases (case-insensitive); default: English, Chinese and Japanese "all rights reserved" boilerplate.',
      ),
    minHits: z.number().int().min(1).default(1).describe('Distinct phrases needed to act.'),
    action: z.enum(['drop', 'tag']).default('drop').describe('drop the record, or tag it `licence` and keep it.'),
  })
  .describe('Copyright / licence-marker filter.');
export type LicenceStepConfig = z.input<typeof LicenceStepSchema>;

/** The licence-marker step. */
export function licenceStep(config: Omit<LicenceStepConfig, 'type'> = {}): SyncStep {
  const c = LicenceStepSchema.parse({ ...config, type: 'licence' });
  const phrases = c.phrases.map((p) => p.toLowerCase().replace(/\s+/g, ' '));
  return {
    name: c.name,
    process(record: DataRecord): StepOutcome {
      const text = record.text.toLowerCase().replace(/\s+/g, ' ');
      const hits = phrases.filter((p) => text.includes(p)).length;
      if (hits < c.minHits) return KEEP;
      if (c.action === 'drop') return drop('licence-marker');
      if (!record.tags.includes('licence')) record.tags.push('licence');
      return EDIT;
    },
  };
}
