import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { combineRewards } from './combine.js';
import { createRewardContext, defineReward, type Sample, silentLogger } from './reward.js';
import { scoreRewards } from './runner.js';
import { MAX_TIMEOUTS_IN_A_ROW } from './worker.js';

const fixture = new URL('./__fixtures__/worker-rewards.mjs', import.meta.url);
const tsFixture = new URL('./__fixtures__/worker-reward.ts', import.meta.url);
const samples = (...completions: string[]): Sample[] => completions.map((completion) => ({ prompt: 'q', completion }));

describe('defineReward', () => {
  it('returns its argument, so types infer and nothing is wrapped', () => {
    const def = { name: 'one', score: async (s: Sample[]) => s.map(() => 1) };
    expect(defineReward(def)).toBe(def);
  });

  it('rejects a nameless reward and one with both score and worker', () => {
    expect(() => defineReward({ name: '', score: async () => [] })).toThrow(/name must be a non-empty string/);
    expect(() =>
      // @ts-expect-error both score and worker is not allowed by the types either
      defineReward({ name: 'x', score: async () => [], worker: { module: fixture } }),
    ).toThrow(/either score or worker/);
  });

  it('checks columns once per batch and names the reward, the column and the sample', async () => {
    const reward = defineReward({
      name: 'needs-solution',
      columns: z.object({ solution: z.string() }),
      score: async (s) => s.map(() => 1),
    });
    const batch = [
      { prompt: 'q', completion: 'a', solution: '1' },
      { prompt: 'q', completion: 'a' },
    ];
    await expect(scoreRewards(reward, batch)).rejects.toThrow(
      /reward 'needs-solution': column 'solution' is missing in sample 1/,
    );
    const wrongType = [{ prompt: 'q', completion: 'a', solution: 3 }];
    await expect(scoreRewards(reward, wrongType)).rejects.toThrow(/column 'solution' has a number \(3\) in sample 0/);
  });
});

