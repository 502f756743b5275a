import { spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type Model, noGrad } from '@aha/core';
import { defineReward, type Reward } from '@aha/rewards';
import { afterEach, describe, expect, it } from 'vitest';
import type { LossType } from '../config.js';
import { r1ZeroTemplate } from '../data/chat.js';
import { readMetricsJsonl, type StepMetrics } from '../metrics.js';
import { generateAddition } from '../tasks/addition.js';
import { killRunOptions } from './__fixtures__/kill-options.js';
import { additionAccuracy, tinyModel, tinyTokenizer } from './__fixtures__/tiny.js';
import type { RolloutSample } from './rollout.js';
import { GrpoTrainer, type GrpoTrainerOptions } from './trainer.js';

const dirs: string[] = [];
async function tempDir(): Promise<string> {
  const d = await mkdtemp(join(tmpdir(), 'aha-grpo-'));
  dirs.push(d);
  return d;
}
afterEach(async () => {
  await Promise.all(dirs.splice(0).map((d) => rm(d, { recursive: true, force: true })));
});

/** A deterministic reward with spread inside groups: the completion's character count mod 4, over 3. */
const lengthMod: Reward = defineReward({
  name: 'lengthMod',
  async score(samples) {
    return samples.map((s) => (String(s.completion).length % 4) / 3);
  },
});

const dataset = generateAddition({ count: 24, seed: 3, digits: { min: 1, max: 1 } });

function options(outputDir: string, extra: Partial<GrpoTrainerOptions> = {}): GrpoTrainerOptions {
  return {
    model: tinyModel(7),
    tokenizer: tinyTokenizer(),
    dataset,
    rewards: [lengthMod, additionAccuracy],
    groupSize: 4,
    promptsPerStep: 2,
    stepsPerRollout: 1,
    maxCompletionLength: 6,
    maxSteps: 2,
    learningRate: 5e-3,
    epsilonLow: 0.2,
    epsilonHigh: 0.28,
    outputDir,
    ...extra,
  };
}

async function collect(t: GrpoTrainer): Promise<StepMetrics[]> {
  const out: StepMetrics[] = [];
  for await (const m of t.train()) out.push(m);
  return out;
}

function snapshot(model: Model): Map<string, Float32Array> {
  return new Map([...model.stateDict()].map(([n, t]) => [n, t.toFloat32Array()]));
}

function load(model: Model, snap: Map<string, Float32Array>): Model {
  for (const [n, t] of model.stateDict()) t.values().set(snap.get(n) as Float32Array);
  return model;
}

/** log softmax(logits / T)[token] of each completion token, one unpadded sequence at a time, in float64. */
function directLogprobs(model: Model, s: RolloutSample, temperature: number): number[] {
  return noGrad(() => {
    const seq = [...s.promptIds, ...s.completionIds];
    const logits = model.forward([seq.slice(0, -1)]); // [1, T − 1, V]
    const V = logits.shape[2];
    const v = logits.toFloat32Array();
    return s.completionIds.map((tok, j) => {
      const row = (s.promptIds.length - 1 + j) * V;
      let max = -Infinity;
      for (let k = 0; k < V; k++) max = Math.max(max, v[row + k] / temperature);
      let z = 0;
      for (let k = 0; k < V; k++) z += Math.exp(v[row + k] / temperature - max);
      return v[row + tok] / temperature - max - Math.log(z);
    });
  });
}

/** (r − mean) / (sample std + 1e-4) per group of 4, written out by hand. */
function handAdvantages(rewards: number[], g: number): number[] {
  const out: number[] = [];
  for (let s = 0; s < rewards.length; s += g) {
    const r = rewards.slice(s, s + g);
    const mean = r.reduce((a, b) => a + b, 0) / g;
    const std = Math.sqrt(r.reduce((a, b) => a + (b - mean) ** 2, 0) / (g - 1));
    for (const x of r) out.push(std === 0 ? 0 : (x - mean) / (std + 1e-4));
  }
  return out;
}

