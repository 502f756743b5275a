/**
 * `writeReport`: metrics log (a run folder or the JSONL file itself) in, self-contained HTML file out. A run folder
 * is expected to hold `metrics.jsonl`; the report goes beside it as `report.html` unless told otherwise.
 * A metrics log with sample completions holds generated text, so writing the report also labels it: the implicit
 * AI-generated label goes beside it (`metrics.jsonl.aigc.json`, @aha/safety), rewritten with each report so its
 * content id is the log's hash at the last report (the end of a run writes one).
 */
import { mkdirSync, statSync, writeFileSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { AhaError } from '@aha/core';
import { writeLabelSidecarSync } from '@aha/safety';
import { readMetricsFile } from '../metrics/jsonl.js';
import { buildCharts } from './charts.js';
import { type ReportOptions, renderReport } from './html.js';

/** The metrics file of a run folder. */
export const METRICS_FILE = 'metrics.jsonl';
/** The report file written into a run folder by default. */
export const REPORT_FILE = 'report.html';

/** What `writeReport` wrote. */
export interface ReportResult {
  /** Absolute path of the HTML file. */
  file: string;
  /** Absolute path of the metrics log read. */
  metricsFile: string;
  /** Number of distinct steps in the report. */
  steps: number;
  /** Ids of the charts drawn (those with data). */
  charts: string[];
  /** Lines of the log skipped as unusable. */
  skipped: number;
  /** The implicit-label sidecar of the metrics log, when it holds sample completions. */
  label?: string;
}

/**
 * Writes the HTML training report.
 * @param input a run folder containing `metrics.jsonl`, or a metrics JSONL file
 * @param outFile where to write (default: `report.html` beside the metrics file)
 * @throws AhaError('io') when there is no metrics log or it has no usable step
 */
export function writeReport(input: string, outFile?: string, options: ReportOptions = {}): ReportResult {
  const path = resolve(input);
  let metricsFile = path;
  try {
    if (statSync(path).isDirectory()) metricsFile = join(path, METRICS_FILE);
  } catch {
    throw new AhaError('io', `writeReport: ${input} does not exist (expected a run folder or a ${METRICS_FILE} file)`);
  }
  const log = readMetricsFile(metricsFile);
  if (log.records.length === 0) {
    const why = log.skipped.length ? ` (${log.skipped.length} unusable lines, first: ${log.skipped[0].reason})` : '';
    throw new AhaError('io', `writeReport: ${metricsFile} has no usable metrics line${why}`);
  }
  const file = resolve(outFile ?? join(dirname(metricsFile), REPORT_FILE));
  const html = renderReport(log.records, {
    ...options,
    title: options.title ?? `aha report — ${basename(dirname(metricsFile))}`,
    source: options.source ?? metricsFile,
    skipped: log.skipped,
  });
  mkdirSync(dirname(file), { recursive: true });
  writeFileSync(file, html);
  const charts = buildCharts(log.records, { heldOut: options.heldOut })
    .filter((c) => c.series.length > 0)
    .map((c) => c.id);
  const hasSamples = log.records.some((r) => (r.samples?.length ?? 0) > 0);
  const label = hasSamples ? writeLabelSidecarSync(metricsFile, { model: options.model }) : undefined;
  return {
    file,
    metricsFile,
    steps: log.records.length,
    charts,
    skipped: log.skipped.length,
    ...(label && { label }),
  };
}
