import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createByteLevelTokenizer } from '@aha/core';
import { afterAll, describe, expect, it } from 'vitest';
import {
  encodeSample,
  LabeledSampleSchema,
  labelValue,
  PreferencePairSchema,
  padBatch,
  padIdOf,
  readJsonl,
} from './data.js';

const tok = createByteLevelTokenizer();
const EOS = tok.eosTokenId!;

describe('encodeSample', () => {
  it('plain text: encode(prompt + completion) followed by EOS', () => {
    expect(encodeSample(tok, 'Q: ', 'yes')).toEqual([...tok.encode('Q: yes'), EOS]);
    expect(encodeSample(tok, undefined, 'yes', { appendEos: false })).toEqual(tok.encode('yes'));
  });

  it('messages (or a string prompt with message completion) go through the chat template', () => {
    const prompt = [{ role: 'user', content: 'hi' }];
    const completion = [{ role: 'assistant', content: 'hello' }];
    expect(encodeSample(tok, prompt, completion)).toEqual(tok.encodeChat([...prompt, ...completion]));
    expect(encodeSample(tok, 'hi', completion)).toEqual(tok.encodeChat([...prompt, ...completion]));
  });

  it('maxLength keeps the end (the scored last token) and rejects nonsense', () => {
    const full = encodeSample(tok, 'a long prompt ', 'end');
    expect(encodeSample(tok, 'a long prompt ', 'end', { maxLength: 4 })).toEqual(full.slice(-4));
    expect(() => encodeSample(tok, 'a', 'b', { maxLength: 0 })).toThrow(/maxLength must be > 0/);
  });
});

describe('padBatch', () => {
  it('left-pads to the longest row with a 0/1 mask', () => {
    expect(padBatch([[1, 2, 3], [4]], 9)).toEqual({
      tokens: [
        [1, 2, 3],
        [9, 9, 4],
      ],
      attentionMask: [
        [1, 1, 1],
        [0, 0, 1],
      ],
    });
    expect(padIdOf(tok)).toBe(tok.padTokenId);
  });
});

describe('rows and JSONL', () => {
  const dirs: string[] = [];
  afterAll(async () => {
    for (const d of dirs) await rm(d, { recursive: true, force: true });
  });

  it('labels: numbers, safe/unsafe and booleans map to 1 = safe', () => {
    const cases: [unknown, number][] = [
      ['safe', 1],
      ['unsafe', 0],
      [true, 1],
      [false, 0],
      [0.25, 0.25],
    ];
    for (const [label, want] of cases)
      expect(labelValue(LabeledSampleSchema.parse({ response: 'r', label }).label)).toBe(want);
    expect(LabeledSampleSchema.safeParse({ response: 'r', label: 2 }).success).toBe(false);
    expect(LabeledSampleSchema.safeParse({ response: 'r', label: 'maybe' }).success).toBe(false);
  });

  it('reads preference pairs, skipping blank lines, and names the bad line', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'aha-rm-data-'));
    dirs.push(dir);
    const good = join(dir, 'good.jsonl');
    await writeFile(
      good,
      `${JSON.stringify({ prompt: 'p', chosen: 'a', rejected: 'b' })}\n\n${JSON.stringify({
        chosen: [{ role: 'user', content: 'x' }],
        rejected: [{ role: 'user', content: 'y' }],
        margin: 2,
      })}\n`,
    );
    const rows = await readJsonl(good, PreferencePairSchema);
    expect(rows).toHaveLength(2);
    expect(rows[1].margin).toBe(2);
    const bad = join(dir, 'bad.jsonl');
    await writeFile(
      bad,
      `${JSON.stringify({ prompt: 'p', chosen: 'a', rejected: 'b' })}\n{"prompt": "p", "chosen": "a"}\n`,
    );
    await expect(readJsonl(bad, PreferencePairSchema)).rejects.toThrow(/bad\.jsonl:2: rejected/);
    await writeFile(bad, 'not json\n');
    await expect(readJsonl(bad, PreferencePairSchema)).rejects.toThrow(/bad\.jsonl:1 is not JSON/);
    await expect(readJsonl(join(dir, 'missing.jsonl'), PreferencePairSchema)).rejects.toThrow(/cannot read/);
  });
});