describe('GrpoTrainer: loss, advantages and KL against a direct computation', () => {
  for (const lossType of ['grpo', 'bnpo', 'dr_grpo', 'dapo'] as LossType[]) {
    it(`step 2 of a μ = 2 run (${lossType}, 2 micro-batches, β = 0.05, T = 0.7)`, async () => {
      const beta = 0.05;
      const temperature = 0.7;
      const t = new GrpoTrainer(
        options(await tempDir(), {
          lossType,
          beta,
          temperature,
          numIterations: 2,
          gradAccumulation: 2,
          refModelSyncSteps: 0,
          checkpointEvery: 0,
        }),
      );
      const initial = snapshot(t.model);
      let afterFirst: Map<string, Float32Array> | null = null;
      const metrics: StepMetrics[] = [];
      for await (const m of t.train()) {
        metrics.push(m);
        if (m.step === 1) afterFirst = snapshot(t.model);
      }
      const samples = [...t.rolloutSamples];
      expect(samples).toHaveLength(8);

      // Advantages: the weighted total (lengthMod + accuracy, weights 1), normalised per group by hand.
      const totals = samples.map((s) => (s.rewards.lengthMod as number) + (s.rewards.accuracy as number));
      expect(samples.map((s) => s.reward)).toEqual(totals);
      const adv = handAdvantages(totals, 4);
      samples.forEach((s, i) => {
        expect(s.advantage).toBeCloseTo(adv[i], 6);
      });

      // Log-probs: π_old = π_ref = the initial weights (sampled before any update), π_θ = the weights after step 1.
      const old = samples.map((s) => directLogprobs(load(tinyModel(7), initial), s, temperature));
      const cur = samples.map((s) => directLogprobs(load(tinyModel(7), afterFirst!), s, temperature));
      const perToken = samples.map((_, i) =>
        cur[i].map((l, j) => {
          const ratio = Math.exp(l - old[i][j]);
          const clipped = Math.min(Math.max(ratio, 1 - 0.2), 1 + 0.28);
          const d = old[i][j] - l;
          const kl = Math.exp(d) - d - 1;
          return { loss: -Math.min(ratio * adv[i], clipped * adv[i]) + beta * kl, kl };
        }),
      );
      const sumOf = (rows: typeof perToken) => rows.flat().reduce((a, b) => a + b.loss, 0);
      const tokensOf = (rows: typeof perToken) => rows.flat().length;
      const halves = [perToken.slice(0, 4), perToken.slice(4)];
      const L = Math.max(...samples.map((s) => s.completionIds.length));
      let expected: number;
      if (lossType === 'grpo') {
        expected = perToken.reduce((a, row) => a + row.reduce((x, y) => x + y.loss, 0) / row.length, 0) / 8;
      } else if (lossType === 'bnpo') {
        expected = halves.reduce((a, h) => a + sumOf(h) / tokensOf(h), 0) / 2;
      } else if (lossType === 'dr_grpo') {
        expected = sumOf(perToken) / (8 * 6); // B × maxCompletionLength
      } else {
        expected = sumOf(perToken) / tokensOf(perToken);
      }
      expect(L).toBeLessThanOrEqual(6);
      expect(metrics[1].loss).toBeCloseTo(expected, 4);
      expect(Math.abs(metrics[1].loss - expected)).toBeLessThan(1e-4 + 1e-3 * Math.abs(expected));
      const klMean = perToken.flat().reduce((a, b) => a + b.kl, 0) / tokensOf(perToken);
      expect(klMean).toBeGreaterThan(0);
      // The trainer reports the token-weighted mean over micro-batches.
      expect(metrics[1].kl).toBeCloseTo(klMean, 5);
      // Step 1 trains at ratio 1 against a reference equal to the policy: KL 0 and (grpo) loss −mean(A) = 0.
      expect(metrics[0].kl).toBeCloseTo(0, 6);
    });
  }
});

