// Reward failures in GRPO: the watch (a table of streaks), and a trainer whose reward throws on every sample — it
// reports the first message and the counts per step, tells a logger as samples fail, and stops with a
// RewardFailureError naming the reward after `rewardFailurePatience` rollouts instead of training on nothing.
// Leaves out: the CLI's printing of these (pipeline progress tests).
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { defineReward, type Reward } from '@aha/rewards';
import { afterEach, describe, expect, it } from 'vitest';
import { parseGrpoConfig } from '../config.js';
import type { StepMetrics } from '../metrics.js';
import { generateAddition } from '../tasks/addition.js';
import { additionAccuracy, tinyModel, tinyTokenizer } from './__fixtures__/tiny.js';
import { RewardFailureError, type RewardFailures, RewardFailureWatch } from './reward-failures.js';
import { GrpoTrainer } from './trainer.js';

const dirs: string[] = [];
afterEach(async () => {
  await Promise.all(dirs.splice(0).map((d) => rm(d, { recursive: true, force: true })));
});

const rollout = (failed: number, samples = 10, message = 'bad'): RewardFailures => ({
  r: { error: failed, timeout: 0, samples, ...(failed ? { messages: [message] } : {}) },
});

describe('RewardFailureWatch', () => {
  // [reason, limit, patience, failed samples (of 10) per rollout, rollout at which it stops (0: never)]
  const cases: [string, number, number, number[], number][] = [
    ['over the limit for `patience` rollouts in a row stops', 0.5, 3, [6, 6, 6, 6], 3],
    ['at the limit is not over it', 0.5, 2, [5, 5, 5], 0],
    ['a good rollout resets the streak', 0.5, 2, [9, 0, 9, 0, 9], 0],
    ['patience 1 stops at the first bad rollout', 0.2, 1, [3], 1],
    ['limit 1 never stops', 1, 1, [10, 10, 10], 0],
  ];
  it.each(cases)('%s', (_reason, limit, patience, fails, stopsAt) => {
    const watch = new RewardFailureWatch(limit, patience);
    let stopped = 0;
    fails.forEach((f, i) => {
      if (stopped) return;
      try {
        watch.observe(rollout(f, 10, `message ${i + 1}`));
      } catch (err) {
        expect(err).toBeInstanceOf(RewardFailureError);
        expect((err as RewardFailureError).firstError).toBe('message 1'); // the first error of the run, not the last
        stopped = i + 1;
      }
    });
    expect(stopped).toBe(stopsAt);
  });

  it('the config keys are checked: a share in [0, 1] and a positive patience', () => {
    expect(parseGrpoConfig({})).toMatchObject({ rewardFailureLimit: 0.5, rewardFailurePatience: 3 });
    expect(() => parseGrpoConfig({ rewardFailureLimit: 1.5 })).toThrow(/rewardFailureLimit/);
    expect(() => parseGrpoConfig({ rewardFailurePatience: 0 })).toThrow(/rewardFailurePatience/);
  });
});

describe('GrpoTrainer with a reward that fails', () => {
  const broken: Reward = defineReward({
    name: 'broken',
    async score() {
      throw new Error('the verifier is not configured');
    },
  });

  it('reports the message and counts per step, tells the logger, then stops naming the reward', async () => {
    const outputDir = await mkdtemp(join(tmpdir(), 'aha-grpo-fail-'));
    dirs.push(outputDir);
    const warnings: unknown[] = [];
    const trainer = new GrpoTrainer({
      model: tinyModel(7),
      tokenizer: tinyTokenizer(),
      dataset: generateAddition({ count: 8, seed: 3, digits: { min: 1, max: 1 } }),
      rewards: [additionAccuracy, broken],
      groupSize: 2,
      promptsPerStep: 2,
      stepsPerRollout: 1,
      maxCompletionLength: 4,
      maxSteps: 5,
      beta: 0,
      outputDir,
      rewardFailurePatience: 2,
      rewardLogger: { debug() {}, info() {}, warn: (_m, data) => void warnings.push(data) },
    });
    const steps: StepMetrics[] = [];
    let error: unknown;
    try {
      for await (const m of trainer.train()) steps.push(m);
    } catch (err) {
      error = err;
    }
    expect(steps).toHaveLength(1); // rollout 2 is the second bad one in a row: the run stops before training on it
    expect(steps[0].rewardFailures?.broken).toEqual({
      error: 4,
      timeout: 0,
      samples: 4,
      messages: ['the verifier is not configured'],
    });
    expect(steps[0].rewardFailures?.accuracy).toEqual({ error: 0, timeout: 0, samples: 4 });
    expect(error).toBeInstanceOf(RewardFailureError);
    expect((error as RewardFailureError).reward).toBe('broken');
    expect((error as Error).message).toContain(
      "reward 'broken' failed on 4 of 4 samples (100%) in each of the last 2 rollout(s), over rewardFailureLimit 0.5: " +
        'first error: the verifier is not configured',
    );
    expect(warnings).toContainEqual({
      reward: 'broken',
      sample: 0,
      status: 'error',
      message: 'the verifier is not configured',
    });
  });
});
