// The packages as npm users get them — built dist/, plain node, no "source" export condition: the CLI's build runs
// `aha run <config>` (r1-zero from the shipped base model, whose path must resolve from the bundle) and `aha train
// grpo`, each one tiny step with a TypeScript plugin reward; and a script outside the repo that depends on the
// packages runs with plain `node` and with `tsx`. The build is `npm install`'s postinstall (turbo; cached, so the
// build step here is a cache hit unless the sources changed). Leaves out: packing tarballs (`npm pack`).
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const ROOT = fileURLToPath(new URL('../../../../', import.meta.url));
const BIN = join(ROOT, 'packages/pipeline/dist/cli/bin.js');
const PLUGIN = fileURLToPath(new URL('../commands/__fixtures__/factory-reward.ts', import.meta.url));
const WORKER_PLUGIN = fileURLToPath(new URL('../commands/__fixtures__/worker-reward.ts', import.meta.url));

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'aha-built-'));
  // What `npm install` did (postinstall); a cache hit unless a package's sources changed since.
  execFileSync('npx', ['turbo', 'run', 'build', '--filter=./packages/*', '--output-logs=errors-only'], {
    cwd: ROOT,
    stdio: 'pipe',
    timeout: 600_000,
  });
}, 600_000);
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Runs the built CLI under plain node in the temp folder. */
const aha = (...args: string[]) =>
  spawnSync(process.execPath, [BIN, ...args], {
    cwd: dir,
    encoding: 'utf8',
    env: { ...process.env, CI: 'true', NODE_OPTIONS: '' },
    timeout: 240_000,
  });
const config = (name: string, value: object) => {
  writeFileSync(join(dir, name), JSON.stringify(value));
  return name;
};
const firstRecord = (file: string) => JSON.parse(readFileSync(join(dir, file), 'utf8').split('\n')[0]);
const plugin = { module: PLUGIN, export: 'atMost', options: { max: 5, name: 'at_most' } };

describe('the built CLI (dist/cli/bin.js under plain node)', () => {
  it('aha run <config>: r1-zero from the shipped base model, one step, a .ts plugin reward', () => {
    const file = config('zero.json', {
      recipe: 'r1-zero',
      model: 'tiny',
      outputDir: 'runs/zero',
      eval: { evalProblems: 2 },
      grpo: { maxSteps: 1, promptsPerStep: 1, groupSize: 2, checkpointEvery: 1 },
      r1Zero: { trainProblems: 10 },
      rewards: [{ name: 'accuracy' }, plugin],
    });
    const r = aha('run', file, '--no-report');
    expect(r.status, r.stderr).toBe(0);
    expect(Object.keys(firstRecord('runs/zero/grpo/metrics.jsonl').rewards).sort()).toEqual(['accuracy', 'at_most']);
  });

  it('aha train grpo: one step on the addition task with the same plugin and a TypeScript worker reward', () => {
    const file = config('grpo.json', {
      model: 'tiny',
      outputDir: 'runs/grpo',
      rewards: [{ name: 'format' }, plugin, { module: WORKER_PLUGIN }],
      grpo: { task: 'addition', trainProblems: 10, maxSteps: 1, groupSize: 2, promptsPerStep: 1, stepsPerRollout: 1 },
    });
    const r = aha('train', 'grpo', file, '--json');
    expect(r.status, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({ ok: true, command: 'train grpo', lastStep: 1 });
    const record = firstRecord('runs/grpo/metrics.jsonl');
    expect(Object.keys(record.rewards).sort()).toEqual(['at_most', 'format', 'worker_len']);
    expect(record.rewardFailures.worker_len).toMatchObject({ error: 0, timeout: 0 }); // loaded and scored in its thread
  });
});

describe('a script outside the repo', () => {
  it('depends on the packages and runs with plain node and with tsx (no --conditions=source)', () => {
    const project = join(dir, 'outside');
    execFileSync('mkdir', ['-p', project]);
    const link = (pkg: string) => `file:${join(ROOT, 'packages', pkg)}`;
    writeFileSync(
      join(project, 'package.json'),
      JSON.stringify({
        name: 'outside',
        private: true,
        type: 'module',
        dependencies: { '@aha/rewards': link('rewards'), '@aha/pipeline': link('pipeline') },
      }),
    );
    const install = spawnSync('npm', ['install', '--prefer-offline', '--no-audit', '--no-fund'], {
      cwd: project,
      encoding: 'utf8',
      timeout: 240_000,
    });
    expect(install.status, install.stderr).toBe(0);
    const script = `import { defineReward, scoreRewards } from '@aha/rewards';
import { BUILTIN_REWARDS, listRecipes } from '@aha/pipeline';
const short = defineReward({ name: 'short', async score(s) { return s.map((x) => (x.completion.length < 4 ? 1 : 0)); } });
const [r] = await scoreRewards(short, [{ prompt: 'q', completion: 'abc' }, { prompt: 'q', completion: 'abcdef' }]);
console.log(JSON.stringify({ values: r.values, builtins: Object.keys(BUILTIN_REWARDS).length, recipes: listRecipes().length }));
`;
    writeFileSync(join(project, 'score.mjs'), script);
    writeFileSync(join(project, 'score.ts'), script);
    const env = { ...process.env, NODE_OPTIONS: '' };
    const plain = spawnSync(process.execPath, ['score.mjs'], { cwd: project, encoding: 'utf8', env });
    expect(plain.status, plain.stderr).toBe(0);
    expect(JSON.parse(plain.stdout)).toMatchObject({ values: [1, 0] });
    const tsx = spawnSync(join(ROOT, 'node_modules/.bin/tsx'), ['score.ts'], { cwd: project, encoding: 'utf8', env });
    expect(tsx.status, tsx.stderr).toBe(0);
    expect(JSON.parse(tsx.stdout)).toMatchObject({ values: [1, 0] });
  }, 300_000);
});