describe('GrpoTrainer: resume', () => {
  it('a run stopped mid-way and restarted ends exactly where an uninterrupted run ends', async () => {
    const cfg = (dir: string) =>
      options(dir, {
        maxSteps: 5,
        numIterations: 2, // rollouts span steps (1,2), (3,4), (5): the checkpoint at 3 sits inside a rollout
        beta: 0.02,
        refModelSyncSteps: 2,
        refModelMixupAlpha: 0.5,
        checkpointEvery: 3,
        dynamicSampling: true,
        dynamicSamplingMaxRounds: 1,
      });
    const a = await tempDir();
    const full = new GrpoTrainer(cfg(a));
    const fullMetrics = await collect(full);
    expect(fullMetrics.map((m) => m.step)).toEqual([1, 2, 3, 4, 5]);

    const b = await tempDir();
    const first = new GrpoTrainer(cfg(b));
    for await (const m of first.train()) if (m.step === 4) break; // step 4 is logged but not checkpointed
    const resumed = new GrpoTrainer(cfg(b));
    const rest = await collect(resumed);
    expect(rest.map((m) => m.step)).toEqual([4, 5]);

    const fa = snapshot(full.model);
    const fb = snapshot(resumed.model);
    for (const [name, v] of fa) expect(Array.from(fb.get(name) as Float32Array), name).toEqual(Array.from(v));
    const ra = snapshot(full.refModel as Model);
    const rb = snapshot(resumed.refModel as Model);
    for (const [name, v] of ra) expect(Array.from(rb.get(name) as Float32Array), name).toEqual(Array.from(v));

    const strip = (m: Record<string, unknown>) => {
      // Timings differ from run to run (also under the loop's names: time, step_seconds, tokens_per_s).
      const { stepSeconds: _s, throughput: _t, time: _w, step_seconds: _ss, tokens_per_s: _tp, ...rest } = m;
      return rest;
    };
    const la = await readMetricsJsonl(join(a, 'metrics.jsonl'));
    const lb = await readMetricsJsonl(join(b, 'metrics.jsonl'));
    expect(lb.map((m) => m.step)).toEqual([1, 2, 3, 4, 5]); // the first run's step-4 record was replaced
    expect(lb.map(strip)).toEqual(la.map(strip));
  });
});

