// The readers: JSONL with line numbers, plain text per file or paragraph, Parquet with row numbers (files written
// here with hyparquet-writer), folder listing in a stable order; and the errors for bad input, each naming the
// file, line/row and column. Leaves out: compressed inputs (not supported).
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AhaError } from '@aha/errors';
import { parquetWriteFile } from 'hyparquet-writer';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { listInputFiles, readRecords } from './index.js';

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'aha-data-readers-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const collect = async (files: string[], opts = {}) => {
  const out = [];
  for await (const r of readRecords(files, opts)) out.push(r);
  return out;
};
const write = (name: string, text: string) => {
  const p = join(dir, name);
  writeFileSync(p, text);
  return p;
};

describe('JSONL', () => {
  it('yields records with line numbers, skipping blank lines, other columns in fields', async () => {
    const f = write('a.jsonl', '{"text":"one","user_id":"u1"}\n\n{"text":"two"}\n');
    const rs = await collect([f]);
    expect(rs.map((r) => [r.id, r.text, r.fields])).toEqual([
      [`${f}:1`, 'one', { user_id: 'u1' }],
      [`${f}:3`, 'two', {}],
    ]);
  });
  it.each([
    ['{"text":"ok"}\n{"text": "broken\n', /b\.jsonl, line 2: not valid JSON/],
    ['{"text":"ok"}\n[1,2]\n', /line 2: expected a JSON object, got an array/],
    ['{"body":"no text"}\n', /line 1, column 'text': text column missing \(columns: body/],
    ['{"text":42}\n', /line 1, column 'text': text must be a string, got number/],
  ])('bad input %#: %s', async (content, message) => {
    const f = write('b.jsonl', content);
    const err = await collect([f]).catch((e) => e);
    expect(AhaError.is(err, 'io')).toBe(true);
    expect(err.message).toMatch(message);
  });
  it('reads another text column', async () => {
    const f = write('c.jsonl', '{"content":"x","text":"not this"}\n');
    expect((await collect([f], { textColumn: 'content' }))[0]).toMatchObject({
      text: 'x',
      fields: { text: 'not this' },
    });
  });
});

describe('plain text', () => {
  it('one record per file, or per paragraph with its first line', async () => {
    const f = write('p.txt', 'Para one\nstill one\n\n\nPara two\n  \nPara three');
    expect((await collect([f])).map((r) => r.text)).toEqual(['Para one\nstill one\n\n\nPara two\n  \nPara three']);
    const rs = await collect([f], { textSplit: 'paragraph' });
    expect(rs.map((r) => [r.source.line, r.text])).toEqual([
      [1, 'Para one\nstill one'],
      [5, 'Para two'],
      [7, 'Para three'],
    ]);
  });
});

describe('Parquet', () => {
  it('reads rows in batches with row numbers; INT64 becomes numbers', async () => {
    const f = join(dir, 'd.parquet');
    parquetWriteFile({
      filename: f,
      columnData: [
        { name: 'text', data: ['alpha', 'beta', 'gamma'] },
        { name: 'n', data: [1n, 2n, 3n] },
      ],
    });
    const rs = await collect([f], { parquetBatchRows: 2 });
    expect(rs.map((r) => [r.id, r.text, r.fields.n])).toEqual([
      [`${f}#0`, 'alpha', 1],
      [`${f}#1`, 'beta', 2],
      [`${f}#2`, 'gamma', 3],
    ]);
  });
  it('a missing column, a null text and an unreadable file name file, row and column', async () => {
    const f = join(dir, 'e.parquet');
    parquetWriteFile({ filename: f, columnData: [{ name: 'body', data: ['x'] }] });
    await expect(collect([f])).rejects.toThrow(/e\.parquet, column 'text': text column missing \(columns: body/);
    const g = join(dir, 'g.parquet');
    parquetWriteFile({ filename: g, columnData: [{ name: 'text', data: ['x', null] }] });
    await expect(collect([g])).rejects.toThrow(/g\.parquet, row 1, column 'text': text is null/);
    const h = write('h.parquet', 'this is not parquet at all');
    await expect(collect([h])).rejects.toThrow(/h\.parquet: not a readable Parquet file/);
  });
});

describe('listInputFiles', () => {
  it('walks a folder in sorted order, skips dotfiles, refuses unknown types', async () => {
    const root = join(dir, 'tree');
    mkdirSync(join(root, 'b'), { recursive: true });
    writeFileSync(join(root, 'b', 'x.jsonl'), '');
    writeFileSync(join(root, 'a.txt'), '');
    writeFileSync(join(root, '.hidden'), '');
    expect((await listInputFiles(root)).map((f) => f.slice(root.length + 1))).toEqual(['a.txt', 'b/x.jsonl']);
    writeFileSync(join(root, 'z.csv'), '');
    await expect(listInputFiles(root)).rejects.toThrow(/z\.csv: no reader for this file type/);
    await expect(listInputFiles(join(dir, 'nope'))).rejects.toThrow(/cannot read input/);
  });
});