describe('scoreRewards', () => {
  it('cuts a runaway synchronous reward at its limit (worker terminated) while other samples and rewards complete', async () => {
    const picky = defineReward({ name: 'picky', worker: { module: fixture, export: 'picky' } });
    const length = defineReward({ name: 'length', worker: { module: fixture.pathname } }); // default export, path form
    const plain = defineReward({ name: 'plain', score: async (s) => s.map(() => 0.5) });
    const [p, l, q] = await scoreRewards([picky, length, plain], samples('yes', 'loop', 'no', 'throw', 'yes!'), {
      timeoutMs: 400,
    });
    expect(p.details.map((d) => d.status)).toEqual(['ok', 'timeout', 'ok', 'error', 'ok']);
    expect(p.values).toEqual([1, null, 0, null, 1]); // samples after the runaway ran in a fresh worker
    expect(p.details[1].message).toMatch(/400 ms; worker terminated/);
    expect(p.details[3].message).toMatch(/picky cannot judge this/);
    expect(l.values).toEqual([3, 4, 2, 5, 4]);
    expect(q.values).toEqual([0.5, 0.5, 0.5, 0.5, 0.5]);
  });

  it('a batch whose worker samples time out one after another gives up the rest, naming why', async () => {
    const picky = defineReward({ name: 'picky', worker: { module: fixture, export: 'picky' } });
    const [r] = await scoreRewards(picky, samples('loop', 'loop', 'loop', 'loop', 'loop', 'yes'), { timeoutMs: 150 });
    expect(r.details.map((d) => d.status)).toEqual(['timeout', 'timeout', 'timeout', 'timeout', 'timeout', 'timeout']);
    expect(r.details.slice(0, 3).every((d) => /worker terminated/.test(d.message ?? ''))).toBe(true);
    expect(r.details[3].message).toBe(
      `not run: ${MAX_TIMEOUTS_IN_A_ROW} samples of this batch timed out one after another (150 ms each)`,
    );
  });

  it('loads a worker module written in TypeScript (through tsx: workers get no loader from the process)', async () => {
    const words = defineReward({ name: 'words', worker: { module: tsFixture } });
    const [r] = await scoreRewards(words, samples('one two', 'three'));
    expect(r.details).toEqual([
      { status: 'ok', value: 2 },
      { status: 'ok', value: 1 },
    ]);
  });

  it('a worker over its heap cap fails that sample only', async () => {
    const hog = defineReward({ name: 'hog', worker: { module: fixture, export: 'hog', maxHeapMb: 16 } });
    const [r] = await scoreRewards(hog, samples('a', 'hog', 'b'), { timeoutMs: 20_000 });
    expect(r.details.map((d) => d.status)).toEqual(['ok', 'error', 'ok']);
    expect(r.details[1].message).toMatch(/memory|exited/i);
    expect(r.values).toEqual([1, null, 1]);
  });

  it('a worker reward called directly reports failures through ctx.fail', async () => {
    const picky = defineReward({ name: 'picky', worker: { module: fixture, export: 'picky', threads: 2 } });
    const ctx = createRewardContext({ timeoutMs: 300 });
    expect(await picky.score(samples('yes', 'throw', 'no'), ctx)).toEqual([1, null, 0]);
    expect(ctx.failures.get(1)).toEqual({ status: 'error', message: 'picky cannot judge this' });
  });

  it('reports a worker module without the export as an error on every sample, not a crash', async () => {
    const bad = defineReward({ name: 'bad', worker: { module: fixture, export: 'notAFunction' } });
    const [r] = await scoreRewards([bad], samples('a', 'b'));
    expect(r.details.map((d) => d.status)).toEqual(['error', 'error']);
    expect(r.details[0].message).toMatch(/export "notAFunction" .* is number, not a function/);
  });

  it('isolates a throwing sample: the batch is retried one sample at a time', async () => {
    let calls = 0;
    const reward = defineReward({
      name: 'fragile',
      async score(batch) {
        calls++;
        return batch.map((s) => {
          if (s.completion === 'bad') throw new Error('cannot parse "bad"');
          return 1;
        });
      },
    });
    const [r] = await scoreRewards(reward, samples('ok', 'bad', 'ok'));
    expect(r.values).toEqual([1, null, 1]);
    expect(r.details[1]).toEqual({ status: 'error', value: null, message: 'cannot parse "bad"' });
    expect(calls).toBe(4); // one batch call, then three single-sample calls
  });

  it('never turns NaN, a string or a wrong-length answer into a silent number', async () => {
    const nan = defineReward({
      name: 'nan',
      score: async (s) => s.map((x) => (x.completion === 'n' ? Number.NaN : 1)),
    });
    const short = defineReward({ name: 'short', score: async () => [1] });
    const [a, b] = await scoreRewards([nan, short], samples('n', 'm'));
    expect(a.details[0]).toMatchObject({ status: 'error', value: null, message: expect.stringMatching(/NaN/) });
    expect(a.values[1]).toBe(1);
    // A batch answer of the wrong length fails the whole batch, not retried one sample at a time (where [1] would be
    // right and hide the bug), and the message says so.
    expect(b.values).toEqual([null, null]);
    expect(b.details[0].message).toBe(
      'score returned 1 values for a batch of 2 samples (one per sample expected): the whole batch fails',
    );
  });

  it('reports each failed sample to the logger with the reward, the sample and the status', async () => {
    const warnings: [string, unknown][] = [];
    const logger = { ...silentLogger, warn: (m: string, d?: unknown) => void warnings.push([m, d]) };
    const boom = defineReward({ name: 'boom', score: async () => Promise.reject(new Error('kaput')) });
    await scoreRewards(boom, samples('a', 'b'), { logger });
    expect(warnings).toEqual([
      ["reward 'boom': sample 0 error: kaput", { reward: 'boom', sample: 0, status: 'error', message: 'kaput' }],
      ["reward 'boom': sample 1 error: kaput", { reward: 'boom', sample: 1, status: 'error', message: 'kaput' }],
    ]);
  });

  it('times out a hanging async reward and aborts its signal', async () => {
    let aborted = false;
    const hang = defineReward({
      name: 'hang',
      score: (batch, ctx) =>
        new Promise((resolve) => {
          if (batch[0].completion !== 'hang') return resolve(batch.map(() => 1));
          ctx.signal.addEventListener('abort', () => {
            aborted = true;
          });
        }),
      batchSize: 1,
    });
    const [r] = await scoreRewards(hang, samples('fine', 'hang'), { timeoutMs: 100 });
    expect(r.details.map((d) => d.status)).toEqual(['ok', 'timeout']);
    expect(aborted).toBe(true);
  });

  it('a reward that rejects on abort after its timeout does not leak an unhandled rejection', async () => {
    const unhandled: unknown[] = [];
    const onUnhandled = (reason: unknown) => unhandled.push(reason);
    process.on('unhandledRejection', onUnhandled);
    const cooperative = defineReward({
      name: 'cooperative',
      score: (_batch, ctx) =>
        new Promise((_, reject) => ctx.signal.addEventListener('abort', () => reject(new Error('aborted')))),
    });
    const [r] = await scoreRewards(cooperative, samples('a'), { timeoutMs: 50 });
    await new Promise((resolve) => setTimeout(resolve, 20));
    process.off('unhandledRejection', onUnhandled);
    expect(r.details[0].status).toBe('timeout');
    expect(unhandled).toEqual([]);
  });

  it('passes ctx.fail through as a per-sample status', async () => {
    const reward = defineReward({
      name: 'partial',
      async score(batch, ctx) {
        ctx.fail(1, 'verifier timed out', 'timeout');
        return batch.map(() => 1);
      },
    });
    const [r] = await scoreRewards(reward, samples('a', 'b'));
    expect(r.details).toEqual([
      { status: 'ok', value: 1 },
      { status: 'timeout', value: null, message: 'verifier timed out' },
    ]);
  });

  it('rejects with the reason when the caller aborts', async () => {
    const controller = new AbortController();
    const slow = defineReward({ name: 'slow', score: () => new Promise(() => {}) });
    const run = scoreRewards(slow, samples('a'), { signal: controller.signal, timeoutMs: 60_000 });
    controller.abort(new Error('stop'));
    await expect(run).rejects.toThrow('stop');
  });
});

