/**
 * Dataset loading for GRPO: JSONL and Parquet files with Hugging Face-style columns (`prompt` as text or chat
 * messages, `solution`, any extra columns kept for rewards). Follows TRL's dataset formats ("standard" vs
 * "conversational" prompts). Parquet is read with hyparquet (pure JS, no native build, Node 20 compatible), loaded
 * lazily so JSONL users never import it; it decodes SNAPPY/uncompressed files (what `datasets`/pyarrow write by
 * default) itself — for GZIP/ZSTD/BROTLI/LZ4 pass `compressors` from `hyparquet-compressors`.
 *
 * Left out: streaming very large files (rows are loaded into memory — GRPO prompt sets are small), the HF Hub
 * (nothing downloads at run time), CSV.
 */
import { readFile } from 'node:fs/promises';
import { extname } from 'node:path';
import { AhaError, ValueError } from '@aha/core';
import { DatasetRecordError, extractGold, type GoldFormat } from './gold.js';
import { type DatasetRow, PromptSchema } from './types.js';

/** A decompressor per parquet codec, as `hyparquet-compressors` exports them. */
export type ParquetCompressors = Partial<
  Record<
    'GZIP' | 'BROTLI' | 'ZSTD' | 'LZ4' | 'LZ4_RAW' | 'LZO',
    (input: Uint8Array, outputLength: number) => Uint8Array
  >
>;

/** Options for {@link loadDataset}, {@link loadJsonl} and {@link loadParquet}. */
export interface LoadDatasetOptions {
  /** Source column names to read as `prompt` / `solution` (e.g. `{ prompt: 'problem', solution: 'answer' }`). */
  columns?: { prompt?: string; solution?: string };
  /**
   * How the gold answer is read from the solution column: 'raw' (as written, the default), 'gsm8k' (after the last
   * `####`) or 'math' (the last `\boxed{}`). A row whose solution lacks the marker is a {@link DatasetRecordError}.
   */
  goldFormat?: GoldFormat;
  /** Keep only the first `limit` rows. */
  limit?: number;
  /** Parquet decompressors for codecs beyond SNAPPY. */
  compressors?: ParquetCompressors;
}

/** Load a `.jsonl` / `.ndjson` or `.parquet` file, by extension. */
export async function loadDataset(path: string, opts: LoadDatasetOptions = {}): Promise<DatasetRow[]> {
  const ext = extname(path).toLowerCase();
  if (ext === '.jsonl' || ext === '.ndjson') return loadJsonl(path, opts);
  if (ext === '.parquet') return loadParquet(path, opts);
  throw new ValueError(`loadDataset: ${path}: unknown extension '${ext}'; expected .jsonl, .ndjson or .parquet`);
}

/** Records of a file as read (not checked), and where record k sits ("line 3" for JSONL, "row 2" for Parquet). */
export interface RawRecords {
  records: unknown[];
  where: (k: number) => string;
}

/**
 * Read a `.jsonl` / `.ndjson` or `.parquet` file's records without checking them (INT64 `bigint`s become numbers
 * where exact), for loaders with their own row layout (SFT's `{ prompt, completion }` / `{ messages }`).
 */
export async function loadRecords(path: string, opts: Omit<LoadDatasetOptions, 'columns'> = {}): Promise<RawRecords> {
  const ext = extname(path).toLowerCase();
  const raw =
    ext === '.jsonl' || ext === '.ndjson'
      ? await readJsonlRaw(path, opts)
      : ext === '.parquet'
        ? await readParquetRaw(path, opts)
        : undefined;
  if (!raw)
    throw new ValueError(`loadRecords: ${path}: unknown extension '${ext}'; expected .jsonl, .ndjson or .parquet`);
  return { records: raw.records.map(fromBigInt), where: raw.where };
}

/** Load a JSON-lines file: one JSON object per line, blank lines skipped. */
export async function loadJsonl(path: string, opts: LoadDatasetOptions = {}): Promise<DatasetRow[]> {
  const { records, where } = await readJsonlRaw(path, opts);
  return normaliseRows(records, path, opts, where);
}

async function readJsonlRaw(path: string, opts: LoadDatasetOptions): Promise<RawRecords> {
  const text = await readText(path, 'loadJsonl');
  const raw: unknown[] = [];
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i].trim();
    if (line === '') continue;
    try {
      raw.push(JSON.parse(line));
    } catch (err) {
      throw new DatasetRecordError(path, `line ${i + 1}`, undefined, `invalid JSON (${(err as Error).message})`);
    }
    if (opts.limit !== undefined && raw.length >= opts.limit) break;
  }
  return { records: raw, where: (k) => `line ${lineOf(lines, k)}` };
}

/** Load a Parquet file (all row groups) into rows. */
export async function loadParquet(path: string, opts: LoadDatasetOptions = {}): Promise<DatasetRow[]> {
  const { records, where } = await readParquetRaw(path, opts);
  return normaliseRows(records, path, opts, where);
}

