import { existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { createByteLevelTokenizer, loadModel } from '@aha/core';
import { groupAdvantages } from '@aha/grpo';
import { loadRewardModel, scoreCompletions } from '@aha/reward-models';
import { scoreRewards } from '@aha/rewards';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../../cli/main.js';
import { saveMicroBaseModel } from '../base-model/micro.js';
import { readStages, runStage } from '../stages.js';
import { coldStartRows, generalRows, readableCompletion, readableTrace } from './data.js';
import { type R1Options, runR1, stageTable } from './recipe.js';
import { alignmentRewards, lengthGuardReward, reasoningRewards, totalReward } from './rewards.js';
import { RewardModelsSchema, rewardModelData, rewardModelsStage, type StageSummary } from './stages.js';

// A micro setting on a random 2-layer model: checks the chaining, not learning (the example and docs show learning).
const MICRO: R1Options = {
  task: { evalProblems: 4, maxNewTokens: 12 },
  coldStart: { examples: 16, sft: { maxSteps: 2, batchSize: 4, warmupSteps: 0, checkpointEvery: 1 } },
  reasoning: { trainProblems: 10, grpo: { maxSteps: 2, promptsPerStep: 2, groupSize: 2, checkpointEvery: 1 } },
  rejection: {
    prompts: 4,
    n: 2,
    generalExamples: 4,
    minLanguageShare: 0,
    sft: { maxSteps: 1, batchSize: 4, warmupSteps: 0 },
  },
  rewardModels: { pairs: 8, safetySamples: 8, heldOut: 8, maxSteps: 1, batchSize: 4 },
  alignment: { trainProblems: 4, grpo: { maxSteps: 1, promptsPerStep: 2, groupSize: 2 } },
  eval: { generalPerTopic: 1 },
};
const STAGES = ['alignment-rl', 'cold-start', 'evaluate', 'reasoning-rl', 'rejection-sft', 'reward-models'];

let root: string;
let baseModel: string;

beforeAll(async () => {
  root = mkdtempSync(join(tmpdir(), 'aha-r1-'));
  baseModel = join(root, 'base');
  await saveMicroBaseModel(baseModel);
});
afterAll(() => rmSync(root, { recursive: true, force: true }));

const statuses = (logs: string[]) =>
  Object.fromEntries(
    logs
      .map((m) => /^([a-z-]+): (already done \(stages.json\), skipped|resumed, done|done)$/.exec(m))
      .filter((m): m is RegExpExecArray => m !== null)
      .map((m) => [m[1], m[2].startsWith('already') ? 'skipped' : m[2]]),
  );

describe('r1 recipe (micro setting)', () => {
  it('runs the four stages, writes loadable artifacts; a re-run skips all; a new stage-3 config reruns 3–4 only', async () => {
    const runDir = join(root, 'run-a');
    const logs: string[] = [];
    const r = await runR1(MICRO, { baseModel, runDir, log: (m) => logs.push(m) });
    expect(r.interrupted).toBeUndefined();
    expect(statuses(logs)).toEqual(Object.fromEntries(STAGES.map((s) => [s, 'done'])));
    const stages = await readStages(runDir);
    expect(Object.keys(stages).sort()).toEqual(STAGES);

    // Artifacts: every trained model loads, the RMs load, each training stage logged its steps, reports exist.
    for (const s of ['cold-start', 'reasoning-rl', 'rejection-sft', 'alignment-rl']) {
      const out = stages[s].output as { modelDir: string; steps: number };
      const model = await loadModel(out.modelDir);
      expect(model.config.hidden_size).toBe(16);
      const lines = readFileSync(join(runDir, s, 'metrics.jsonl'), 'utf8')
        .trim()
        .split('\n');
      expect(lines.map((l) => (JSON.parse(l) as { step: number }).step)).toEqual(
        Array.from({ length: out.steps }, (_, i) => i + 1),
      );
      expect(existsSync(join(runDir, s, 'report.html'))).toBe(true);
    }
    const rms = stages['reward-models'].output as Record<string, string>;
    expect((await loadRewardModel(rms.helpfulnessDir)).numLabels).toBe(1);
    expect((await loadRewardModel(rms.safetyDir)).labels).toEqual(['safe']);
    // The held-out judges: their own (wider) backbone, trained beside the RMs the policy is trained on.
    const judge = await loadRewardModel(rms.judgeHelpfulnessDir);
    expect(judge.numLabels).toBe(1);
    expect(judge.backbone.config.hidden_size).not.toBe(
      (await loadRewardModel(rms.helpfulnessDir)).backbone.config.hidden_size,
    );
    expect((await loadRewardModel(rms.judgeSafetyDir)).labels).toEqual(['safe']);
    // Alignment RL logs the judges' scores per step (weight 0: not in the reward it trains on).
    const alignLog = JSON.parse(readFileSync(join(runDir, 'alignment-rl', 'metrics.jsonl'), 'utf8').split('\n')[0]);
    expect(Object.keys(alignLog.rewards)).toEqual(
      expect.arrayContaining(['helpfulness', 'safety', 'judge_helpfulness', 'judge_safety', 'length_guard']),
    );
    // The guard's limit is the longest general answer stage 3 trained on.
    expect((stages['rejection-sft'].output as { generalAnswerTokens: number }).generalAnswerTokens).toBeGreaterThan(0);
    const rejection = stages['rejection-sft'].output as { generalExamples: number; generated: number };
    expect(rejection).toMatchObject({ generalExamples: 4, generated: 8 });
    expect(existsSync(join(runDir, 'rejection-sft', 'rejection-samples.jsonl'))).toBe(true);
    expect(existsSync(join(runDir, 'rejection-sft', 'rejection-samples.jsonl.aigc.json'))).toBe(true);
    // Risk control flags (default) the general answers with a hazard word and counts the rest as checked.
    const hazardous = generalRows({ count: 4, seed: 7, bannedRate: 0.3, hazardRate: 0.3 }).filter((g) =>
      /toxic|hazard/.test(g.completion),
    ).length;
    const risk = (stages['rejection-sft'].output as { riskControl: Record<string, Record<string, unknown>> })
      .riskControl;
    expect(risk.general).toMatchObject({ mode: 'flag', checked: 4, blocked: hazardous, flagged: hazardous });
    expect(risk.sampled).toMatchObject({ mode: 'flag', dropped: 0 });
    const aligned = stages['alignment-rl'].output as { riskControl: Record<string, Record<string, unknown>> };
    expect(aligned.riskControl.prompts).toMatchObject({ mode: 'flag', blocked: 0, dropped: 0 });
    expect(r.summary?.map((s) => s.stage)).toEqual([
      'base',
      'cold-start',
      'reasoning-rl',
      'rejection-sft',
      'alignment-rl',
    ]);
    // The stage table, base first, in the report and in summary.md; every measured field is a number.
    const html = readFileSync(r.report as string, 'utf8');
    expect(html).toContain('data-stage-table');
    expect(html.indexOf('data-stage-row="base"')).toBeLessThan(html.indexOf('data-stage-row="alignment-rl"'));
    for (const s of r.summary ?? [])
      for (const k of ['accuracy', 'length', 'judgeHelpfulness', 'judgeSafety', 'generalLength'] as const)
        expect(Number.isFinite(s[k]), `${s.stage}.${k}`).toBe(true);
    expect(JSON.parse(readFileSync(join(runDir, 'summary.json'), 'utf8')).environment).toMatchObject({
      threads: expect.any(Number),
      simd: expect.any(String),
    });
    expect(readFileSync(r.report as string, 'utf8')).toContain('<html');
    expect(readFileSync(r.report as string, 'utf8')).toContain('data-risk-row="rejection-sft/general"');
    expect(readFileSync(join(runDir, 'summary.md'), 'utf8')).toContain('| alignment-rl |');

    const again: string[] = [];
    const r2 = await runR1(MICRO, { baseModel, runDir, log: (m) => again.push(m) });
    expect(statuses(again)).toEqual(Object.fromEntries(STAGES.map((s) => [s, 'skipped'])));
    expect(r2.summary).toEqual(r.summary);

    const changed: string[] = [];
    await runR1(
      { ...MICRO, rejection: { ...MICRO.rejection, n: 3 } },
      { baseModel, runDir, log: (m) => changed.push(m) },
    );
    expect(statuses(changed)).toEqual({
      'cold-start': 'skipped',
      'reasoning-rl': 'skipped',
      'reward-models': 'skipped',
      'rejection-sft': 'done',
      'alignment-rl': 'done',
      evaluate: 'done',
    });
  }, 60_000);

  it('Ctrl-C inside reasoning RL stops with a checkpoint; the next run skips stage 1 and resumes stage 2', async () => {
    const runDir = join(root, 'run-b');
    const controller = new AbortController();
    const first = await runR1(
      { ...MICRO, reasoning: { ...MICRO.reasoning, grpo: { ...MICRO.reasoning?.grpo, maxSteps: 3 } } },
      {
        baseModel,
        runDir,
        signal: controller.signal,
        hooks: { onStep: (stage, step) => stage === 'reasoning-rl' && step === 1 && controller.abort() },
      },
    );
    expect(first.interrupted).toBe(true);
    expect((await readStages(runDir))['reasoning-rl'].status).toBe('running');
    const logs: string[] = [];
    const starts: [string, number][] = [];
    const second = await runR1(
      { ...MICRO, reasoning: { ...MICRO.reasoning, grpo: { ...MICRO.reasoning?.grpo, maxSteps: 3 } } },
      {
        baseModel,
        runDir,
        log: (m) => logs.push(m),
        hooks: { onStart: (stage, _t, from) => starts.push([stage, from]) },
      },
    );
    expect(second.interrupted).toBeUndefined();
    expect(statuses(logs)).toMatchObject({ 'cold-start': 'skipped', 'reasoning-rl': 'resumed, done' });
    expect(starts).toContainEqual(['reasoning-rl', 2]);
  }, 60_000);

  it('Ctrl-C inside the stage-3 SFT: the next run reuses the rejection samples and resumes the SFT', async () => {
    const runDir = join(root, 'run-c');
    const options = {
      ...MICRO,
      rejection: { ...MICRO.rejection, sft: { maxSteps: 3, batchSize: 4, warmupSteps: 0, checkpointEvery: 1 } },
    };
    const controller = new AbortController();
    const first = await runR1(options, {
      baseModel,
      runDir,
      signal: controller.signal,
      hooks: { onStep: (stage, step) => stage === 'rejection-sft' && step === 1 && controller.abort() },
    });
    expect(first.interrupted).toBe(true);
    const stats = join(runDir, 'rejection-sft', 'rejection-stats.json');
    const sampledAt = statSync(stats).mtimeMs;
    const logs: string[] = [];
    const starts: [string, number][] = [];
    await runR1(options, {
      baseModel,
      runDir,
      log: (m) => logs.push(m),
      hooks: { onStart: (stage, _t, from) => starts.push([stage, from]) },
    });
    expect(statuses(logs)).toMatchObject({ 'reasoning-rl': 'skipped', 'rejection-sft': 'resumed, done' });
    expect(starts).toContainEqual(['rejection-sft', 2]); // the abort lands while step 2 runs; it checkpoints after it
    expect(statSync(stats).mtimeMs).toBe(sampledAt); // not sampled again
    const lines = readFileSync(join(runDir, 'rejection-sft', 'metrics.jsonl'), 'utf8')
      .trim()
      .split('\n');
    expect(lines.map((l) => (JSON.parse(l) as { step: number }).step)).toEqual([1, 2, 3]);
  }, 60_000);

  it('aha run <config.json>: the r1 recipe with per-stage overrides from the config file', async () => {
    const dir = join(root, 'cli');
    const file = join(root, 'tiny.json');
    writeFileSync(
      file,
      JSON.stringify({
        recipe: 'r1',
        model: baseModel,
        outputDir: dir,
        eval: { ...MICRO.task, generalPerTopic: 1 },
        sft: { coldStart: MICRO.coldStart },
        grpo: { reasoning: MICRO.reasoning?.grpo, alignment: MICRO.alignment?.grpo },
        r1: {
          reasoning: { trainProblems: MICRO.reasoning?.trainProblems },
          alignment: { trainProblems: MICRO.alignment?.trainProblems },
        },
        rejection: MICRO.rejection,
        rm: MICRO.rewardModels,
      }),
    );
    const out: string[] = [];
    const sink = () =>
      new Writable({
        write(c, _e, cb) {
          out.push(String(c));
          cb();
        },
      });
    const code = await runCli(['run', file, '--json'], {
      stdout: sink(),
      stderr: sink(),
      cwd: root,
      env: { CI: 'true' },
    });
    expect(code, out.join('')).toBe(0);
    expect(JSON.parse(out.join('').trim().split('\n').pop() as string)).toMatchObject({ ok: true, recipe: 'r1' });
    const stages = await readStages(dir);
    expect((stages['cold-start'].output as { steps: number }).steps).toBe(2);
    expect((stages['alignment-rl'].output as { steps: number }).steps).toBe(1);
    expect(existsSync(join(dir, 'report.html'))).toBe(true);
  }, 60_000);
});

describe('r1 data', () => {
  it('writes the column trace in English words, with Chinese words only where asked', () => {
    expect(readableTrace('47', '85')).toBe('7+5=12 carry 1, 4+8+1=13 carry 1, done');
    expect(readableTrace('12', '35')).toBe('2+5=7, 1+3=4, done');
    expect(readableTrace('47', '85', (i) => i !== 1)).toBe('7+5=12 进位 1, 4+8+1=13 carry 1, 完成');
    expect(readableTrace('5', '385')).toBe('5+5=10 carry 1, 0+8+1=9, 0+3=3, done');
    expect(readableCompletion({ prompt: '12+35=', solution: '47', operands: ['12', '35'] })).toBe(
      '<think>2+5=7, 1+3=4, done</think><answer>47</answer>',
    );
    const problems = Array.from({ length: 400 }, (_, i) => ({
      prompt: `${10 + (i % 90)}+11=`,
      solution: String(21 + (i % 90)),
      operands: [String(10 + (i % 90)), '11'] as [string, string],
    }));
    const rows = coldStartRows(problems, { seed: 1, mixedShare: 0.3, mixedWordRate: 0.5 });
    const share = rows.filter((r) => r.mixed).length / rows.length;
    expect(share).toBeGreaterThan(0.2);
    expect(share).toBeLessThan(0.4);
    for (const r of rows.filter((x) => !x.mixed)) expect(r.completion).not.toMatch(/\p{Script=Han}/u);
    expect(rows.filter((r) => /\p{Script=Han}/u.test(r.completion)).length).toBeGreaterThan(0);
    const general = generalRows({ count: 300, seed: 2, bannedRate: 0.3, hazardRate: 0 });
    const banned = general.filter((g) => /\bspam\b/.test(g.completion)).length / general.length;
    expect(banned).toBeGreaterThan(0.2);
    expect(banned).toBeLessThan(0.4);
  });
});

describe('stage-2 rewards: language consistency changes the GRPO reward', () => {
  const weights = { accuracy: 1, format: 1, language: 1 };
  const english = '<think>2+5=7, 1+3=4, done</think><answer>47</answer>';
  const mixed = '<think>个位 2+5=7, tens 1+3=4, 总和 47</think><answer>47</answer>';
  const compact = '<think>2+5=7 1+3=4</think><answer>47</answer>';
  const sample = (completion: string) => ({ prompt: '12+35=', completion, solution: '47' });

  it.each([
    ['English CoT, right sum', english, { accuracy: 1, format: 1, language_consistency: 1 }, 3],
    // ICU's word segmenter splits 个位 into 个 + 位: 3 Chinese words and 1 English word.
    ['mixed CoT, right sum', mixed, { accuracy: 1, format: 1, language_consistency: 1 / 4 }, 9 / 4],
    [
      'no words in the CoT: language does not apply',
      compact,
      { accuracy: 1, format: 1, language_consistency: null },
      2,
    ],
    [
      'general prompt: no rule reward applies',
      'the green lamp',
      { accuracy: null, format: null, language_consistency: null },
      null,
    ],
  ])('%s', async (_why, completion, parts, total) => {
    const s = completion === 'the green lamp' ? { prompt: 'Tell me about lamps: ', completion } : sample(completion);
    const [result] = await scoreRewards(totalReward(reasoningRewards({ language: 'en', weights })), [s]);
    const got = Object.fromEntries((result.components ?? []).map((c) => [c.name, c.values[0]]));
    for (const [k, v] of Object.entries(parts)) {
      if (v === null) expect(got[k]).toBeNull();
      else expect(got[k]).toBeCloseTo(v, 10);
    }
    if (total === null) expect(result.values[0]).toBeNull();
    else expect(result.values[0]).toBeCloseTo(total, 10);
  });

  it('two equally correct completions get different advantages only because of the language reward', async () => {
    const totals = async (w: typeof weights) =>
      (
        await scoreRewards(totalReward(reasoningRewards({ language: 'en', weights: w })), [
          sample(english),
          sample(mixed),
        ])
      )[0].values as number[];
    const withLanguage = groupAdvantages(await totals(weights), 2);
    const without = groupAdvantages(await totals({ ...weights, language: 0 }), 2);
    expect(withLanguage[0]).toBeGreaterThan(0);
    expect(withLanguage[1]).toBeLessThan(0);
    expect(without).toEqual([0, 0]);
  });
});

describe('stage-4 reward models', () => {
  it('rank held-out preferred answers above rejected ones, and safe above unsafe, far more often than chance', async () => {
    const runDir = join(root, 'rm');
    const rm = RewardModelsSchema.parse({ pairs: 160, safetySamples: 160, heldOut: 60, maxSteps: 30, batchSize: 8 });
    const { output } = await runStage(
      runDir,
      rewardModelsStage(),
      {},
      { rm, seed: 3 },
      { signal: new AbortController().signal },
    );
    const tokenizer = createByteLevelTokenizer();
    const helpfulness = await loadRewardModel(output.helpfulnessDir);
    const safety = await loadRewardModel(output.safetyDir);
    const data = rewardModelData(rm, 3);
    const score = (model: typeof helpfulness, items: { prompt: string; completion: string }[]) =>
      scoreCompletions(model, tokenizer, items).map((v) => v[0]);
    const chosen = score(
      helpfulness,
      data.pairsHeldOut.map((p) => ({ prompt: p.prompt as string, completion: p.chosen as string })),
    );
    const rejected = score(
      helpfulness,
      data.pairsHeldOut.map((p) => ({ prompt: p.prompt as string, completion: p.rejected as string })),
    );
    const wins = chosen.filter((c, i) => c > rejected[i]).length / chosen.length;
    expect(wins).toBeGreaterThan(0.75);
    // The held-out judge learned the same rule from its own data.
    const judge = await loadRewardModel(output.judgeHelpfulnessDir);
    const judgeChosen = score(
      judge,
      data.pairsHeldOut.map((p) => ({ prompt: p.prompt as string, completion: p.chosen as string })),
    );
    const judgeRejected = score(
      judge,
      data.pairsHeldOut.map((p) => ({ prompt: p.prompt as string, completion: p.rejected as string })),
    );
    expect(judgeChosen.filter((c, i) => c > judgeRejected[i]).length / judgeChosen.length).toBeGreaterThan(0.75);
    const z = score(
      safety,
      data.safetyHeldOut.map((s) => ({ prompt: s.prompt as string, completion: s.response as string })),
    );
    const safe = z.filter((_, i) => data.safetyHeldOut[i].label === 'safe');
    const unsafe = z.filter((_, i) => data.safetyHeldOut[i].label === 'unsafe');
    // Share of (safe, unsafe) pairs ranked the right way round (AUC).
    const auc = safe.reduce((n, s) => n + unsafe.filter((u) => s > u).length, 0) / (safe.length * unsafe.length);
    expect(auc).toBeGreaterThan(0.75);

    // Alignment rewards: rules judge reasoning samples, the RMs judge general ones (null where a part does not apply).
    const parts = alignmentRewards(
      reasoningRewards({ language: 'en', weights: { accuracy: 1, format: 1, language: 1 } }),
      {
        helpfulness,
        safety,
        judges: { helpfulness: judge, safety: await loadRewardModel(output.judgeSafetyDir) },
        tokenizer,
        weights: { helpfulness: 1, safety: 1 },
      },
    );
    const [result] = await scoreRewards(totalReward(parts), [
      {
        prompt: '12+35=',
        completion: '<think>2+5=7, 1+3=4, done</think><answer>47</answer>',
        solution: '47',
      },
      { prompt: 'Tell me about lamps: ', completion: 'the green lamp' },
    ]);
    const byName = Object.fromEntries((result.components ?? []).map((c) => [c.name, c.values]));
    expect(byName.accuracy).toEqual([1, null]);
    expect(byName.helpfulness[0]).toBeNull();
    expect(byName.safety[0]).toBeNull();
    expect(byName.helpfulness[1]).toEqual(expect.any(Number));
    // Bounded by default: σ of the Bradley-Terry score.
    expect(byName.helpfulness[1]).toBeGreaterThan(0);
    expect(byName.helpfulness[1]).toBeLessThan(1);
    expect(byName.judge_helpfulness).toEqual([null, expect.any(Number)]);
    expect(byName.judge_safety).toEqual([null, expect.any(Number)]);
    expect(result.values[0]).toBeCloseTo(3, 10);
    // The judges are logged, not trained on: the total is the two trained-on RMs' sum only.
    expect(result.values[1]).toBeCloseTo((byName.helpfulness[1] as number) + (byName.safety[1] as number), 6);
  }, 30_000);
});

describe('the stage table', () => {
  const row = (stage: string, accuracy: number, helpfulness = 1, judgeHelpfulness = 2): StageSummary => ({
    stage,
    accuracy,
    languageGreedy: 1,
    languageSampled: 1,
    mixedShare: 0,
    length: 30,
    helpfulness,
    safety: 0.9,
    judgeHelpfulness,
    judgeSafety: 0.9,
    bannedRate: 0,
    hazardRate: 0,
    generalLength: 8,
    samples: [],
  });

  it('flags a stage that lowered accuracy, and an RM score that rose while its judge fell', () => {
    const t = stageTable([
      row('base', 0.44),
      row('cold-start', 0.6),
      row('reasoning-rl', 0.95),
      // RM up, judge down before any stage trains on the RMs: not flagged.
      row('rejection-sft', 0.9, 2, 0.5),
      row('alignment-rl', 0.95, 4, 0.4),
    ]);
    expect(t.rows.map((r) => r.stage)).toEqual(['base', 'cold-start', 'reasoning-rl', 'rejection-sft', 'alignment-rl']);
    expect(t.rows.map((r) => r.flag)).toEqual([
      undefined,
      undefined,
      undefined,
      'accuracy -5.0 points vs reasoning-rl',
      'helpfulness RM up while its judge went down',
    ]);
    expect(t.note).toMatch(/threads, SIMD level/);
  });
});

describe('the alignment length guard', () => {
  it('is 0 up to the limit, falls linearly to −1 over the buffer, and does not judge reasoning samples', async () => {
    const guard = lengthGuardReward(createByteLevelTokenizer(), { limit: 10, buffer: 4 });
    const general = (n: number) => ({ prompt: 'Tell me about lamps: ', completion: 'x'.repeat(n) });
    const [result] = await scoreRewards(guard, [
      general(3),
      general(10),
      general(12),
      general(14),
      general(40),
      { prompt: '1+2=', completion: 'x'.repeat(40), solution: '3' },
    ]);
    const values = result.values;
    expect(values).toEqual([0, 0, -0.5, -1, -1, null]);
  });
});
