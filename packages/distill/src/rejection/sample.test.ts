import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createByteLevelTokenizer, createModel, ValueError } from '@aha/core';
import { accuracyReward, defineReward, formatReward } from '@aha/rewards';
import { afterEach, describe, expect, it } from 'vitest';
import { TINY_TEACHER } from '../__fixtures__/tiny.js';
import { readJsonl } from '../data/jsonl.js';
import { tokenizeSftDataset } from '../data/sft-data.js';
import { ReadabilityOptionsSchema, readabilityReject } from './filters.js';
import { type GenerateFn, type PromptRow, rejectionSample } from './sample.js';

const dirs: string[] = [];
afterEach(async () => {
  for (const d of dirs.splice(0)) await rm(d, { recursive: true, force: true });
});

// Exact-match accuracy so the test does not depend on the math verifier's worker pool.
const exact = async (gold: string, text: string) => ({
  verdict: text.trim() === gold.trim() ? ('equal' as const) : ('not_equal' as const),
});
const rewards = [
  { reward: accuracyReward({ verify: exact }), weight: 1 },
  { reward: formatReward(), weight: 1 },
];
const ok = (a: string) => `<think>adding the digits</think><answer>${a}</answer>`;

// A deterministic stand-in for a model: each prompt's completions come from a table.
const table: Record<string, string[]> = {
  '2+3=': [
    ok('6'), // wrong: 1 (format only)
    ok('5'), // correct: 2
    `  ${ok('5')}\n`, // duplicate after whitespace folding
    '5', // correct answer, no format: 1
  ],
  '1+1=': [
    '<think>二加二 is four, 所以 两个 一</think><answer>2</answer>', // mixed language
    `<think>${'x'.repeat(120)}</think><answer>2</answer>`, // long paragraph
    '<think>```py\nprint(1+1)\n```</think><answer>2</answer>', // code block
    ok('2'),
  ],
  '4+4=': [ok('7'), ok('9'), 'eight', ok('1')], // nothing correct
};
const standIn: GenerateFn = async (prompts, { n }) => prompts.map((p) => table[p.prompt as string].slice(0, n));
const prompts: PromptRow[] = [
  { prompt: '2+3=', solution: '5', id: 'a' },
  { prompt: '1+1=', solution: '2', id: 'b' },
  { prompt: '4+4=', solution: '8', id: 'c' },
];

