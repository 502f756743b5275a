// Gold-answer extraction (GSM8K `####`, MATH `\boxed{}`) and the typed record errors of loadDataset with goldFormat,
// on JSONL and Parquet files written here. Leaves out: the accuracy reward's comparison of answers (rewards' tests).
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parquetWriteFile } from 'hyparquet-writer';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DatasetRecordError, extractGold, type GoldFormat } from './gold.js';
import { loadDataset, loadRecords } from './load.js';

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'aha-grpo-gold-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('extractGold', () => {
  it.each<[GoldFormat, string, string | undefined]>([
    ['gsm8k', 'Natalia sold 48/2 = <<48/2=24>>24 clips.\n#### 72', '72'],
    ['gsm8k', 'so it costs\n#### 1,234,567', '1234567'],
    ['gsm8k', 'a #### 1 then\n#### -3.5 ', '-3.5'],
    ['gsm8k', 'no marker 42', undefined],
    ['gsm8k', 'empty ####   ', undefined],
    ['math', 'So $x = \\boxed{5}$.', '5'],
    ['math', 'first \\boxed{1} then \\boxed{\\frac{1}{2}}', '\\frac{1}{2}'],
    ['math', '\\boxed {x^{2}+1}', 'x^{2}+1'],
    ['math', 'open \\boxed{1', undefined],
    ['math', 'none here', undefined],
    ['raw', '  as is ', '  as is '],
  ])('%s %j → %j', (format, text, want) => {
    expect(extractGold(text, format)).toBe(want);
  });
});

const gsmRows = [
  { question: 'What is 40 + 32?', answer: '40 + 32 = 72\n#### 72' },
  { question: 'What is 1000 * 2?', answer: '#### 2,000' },
];

describe('loadDataset with columns and goldFormat', () => {
  it.each(['jsonl', 'parquet'])('reads a GSM8K-format %s file', async (ext) => {
    const file = join(dir, `gsm.${ext}`);
    if (ext === 'jsonl') await writeFile(file, gsmRows.map((r) => JSON.stringify(r)).join('\n'));
    else
      parquetWriteFile({
        filename: file,
        columnData: [
          { name: 'question', data: gsmRows.map((r) => r.question), type: 'STRING' },
          { name: 'answer', data: gsmRows.map((r) => r.answer), type: 'STRING' },
        ],
      });
    const rows = await loadDataset(file, { columns: { prompt: 'question', solution: 'answer' }, goldFormat: 'gsm8k' });
    expect(rows).toEqual([
      { prompt: 'What is 40 + 32?', solution: '72' },
      { prompt: 'What is 1000 * 2?', solution: '2000' },
    ]);
  });

  it('reads MATH solutions', async () => {
    const file = join(dir, 'math.jsonl');
    await writeFile(file, JSON.stringify({ problem: 'p', solution: 'thus \\boxed{\\sqrt{2}}.' }));
    const rows = await loadDataset(file, { columns: { prompt: 'problem' }, goldFormat: 'math' });
    expect(rows).toEqual([{ prompt: 'p', solution: '\\sqrt{2}' }]);
  });

  it.each<[string, string, GoldFormat | undefined, string, { where: string; column?: string }]>([
    [
      'no marker',
      '{"prompt":"q","solution":"42"}',
      'gsm8k',
      "goldFormat 'gsm8k': no a final '#### <answer>'",
      {
        where: 'line 2',
        column: 'solution',
      },
    ],
    [
      'no boxed',
      '{"prompt":"q","solution":"42"}',
      'math',
      "goldFormat 'math'",
      { where: 'line 2', column: 'solution' },
    ],
    ['bad json', '{"prompt":', 'raw', 'invalid JSON', { where: 'line 2' }],
    [
      'bad prompt',
      '{"prompt":3}',
      'raw',
      'must be a string or a non-empty list',
      { where: 'line 2', column: 'prompt' },
    ],
    ['no prompt', '{"q":"x"}', 'raw', 'no such column (columns: q)', { where: 'line 2', column: 'prompt' }],
  ])('%s: DatasetRecordError names file, line and column', async (name, line, goldFormat, msg, at) => {
    const file = join(dir, `bad-${name.replace(/ /g, '-')}.jsonl`);
    await writeFile(file, `${JSON.stringify({ prompt: 'ok', solution: '#### 1 \\boxed{1}' })}\n${line}\n`);
    const err = await loadDataset(file, { goldFormat }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(DatasetRecordError);
    const e = err as DatasetRecordError;
    expect([e.file, e.where, e.column]).toEqual([file, at.where, at.column]);
    expect(e.message).toContain(msg);
    expect(e.code).toBe('value');
  });

  it('names the Parquet row of a bad record', async () => {
    const file = join(dir, 'bad.parquet');
    parquetWriteFile({
      filename: file,
      columnData: [
        { name: 'prompt', data: ['a', 'b'], type: 'STRING' },
        { name: 'solution', data: ['#### 1', 'none'], type: 'STRING' },
      ],
    });
    await expect(loadDataset(file, { goldFormat: 'gsm8k' })).rejects.toThrow(/bad\.parquet: row 1, column 'solution'/);
  });
});

describe('loadRecords', () => {
  it('returns unchecked records with their places', async () => {
    const file = join(dir, 'sft.jsonl');
    await writeFile(file, `\n${JSON.stringify({ messages: [{ role: 'user', content: 'hi' }] })}\n`);
    const { records, where } = await loadRecords(file);
    expect(records).toEqual([{ messages: [{ role: 'user', content: 'hi' }] }]);
    expect(where(0)).toBe('line 2');
    await expect(loadRecords(join(dir, 'x.csv'))).rejects.toThrow(/unknown extension '.csv'/);
  });
});
