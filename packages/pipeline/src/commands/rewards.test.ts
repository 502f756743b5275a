// The config's `rewards` list, resolved (built-in by name with options, plugin module + export, factory + options)
// and honoured by every entry point: `aha run` with the r1-zero, r1 and distill recipes and `aha train grpo`. An
// unknown name or a missing module is a config error (exit 2) before anything trains; a recipe run with a plugin
// reward shows it in its metrics. Leaves out: full r1/distill runs (slow; they get the same resolved list as r1-zero).
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCliCaptured } from '../cli/capture.js';
import { ConfigError } from '../config/errors.js';
import type { RewardSpec } from '../config/schema.js';
import { saveMicroBaseModel } from '../recipes/base-model/micro.js';
import { resolveRewards } from './rewards.js';

const FIXTURE = fileURLToPath(new URL('./__fixtures__/factory-reward.ts', import.meta.url));
const SCAFFOLDED = fileURLToPath(new URL('./__fixtures__/short-reward.ts', import.meta.url));
const WORKER = fileURLToPath(new URL('./__fixtures__/worker-reward.ts', import.meta.url));
const setting = { task: 'addition', maxNewTokens: 8 };

let dir: string;
beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'aha-rewards-'));
  await saveMicroBaseModel(join(dir, 'micro'), { evalProblems: 2, maxNewTokens: 6 });
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const spec = (s: Partial<RewardSpec>): RewardSpec => ({ export: 'default', weight: 1, ...s }) as RewardSpec;
const problemsOf = async (specs: RewardSpec[]) => {
  try {
    await resolveRewards(specs, setting, 'aha.config.json');
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError);
    return (err as ConfigError).problems;
  }
  throw new Error('resolved without a problem');
};

describe('resolveRewards', () => {
  it('built-in by name (with options), a module default export, a factory called with options; weights kept', async () => {
    const r = await resolveRewards(
      [
        spec({ name: 'format' }),
        spec({ name: 'length', options: { name: 'len' }, weight: 0.1 }),
        spec({ module: SCAFFOLDED }),
        spec({ module: FIXTURE, export: 'atMost', options: { max: 3, name: 'three' }, weight: 0.5 }),
      ],
      setting,
      'cfg',
    );
    expect(r.map((x) => [x.reward.name, x.weight])).toEqual([
      ['format', 1],
      ['len', 0.1],
      ['short', 1],
      ['three', 0.5],
    ]);
    const [three] = await r[3].reward.score([{ prompt: '1+1=', completion: 'abcd' }], {
      signal: new AbortController().signal,
    } as never);
    expect(three).toBe(0);
  });

  it('the example plugin (examples/reward-plugin, a factory) works through a config entry with options', async () => {
    const module = fileURLToPath(new URL('../../../../examples/reward-plugin/src/index.ts', import.meta.url));
    const [r] = await resolveRewards(
      [spec({ module, export: 'unitReward', options: { name: 'unit_m' }, weight: 0.5 })],
      setting,
      'cfg',
    );
    expect([r.reward.name, r.weight]).toEqual(['unit_m', 0.5]);
    const values = await r.reward.score(
      [
        { prompt: 'How long?', completion: '<answer>7 m</answer>', unit: 'm' },
        { prompt: 'How long?', completion: '<answer>7</answer>', unit: 'm' },
      ],
      { signal: new AbortController().signal } as never,
    );
    expect(values).toEqual([1, 0]);
  });

  it.each([
    [
      'unknown name',
      spec({ name: 'acuracy' }),
      'rewards[0].name: unknown reward "acuracy" (built-in: accuracy, format',
    ],
    ['missing module', spec({ module: join(tmpdir(), 'no-such-reward.ts') }), 'rewards[0].module: cannot load'],
    ['export that is not a reward', spec({ module: SCAFFOLDED, export: 'notAReward' }), 'it is number'],
    [
      'options for a reward value',
      spec({ module: SCAFFOLDED, options: { max: 1 } }),
      'rewards[0].options: ' + `${SCAFFOLDED} export "default" is a reward, not a factory`,
    ],
    ['a factory that rejects its options', spec({ module: FIXTURE, export: 'atMost', options: { max: -1 } }), 'threw:'],
    [
      'bad built-in options',
      spec({ name: 'overlong', options: { maxLength: 'long' } }),
      'rewards[0].options: overlong:',
    ],
  ])('%s is a config error naming the entry', async (_reason, s, expected) => {
    const problems = await problemsOf([s]);
    expect(problems.join('\n')).toContain(expected);
  });
});

/** Writes a config into the temp folder and returns its path. */
const config = (name: string, value: Record<string, unknown>) => {
  const file = join(dir, name);
  writeFileSync(file, JSON.stringify({ model: './micro', outputDir: `runs/${name}`, ...value }));
  return file;
};
const aha = (...argv: string[]) => runCliCaptured(argv, { cwd: dir });

