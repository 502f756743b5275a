import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect, it } from 'vitest';
import { runGrpoAddition } from './run.js';

// The example on a tiny setting (the learning curve itself is main.ts's job: ~1 min, numbers in the GRPO guide).
it('runs the SFT warm-up and GRPO steps and reports a curve', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'aha-grpo-addition-'));
  const sft: number[] = [];
  try {
    const r = await runGrpoAddition({
      sftSteps: 3,
      grpoSteps: 2,
      groupSize: 4,
      promptsPerStep: 2,
      learningRate: 1e-3,
      outputDir: dir,
      seed: 1,
      onSft: (_, loss) => sft.push(loss),
    });
    expect(sft).toHaveLength(3);
    expect(sft[2]).toBeLessThan(sft[0]);
    expect(r.curve.map((c) => c.step)).toEqual([1, 2]);
    for (const c of r.curve) expect(c.accuracy).toBeGreaterThanOrEqual(0);
    expect(r.greedyAfter).toBeGreaterThanOrEqual(0);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
