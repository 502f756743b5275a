/**
 * Reading and writing `metrics.jsonl`, the per-step metrics log (one StepMetricsRecord per line). Reading is
 * forgiving where runs really go wrong: a half-written last line (the process was killed mid-write) is dropped, a
 * step logged twice (a resumed run replays steps) keeps the later line, and a bad line elsewhere is reported with its
 * line number rather than hiding the whole run. Lines in @aha/grpo's camelCase `StepMetrics` shape are mapped onto the
 * contract first (`normalizeStepMetrics`). Leaves out: streaming/tailing a live file (the report is rebuilt).
 */
import { readFileSync } from 'node:fs';
import { AhaError, appendMetrics } from '@aha/core';
import { formatZodIssues } from '../config/format-issues.js';
import { normalizeStepMetrics } from './normalize.js';
import { StepMetricsRecord } from './schema.js';

/** A line of the log that could not be used, with why. */
export interface SkippedLine {
  /** 1-based line number in the file. */
  line: number;
  reason: string;
}

/** The parsed log: records sorted by step, one per step. */
export interface MetricsLog {
  records: StepMetricsRecord[];
  skipped: SkippedLine[];
}

/**
 * Parses the text of a metrics JSONL log.
 * @param text file contents
 * @param options.source name used in messages (the file path)
 * @param options.strict throw an `AhaError('io')` on the first bad line instead of skipping it
 */
export function parseMetricsJsonl(text: string, options: { source?: string; strict?: boolean } = {}): MetricsLog {
  const source = options.source ?? 'metrics.jsonl';
  const lines = text.split('\n');
  // The index of the last line with content: a bad line there is a torn write, not corruption.
  let lastContent = lines.length - 1;
  while (lastContent >= 0 && lines[lastContent].trim() === '') lastContent--;
  const byStep = new Map<number, StepMetricsRecord>();
  const skipped: SkippedLine[] = [];
  for (let i = 0; i <= lastContent; i++) {
    const raw = lines[i].trim();
    if (raw === '') continue;
    let reason: string | undefined;
    let value: unknown;
    try {
      value = JSON.parse(raw);
    } catch (err) {
      reason = `invalid JSON (${(err as Error).message})`;
    }
    if (reason === undefined) {
      const parsed = StepMetricsRecord.safeParse(normalizeStepMetrics(value), { reportInput: true });
      if (parsed.success) {
        byStep.set(parsed.data.step, parsed.data);
        continue;
      }
      reason = formatZodIssues(parsed.error.issues).join('; ');
    }
    if (options.strict) throw new AhaError('io', `${source}:${i + 1}: ${reason}`);
    if (i === lastContent && reason.startsWith('invalid JSON')) {
      skipped.push({ line: i + 1, reason: 'incomplete last line (torn write), ignored' });
    } else {
      skipped.push({ line: i + 1, reason });
    }
  }
  const records = [...byStep.values()].sort((a, b) => a.step - b.step);
  return { records, skipped };
}

/** Reads and parses a metrics JSONL file; see {@link parseMetricsJsonl}. Throws `AhaError('io')` if it is unreadable. */
export function readMetricsFile(file: string, options: { strict?: boolean } = {}): MetricsLog {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw new AhaError('io', `cannot read metrics file ${file}: ${(err as Error).message}`, { cause: err });
  }
  return parseMetricsJsonl(text, { source: file, strict: options.strict });
}

/**
 * Appends metrics records to a JSONL file, one line per call, checked against the contract. Trainers do not need it
 * (the core training loop writes their metrics.jsonl); it is for tools and tests that write a log of their own.
 */
export interface MetricsWriter {
  readonly file: string;
  write(record: StepMetricsRecord): void;
}

/**
 * Opens `file` for appending (creating its folder). Each `write` validates the record and appends one line
 * synchronously through @aha/core's `appendMetrics` (the one writer), so a crash loses at most the line being written.
 */
export function createMetricsWriter(file: string): MetricsWriter {
  return {
    file,
    write(record) {
      const parsed = StepMetricsRecord.safeParse(record, { reportInput: true });
      if (!parsed.success) {
        throw new AhaError('value', `metrics record: ${formatZodIssues(parsed.error.issues).join('; ')}`);
      }
      appendMetrics(file, parsed.data);
    },
  };
}
