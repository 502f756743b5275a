/**
 * Bias/balance report: counts of records per language, per source (the input file, or a column) and per chosen
 * category columns, so a skew (one source is 90% of the corpus, one language missing) is visible before training.
 * Distinct values per key are capped; the rest are counted under "(other)" so memory stays bounded.
 */
import { basename } from 'node:path';
import type { DataRecord } from './record.js';

export interface BalanceOptions {
  /** Column naming the source; default: the input file's name. */
  sourceColumn?: string;
  /** More columns to count by (e.g. `domain`, `topic`). */
  columns?: readonly string[];
  /** Distinct values kept per key (default 1000). */
  maxValues?: number;
}

export interface BalanceReport {
  records: number;
  language: Record<string, number>;
  source: Record<string, number>;
  columns: Record<string, Record<string, number>>;
}

/** Accumulates a balance report record by record. */
export class BalanceCounter {
  readonly #opts: BalanceOptions;
  #report: BalanceReport;

  constructor(options: BalanceOptions = {}, initial?: BalanceReport) {
    this.#opts = options;
    this.#report = initial
      ? structuredClone(initial)
      : {
          records: 0,
          language: {},
          source: {},
          columns: Object.fromEntries((options.columns ?? []).map((c) => [c, {}])),
        };
  }

  #bump(counts: Record<string, number>, key: string): void {
    const max = this.#opts.maxValues ?? 1000;
    const k = key in counts || Object.keys(counts).length < max ? key : '(other)';
    counts[k] = (counts[k] ?? 0) + 1;
  }

  add(record: DataRecord): void {
    const r = this.#report;
    r.records++;
    this.#bump(r.language, record.lang ?? 'unknown');
    const src = this.#opts.sourceColumn ? record.fields[this.#opts.sourceColumn] : basename(record.source.file);
    this.#bump(r.source, src === undefined || src === null ? '(missing)' : String(src));
    for (const col of this.#opts.columns ?? []) {
      const v = record.fields[col];
      this.#bump(r.columns[col], v === undefined || v === null ? '(missing)' : String(v));
    }
  }

  report(): BalanceReport {
    return structuredClone(this.#report);
  }
}
