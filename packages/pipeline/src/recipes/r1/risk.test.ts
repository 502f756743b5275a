// Risk control as a data filter: a keyword list blocks planted samples in rejection sampling (through
// @aha/distill's filter hook) and planted rows of a data set; drop / flag / off and the counts; the report table.
// Leaves out: a model judge (RiskControl's own tests cover the decision table).
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type GenerateFn, rejectionSample } from '@aha/distill';
import { defineReward } from '@aha/rewards';
import { KeywordFilter, RiskControl } from '@aha/safety';
import { describe, expect, it } from 'vitest';
import { renderReport } from '../../report/html.js';
import { saveMicroBaseModel } from '../base-model/micro.js';
import { TaskOptionsSchema } from '../base-model/pretrain.js';
import { resolveGrpoSection } from '../grpo-section.js';
import { filterRows, RiskFilterSchema, riskControlOf, riskSampleFilter } from './risk.js';
import { AlignmentGrpoSchema, alignmentRlStage } from './stages.js';

const PLANTED = 'plantedbadword';
const risk = new RiskControl({
  filter: new KeywordFilter({
    categories: [
      { id: 'planted', action: 'block', terms: [PLANTED] },
      { id: 'unsure', action: 'review', terms: ['borderline'] },
    ],
  }),
});
const any = defineReward({ name: 'any', score: async (s) => s.map(() => 1) });

describe('risk control in rejection sampling', () => {
  const table: Record<string, string[]> = {
    'q1?': ['a fine answer', `an answer with ${PLANTED} in it`],
    'q2?': ['a borderline answer', 'another fine one'],
  };
  const generate: GenerateFn = async (p, { n }) => p.map((x) => table[x.prompt as string].slice(0, n));
  const run = (filterMode: 'drop' | 'flag' | 'off', counts = { reviewed: 0 }) =>
    rejectionSample({
      generate,
      prompts: [{ prompt: 'q1?' }, { prompt: 'q2?' }],
      n: 2,
      rewards: [{ reward: any }],
      keep: { minReward: 1, maxPerPrompt: null },
      filter: riskSampleFilter(risk, counts),
      filterMode,
    });

  it.each([
    ['drop', 3, { checked: 4, blocked: 1, dropped: 1, flagged: 0 }],
    ['flag', 4, { checked: 4, blocked: 1, dropped: 0, flagged: 1 }],
    ['off', 4, { checked: 0, blocked: 0, dropped: 0, flagged: 0 }],
  ] as const)('%s: the planted sample is handled, the rest kept', async (mode, kept, counts) => {
    const reviewed = { reviewed: 0 };
    const { samples, stats } = await run(mode, reviewed);
    expect(samples).toHaveLength(kept);
    expect(stats.filter).toEqual({ mode, ...counts });
    if (mode === 'drop') expect(samples.some((s) => String(s.completion).includes(PLANTED))).toBe(false);
    if (mode === 'flag') {
      const flagged = samples.filter((s) => s.flagged);
      expect(flagged.map((s) => s.completion)).toEqual([`an answer with ${PLANTED} in it`]);
      expect(flagged[0].flagged).toMatch(/^risk control: keyword hit in a block category \(planted\)/);
    }
    // A "review" decision passes (no person in a batch job) and is counted apart.
    expect(reviewed.reviewed).toBe(mode === 'off' ? 0 : 1);
  });
});

describe('risk control on a data set (alignment prompts, general SFT answers)', () => {
  const rows = [
    { prompt: 'Tell me about rivers.' },
    { prompt: `Explain ${PLANTED}.` },
    { prompt: 'Say hi.', completion: `hi ${PLANTED}` },
    { prompt: [{ role: 'user', content: 'a borderline question' }] },
  ];

  it.each([
    ['drop', 3, { checked: 4, blocked: 2, dropped: 2, flagged: 0, reviewed: 1 }],
    ['flag', 4, { checked: 4, blocked: 2, dropped: 0, flagged: 2, reviewed: 1 }],
    ['off', 4, { checked: 0, blocked: 0, dropped: 0, flagged: 0, reviewed: 0 }],
  ] as const)('%s', async (mode, count, counts) => {
    const r = await filterRows(rows, risk, mode);
    expect(r.counts).toEqual({ mode, ...counts });
    expect(r.rows).toHaveLength(mode === 'drop' ? 2 : count);
    if (mode === 'drop') expect(JSON.stringify(r.rows)).not.toContain(PLANTED);
    else expect(r.rows).toEqual(rows); // flagged rows are unchanged: the trainers see the same columns
  });

  it('no risk control: nothing checked, mode off', async () => {
    expect((await filterRows(rows, null, 'drop')).counts).toMatchObject({ mode: 'off', checked: 0 });
  });
});