describe('combineRewards', () => {
  const constant = (name: string, values: (number | null)[]) =>
    defineReward({ name, score: async (s) => s.map((_, i) => values[i]) });

  // Table: [reason, a values, b values, expected totals] with weights a = 1, b = 0.5.
  const cases: [string, (number | null)[], (number | null)[], (number | null)[]][] = [
    ['weighted sum of two rewards', [1, 0], [1, 1], [1.5, 0.5]],
    ['a null component is skipped (TRL nansum), no renormalisation', [null, 1], [1, null], [0.5, 1]],
    ['all components null → null (the sample has no reward)', [null], [null], [null]],
  ];
  it.each(cases)('%s', async (_reason, a, b, expected) => {
    const combined = combineRewards([
      { reward: constant('a', a), weight: 1 },
      { reward: constant('b', b), weight: 0.5 },
    ]);
    const [r] = await scoreRewards(combined, samples(...a.map(() => 'x')));
    expect(r.values).toEqual(expected);
    expect(r.components?.map((c) => [c.name, c.weight, c.values])).toEqual([
      ['a', 1, a],
      ['b', 0.5, b],
    ]);
    expect(await combined.score(samples(...a.map(() => 'x')), createRewardContext())).toEqual(expected);
  });

  it('a failing component fails the total for that sample, naming the component', async () => {
    const boom = defineReward({
      name: 'boom',
      score: async (s) =>
        s.map((x) => {
          if (x.completion === 'b') throw new Error('kaput');
          return 1;
        }),
    });
    const combined = combineRewards([{ reward: boom }, { reward: constant('one', [1, 1]) }], { name: 'total' });
    const [r] = await scoreRewards(combined, samples('a', 'b'));
    expect(r.name).toBe('total');
    expect(r.values).toEqual([2, null]);
    expect(r.details[1]).toMatchObject({ status: 'error', message: "component 'boom' error: kaput" });
  });

  it('validates the columns of its parts before scoring anything', async () => {
    let called = false;
    const needs = defineReward({
      name: 'needs',
      columns: z.object({ solution: z.string() }),
      score: async (s) => s.map(() => 1),
    });
    const spy = defineReward({
      name: 'spy',
      score: async (s) => {
        called = true;
        return s.map(() => 1);
      },
    });
    await expect(scoreRewards([spy, combineRewards([{ reward: needs }])], samples('a'))).rejects.toThrow(
      /reward 'needs': column 'solution' is missing in sample 0/,
    );
    expect(called).toBe(false);
  });

  it('rejects duplicate names and non-finite weights', () => {
    expect(() => combineRewards([{ reward: constant('a', []) }, { reward: constant('a', []) }])).toThrow(/unique/);
    expect(() => combineRewards([{ reward: constant('a', []), weight: Number.NaN }])).toThrow(/finite/);
  });
});
