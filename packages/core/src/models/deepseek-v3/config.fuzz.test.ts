/**
 * Fuzz tests of model config parsing (fast-check, fixed seed, a few seconds each). Random JSON values for the config
 * keys (hostile numbers: 0, negatives, fractions, 2^31, 2^53, 1e300; wrong types; nested objects) must give either a
 * valid config or a ConfigError; a valid config then either fails the memory budget with a ConfigError or builds a
 * model no larger than the budget (never a huge allocation). The same through loadModel with the edited config.json
 * next to a real tiny checkpoint: a model or a typed error, nothing else. Cases found by fuzzing are kept below.
 * Leaves out: rope_scaling's inner keys beyond type/factor (covered by config.test.ts).
 */
import { mkdtemp, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AhaError } from '../../errors.js';
import { DeepseekV3ConfigShape, parseDeepseekV3Config } from './config.js';
import { deepseekV3Size } from './hf-names.js';
import { checkModelBudget } from './load-checks.js';
import { createModel, loadModel } from './model.js';
import { TINY_CONFIG } from './testing.js';

const SEED = 20261207;
const LIMIT_MS = 4000;
const runs = (numRuns: number) => ({ seed: SEED, numRuns, interruptAfterTimeLimit: LIMIT_MS });
const BUDGET = 4 * 2 ** 20; // bytes a fuzzed model may take: small, so a passing config is cheap to build

const keys = Object.keys(DeepseekV3ConfigShape.shape);
const hostileNumber = fc.oneof(
  { weight: 4, arbitrary: fc.integer({ min: 0, max: 8 }) },
  fc.constantFrom(-1, 0.5, 2 ** 31, 2 ** 32, 2 ** 53, 2 ** 53 + 2, 1e300, Number.MAX_SAFE_INTEGER, 4_000_000),
  fc.double({ noNaN: true }),
);
const hostileValue = fc.oneof(
  { weight: 6, arbitrary: hostileNumber },
  fc.constant(null),
  fc.boolean(),
  fc.string({ maxLength: 6 }),
  fc.array(hostileNumber, { maxLength: 3 }),
  fc.constantFrom('yarn', 'silu', 'sigmoid', 'noaux_tc', 'deepseek_v3'),
  fc.record({ type: fc.constantFrom('yarn', 'linear'), factor: hostileNumber }, { requiredKeys: [] }),
);
/** TINY_CONFIG with up to 6 keys replaced by hostile values (or removed). */
const edits = fc.dictionary(fc.constantFrom(...keys), fc.option(hostileValue, { nil: undefined }), { maxKeys: 6 });
const edited = (e: Record<string, unknown>) => {
  const c: Record<string, unknown> = { ...TINY_CONFIG };
  for (const [k, v] of Object.entries(e)) {
    if (v === undefined) delete c[k];
    else c[k] = v;
  }
  return c;
};

/** Parses, budgets and (when it fits) builds `raw`; rethrows anything that is not an AhaError. */
function parseAndBuild(raw: unknown): 'model' | 'typed-error' {
  try {
    const config = parseDeepseekV3Config(raw);
    checkModelBudget(config, BUDGET);
    const model = createModel(config, { maxBytes: BUDGET });
    const values = model.parameters().reduce((s, p) => s + p.numel, 0);
    expect(values).toBeLessThanOrEqual(deepseekV3Size(config).values);
    expect(values * 4).toBeLessThanOrEqual(BUDGET);
    return 'model';
  } catch (err) {
    if (AhaError.is(err)) return 'typed-error';
    throw err;
  }
}

describe('config parsing under fuzzing: a valid config or a ConfigError, never a huge allocation', () => {
  it('hostile values for the config keys', () => {
    fc.assert(
      fc.property(edits, (e) => {
        parseAndBuild(edited(e));
      }),
      runs(600),
    );
  });

  it('random JSON values as a whole config', () => {
    fc.assert(
      fc.property(fc.jsonValue({ maxDepth: 3 }), (json) => {
        try {
          parseDeepseekV3Config(json);
        } catch (err) {
          if (!AhaError.is(err, 'config')) throw err;
        }
      }),
      runs(2000),
    );
  });
});

describe('loadModel under fuzzed config.json', () => {
  let ckpt: string;
  let work: string;
  beforeAll(async () => {
    ckpt = await mkdtemp(join(tmpdir(), 'aha-cfg-fuzz-'));
    work = await mkdtemp(join(tmpdir(), 'aha-cfg-fuzz-'));
    await createModel(TINY_CONFIG, { seed: 3 }).save(ckpt);
    await symlink(join(ckpt, 'model.safetensors'), join(work, 'model.safetensors'));
  });
  afterAll(async () => {
    await rm(ckpt, { recursive: true, force: true });
    await rm(work, { recursive: true, force: true });
  });

  it('a model or a typed error for every edit of config.json', async () => {
    const base = JSON.parse(await readFile(join(ckpt, 'config.json'), 'utf8')) as Record<string, unknown>;
    await fc.assert(
      fc.asyncProperty(edits, async (e) => {
        const c = { ...base };
        for (const [k, v] of Object.entries(e)) {
          if (v === undefined) delete c[k];
          else c[k] = v;
        }
        await writeFile(join(work, 'config.json'), JSON.stringify(c));
        try {
          await loadModel(work, { maxBytes: BUDGET });
        } catch (err) {
          if (!AhaError.is(err)) throw err;
        }
      }),
      runs(150),
    );
  });
});

// Explicit cases at the edges the fuzzer probes, kept so they run every time.
describe('config regression cases', () => {
  const cases: [string, Record<string, unknown>][] = [
    ['4 million experts', { n_routed_experts: 4_000_000, n_group: 1, topk_group: 1 }],
    ['5 million layers', { num_hidden_layers: 5_000_000 }],
    ['hidden_size 2^53', { hidden_size: 2 ** 53 }],
    ['vocab_size 1e300', { vocab_size: 1e300 }],
    ['moe_intermediate_size 2^31 with 1 expert', { moe_intermediate_size: 2 ** 31, n_routed_experts: 2, n_group: 1 }],
    ['max_position_embeddings 2^53', { max_position_embeddings: 2 ** 53 }],
  ];
  it.each(cases)('%s', (_what, e) => {
    expect(parseAndBuild(edited(e))).toBe('typed-error');
  });
});
