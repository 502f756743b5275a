/**
 * Typed errors of @aha/data. `DataInputError` names where a bad record is (file, line or row, column) so a user can
 * open the file at that place; `DataConfigError` names the config key. Both are `AhaError`s with a stable code.
 */
import { AhaError } from '@aha/errors';

/** Where in an input a record sits: a JSONL/text line (1-based) or a Parquet row (0-based, as Parquet tools count). */
export interface InputLocation {
  file: string;
  line?: number;
  row?: number;
  column?: string;
}

const where = (at: InputLocation) =>
  [
    at.file,
    at.line !== undefined ? `line ${at.line}` : undefined,
    at.row !== undefined ? `row ${at.row}` : undefined,
    at.column !== undefined ? `column '${at.column}'` : undefined,
  ]
    .filter(Boolean)
    .join(', ');

/** A record or file that cannot be read: broken JSON, unreadable Parquet, a missing or mistyped column. */
export class DataInputError extends AhaError {
  constructor(
    readonly at: InputLocation,
    problem: string,
    options?: { cause?: unknown },
  ) {
    super('io', `${where(at)}: ${problem}`, options);
  }
}

/** A cleaning config or option that is not valid; the message names the key. */
export class DataConfigError extends AhaError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('config', message, options);
  }
}

/** State on disk (a manifest, a shard) that does not match what the run expects. */
export class DataStateError extends AhaError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('state', message, options);
  }
}
