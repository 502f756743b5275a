/**
 * The cleaning config (`data.json`): how to read the input, the steps in order, how to write the output and what to
 * report. A zod schema whose `.describe()` texts are the docs; strict, so a misspelt key is an error, not ignored.
 */
import { z } from 'zod';
import { ConsentStepSchema } from '../consent.js';
import { ContentStepSchema } from '../content/classifier.js';
import { LicenceStepSchema } from '../content/licence.js';
import { ExactDedupStepSchema } from '../dedup/exact.js';
import { NearDedupStepSchema } from '../dedup/minhash.js';
import { DataConfigError } from '../errors.js';
import { PiiStepSchema } from '../pii/redact.js';
import { LanguageStepSchema } from '../quality/language.js';
import { QualityStepSchema } from '../quality/step.js';
import { InputOptionsSchema } from '../readers/index.js';

export const StepConfigSchema = z.discriminatedUnion('type', [
  ConsentStepSchema,
  PiiStepSchema,
  ContentStepSchema,
  LicenceStepSchema,
  LanguageStepSchema,
  QualityStepSchema,
  ExactDedupStepSchema,
  NearDedupStepSchema,
]);
export type StepConfig = z.input<typeof StepConfigSchema>;

export const CleanConfigSchema = z
  .strictObject({
    $schema: z.string().optional().describe('JSON Schema of this file (editor help only).'),
    input: InputOptionsSchema.prefault({}),
    steps: z.array(StepConfigSchema).min(1).describe('Cleaning steps, run in this order on every record.'),
    output: z
      .strictObject({
        shardRecords: z
          .number()
          .int()
          .min(1)
          .default(10_000)
          .describe(
            'Input records per shard: the unit of commit and resume (a crash loses at most one shard of work).',
          ),
        routeBy: z
          .enum(['none', 'language'])
          .default('none')
          .describe('Write one folder per detected language (needs a language step), or one output.'),
        metadataColumn: z
          .union([z.string().min(1), z.literal(false)])
          .default('_aha')
          .describe('Column added to each output row with { id, lang, tags }, or false for none.'),
      })
      .prefault({})
      .describe('Output shards.'),
    report: z
      .strictObject({
        sourceColumn: z
          .string()
          .optional()
          .describe('Column naming the source in the balance report (default: file name).'),
        columns: z.array(z.string()).default([]).describe('More columns to count by in the balance report.'),
        examplesPerReason: z
          .number()
          .int()
          .min(0)
          .default(3)
          .describe('Dropped examples kept per step and reason (PII masked) for the summary.'),
        exampleChars: z.number().int().min(20).default(300).describe('Characters kept of each example.'),
      })
      .prefault({})
      .describe('Stats and balance report.'),
  })
  .describe('aha data clean config.');
export type CleanConfig = z.output<typeof CleanConfigSchema>;
export type CleanConfigInput = z.input<typeof CleanConfigSchema>;

/** Validates a config object; errors name the key path. */
export function parseCleanConfig(value: unknown, source = 'data config'): CleanConfig {
  const r = CleanConfigSchema.safeParse(value);
  if (!r.success) {
    const issues = r.error.issues.slice(0, 8).map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`);
    throw new DataConfigError(`${source}: ${issues.join('; ')}`);
  }
  const names = new Set<string>();
  r.data.steps.forEach((s, i) => {
    if (names.has(s.name))
      throw new DataConfigError(`${source}: steps.${i}.name: '${s.name}' is used twice; give each step its own name`);
    names.add(s.name);
  });
  if (r.data.output.routeBy === 'language' && !r.data.steps.some((s) => s.type === 'language'))
    throw new DataConfigError(`${source}: output.routeBy is 'language' but no step has type 'language'`);
  return r.data;
}
