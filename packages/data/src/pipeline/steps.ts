/**
 * Builds the steps of a config and runs records through steps. `runSteps` is the composable core (an async
 * generator over any record stream); `cleanDataset` adds files, shards, resume and stats around it.
 */
import { resolve } from 'node:path';
import { consentStep, readOptOutFile } from '../consent.js';
import {
  type ContentClassifier,
  contentStep,
  type KeywordList,
  keywordClassifier,
  loadKeywordListJson,
} from '../content/classifier.js';
import { licenceStep } from '../content/licence.js';
import { exactDedupStep } from '../dedup/exact.js';
import { nearDedupStep } from '../dedup/minhash.js';
import { DataConfigError } from '../errors.js';
import { piiStep } from '../pii/redact.js';
import { checkLanguageCodes, languageStep } from '../quality/language.js';
import { qualityStep } from '../quality/step.js';
import type { DataRecord, Step, StepOutcome } from '../record.js';
import type { CleanConfig } from './config.js';

/** Makes the classifier of a content step from its list files (resolved paths). */
export type ClassifierFactory = (
  lists: readonly string[],
  stepName: string,
) => ContentClassifier | Promise<ContentClassifier>;

/** The built-in factory: JSON lists, plain keyword matching. */
export const jsonKeywordClassifier: ClassifierFactory = async (lists) => {
  const parsed: KeywordList[] = [];
  for (const file of lists) {
    if (!file.toLowerCase().endsWith('.json'))
      throw new DataConfigError(
        `content.lists: ${file}: the built-in classifier reads .json lists (YAML through the aha CLI)`,
      );
    parsed.push(await loadKeywordListJson(file));
  }
  return keywordClassifier(parsed);
};

export interface CreateStepsOptions {
  /** Folder relative paths in the config resolve against (the config file's folder). */
  baseDir?: string;
  classifier?: ClassifierFactory;
  env?: Record<string, string | undefined>;
}

/** The steps of a parsed config, in order. */
export async function createSteps(config: CleanConfig, options: CreateStepsOptions = {}): Promise<Step[]> {
  const base = options.baseDir ?? process.cwd();
  const steps: Step[] = [];
  for (const s of config.steps) {
    const { type, ...rest } = s;
    switch (type) {
      case 'consent': {
        const { optOutFile, ...c } = rest as Extract<typeof s, { type: 'consent' }>;
        const fromFile = optOutFile ? await readOptOutFile(resolve(base, optOutFile)) : [];
        steps.push(consentStep({ ...c, optOut: [...c.optOut, ...fromFile] }, options.env));
        break;
      }
      case 'pii':
        steps.push(piiStep(rest as Extract<typeof s, { type: 'pii' }>));
        break;
      case 'content': {
        const { lists, ...c } = rest as Extract<typeof s, { type: 'content' }>;
        const classifier = await (options.classifier ?? jsonKeywordClassifier)(
          lists.map((l) => resolve(base, l)),
          c.name,
        );
        steps.push(contentStep(classifier, c));
        break;
      }
      case 'licence':
        steps.push(licenceStep(rest as Extract<typeof s, { type: 'licence' }>));
        break;
      case 'language':
        steps.push(await languageStep(rest as Extract<typeof s, { type: 'language' }>));
        break;
      case 'quality':
        await checkLanguageCodes((rest as Extract<typeof s, { type: 'quality' }>).languages, `${s.name}.languages`);
        steps.push(qualityStep(rest as Extract<typeof s, { type: 'quality' }>));
        break;
      case 'exact-dedup':
        steps.push(exactDedupStep(rest as Extract<typeof s, { type: 'exact-dedup' }>));
        break;
      case 'near-dedup':
        steps.push(nearDedupStep(rest as Extract<typeof s, { type: 'near-dedup' }>));
        break;
    }
  }
  return steps;
}

/** Per-step counts. `kept` passed unchanged, `edited` passed changed; seen = kept + edited + dropped. */
export interface StepCounts {
  name: string;
  seen: number;
  kept: number;
  edited: number;
  dropped: number;
  reasons: Record<string, number>;
  /** Time spent in the step, milliseconds. */
  ms: number;
}

/** What happened to one record: the step and reason that dropped it, if any. */
export type RecordFate =
  | { kept: true; record: DataRecord }
  | { kept: false; record: DataRecord; step: string; reason: string };

/** Runs one record through the steps, updating `counts` (one per step, same order). */
export async function processRecord(
  record: DataRecord,
  steps: readonly Step[],
  counts: StepCounts[],
): Promise<RecordFate> {
  for (let i = 0; i < steps.length; i++) {
    const c = counts[i];
    c.seen++;
    const t0 = performance.now();
    const outcome: StepOutcome = await steps[i].process(record);
    c.ms += performance.now() - t0;
    if (outcome.action === 'drop') {
      c.dropped++;
      c.reasons[outcome.reason] = (c.reasons[outcome.reason] ?? 0) + 1;
      return { kept: false, record, step: steps[i].name, reason: outcome.reason };
    }
    if (outcome.action === 'edit') c.edited++;
    else c.kept++;
  }
  return { kept: true, record };
}

export const emptyCounts = (steps: readonly Step[]): StepCounts[] =>
  steps.map((s) => ({ name: s.name, seen: 0, kept: 0, edited: 0, dropped: 0, reasons: {}, ms: 0 }));

/** Streams records through steps, yielding the survivors; `counts` (when given) receives the per-step counts. */
export async function* runSteps(
  records: AsyncIterable<DataRecord> | Iterable<DataRecord>,
  steps: readonly Step[],
  counts: StepCounts[] = emptyCounts(steps),
): AsyncGenerator<DataRecord> {
  for await (const record of records) {
    const fate = await processRecord(record, steps, counts);
    if (fate.kept) yield fate.record;
  }
}
