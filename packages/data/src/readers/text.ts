/**
 * Plain-text reader: a whole file is one record (`split: 'file'`), or each blank-line-separated paragraph is one
 * (`split: 'paragraph'`, streamed line by line, the record id names the paragraph's first line). Text files have no
 * columns; the record's `fields` is empty. Leaves out: encodings other than UTF-8.
 */
import { createReadStream } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { createInterface } from 'node:readline';
import { DataInputError } from '../errors.js';
import type { DataRecord } from '../record.js';

export type TextSplit = 'file' | 'paragraph';

const record = (file: string, line: number, text: string): DataRecord => ({
  id: `${file}:${line}`,
  source: { file, line },
  text,
  fields: {},
  tags: [],
});

/** Yields one record per file or per paragraph. Empty files and blank paragraphs yield nothing. */
export async function* readText(file: string, split: TextSplit): AsyncGenerator<DataRecord> {
  if (split === 'file') {
    let text: string;
    try {
      text = await readFile(file, 'utf8');
    } catch (err) {
      throw new DataInputError({ file }, `cannot read: ${(err as Error).message}`, { cause: err });
    }
    if (text.trim()) yield record(file, 1, text);
    return;
  }
  const stream = createReadStream(file, { encoding: 'utf8' });
  const lines = createInterface({ input: stream, crlfDelay: Number.POSITIVE_INFINITY });
  let line = 0;
  let start = 0;
  let buf: string[] = [];
  try {
    for await (const text of lines) {
      line++;
      if (text.trim() === '') {
        if (buf.length) yield record(file, start, buf.join('\n'));
        buf = [];
        continue;
      }
      if (!buf.length) start = line;
      buf.push(text);
    }
    if (buf.length) yield record(file, start, buf.join('\n'));
  } catch (err) {
    throw new DataInputError({ file, line }, `cannot read: ${(err as Error).message}`, { cause: err });
  } finally {
    lines.close();
    stream.destroy();
  }
}