describe('GrpoTrainer: rollout options', () => {
  // The accuracy of "What is a + b?" never varies for the untrained model (always 0); the prompt-dependent reward
  // below is constant for sums < 9, so those groups have zero variance.
  const split: Reward = defineReward({
    name: 'split',
    async score(samples) {
      return samples.map((s) => (Number(s.solution) < 9 ? 1 : String(s.completion).length % 2));
    },
  });

  it('dynamic sampling drops zero-variance groups and refills the batch', async () => {
    const t = new GrpoTrainer(
      options(await tempDir(), {
        rewards: [split],
        maxSteps: 2,
        promptsPerStep: 3,
        dynamicSampling: true,
        dynamicSamplingMaxRounds: 6,
        beta: 0,
      }),
    );
    const ms = await collect(t);
    for (const m of ms) {
      expect(m.zeroVarianceGroups.count).toBe(0);
      expect(m.rolloutZeroVarianceGroups?.sampled).toBeGreaterThan(3);
      expect(m.rolloutZeroVarianceGroups?.count).toBeGreaterThan(0);
    }
    expect(t.refModel).toBeNull();
    expect(ms[0].kl).toBeUndefined();
  });

  it('without dynamic sampling, zero-variance groups stay in with advantage 0 and are reported', async () => {
    const t = new GrpoTrainer(options(await tempDir(), { rewards: [split], maxSteps: 1, promptsPerStep: 6 }));
    const [m] = await collect(t);
    const groups = new Map<number, RolloutSample[]>();
    for (const s of t.rolloutSamples) groups.set(s.group, [...(groups.get(s.group) ?? []), s]);
    let flat = 0;
    for (const g of groups.values()) {
      if (g.every((s) => s.reward === g[0].reward)) {
        flat++;
        for (const s of g) expect(s.advantage).toBe(0);
      }
    }
    expect(flat).toBeGreaterThan(0);
    expect(m.zeroVarianceGroups).toEqual({ count: flat, share: flat / 6 });
  });

  it('a failing reward is reported and its samples are masked out, never scored 0', async () => {
    let calls = 0;
    const flaky: Reward = defineReward({
      name: 'flaky',
      async score(samples) {
        calls++;
        if (samples.length > 1) throw new Error('boom'); // the runner retries one sample at a time
        if (String(samples[0].completion).length % 2 === 0) throw new Error('boom');
        return [1];
      },
    });
    const t = new GrpoTrainer(options(await tempDir(), { rewards: [flaky], maxSteps: 1, beta: 0 }));
    const [m] = await collect(t);
    expect(calls).toBeGreaterThan(1);
    const failed = t.rolloutSamples.filter((s) => s.reward === null).length;
    expect(failed).toBeGreaterThan(0);
    expect(m.rewardFailures?.flaky.error).toBe(failed);
    expect(m.maskedSamples).toBe(failed);
    expect(m.rewards.flaky.mean).toBe(1); // the mean is over the samples the reward scored
    for (const s of t.rolloutSamples) if (s.reward === null) expect(s.advantage).toBe(0);
  });

  it('overlong filtering masks truncated completions out of the token count', async () => {
    const base = { maxSteps: 1, beta: 0, lossType: 'dapo' as const, maxCompletionLength: 3 };
    const plain = new GrpoTrainer(options(await tempDir(), base));
    const filtered = new GrpoTrainer(options(await tempDir(), { ...base, overlongFilter: true }));
    const [mp] = await collect(plain);
    const [mf] = await collect(filtered);
    expect(mp.clippedShare).toBeGreaterThan(0); // an untrained model rarely emits EOS within 3 tokens
    expect(mf.clippedShare).toBe(mp.clippedShare); // same seed, same completions
    if (mp.clippedShare === 1) expect(mf.gradNorm).toBe(0);
    else expect(mf.gradNorm).not.toBe(mp.gradNorm);
  });

  it('writes metrics.jsonl with the StepMetrics fields and a few samples', async () => {
    const dir = await tempDir();
    const t = new GrpoTrainer(options(dir, { maxSteps: 2, logSamples: 3 }));
    const ms = await collect(t);
    const logged = await readMetricsJsonl<StepMetrics>(join(dir, 'metrics.jsonl'));
    expect(logged.map((m) => m.step)).toEqual([1, 2]);
    const m = logged[1];
    expect(m.samples).toHaveLength(3);
    expect(Object.keys(m.rewards).sort()).toEqual(['accuracy', 'lengthMod']);
    expect(m.accuracy).toBe(ms[1].accuracy);
    expect(m.completionLength.max).toBeLessThanOrEqual(6);
    expect(m.entropy).toBeGreaterThan(0);
    expect(m.lr).toBeGreaterThan(0);
    expect(m.reflection.completions).toBe(8);
    expect(m.throughput.rolloutTokensPerSec).toBeGreaterThan(0);
  });

  it('rejects bad options with typed errors', () => {
    expect(() => new GrpoTrainer({ ...options('x'), rewards: [] })).toThrow(/rewards must be a non-empty array/);
    expect(() => new GrpoTrainer({ ...options('x'), groupSize: 1 })).toThrow(/groupSize/);
    expect(() => new GrpoTrainer({ ...options('x'), gradAccumulation: 9 })).toThrow(/gradAccumulation \(9\)/);
    expect(() => new GrpoTrainer({ ...options('x'), maxPromptLength: 2 })).toThrow(/maxPromptLength/);
  });
});

describe('GrpoTrainer: cancellation', () => {
  it('an aborted run checkpoints the step it finished and a new trainer continues from there', async () => {
    const dir = await tempDir();
    const controller = new AbortController();
    const first = new GrpoTrainer(options(dir, { maxSteps: 3, checkpointEvery: 0, signal: controller.signal }));
    const seen: number[] = [];
    for await (const m of first.train()) {
      seen.push(m.step);
      if (m.step === 1) controller.abort();
    }
    expect(seen).toEqual([1, 2]); // the abort lands during step 2's report; step 2 is finished and saved
    const resumed = new GrpoTrainer(options(dir, { maxSteps: 3, checkpointEvery: 0 }));
    const rest = await collect(resumed);
    expect(rest.map((m) => m.step)).toEqual([3]);
    const ref = new GrpoTrainer(options(await tempDir(), { maxSteps: 3, checkpointEvery: 0 }));
    await collect(ref);
    expect(snapshot(resumed.model)).toEqual(snapshot(ref.model));
  });
});

