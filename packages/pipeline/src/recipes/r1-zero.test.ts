import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { scoreRewards } from '@aha/rewards';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { saveMicroBaseModel } from './base-model/micro.js';
import { type R1ZeroOptions, r1ZeroRewards, runR1Zero } from './r1-zero.js';
import { readStages } from './stages.js';

// A micro setting: a random 1-layer model (no training signal expected), 2 GRPO steps, 4 eval problems.
const MICRO = {
  task: { evalProblems: 4, maxNewTokens: 6 },
  grpo: { maxSteps: 2, promptsPerStep: 2, groupSize: 2, checkpointEvery: 1, warmupSteps: 0 },
  trainProblems: 20,
} satisfies R1ZeroOptions;

let root: string;
let baseModel: string;

beforeAll(async () => {
  root = mkdtempSync(join(tmpdir(), 'aha-r1zero-'));
  baseModel = join(root, 'base');
  await saveMicroBaseModel(baseModel);
});
afterAll(() => rmSync(root, { recursive: true, force: true }));

const metricSteps = (runDir: string) =>
  readFileSync(join(runDir, 'grpo', 'metrics.jsonl'), 'utf8')
    .trim()
    .split('\n')
    .map((l) => (JSON.parse(l) as { step: number }).step);

describe('r1-zero recipe (micro setting)', () => {
  it('runs every stage, records them in stages.json, writes the report; a re-run skips them all', async () => {
    const runDir = join(root, 'run-a');
    const logs: string[] = [];
    const r = await runR1Zero(MICRO, { baseModel, runDir, log: (m) => logs.push(m) });
    expect(r.interrupted).toBeUndefined();
    expect(r.grpoSteps).toBe(2);
    expect(r.accuracyBefore).toBeGreaterThanOrEqual(0);
    expect(readFileSync(r.report as string, 'utf8')).toContain('<html');
    const stages = await readStages(runDir);
    expect(Object.keys(stages).sort()).toEqual(['evaluate-base', 'evaluate-final', 'grpo', 'report']);
    expect(Object.values(stages).every((s) => s.status === 'done')).toBe(true);
    expect(metricSteps(runDir)).toEqual([1, 2]);
    // The task comes from the base model's base-model.json (1–2 digits here), not from schema defaults.
    const evaluated = (stages['evaluate-base'].output as { samples: { prompt: string }[] }).samples;
    for (const s of evaluated) expect(s.prompt).toMatch(/^\d{1,2}\+\d{1,2}=$/);

    const again: string[] = [];
    const r2 = await runR1Zero(MICRO, { baseModel, runDir, log: (m) => again.push(m) });
    expect(again.filter((m) => m.includes('skipped'))).toHaveLength(4);
    expect(r2.accuracyAfter).toBe(r.accuracyAfter);
    expect((await readStages(runDir)).grpo.finishedAt).toBe(stages.grpo.finishedAt);

    // A changed GRPO config invalidates that stage (and the ones fed by its output), not the base evaluation.
    const changed: string[] = [];
    await runR1Zero(
      { ...MICRO, grpo: { ...MICRO.grpo, groupSize: 3 } },
      { baseModel, runDir, log: (m) => changed.push(m) },
    );
    expect(changed).toContain('evaluate-base: already done (stages.json), skipped');
    expect(changed).toContain('grpo: done');
  }, 60_000);

  it('other rewards rerun the GRPO stage instead of skipping it as finished', async () => {
    const runDir = join(root, 'run-rewards');
    const rewards = (weight: number) => async () => r1ZeroRewards().map((reward) => ({ reward, weight }));
    await runR1Zero(MICRO, { baseModel, runDir, rewards: rewards(1) });
    const same: string[] = [];
    await runR1Zero(MICRO, { baseModel, runDir, rewards: rewards(1), log: (m) => same.push(m) });
    expect(same).toContain('grpo: already done (stages.json), skipped');
    const other: string[] = [];
    await runR1Zero(MICRO, { baseModel, runDir, rewards: rewards(2), log: (m) => other.push(m) });
    expect(other).toContain('evaluate-base: already done (stages.json), skipped');
    expect(other).toContain('grpo: done');
    // The config's own entries (module, options) are the identity when given.
    const byId: string[] = [];
    await runR1Zero(MICRO, {
      baseModel,
      runDir,
      rewards: rewards(2),
      rewardsId: [{ name: 'accuracy', options: { a: 1 } }],
      log: (m) => byId.push(m),
    });
    expect(byId).toContain('grpo: done');
  }, 60_000);

  it('Ctrl-C during GRPO stops after the step with a checkpoint; running again resumes, not restarts', async () => {
    const runDir = join(root, 'run-b');
    const options = { ...MICRO, grpo: { ...MICRO.grpo, maxSteps: 3, checkpointEvery: 5 } };
    const controller = new AbortController();
    // Aborting after step 1 is reported lands while step 2 runs (as a Ctrl-C would): step 2 finishes, then saves.
    const first = await runR1Zero(options, {
      baseModel,
      runDir,
      signal: controller.signal,
      hooks: { onStep: (step) => step === 1 && controller.abort() },
    });
    expect(first.interrupted).toBe(true);
    const stages = await readStages(runDir);
    expect(stages.grpo.status).toBe('running');
    expect(stages['evaluate-final']).toBeUndefined();
    expect(metricSteps(runDir)).toEqual([1, 2]);
    expect(readdirSync(join(runDir, 'grpo', 'checkpoints'))).toEqual(['checkpoint-000002']);

    const started: number[] = [];
    const logs: string[] = [];
    const second = await runR1Zero(options, {
      baseModel,
      runDir,
      log: (m) => logs.push(m),
      hooks: { onStart: (_total, firstStep) => started.push(firstStep) },
    });
    expect(started).toEqual([2]); // resumed from the step-2 checkpoint
    expect(logs).toContain('grpo: resumed, done');
    expect(logs).toContainEqual(expect.stringMatching(/^resuming from step 2 /));
    expect(second.grpoSteps).toBe(3);
    expect(metricSteps(runDir)).toEqual([1, 2, 3]);
    expect((await readStages(runDir)).grpo.status).toBe('done');
  }, 60_000);
});