describe('rejectionSample', () => {
  it('keeps correct, well-formed, readable, distinct samples and counts every rejection by reason', async () => {
    const { samples, stats } = await rejectionSample({
      generate: standIn,
      prompts,
      n: 4,
      batchSize: 2,
      rewards,
      keep: {
        minReward: 2,
        maxPerPrompt: 2,
        dedupe: true,
        requireFormat: true,
        language: { language: 'en', minShare: 0.9 },
        maxParagraphChars: 80,
        noCodeBlocks: true,
      },
    });
    expect(samples.map((s) => [s.id, s.completion, s.reward])).toEqual([
      ['a', ok('5'), 2],
      ['b', ok('2'), 2],
    ]);
    expect(samples[0].details).toEqual({ accuracy: 1, format: 1 });
    expect(samples[0].solution).toBe('5');
    expect(stats).toEqual({
      prompts: 3,
      generated: 12,
      kept: 2,
      promptsKept: 2,
      rejected: { below_min_reward: 6, duplicate: 1, mixed_language: 1, long_paragraph: 1, code_block: 1 },
      meanKeptReward: 2,
      filter: { mode: 'off', checked: 0, blocked: 0, dropped: 0, flagged: 0 },
    });
  });

  it('caps per prompt by reward (ties in generation order) and can keep duplicates', async () => {
    const { samples, stats } = await rejectionSample({
      generate: standIn,
      prompts: prompts.slice(0, 1),
      n: 4,
      rewards,
      keep: { minReward: 1, maxPerPrompt: 2, dedupe: false },
    });
    expect(samples.map((s) => s.completion)).toEqual([ok('5'), `  ${ok('5')}\n`]);
    expect(stats.rejected).toEqual({ over_max_per_prompt: 2 });
  });

  it('drops samples whose reward failed or does not apply, without stopping the run', async () => {
    const flaky = defineReward({
      name: 'flaky',
      async score(samples) {
        return samples.map((s) => {
          if (s.completion === ok('6')) throw new Error('boom');
          return s.completion === '5' ? null : 1;
        });
      },
    });
    const { samples, stats } = await rejectionSample({
      generate: standIn,
      prompts: prompts.slice(0, 1),
      n: 4,
      rewards: [{ reward: flaky }],
      keep: { minReward: 1, maxPerPrompt: null },
    });
    expect(samples).toHaveLength(1);
    expect(stats.rejected).toEqual({ reward_failed: 1, no_reward: 1, duplicate: 1 });
  });

  it('samples a tiny model, deterministically, and writes JSONL that SFT tokenizes as is', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'aha-rs-'));
    dirs.push(dir);
    const tokenizer = createByteLevelTokenizer();
    const model = createModel(TINY_TEACHER, { seed: 4 });
    const run = (output?: string) =>
      rejectionSample({
        model,
        tokenizer,
        prompts: [
          { prompt: '2+3=', solution: '5' },
          { prompt: [{ role: 'user', content: '1+1?' }], solution: '2' },
        ],
        n: 3,
        maxNewTokens: 6,
        temperature: 1,
        seed: 9,
        rewards: [{ reward: defineReward({ name: 'any', score: async (s) => s.map(() => 1) }) }],
        keep: { minReward: 1, maxPerPrompt: null, dedupe: true },
        output,
      });
    const a = await run(join(dir, 'kept.jsonl'));
    const b = await run();
    expect(a.samples).toEqual(b.samples);
    expect(a.stats.generated).toBe(6);
    expect(a.stats.kept + (a.stats.rejected.duplicate ?? 0)).toBe(6);
    expect(a.samples.some((s) => Array.isArray(s.completion))).toBe(true); // chat prompt → assistant message
    const rows = await readJsonl(join(dir, 'kept.jsonl'));
    expect(rows).toEqual(JSON.parse(JSON.stringify(a.samples)));
    const opts = { completionOnlyLoss: true, maxLength: 64, appendEos: true, ignoreIndex: -100 };
    expect(tokenizeSftDataset(rows, tokenizer, opts).examples.length).toBeGreaterThan(0);
  });

  describe('a sample filter (the hook risk control plugs into)', () => {
    // Blocks the planted "4" answer of 2+3 (correct and well-formed: only the filter can stop it).
    const planted: Record<string, string[]> = {
      '2+3=': [ok('5'), `<think>bad words</think><answer>5</answer>`],
      '1+1=': [ok('2'), '<think>also bad</think><answer>2</answer>'],
    };
    const generate: GenerateFn = async (p, { n }) => p.map((x) => planted[x.prompt as string].slice(0, n));
    const asked: string[][] = [];
    const filter = async (samples: readonly { completion: string }[]) => {
      asked.push(samples.map((s) => s.completion));
      return samples.map((s) => (s.completion.includes('bad') ? 'keyword: bad' : null));
    };
    const run = (filterMode?: 'drop' | 'flag' | 'off') =>
      rejectionSample({
        generate,
        prompts: prompts.slice(0, 2),
        n: 2,
        rewards,
        keep: { minReward: 2, maxPerPrompt: null },
        filter,
        filterMode,
      });

    it.each([
      // [mode, kept completions (flag reason), filter stats]
      ['drop', [[ok('5')], [ok('2')]], { mode: 'drop', checked: 4, blocked: 2, dropped: 2, flagged: 0 }],
      [
        'flag',
        [
          [ok('5')],
          ['<think>bad words</think><answer>5</answer>', 'keyword: bad'],
          [ok('2')],
          ['<think>also bad</think><answer>2</answer>', 'keyword: bad'],
        ],
        { mode: 'flag', checked: 4, blocked: 2, dropped: 0, flagged: 2 },
      ],
      [
        'off',
        [
          [ok('5')],
          ['<think>bad words</think><answer>5</answer>'],
          [ok('2')],
          ['<think>also bad</think><answer>2</answer>'],
        ],
        { mode: 'off', checked: 0, blocked: 0, dropped: 0, flagged: 0 },
      ],
    ] as const)('filterMode %s', async (mode, kept, filterStats) => {
      asked.length = 0;
      const { samples, stats } = await run(mode);
      expect(samples.map((s) => (s.flagged ? [s.completion, s.flagged] : [s.completion]))).toEqual(kept);
      expect(stats.filter).toEqual(filterStats);
      expect(stats.rejected.filtered).toBe(mode === 'drop' ? 2 : undefined);
      expect(asked).toHaveLength(mode === 'off' ? 0 : 1); // one call per batch of prompts
    });

    it('drops by default; a blocked best sample gives way to the next under the cap', async () => {
      const { samples, stats } = await rejectionSample({
        generate: async (p) => p.map(() => ['<think>bad</think><answer>5</answer>', ok('5')]),
        prompts: prompts.slice(0, 1),
        n: 2,
        rewards,
        keep: { minReward: 2, maxPerPrompt: 1 },
        filter,
      });
      expect(samples.map((s) => s.completion)).toEqual([ok('5')]);
      expect(stats.rejected).toEqual({ filtered: 1 });
    });

    it('a filter answering for the wrong number of samples is an error', async () => {
      await expect(
        rejectionSample({ generate, prompts: prompts.slice(0, 1), n: 2, rewards, filter: async () => [null] }),
      ).rejects.toThrow(/filter returned 1 verdicts for 2 samples/);
      await expect(
        rejectionSample({ generate, prompts, rewards, filter, filterMode: 'maybe' as never }),
      ).rejects.toThrow(/filterMode must be 'drop', 'flag' or 'off', got "maybe"/);
    });
  });

  it('names bad arguments', async () => {
    await expect(rejectionSample({ prompts, rewards })).rejects.toThrow(/pass `generate`, or `model`/);
    await expect(rejectionSample({ generate: standIn, prompts, rewards, n: 0 })).rejects.toThrow(ValueError);
    await expect(
      rejectionSample({ generate: async () => [['x']], prompts: prompts.slice(0, 1), rewards, n: 2 }),
    ).rejects.toThrow(/returned 1 completions for 1 prompts, expected 2 each/);
  });
});