describe('every entry point honours the config rewards', () => {
  const bad = [{ name: 'accuracy' }, { name: 'acuracy' }, { module: './missing.ts' }];
  it.each([
    ['aha run (r1-zero)', ['run'], { recipe: 'r1-zero' }],
    ['aha run (r1)', ['run'], { recipe: 'r1' }],
    ['aha run (distill)', ['run'], { recipe: 'distill' }],
    ['aha train grpo', ['train', 'grpo'], { recipe: undefined }],
  ])('%s: an unknown name and a missing module are config errors (exit 2) before training', async (_n, cmd, extra) => {
    const file = config(`bad-${cmd.join('-')}-${String(extra.recipe)}.json`, { ...extra, rewards: bad });
    const r = await aha(...cmd, file);
    expect(r.code, r.stderr).toBe(2);
    expect(r.stderr).toContain('rewards[1].name: unknown reward "acuracy"');
    expect(r.stderr).toContain(`rewards[2].module: cannot load ${join(dir, 'missing.ts')}`);
    expect(r.stderr).not.toMatch(/grpo step/);
  });

  it('aha run r1-zero trains on the config rewards (a factory with options, a built-in, a .ts worker reward)', async () => {
    const file = config('zero.json', {
      recipe: 'r1-zero',
      eval: { evalProblems: 2, maxNewTokens: 6 },
      grpo: { maxSteps: 1, promptsPerStep: 1, groupSize: 2, checkpointEvery: 1 },
      r1Zero: { trainProblems: 10 },
      rewards: [
        { module: FIXTURE, export: 'atMost', options: { max: 3, name: 'tiny_len' } },
        { name: 'format', weight: 0.5 },
        { module: WORKER },
      ],
    });
    const r = await aha('run', file, '--no-report');
    expect(r.code, r.stderr).toBe(0);
    const record = JSON.parse(readFileSync(join(dir, 'runs/zero.json/grpo/metrics.jsonl'), 'utf8').split('\n')[0]);
    expect(Object.keys(record.rewards).sort()).toEqual(['format', 'tiny_len', 'worker_len']);
    expect(record.rewardFailures.worker_len).toMatchObject({ error: 0, timeout: 0 });
  });

  it('aha run r1: config rewards with r1.reasoning.weights as well is a config error (the weights would be unused)', async () => {
    const file = config('r1-weights.json', {
      recipe: 'r1',
      rewards: [{ name: 'accuracy' }],
      r1: { reasoning: { weights: { accuracy: 2, format: 1, language: 0 } } },
    });
    const r = await aha('run', file);
    expect(r.code, r.stderr).toBe(2);
    expect(r.stderr).toContain('r1.reasoning.weights: not used when `rewards` is set');
  });

  it('aha train grpo: config rewards with grpo.rewardWeights as well is a config error', async () => {
    const file = config('grpo-weights.json', {
      rewards: [{ name: 'accuracy' }],
      grpo: { task: 'addition', rewardWeights: { accuracy: 2 } },
    });
    const r = await aha('train', 'grpo', file);
    expect(r.code, r.stderr).toBe(2);
    expect(r.stderr).toContain('grpo.rewardWeights: not used when `rewards` is set');
  });
});

describe('a failing reward is loud', () => {
  it.each([
    ['throws', 'the verifier is not configured'],
    ['nan', 'returned NaN, not a finite number or null'],
    ['text', 'returned string, not a finite number or null'],
    [
      'short',
      'score returned 3 values for a batch of 4 samples (one per sample expected): the whole batch fails',
      'short_batch',
    ],
  ])(
    'aha train grpo with a reward export %s: its message once, counts per step, then a stop (exit 1)',
    async (exp, message, name = exp) => {
      const file = config(`fail-${exp}.json`, {
        rewards: [{ name: 'format' }, { module: FIXTURE, export: exp }],
        grpo: {
          task: 'addition',
          trainProblems: 10,
          maxSteps: 5,
          groupSize: 2,
          promptsPerStep: 2,
          stepsPerRollout: 1,
          maxCompletionLength: 4,
          beta: 0,
          rewardFailurePatience: 2,
        },
      });
      const r = await aha('train', 'grpo', file);
      expect(r.code, r.stderr).toBe(1);
      expect(r.stderr.split(`reward '${name}' failed: ${message}\n`)).toHaveLength(2); // printed once
      expect(r.stderr).toContain(`grpo step 1/5 `);
      expect(r.stderr).toContain(`| reward failures: ${name} 4/4\n`);
      expect(r.stderr).toContain(
        `reward '${name}' failed on 4 of 4 samples (100%) in each of the last 2 rollout(s), over rewardFailureLimit 0.5: first error: ${message}`,
      );
      expect(r.stderr).not.toContain('grpo step 2/5');
    },
  );

  it('aha run r1-zero (npm start) with a reward that throws: printed once, then the run stops (exit 1)', async () => {
    const file = config('fail-zero.json', {
      recipe: 'r1-zero',
      eval: { evalProblems: 2, maxNewTokens: 4 },
      grpo: { maxSteps: 5, promptsPerStep: 2, groupSize: 2, rewardFailurePatience: 2 },
      r1Zero: { trainProblems: 10 },
      rewards: [{ name: 'format' }, { module: FIXTURE, export: 'throws' }],
    });
    const r = await aha('run', file, '--no-report');
    expect(r.code, r.stderr).toBe(1);
    expect(r.stderr.split("reward 'throws' failed: the verifier is not configured\n")).toHaveLength(2);
    expect(r.stderr).toContain('| reward failures: throws 4/4');
    expect(r.stderr).toContain("reward 'throws' failed on 4 of 4 samples (100%) in each of the last 2 rollout(s)");
  });
});
