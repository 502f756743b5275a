/**
 * The trainer with a weight sync: the server is given the policy before each rollout (and only then), rollouts name
 * the synced adapter, and a failed sync stops the run before the step that would train on stale rollouts.
 */
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { applyLora, loadModel, type Model, readSafetensors } from '@aha/core';
import { defineReward } from '@aha/rewards';
import { afterEach, describe, expect, it } from 'vitest';
import {
  completionsReply,
  httpReply,
  type MockOpenAi,
  type MockReply,
  startMockOpenAi,
} from '../rollout/__fixtures__/mock-openai.js';
import { type WeightSync, WeightSyncError } from '../rollout/weight-sync.js';
import { generateAddition } from '../tasks/addition.js';
import { tinyModel, tinyTokenizer } from './__fixtures__/tiny.js';
import { GrpoTrainer, type GrpoTrainerOptions } from './trainer.js';

let server: MockOpenAi | null = null;
const dirs: string[] = [];
afterEach(async () => {
  await server?.close();
  server = null;
  await Promise.all(dirs.splice(0).map((d) => rm(d, { recursive: true, force: true })));
});

const dataset = generateAddition({ count: 8, seed: 5, digits: { min: 1, max: 1 } });
// Spread inside every group, so each step has a gradient.
const lengthReward = defineReward({
  name: 'len',
  async score(samples) {
    return samples.map((s) => String(s.completion).length / 10);
  },
});
const completions = completionsReply((p, j) => `${p}${'ab'.repeat(j + 1)}`);

/** Completions on /v1/completions; vLLM's LoRA endpoints (plain-text success, 404 unloading an unknown name). */
function vllm(opts: { failLoad?: (n: number) => number | null } = {}): MockReply {
  const loaded = new Set<string>();
  let loads = 0;
  return (body, path) => {
    if (path === '/v1/completions') return completions(body, path);
    const name = body.lora_name as string;
    if (path === '/v1/load_lora_adapter') {
      const status = opts.failLoad?.(loads++) ?? null;
      if (status !== null) return httpReply(status, { message: 'cannot load' });
      loaded.add(name);
      return 'Success';
    }
    if (path === '/v1/unload_lora_adapter') return loaded.delete(name) ? 'Success' : httpReply(404, 'not found');
    return { success: true };
  };
}

function loraModel(): Model {
  const m = tinyModel(3);
  applyLora(m, { r: 2, targetModules: ['o_proj'], seed: 1 });
  return m;
}

async function options(baseUrl: string, extra: Partial<GrpoTrainerOptions> = {}): Promise<GrpoTrainerOptions> {
  const dir = await mkdtemp(join(tmpdir(), 'aha-grpo-sync-'));
  dirs.push(dir);
  return {
    model: loraModel(),
    tokenizer: tinyTokenizer(),
    dataset,
    rewards: [lengthReward],
    rollout: {
      backend: 'remote',
      baseUrl,
      model: 'base',
      maxRetries: 0,
      timeoutMs: 5_000,
      sync: { kind: 'lora', timeoutMs: 5_000 },
    },
    groupSize: 4,
    promptsPerStep: 2,
    stepsPerRollout: 1,
    maxCompletionLength: 16,
    maxSteps: 3,
    beta: 0,
    learningRate: 1e-2,
    seed: 9,
    outputDir: dir,
    ...extra,
  };
}

async function run(t: GrpoTrainer, onStep?: () => void) {
  const out = [];
  for await (const m of t.train()) {
    out.push(m);
    onStep?.();
  }
  return out;
}

/** The calls the server saw, as "path model-or-adapter". */
const calls = (s: MockOpenAi) =>
  s.paths.map((p, i) => `${p} ${String(s.requests[i].model ?? s.requests[i].lora_name ?? s.requests[i].model_path)}`);