describe('readability filters', () => {
  const o = (x: object) => ReadabilityOptionsSchema.parse(x);
  // [reason, text, options, expected]
  const cases: [string, string, object, string | null][] = [
    ['all off keeps anything', '```x```', {}, null],
    ['format: text after </answer>', `${ok('1')} extra`, { requireFormat: true }, 'format'],
    [
      'format: boxed mode accepted via options',
      '<think>a</think> so \\boxed{1}',
      { requireFormat: { mode: 'boxed' } },
      null,
    ],
    [
      'zh CoT with English words mixed in',
      '<think>我们 计算 the sum 然后 check</think>',
      { language: { language: 'zh', minShare: 0.9 } },
      'mixed_language',
    ],
    [
      'math and code do not count as other-language words',
      '<think>我们 计算 $x+y$ 结果</think>',
      { language: { language: 'zh' } },
      null,
    ],
    ['a paragraph just at the limit passes', `a\n\n${'b'.repeat(10)}`, { maxParagraphChars: 10 }, null],
    ['one paragraph over the limit', `a\n\n${'b'.repeat(11)}`, { maxParagraphChars: 10 }, 'long_paragraph'],
    ['a fenced block', 'see\n~~~\ncode\n~~~', { noCodeBlocks: true }, 'code_block'],
    ['inline code is not a block', 'use `x` here', { noCodeBlocks: true }, null],
    ['too long overall', 'abcdef', { maxCompletionChars: 5 }, 'too_long'],
  ];
  it.each(cases)('%s', (_reason, text, options, expected) => {
    expect(readabilityReject(text, o(options))).toBe(expected);
  });
});