async function readParquetRaw(path: string, opts: LoadDatasetOptions): Promise<RawRecords> {
  const { asyncBufferFromFile, parquetReadObjects } = await import('hyparquet');
  let rows: Record<string, unknown>[];
  try {
    const file = await asyncBufferFromFile(path);
    rows = await parquetReadObjects({
      file,
      compressors: opts.compressors,
      rowEnd: opts.limit,
    });
  } catch (err) {
    const msg = (err as Error).message ?? String(err);
    const hint = /compression codec/.test(msg)
      ? " — pass { compressors } from the 'hyparquet-compressors' package for this codec"
      : '';
    throw new AhaError('io', `loadParquet: ${path}: ${msg}${hint}`, { cause: err });
  }
  return { records: rows, where: (k) => `row ${k}` };
}

/**
 * Check and normalise raw records into {@link DatasetRow}s: rename `columns`, validate `prompt`, coerce a numeric
 * `solution` to a string (HF datasets often store e.g. Countdown targets as integers), and turn parquet INT64
 * `bigint`s into numbers where exact, so rows stay JSON-serialisable.
 */
export function normaliseRows(
  raw: readonly unknown[],
  source: string,
  opts: LoadDatasetOptions = {},
  where: (k: number) => string = (k) => `row ${k}`,
): DatasetRow[] {
  const promptCol = opts.columns?.prompt ?? 'prompt';
  const solutionCol = opts.columns?.solution ?? 'solution';
  const out: DatasetRow[] = [];
  const n = opts.limit === undefined ? raw.length : Math.min(opts.limit, raw.length);
  for (let k = 0; k < n; k++) {
    const rec = raw[k];
    if (typeof rec !== 'object' || rec === null || Array.isArray(rec)) {
      throw new DatasetRecordError(source, where(k), undefined, `expected an object, got ${describe(rec)}`);
    }
    const row: Record<string, unknown> = {};
    for (const [key, value] of Object.entries(rec)) row[key] = fromBigInt(value);
    if (!(promptCol in row)) {
      const cols = Object.keys(row).join(', ');
      throw new DatasetRecordError(source, where(k), promptCol, `no such column (columns: ${cols})`);
    }
    const prompt = PromptSchema.safeParse(row[promptCol]);
    if (!prompt.success) {
      throw new DatasetRecordError(
        source,
        where(k),
        promptCol,
        `must be a string or a non-empty list of {role, content} messages, got ${describe(row[promptCol])}`,
      );
    }
    if (promptCol !== 'prompt') delete row[promptCol];
    row.prompt = prompt.data;
    const sol = row[solutionCol];
    if (solutionCol !== 'solution') delete row[solutionCol];
    if (sol === undefined || sol === null) {
      delete row.solution;
    } else if (typeof sol === 'string' || typeof sol === 'number') {
      const format = opts.goldFormat ?? 'raw';
      const gold = extractGold(String(sol), format);
      if (gold === undefined) {
        const marker = format === 'gsm8k' ? "a final '#### <answer>'" : "a '\\boxed{}' answer";
        throw new DatasetRecordError(
          source,
          where(k),
          solutionCol,
          `goldFormat '${format}': no ${marker} in ${describe(sol)}`,
        );
      }
      row.solution = gold;
    } else {
      throw new DatasetRecordError(source, where(k), solutionCol, `must be a string or number, got ${describe(sol)}`);
    }
    out.push(row as DatasetRow);
  }
  return out;
}

async function readText(path: string, fn: string): Promise<string> {
  try {
    return await readFile(path, 'utf8');
  } catch (err) {
    throw new AhaError('io', `${fn}: cannot read ${path}: ${(err as Error).message}`, { cause: err });
  }
}

function fromBigInt(v: unknown): unknown {
  if (typeof v === 'bigint') {
    return v >= BigInt(Number.MIN_SAFE_INTEGER) && v <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(v) : v.toString();
  }
  if (Array.isArray(v)) return v.map(fromBigInt);
  if (v !== null && typeof v === 'object' && !(v instanceof Date) && !ArrayBuffer.isView(v)) {
    const o: Record<string, unknown> = {};
    for (const [k, x] of Object.entries(v)) o[k] = fromBigInt(x);
    return o;
  }
  return v;
}

/** 1-based line number of the k-th non-blank line. */
function lineOf(lines: string[], k: number): number {
  let seen = -1;
  for (let i = 0; i < lines.length; i++) {
    if (lines[i].trim() !== '' && ++seen === k) return i + 1;
  }
  return lines.length;
}

function describe(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return `an array of ${v.length}`;
  const s = typeof v === 'object' ? JSON.stringify(v) : String(v);
  return `${typeof v} ${s.length > 60 ? `${s.slice(0, 60)}…` : s}`;
}
