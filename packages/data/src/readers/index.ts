/**
 * Input discovery and dispatch: a file or a folder (walked recursively, sorted by path so every run reads the same
 * order, dotfiles skipped) becomes one stream of records, read by the reader of each file's extension. An extension
 * with no reader is an error, not a silent skip. Resume relies on the order being stable.
 */
import { readdir, stat } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { z } from 'zod';
import { DataInputError } from '../errors.js';
import type { DataRecord } from '../record.js';
import { readJsonl } from './jsonl.js';
import { readParquet } from './parquet.js';
import { readText } from './text.js';

export const InputOptionsSchema = z
  .strictObject({
    textColumn: z.string().min(1).default('text').describe('Column of JSONL/Parquet rows holding the text to clean.'),
    textSplit: z
      .enum(['file', 'paragraph'])
      .default('file')
      .describe('Plain-text files (.txt, .md): one record per file, or one per blank-line-separated paragraph.'),
    parquetBatchRows: z.number().int().min(1).default(1024).describe('Parquet rows decoded per read (memory bound).'),
  })
  .describe('How input files are read.');
export type InputOptions = z.input<typeof InputOptionsSchema>;

export type InputFormat = 'jsonl' | 'text' | 'parquet';

/** The reader of a file name, or undefined. */
export function formatOf(file: string): InputFormat | undefined {
  const f = file.toLowerCase();
  if (f.endsWith('.jsonl') || f.endsWith('.ndjson')) return 'jsonl';
  if (f.endsWith('.parquet')) return 'parquet';
  if (f.endsWith('.txt') || f.endsWith('.md') || f.endsWith('.text')) return 'text';
  return undefined;
}

/** The input files under `path` (itself when a file), sorted; every one must have a reader. */
export async function listInputFiles(path: string): Promise<string[]> {
  const root = resolve(path);
  let info: Awaited<ReturnType<typeof stat>>;
  try {
    info = await stat(root);
  } catch (err) {
    throw new DataInputError({ file: root }, `cannot read input: ${(err as Error).message}`, { cause: err });
  }
  const files: string[] = [];
  const walk = async (dir: string) => {
    const entries = (await readdir(dir, { withFileTypes: true })).sort((a, b) =>
      a.name < b.name ? -1 : a.name > b.name ? 1 : 0,
    );
    for (const e of entries) {
      if (e.name.startsWith('.')) continue;
      const p = join(dir, e.name);
      if (e.isDirectory()) await walk(p);
      else files.push(p);
    }
  };
  if (info.isDirectory()) await walk(root);
  else files.push(root);
  for (const f of files) {
    if (!formatOf(f)) {
      throw new DataInputError(
        { file: f },
        'no reader for this file type (.jsonl, .ndjson, .parquet, .txt, .md, .text)',
      );
    }
  }
  return files;
}

/** Every record of `files`, in order. */
export async function* readRecords(files: readonly string[], options: InputOptions = {}): AsyncGenerator<DataRecord> {
  const o = InputOptionsSchema.parse(options);
  for (const file of files) {
    const format = formatOf(file);
    if (format === 'jsonl') yield* readJsonl(file, o);
    else if (format === 'parquet')
      yield* readParquet(file, { textColumn: o.textColumn, batchRows: o.parquetBatchRows });
    else if (format === 'text') yield* readText(file, o.textSplit);
    else throw new DataInputError({ file }, 'no reader for this file type');
  }
}
