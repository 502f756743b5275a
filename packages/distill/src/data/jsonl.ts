/**
 * JSONL in and out for distillation data: rows are read line by line with the line number in every error, and written
 * atomically (temp file + rename, via @aha/core) so a crash never leaves a half-written dataset.
 * Leaves out: Parquet and remote datasets (@aha/grpo reads Parquet; pass rows in memory from there).
 */
import { readFile } from 'node:fs/promises';
import { AhaError, writeFileAtomic } from '@aha/core';

/** Reads a JSONL file (one JSON object per line; blank lines skipped). */
export async function readJsonl<T = Record<string, unknown>>(path: string): Promise<T[]> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    throw new AhaError('io', `readJsonl: cannot read ${path}: ${(err as Error).message}`, { cause: err });
  }
  const rows: T[] = [];
  text.split('\n').forEach((line, i) => {
    if (line.trim() === '') return;
    let value: unknown;
    try {
      value = JSON.parse(line);
    } catch (err) {
      throw new AhaError('io', `readJsonl: ${path}:${i + 1} is not valid JSON: ${(err as Error).message}`);
    }
    if (typeof value !== 'object' || value === null || Array.isArray(value))
      throw new AhaError('io', `readJsonl: ${path}:${i + 1} must be a JSON object, got ${JSON.stringify(value)}`);
    rows.push(value as T);
  });
  return rows;
}

/** Writes rows as JSONL (one object per line), atomically. */
export async function writeJsonl(path: string, rows: readonly unknown[]): Promise<void> {
  const text = rows.map((r) => `${JSON.stringify(r)}\n`).join('');
  await writeFileAtomic(path, async (fh) => {
    await fh.writeFile(text, 'utf8');
  });
}
