import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect, it } from 'vitest';
import { runR1FourStage } from './run.js';

// The example on its tiny setting from the shipped base model: every stage runs and the summary covers all of them
// (learning is main.ts's job on the full setting: ~10 min, numbers in docs/recipes.md).
it('runs the four stages on the tiny setting and summarises every stage', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'aha-r1-four-stage-'));
  try {
    const r = await runR1FourStage({ setting: 'tiny', runDir: dir, seed: 1 });
    expect(r.interrupted).toBeUndefined();
    expect(r.summary?.map((s) => s.stage)).toEqual([
      'base',
      'cold-start',
      'reasoning-rl',
      'rejection-sft',
      'alignment-rl',
    ]);
    for (const s of r.summary ?? []) {
      expect(s.accuracy).toBeGreaterThanOrEqual(0);
      expect(s.safety).toBeGreaterThan(0);
      expect(s.safety).toBeLessThan(1);
    }
    // The base model writes compact traces (no words): its language consistency does not apply.
    expect(r.summary?.[0].languageGreedy).toBeNull();
    expect(await readFile(join(dir, 'summary.md'), 'utf8')).toContain('| cold-start |');
    expect(await readFile(r.report as string, 'utf8')).toContain('<html');
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}, 60_000);
