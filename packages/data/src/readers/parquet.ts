/**
 * Parquet reader on hyparquet (pure JavaScript, maintained, no native build): reads the footer once, checks that the
 * text column exists, then reads `batchRows` rows at a time (one row group or less in memory), yielding records with
 * 0-based row numbers. INT64 values become numbers where exact and decimal strings otherwise, so rows stay JSON.
 * Leaves out: codecs other than the built-in SNAPPY/UNCOMPRESSED (pass hyparquet-compressors through your own reader).
 */
import { DataInputError } from '../errors.js';
import type { DataRecord } from '../record.js';
import { type ColumnOptions, rowToRecord } from './jsonl.js';

const fromBigInt = (v: unknown): unknown => {
  if (typeof v === 'bigint')
    return v >= BigInt(Number.MIN_SAFE_INTEGER) && v <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(v) : v.toString();
  if (Array.isArray(v)) return v.map(fromBigInt);
  if (v && typeof v === 'object' && !(v instanceof Date) && !ArrayBuffer.isView(v)) {
    return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, fromBigInt(x)]));
  }
  return v;
};

/** Yields the records of one Parquet file, `batchRows` rows per read. */
export async function* readParquet(
  file: string,
  opts: ColumnOptions & { batchRows?: number },
): AsyncGenerator<DataRecord> {
  const { asyncBufferFromFile, parquetMetadataAsync, parquetReadObjects, parquetSchema } = await import('hyparquet');
  let buffer: Awaited<ReturnType<typeof asyncBufferFromFile>>;
  let metadata: Awaited<ReturnType<typeof parquetMetadataAsync>>;
  try {
    buffer = await asyncBufferFromFile(file);
    metadata = await parquetMetadataAsync(buffer);
  } catch (err) {
    throw new DataInputError({ file }, `not a readable Parquet file: ${(err as Error).message}`, { cause: err });
  }
  const columns = parquetSchema(metadata).children.map((c) => c.element.name);
  if (!columns.includes(opts.textColumn)) {
    throw new DataInputError(
      { file, column: opts.textColumn },
      `text column missing (columns: ${columns.slice(0, 10).join(', ')}; set input.textColumn)`,
    );
  }
  const total = Number(metadata.num_rows);
  const batch = opts.batchRows ?? 1024;
  for (let start = 0; start < total; start += batch) {
    let rows: Record<string, unknown>[];
    try {
      rows = await parquetReadObjects({
        file: buffer,
        metadata,
        rowStart: start,
        rowEnd: Math.min(total, start + batch),
      });
    } catch (err) {
      throw new DataInputError({ file, row: start }, `cannot decode rows from here: ${(err as Error).message}`, {
        cause: err,
      });
    }
    for (let k = 0; k < rows.length; k++) {
      const row = start + k;
      const value = rows[k][opts.textColumn];
      if (value === null || value === undefined) {
        throw new DataInputError({ file, row, column: opts.textColumn }, 'text is null');
      }
      yield rowToRecord(fromBigInt(rows[k]), { file, row }, opts);
    }
  }
}