describe('r1-zero settings', () => {
  it('every GRPO option reaches the trainer; an unknown key is an error naming the closest one', async () => {
    const runDir = join(root, 'run-c');
    await runR1Zero(
      { ...MICRO, grpo: { ...MICRO.grpo, maxSteps: 1, beta: 0.01, epsilonHigh: 0.28 } },
      { baseModel, runDir },
    );
    const grpo = (await readStages(runDir)).grpo;
    expect(grpo.status).toBe('done');
    expect(metricSteps(runDir)).toEqual([1]);
    // β > 0 means a reference model and a KL term in the metrics: the setting was used, not dropped.
    const line = JSON.parse(readFileSync(join(runDir, 'grpo', 'metrics.jsonl'), 'utf8').trim());
    expect(line.kl).toEqual(expect.any(Number));
    await expect(runR1Zero({ ...MICRO, grpo: { steps: 30 } }, { baseModel, runDir })).rejects.toThrow(
      'steps: unknown key (did you mean "maxSteps"?)',
    );
  }, 60_000);
});

describe('r1ZeroRewards (accuracy + format)', () => {
  it.each([
    ['right sum, right format', '<think>2+5=7 1+3=4</think><answer>47</answer>', 1, 1],
    ['wrong sum, right format', '<think>2+5=7 1+3=4</think><answer>48</answer>', 0, 1],
    ['right sum with a leading zero', '<think>x</think><answer>047</answer>', 1, 1],
    ['right sum without tags', '47', 0, 0],
    ['right sum, text after the answer', '<think>x</think><answer>47</answer> 48', 1, 0],
    ['two answers: the last one counts', '<think>x</think><answer>47</answer><answer>48</answer>', 0, 0],
    ['answer text around the number', '<think>x</think><answer>= 47</answer>', 0, 1],
  ])('%s', async (_why, completion, accuracy, format) => {
    const results = await scoreRewards(r1ZeroRewards(), [{ prompt: '12+35=', completion, solution: '47' }]);
    expect(results.map((r) => [r.name, r.values[0]])).toEqual([
      ['accuracy', accuracy],
      ['format', format],
    ]);
  });
});
