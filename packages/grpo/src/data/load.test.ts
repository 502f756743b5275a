import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AhaError } from '@aha/core';
import { parquetWriteFile } from 'hyparquet-writer';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadDataset, loadJsonl, normaliseRows } from './load.js';

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'aha-grpo-data-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('loadJsonl', () => {
  it('reads standard and conversational prompts, keeps extra columns, skips blank lines', async () => {
    const p = join(dir, 'a.jsonl');
    await writeFile(
      p,
      [
        JSON.stringify({ prompt: 'What is 2+2?', solution: '4', level: 1 }),
        '',
        JSON.stringify({ prompt: [{ role: 'user', content: 'Hi' }], solution: 7, tests: ['a', 'b'] }),
        '   ',
      ].join('\n'),
    );
    const rows = await loadDataset(p);
    expect(rows).toEqual([
      { prompt: 'What is 2+2?', solution: '4', level: 1 },
      { prompt: [{ role: 'user', content: 'Hi' }], solution: '7', tests: ['a', 'b'] }, // number solution → string
    ]);
  });

  it('maps other column names onto prompt / solution', async () => {
    const p = join(dir, 'b.jsonl');
    await writeFile(p, `${JSON.stringify({ problem: 'Q', answer: 'A', id: 3 })}\n`);
    const rows = await loadJsonl(p, { columns: { prompt: 'problem', solution: 'answer' } });
    expect(rows).toEqual([{ prompt: 'Q', solution: 'A', id: 3 }]);
  });

  it('limit keeps the first rows', async () => {
    const p = join(dir, 'c.jsonl');
    await writeFile(p, ['a', 'b', 'c'].map((x) => JSON.stringify({ prompt: x })).join('\n'));
    expect((await loadJsonl(p, { limit: 2 })).map((r) => r.prompt)).toEqual(['a', 'b']);
  });

  it('names file and line for invalid JSON and bad prompts', async () => {
    const p = join(dir, 'bad.jsonl');
    await writeFile(p, `${JSON.stringify({ prompt: 'ok' })}\n\n{"prompt": oops}\n`);
    await expect(loadJsonl(p)).rejects.toThrow(/bad\.jsonl: line 3: invalid JSON/);
    const q = join(dir, 'bad2.jsonl');
    await writeFile(q, `${JSON.stringify({ prompt: 'ok' })}\n\n${JSON.stringify({ prompt: [] })}\n`);
    await expect(loadJsonl(q)).rejects.toThrow(
      /bad2\.jsonl: line 3, column 'prompt': must be a string or a non-empty list/,
    );
    const r = join(dir, 'bad3.jsonl');
    await writeFile(r, `${JSON.stringify({ question: 'x' })}\n`);
    await expect(loadJsonl(r)).rejects.toThrow(/column 'prompt': no such column \(columns: question\)/);
  });

  it('a missing file is an io error; an unknown extension a value error', async () => {
    const err = await loadJsonl(join(dir, 'nope.jsonl')).catch((e) => e);
    expect(AhaError.is(err, 'io')).toBe(true);
    await expect(loadDataset(join(dir, 'x.csv'))).rejects.toThrow(/unknown extension '.csv'/);
  });
});

describe('loadParquet', () => {
  it('reads an HF-style file: chat-message list<struct> prompts, INT64 columns as numbers', async () => {
    const p = join(dir, 'train.parquet');
    parquetWriteFile({
      filename: p,
      columnData: [
        {
          name: 'prompt',
          data: [
            [{ role: 'user', content: 'Use 3, 5, 7 to make 22' }],
            [
              { role: 'system', content: 'Be brief.' },
              { role: 'user', content: '12+30?' },
            ],
          ],
        },
        { name: 'target', data: [22n, 42n] },
        { name: 'solution', data: ['3*5+7', '42'] },
      ],
      schema: [
        { name: 'root', num_children: 3 },
        { name: 'prompt', repetition_type: 'OPTIONAL', converted_type: 'LIST', num_children: 1 },
        { name: 'list', repetition_type: 'REPEATED', num_children: 1 },
        { name: 'element', repetition_type: 'OPTIONAL', num_children: 2 },
        { name: 'content', type: 'BYTE_ARRAY', converted_type: 'UTF8', repetition_type: 'OPTIONAL' },
        { name: 'role', type: 'BYTE_ARRAY', converted_type: 'UTF8', repetition_type: 'OPTIONAL' },
        { name: 'target', type: 'INT64', repetition_type: 'OPTIONAL' },
        { name: 'solution', type: 'BYTE_ARRAY', converted_type: 'UTF8', repetition_type: 'OPTIONAL' },
      ],
    });
    const rows = await loadDataset(p);
    expect(rows).toEqual([
      { prompt: [{ role: 'user', content: 'Use 3, 5, 7 to make 22' }], target: 22, solution: '3*5+7' },
      {
        prompt: [
          { role: 'system', content: 'Be brief.' },
          { role: 'user', content: '12+30?' },
        ],
        target: 42,
        solution: '42',
      },
    ]);
    expect(JSON.parse(JSON.stringify(rows))).toEqual(rows); // serialisable (no bigint left)
  });

  it('a file that is not parquet is an io error naming the path', async () => {
    const p = join(dir, 'fake.parquet');
    await writeFile(p, 'not a parquet file at all');
    const err = await loadDataset(p).catch((e) => e);
    expect(AhaError.is(err, 'io')).toBe(true);
    expect(err.message).toMatch(/fake\.parquet/);
  });
});

describe('normaliseRows', () => {
  it('rejects non-object records and non-string solutions', () => {
    expect(() => normaliseRows([42], 'mem')).toThrow(/mem: row 0: expected an object, got number 42/);
    expect(() => normaliseRows([{ prompt: 'x', solution: { a: 1 } }], 'mem')).toThrow(
      /column 'solution': must be a string/,
    );
  });
  it('drops a null solution instead of keeping "null"', () => {
    expect(normaliseRows([{ prompt: 'x', solution: null }], 'mem')).toEqual([{ prompt: 'x' }]);
  });
});
