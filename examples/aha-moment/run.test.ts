import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect, it } from 'vitest';
import { runAhaMomentExample } from './run.js';

// The example on its tiny setting from the shipped aha-moment base model: every number it prints is there (learning
// is main.ts's job on the full setting; README.md has the measured runs).
it('runs the aha-moment recipe on the tiny setting and returns start / end numbers', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'aha-example-aha-moment-'));
  try {
    const { result, numbers } = await runAhaMomentExample({ setting: 'tiny', runDir: dir, seed: 1 });
    expect(result.interrupted).toBeUndefined();
    expect(numbers?.steps).toBe(2);
    for (const v of [...(numbers?.heldOut ?? []), ...(numbers?.length ?? [])]) expect(v).toBeGreaterThanOrEqual(0);
    expect(numbers?.reflection.every((v) => v !== null && v >= 0)).toBe(true);
    expect(await readFile(result.report as string, 'utf8')).toContain('data-aha');
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}, 60_000);