describe('the recipe setting', () => {
  it("defaults to 'flag' with the recipe's hazard words; a keyword file replaces them; 'off' builds nothing", async () => {
    const settings = RiskFilterSchema.parse({});
    expect(settings).toEqual({ mode: 'flag' });
    const byDefault = await riskControlOf(settings);
    expect((await byDefault!.review([{ role: 'assistant', content: 'this is toxic' }])).decision).toBe('block');
    expect(await riskControlOf({ mode: 'off' })).toBeNull();
    const dir = mkdtempSync(join(tmpdir(), 'aha-risk-'));
    try {
      const file = join(dir, 'list.json');
      writeFileSync(file, JSON.stringify({ categories: [{ id: 'x', action: 'block', terms: ['zebra'] }] }));
      const custom = await riskControlOf({ mode: 'drop', keywords: file });
      expect((await custom!.review([{ role: 'assistant', content: 'a zebra' }])).decision).toBe('block');
      expect((await custom!.review([{ role: 'assistant', content: 'toxic' }])).decision).toBe('allow');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
    expect(() => RiskFilterSchema.parse({ mode: 'drop', keyword: 'x' })).toThrow(/keyword/);
  });

  it('the report shows the counts per stage and data set', () => {
    const html = renderReport([{ step: 1, kl: 0.1 }], {
      riskControl: [
        { stage: 'rejection-sft', data: 'general', mode: 'drop', checked: 4, blocked: 2, dropped: 2, flagged: 0 },
      ],
    });
    expect(html).toContain('<h2>Risk control</h2>');
    expect(html).toMatch(
      /data-risk-row="rejection-sft\/general"><td>rejection-sft<\/td><td>general<\/td><td>drop<\/td><td>4<\/td><td>2<\/td><td>2<\/td><td>0<\/td>/,
    );
    expect(renderReport([{ step: 1, kl: 0.1 }])).not.toContain('data-risk-control');
  });
});

describe('the alignment stage', () => {
  it("says so when 'drop' leaves no prompt to train on", async () => {
    const dir = mkdtempSync(join(tmpdir(), 'aha-risk-stage-'));
    try {
      const modelDir = join(dir, 'micro');
      await saveMicroBaseModel(modelDir);
      const list = join(dir, 'list.json');
      writeFileSync(list, JSON.stringify({ categories: [{ id: 'all', action: 'block', terms: ['tell me about'] }] }));
      const stage = alignmentRlStage();
      const config = stage.config.parse({
        alignment: {
          generalShare: 1,
          trainProblems: 4,
          risk: { mode: 'drop', keywords: list },
          grpo: resolveGrpoSection(AlignmentGrpoSchema, {}, TaskOptionsSchema.parse({})),
        },
        reasoningWeights: { accuracy: 1, format: 1, language: 1 },
        task: TaskOptionsSchema.parse({}),
        language: 'en',
        seed: 0,
      });
      const ctx = { workDir: join(dir, 'work'), runDir: dir, signal: new AbortController().signal };
      const none = join(dir, 'none');
      const rms = { id: 'rms', helpfulnessDir: none, safetyDir: none, judgeHelpfulnessDir: none, judgeSafetyDir: none };
      await expect(stage.run({ modelDir, id: 'm', rms }, config, ctx)).rejects.toThrow(
        /alignment-rl: risk control \(mode drop\) dropped all 4 prompts/,
      );
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
