// The aha CLI in-process (streams captured): every command, --json output, exit codes 0/1/2, and the bin launcher.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { loadConfig } from '../config/load.js';
import { createMetricsWriter } from '../metrics/jsonl.js';
import { syntheticRun, toJsonl } from '../report/__fixtures__/synthetic-run.js';
import { runCliCaptured } from './capture.js';
import { INIT_FILES } from './init.js';
import { clearRegistry, registerCommand, registerRecipe } from './registry.js';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'aha-cli-'));
  clearRegistry();
});
afterEach(() => {
  rmSync(dir, { recursive: true, force: true });
  clearRegistry();
});

const aha = (...argv: string[]) => runCliCaptured(argv, { cwd: dir });

describe('aha CLI', () => {
  it('report: writes report.html for a run folder; --json gives a parseable result', async () => {
    mkdirSync(join(dir, 'run'));
    writeFileSync(join(dir, 'run', 'metrics.jsonl'), toJsonl(syntheticRun(8)));
    const human = await aha('report', 'run');
    expect(human.code).toBe(0);
    expect(human.stdout).toContain(`report written: ${join(dir, 'run', 'report.html')} (8 steps`);
    const json = await aha('report', 'run', '--out', 'out/r.html', '--json');
    expect(json.code).toBe(0);
    const result = JSON.parse(json.stdout);
    expect(result).toMatchObject({ ok: true, command: 'report', file: join(dir, 'out', 'r.html'), steps: 8 });
    expect(readFileSync(result.file, 'utf8')).toContain('data-chart="reflection"');
  });

  it('report: a missing run folder is a runtime failure (exit 1) with the path', async () => {
    const r = await aha('report', 'nowhere');
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('nowhere does not exist');
    const j = await aha('--json', 'report', 'nowhere');
    expect(JSON.parse(j.stdout)).toMatchObject({ ok: false, error: { code: 'io' } });
  });

  it('init: scaffolds a project whose config validates; refuses a non-empty folder (exit 2)', async () => {
    const r = await aha('init', 'My Project');
    expect(r.code).toBe(0);
    const root = join(dir, 'My Project');
    for (const f of INIT_FILES) expect(existsSync(join(root, f)), f).toBe(true);
    const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));
    expect(pkg.name).toBe('my-project');
    expect(pkg.scripts.train).toBe('aha run aha.config.json');
    const { config } = loadConfig(join(root, 'aha.config.json'));
    expect(config.recipe).toBe('r1-zero');
    expect(existsSync(config.rewards[2].module!)).toBe(true);
    expect(readFileSync(join(root, 'rewards/concise.ts'), 'utf8')).toContain('defineReward(');

    const again = await aha('init', 'My Project');
    expect(again.code).toBe(2);
    expect(again.stderr).toContain('folder is not empty');
    expect((await aha('init', 'My Project', '--force')).code).toBe(0);
  });

  it('run: config errors name the file and key and exit 2', async () => {
    writeFileSync(join(dir, 'config.json'), JSON.stringify({ recipe: 'r1-zero', seed: 'abc', grpo: 1 }));
    const r = await aha('run', 'config.json');
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('config.json: seed: expected number, got "abc"');
    expect(r.stderr).toContain('config.json: grpo: expected record, got 1');
    const j = await aha('run', 'config.json', '--json');
    expect(JSON.parse(j.stdout).error.problems).toContain('config.json: seed: expected number, got "abc"');
  });

  it('run: an unknown recipe is a config error that lists the registered ones', async () => {
    registerRecipe('toy', async () => undefined);
    const r = await aha('run', 'r1-zero');
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('recipe: unknown recipe "r1-zero" (registered: toy)');
  });

  it('run: calls the registered recipe with the validated config, then writes the report', async () => {
    const seen: unknown[] = [];
    registerRecipe('toy', async ({ config }, ctx) => {
      seen.push(config);
      const writer = createMetricsWriter(join(config.outputDir, 'metrics.jsonl'));
      ctx.progress.start(3, 'toy');
      for (const record of syntheticRun(3)) {
        writer.write(record);
        ctx.progress.update(record.step, record);
      }
      return { accuracy: 0.75 };
    });
    const r = await aha('run', 'toy', '--output', 'runs/a', '--seed', '3', '--json');
    expect(r.code).toBe(0);
    expect(seen).toEqual([expect.objectContaining({ recipe: 'toy', seed: 3, outputDir: join(dir, 'runs/a') })]);
    const out = JSON.parse(r.stdout);
    expect(out).toMatchObject({ ok: true, command: 'run', recipe: 'toy', accuracy: 0.75, runDir: join(dir, 'runs/a') });
    expect(out.report).toBe(join(dir, 'runs/a/report.html'));
    expect(existsSync(out.report)).toBe(true);
    // Without --json, progress goes to stderr as lines (CI=true) and stdout gets the result.
    const human = await aha('run', 'toy', '-o', 'runs/b', '--no-report');
    expect(human.stderr).toContain('toy step 3/3 100%');
    expect(human.stdout).toContain('accuracy: 0.75');
    expect(existsSync(join(dir, 'runs/b/report.html'))).toBe(false);
  });

  it('run: a failing recipe exits 1 with its message and still reports what it logged', async () => {
    registerRecipe('boom', async ({ config }) => {
      createMetricsWriter(join(config.outputDir, 'metrics.jsonl')).write({ step: 1, accuracy: 0.1 });
      throw new Error('out of memory in rollout');
    });
    const r = await aha('run', 'boom', '-o', 'runs/boom');
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('out of memory in rollout');
    // What it logged before dying is still reported.
    expect(r.stderr).toContain(`partial report written: ${join(dir, 'runs/boom/report.html')}`);
    expect(existsSync(join(dir, 'runs/boom/report.html'))).toBe(true);
  });

  it('train/generate/eval: run the registered handler, or say it is not available (exit 1)', async () => {
    expect((await aha('train', 'grpo')).stderr).toContain('aha train grpo is not available');
    expect((await aha('train', 'grpo')).code).toBe(1);
    registerCommand('generate', async ({ options, config }) => ({
      prompts: options.prompt,
      model: config.config.model,
    }));
    const g = await aha('generate', '-p', 'a', '-p', 'b', '--max-new-tokens', '16', '--json');
    expect(JSON.parse(g.stdout)).toMatchObject({ ok: true, command: 'generate', prompts: ['a', 'b'], model: 'tiny' });
  });

  it('usage errors exit 2; help and version exit 0', async () => {
    expect((await aha('frobnicate')).code).toBe(2);
    expect((await aha('generate', '--max-new-tokens', 'lots')).stderr).toContain('--max-new-tokens must be an integer');
    expect((await aha('generate', '--max-new-tokens', 'lots')).code).toBe(2);
    expect((await aha('train')).code).toBe(2);
    expect((await aha('report')).code).toBe(2);
    const help = await aha('--help');
    expect(help.code).toBe(0);
    expect(help.stdout).toContain('Exit codes (every command):\n  0    ok');
    registerRecipe('toy', async () => undefined, { description: 'a toy recipe' });
    const runHelp = await aha('run', '--help');
    expect(runHelp.code).toBe(0);
    expect(runHelp.stdout).toMatch(/outputDir\s+Run folder for checkpoints.*\(default: "runs\/latest"\)/);
    expect(runHelp.stdout).toMatch(/toy\s+a toy recipe/);
    const version = await aha('--version');
    expect(version.code).toBe(0);
    expect(version.stdout).toMatch(/^\d+\.\d+\.\d+/);
  });

  it('bin/aha.js runs from source in the repo', () => {
    const bin = fileURLToPath(new URL('../../bin/aha.js', import.meta.url));
    const r = spawnSync(process.execPath, [bin, 'init', join(dir, 'p'), '--json'], {
      encoding: 'utf8',
      env: { ...process.env, AHA_CLI_SOURCE: '1' },
    });
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({ ok: true, command: 'init' });
    const bad = spawnSync(process.execPath, [bin, 'run'], {
      encoding: 'utf8',
      env: { ...process.env, AHA_CLI_SOURCE: '1' },
    });
    expect(bad.status).toBe(2);
  });
});