describe('GrpoTrainer with a LoRA weight sync (vLLM runtime LoRA)', () => {
  it('loads the trained adapter before each rollout and samples from it by name', async () => {
    server = await startMockOpenAi(vllm());
    const o = await options(server.baseUrl);
    const ms = await run(new GrpoTrainer(o));
    expect(ms).toHaveLength(3);
    expect(calls(server)).toEqual([
      '/v1/unload_lora_adapter aha-policy-step-0', // first sync of the process: clear the name (404: not there)
      '/v1/load_lora_adapter aha-policy-step-0',
      '/v1/completions aha-policy-step-0',
      '/v1/unload_lora_adapter aha-policy-step-0',
      '/v1/load_lora_adapter aha-policy-step-1',
      '/v1/completions aha-policy-step-1',
      '/v1/unload_lora_adapter aha-policy-step-1',
      '/v1/load_lora_adapter aha-policy-step-2',
      '/v1/completions aha-policy-step-2',
    ]);
    const syncDir = join(o.outputDir as string, 'weight-sync');
    expect(server.requests[7].lora_path).toBe(join(syncDir, 'aha-policy-step-2'));
    expect(ms.map((m) => m.weightSync?.version)).toEqual([
      'aha-policy-step-0',
      'aha-policy-step-1',
      'aha-policy-step-2',
    ]);
    expect(ms[0].weightSync?.kind).toBe('lora');
    // The server got the trained adapter: B starts at zero, after two optimizer steps it is not.
    const saved = await readSafetensors(join(syncDir, 'aha-policy-step-2', 'adapter_model.safetensors'));
    const bs = [...saved].filter(([n]) => n.endsWith('lora_B.weight'));
    expect(bs.length).toBeGreaterThan(0);
    expect(bs.some(([, t]) => t.data.some((v) => v !== 0))).toBe(true);
    const cfg = JSON.parse(await readFile(join(syncDir, 'aha-policy-step-2', 'adapter_config.json'), 'utf8'));
    expect([cfg.peft_type, cfg.r, cfg.target_modules]).toEqual(['LORA', 2, ['o_proj']]);
  });

  it('syncs once per rollout when a rollout feeds several steps', async () => {
    server = await startMockOpenAi(vllm());
    const t = new GrpoTrainer(await options(server.baseUrl, { stepsPerRollout: 2, promptsPerStep: 1, maxSteps: 4 }));
    const ms = await run(t);
    expect(ms).toHaveLength(4);
    const loads = calls(server).filter((c) => c.startsWith('/v1/load_lora_adapter'));
    expect(loads).toEqual(['/v1/load_lora_adapter aha-policy-step-0', '/v1/load_lora_adapter aha-policy-step-2']);
    expect(ms.map((m) => m.weightSync?.version)).toEqual([
      'aha-policy-step-0',
      'aha-policy-step-0',
      'aha-policy-step-2',
      'aha-policy-step-2',
    ]);
  });

  it.each([500, 404])('a load answered %i fails the run before the next step trains', async (status) => {
    server = await startMockOpenAi(vllm({ failLoad: (n) => (n === 1 ? status : null) }));
    const o = await options(server.baseUrl);
    const t = new GrpoTrainer(o);
    let after: Float32Array[] = [];
    const params = () => t.model.parameters().map((p) => p.toFloat32Array());
    const steps: number[] = [];
    const err = await (async () => {
      for await (const m of t.train()) {
        steps.push(m.step);
        after = params();
      }
    })().catch((e: unknown) => e);
    expect(WeightSyncError.isWeightSyncError(err, 'http')).toBe(true);
    expect((err as WeightSyncError).status).toBe(status);
    expect((err as Error).message).toContain('/v1/load_lora_adapter');
    expect(steps).toEqual([1]);
    expect(params()).toEqual(after); // no optimizer step after the failed load
    // no rollout was sampled from the stale adapter
    expect(calls(server).at(-1)).toBe('/v1/load_lora_adapter aha-policy-step-1');
    const lines = (await readFile(join(o.outputDir as string, 'metrics.jsonl'), 'utf8')).trim().split('\n');
    expect(lines).toHaveLength(1);
  });
});

describe('GrpoTrainer with a full-weight sync', () => {
  it('writes a loadable checkpoint of the current policy and posts its path before each rollout', async () => {
    server = await startMockOpenAi((body, path) =>
      path === '/v1/completions' ? completions(body, path) : { success: true },
    );
    const o = await options(server.baseUrl, {
      model: tinyModel(3),
      maxSteps: 2,
      rollout: {
        backend: 'remote',
        baseUrl: server.baseUrl,
        model: 'base',
        maxRetries: 0,
        sync: { kind: 'full', dir: join(await mkdtemp(join(tmpdir(), 'aha-grpo-full-')), 'w') },
      },
    });
    const syncDir = (o.rollout as { sync: { dir: string } }).sync.dir;
    dirs.push(join(syncDir, '..'));
    const t = new GrpoTrainer(o);
    let afterStep1: Map<string, Float32Array> | null = null;
    const ms = await run(t, () => {
      afterStep1 ??= new Map([...t.model.stateDict()].map(([n, x]) => [n, x.toFloat32Array()]));
    });
    expect(ms).toHaveLength(2);
    expect(calls(server)).toEqual([
      `/update_weights_from_disk ${join(syncDir, 'step-0')}`,
      '/v1/completions base',
      `/update_weights_from_disk ${join(syncDir, 'step-1')}`,
      '/v1/completions base',
    ]);
    const back = await loadModel(join(syncDir, 'step-1'));
    const want = afterStep1 as unknown as Map<string, Float32Array>;
    for (const [n, x] of back.stateDict()) expect(x.toFloat32Array(), n).toEqual(want.get(n));
    expect(ms[1].weightSync).toMatchObject({ kind: 'full', version: 'step-1' });
  });
});

describe('GrpoTrainer weight-sync checks at construction', () => {
  it('lora sync needs adapters; full sync refuses them; one sync only; a server to sync to', async () => {
    const o = await options('http://127.0.0.1:1');
    expect(() => new GrpoTrainer({ ...o, model: tinyModel(3) })).toThrow(/needs a model with LoRA adapters/);
    const full = { ...(o.rollout as object), sync: { kind: 'full' } } as GrpoTrainerOptions['rollout'];
    expect(() => new GrpoTrainer({ ...o, rollout: full })).toThrow(/use sync 'lora'/);
    const mine: WeightSync = { kind: 'mine', sync: async () => ({ version: 'v' }) };
    expect(() => new GrpoTrainer({ ...o, weightSync: mine })).toThrow(/not both/);
    expect(() => new GrpoTrainer({ ...o, rollout: { backend: 'local' }, weightSync: mine })).toThrow(
      /needs a server to sync to/,
    );
  });

  it('a sync of your own is called before each rollout and its model name requested', async () => {
    server = await startMockOpenAi(vllm());
    const o = await options(server.baseUrl, { model: tinyModel(3), maxSteps: 2 });
    const seen: number[] = [];
    const mine: WeightSync = {
      kind: 'mine',
      async sync(ctx) {
        seen.push(ctx.step);
        return { model: `served-${ctx.step}`, version: `v${ctx.step}` };
      },
    };
    const { sync: _s, ...rollout } = o.rollout as { sync: unknown };
    const ms = await run(
      new GrpoTrainer({ ...o, rollout: rollout as GrpoTrainerOptions['rollout'], weightSync: mine }),
    );
    expect(seen).toEqual([0, 1]);
    expect(calls(server)).toEqual(['/v1/completions served-0', '/v1/completions served-1']);
    expect(ms[1].weightSync).toMatchObject({ kind: 'mine', version: 'v1' });
  });
});