describe('GrpoTrainer: kill -9 and resume', () => {
  it('a process killed mid-run resumes from its last checkpoint and ends like an uninterrupted run', async () => {
    const dir = await tempDir();
    const script = fileURLToPath(new URL('./__fixtures__/kill-run.ts', import.meta.url));
    const tsx = createRequire(import.meta.url).resolve('tsx');
    const child = spawn(process.execPath, ['--conditions=source', '--import', tsx, script, dir, '5'], {
      env: { ...process.env, AHA_NUM_THREADS: '1' },
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    const steps: number[] = [];
    await new Promise<void>((resolve, reject) => {
      let buffered = '';
      child.stdout.on('data', (chunk: Buffer) => {
        buffered += chunk.toString();
        for (const m of buffered.matchAll(/step (\d+)\n/g)) if (!steps.includes(Number(m[1]))) steps.push(Number(m[1]));
        if (steps.includes(5)) child.kill('SIGKILL'); // checkpoint at 3; steps 4–5 logged, not checkpointed
      });
      child.on('exit', (_code, signal) =>
        signal === 'SIGKILL' ? resolve() : reject(new Error(`child exited: ${_code}`)),
      );
    });
    expect(steps).toEqual([1, 2, 3, 4, 5]);
    const resumed = new GrpoTrainer(killRunOptions(dir));
    expect((await collect(resumed)).map((m) => m.step)).toEqual([4, 5, 6]);

    const fresh = await tempDir();
    const full = new GrpoTrainer(killRunOptions(fresh));
    await collect(full);
    expect(snapshot(resumed.model)).toEqual(snapshot(full.model));
    const strip = (m: Record<string, unknown>) => {
      // Timings differ from run to run (also under the loop's names: time, step_seconds, tokens_per_s).
      const { stepSeconds: _s, throughput: _t, time: _w, step_seconds: _ss, tokens_per_s: _tp, ...rest } = m;
      return rest;
    };
    const killed = await readMetricsJsonl(join(dir, 'metrics.jsonl'));
    const uninterrupted = await readMetricsJsonl(join(fresh, 'metrics.jsonl'));
    expect(killed.map(strip)).toEqual(uninterrupted.map(strip));
  }, 60_000);
});

describe('GrpoTrainer: prompts', () => {
  it('renders chat prompts with the tokenizer template (one BOS) and strings with a given template', async () => {
    const tok = tinyTokenizer();
    const bos = tok.tokenToId('<|bos|>');
    const chat = [{ prompt: [{ role: 'user', content: 'What is 2 + 3?' }], solution: '5' }];
    const t = new GrpoTrainer(options(await tempDir(), { dataset: chat, promptsPerStep: 1, maxSteps: 1 }));
    await collect(t);
    const ids = t.rolloutSamples[0].promptIds;
    expect(ids.filter((i) => i === bos)).toHaveLength(1);
    expect(tok.decode(ids, { skipSpecialTokens: true })).toContain('What is 2 + 3?');

    const wrapped = new GrpoTrainer(
      options(await tempDir(), {
        dataset: [{ prompt: 'What is 2 + 3?', solution: '5' }],
        chatTemplate: r1ZeroTemplate,
        promptsPerStep: 1,
        maxSteps: 1,
        maxCompletionLength: 2,
      }),
    );
    await collect(wrapped);
    const text = tok.decode(wrapped.rolloutSamples[0].promptIds, { skipSpecialTokens: true });
    expect(text).toBe(r1ZeroTemplate([{ role: 'user', content: 'What is 2 + 3?' }]));
    expect(wrapped.rolloutSamples[0].promptIds[0]).toBe(bos);
  });
});
