/**
 * Streaming JSONL reader: one JSON object per line, read line by line (memory bounded by the longest line), blank
 * lines skipped, line numbers 1-based. A broken line, a row that is not an object, or a text column that is missing
 * or not a string is a `DataInputError` naming the file, line and column. Leaves out: compressed files (.jsonl.gz).
 */
import { createReadStream } from 'node:fs';
import { createInterface } from 'node:readline';
import { DataInputError } from '../errors.js';
import type { DataRecord } from '../record.js';

export interface ColumnOptions {
  /** Column holding the text to clean. */
  textColumn: string;
}

/** Splits a row into the text and the other fields, checking the text column. */
export function rowToRecord(
  row: unknown,
  at: { file: string; line?: number; row?: number },
  opts: ColumnOptions,
): DataRecord {
  if (typeof row !== 'object' || row === null || Array.isArray(row)) {
    throw new DataInputError(at, `expected a JSON object, got ${Array.isArray(row) ? 'an array' : typeof row}`);
  }
  const { [opts.textColumn]: text, ...fields } = row as Record<string, unknown>;
  if (text === undefined) {
    const columns = Object.keys(row).slice(0, 10).join(', ');
    throw new DataInputError(
      { ...at, column: opts.textColumn },
      `text column missing (columns: ${columns || 'none'}; set input.textColumn)`,
    );
  }
  if (typeof text !== 'string') {
    throw new DataInputError({ ...at, column: opts.textColumn }, `text must be a string, got ${typeof text}`);
  }
  const id = at.row !== undefined ? `${at.file}#${at.row}` : `${at.file}:${at.line}`;
  return { id, source: at, text, fields, tags: [] };
}

/** JSON.parse's position → 1-based column, when the engine says it. */
function columnOf(err: Error): string {
  const m = /position (\d+)/.exec(err.message);
  return m ? ` (character ${Number(m[1]) + 1})` : '';
}

/** Yields the records of one JSONL file in order. */
export async function* readJsonl(file: string, opts: ColumnOptions): AsyncGenerator<DataRecord> {
  const stream = createReadStream(file, { encoding: 'utf8' });
  const lines = createInterface({ input: stream, crlfDelay: Number.POSITIVE_INFINITY });
  let line = 0;
  try {
    for await (const text of lines) {
      line++;
      if (text.trim() === '') continue;
      let row: unknown;
      try {
        row = JSON.parse(text);
      } catch (err) {
        throw new DataInputError({ file, line }, `not valid JSON${columnOf(err as Error)}: ${(err as Error).message}`, {
          cause: err,
        });
      }
      yield rowToRecord(row, { file, line }, opts);
    }
  } catch (err) {
    if (err instanceof DataInputError) throw err;
    throw new DataInputError({ file }, `cannot read: ${(err as Error).message}`, { cause: err });
  } finally {
    lines.close();
    stream.destroy();
  }
}
