/**
 * The record every step sees: the text being cleaned, the other columns of its row, where it came from, and what
 * the steps found out about it (language, tags). Steps edit `text`, `fields` and `tags` in place and say so.
 */

/** One document on its way through the cleaning steps. */
export interface DataRecord {
  /** Stable id: `file:line` (JSONL, text) or `file#row` (Parquet), `file:line` of a paragraph's first line. */
  id: string;
  /** Input file (as given, resolved) and position. */
  source: { file: string; line?: number; row?: number };
  /** The text column's value (steps may rewrite it). */
  text: string;
  /** The row's other columns, as read (the text column is not repeated here). */
  fields: Record<string, unknown>;
  /** ISO 639-3 code set by the language step (`und` when undetermined). */
  lang?: string;
  /** Tags added by steps whose action is `tag` (e.g. `content:violence`, `licence`). */
  tags: string[];
}

/** What a step did with a record. `edit` means the record goes on with changed text/fields. */
export type StepOutcome = { action: 'keep' } | { action: 'edit' } | { action: 'drop'; reason: string };

export const KEEP: StepOutcome = Object.freeze({ action: 'keep' });
export const EDIT: StepOutcome = Object.freeze({ action: 'edit' });
export const drop = (reason: string): StepOutcome => ({ action: 'drop', reason });

/**
 * A cleaning step: a name, a per-record decision, and optionally a report (findings, clusters) and a state that a
 * resumed run must get back (what dedup has seen). State goes out as deltas since the last checkpoint, so a
 * checkpoint costs what changed, not everything seen so far.
 */
export interface Step {
  /** Unique within a pipeline; names the step in stats (`pii`, `near-dedup`, ...). */
  readonly name: string;
  process(record: DataRecord): StepOutcome | Promise<StepOutcome>;
  /** Step-specific findings for the stats file (no personal data in it). */
  report?(): unknown;
  /** What changed in the state since the last call (JSON-serialisable), for the checkpoint. */
  checkpoint?(): unknown;
  /** Replays checkpoint deltas, oldest first, into a fresh step (and its report counters). */
  restore?(deltas: readonly unknown[]): void;
  /**
   * Adds a delta that another instance of this step produced (a worker thread) to this one's report and to its
   * next checkpoint. Only steps whose state is a report of counts have it; they may run in the worker pool.
   */
  absorb?(delta: unknown): void;
}

/** A step that decides synchronously (all built-in steps except the content step, whose classifier may be remote). */
export interface SyncStep extends Step {
  process(record: DataRecord): StepOutcome;
}
