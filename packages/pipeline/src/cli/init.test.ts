// `aha init` end to end, as a new user runs it: scaffold into a temp folder, `npm install` there without the registry
// for @aha/* (the project links this checkout), then its `train` script for one GRPO step with its own reward in use
// (the metrics name it) and its `report` script. Leaves out: the published-packages mode (`--no-link`), checked by
// its package.json only.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCliCaptured } from './capture.js';
import { ahaCheckout } from './init.js';

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'aha-init-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const npm = (cwd: string, ...args: string[]) =>
  spawnSync('npm', args, {
    cwd,
    encoding: 'utf8',
    env: { ...process.env, CI: 'true', npm_config_audit: 'false', npm_config_fund: 'false' },
    timeout: 240_000,
  });

describe('aha init', () => {
  it('scaffolds a project that installs without the registry for @aha/*, trains with its reward and reports', async () => {
    const r = await runCliCaptured(['init', 'proj'], { cwd: dir });
    expect(r.code, r.stderr).toBe(0);
    const root = join(dir, 'proj');
    const checkout = ahaCheckout() as string;
    expect(r.stdout).toContain(`linked to the checkout ${checkout}`);
    expect(r.stdout).toContain('switch with: npm install @aha/pipeline@^0.0.0 @aha/rewards@^0.0.0');
    const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));
    expect(pkg.dependencies['@aha/pipeline']).toBe(`file:${join(checkout, 'packages', 'pipeline')}`);

    // A run of one tiny step: the scaffolded config with small settings (the defaults take minutes).
    const configFile = join(root, 'aha.config.json');
    const config = JSON.parse(readFileSync(configFile, 'utf8'));
    config.eval = { evalProblems: 2 };
    config.grpo = { maxSteps: 1, promptsPerStep: 1, groupSize: 2, checkpointEvery: 1 };
    config.r1Zero = { trainProblems: 10 };
    writeFileSync(configFile, JSON.stringify(config));

    const install = npm(root, 'install', '--prefer-offline');
    expect(install.status, install.stderr).toBe(0);
    expect(install.stderr).not.toMatch(/E404|ETARGET/);
    const train = npm(root, 'run', 'train');
    expect(train.status, train.stderr).toBe(0);
    const first = JSON.parse(readFileSync(join(root, 'runs/r1-zero/grpo/metrics.jsonl'), 'utf8').split('\n')[0]);
    expect(Object.keys(first.rewards).sort()).toEqual(['accuracy', 'concise', 'format']);
    rmSync(join(root, 'runs/r1-zero/report.html'));
    const report = npm(root, 'run', 'report');
    expect(report.status, report.stderr).toBe(0);
    expect(existsSync(join(root, 'runs/r1-zero/report.html'))).toBe(true);
  }, 300_000);

  it('--no-link depends on the published packages by version', async () => {
    const r = await runCliCaptured(['init', 'published', '--no-link'], { cwd: dir });
    expect(r.code, r.stderr).toBe(0);
    const pkg = JSON.parse(readFileSync(join(dir, 'published', 'package.json'), 'utf8'));
    expect(pkg.dependencies['@aha/pipeline']).toMatch(/^\^\d/);
    expect(r.stdout).not.toContain('linked to the checkout');
  });
});
