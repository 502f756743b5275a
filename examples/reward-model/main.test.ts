import { readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runExample } from './main.js';

describe('examples/reward-model', () => {
  const dirs: string[] = [];
  afterAll(async () => {
    for (const d of dirs) await rm(d, { recursive: true, force: true });
  });

  it('trains a pairwise RM that ranks held-out pairs and scores the clean answer above the banned word', async () => {
    const lines: string[] = [];
    const result = await runExample({ log: (l) => lines.push(l) });
    dirs.push(join(result.modelDir, '..'));
    expect(result.heldOutAccuracy).toBeGreaterThan(0.9);
    expect(result.scored[0].reward).toBeGreaterThan(result.scored[1].reward);
    expect(lines.some((l) => l.startsWith('held-out pair accuracy'))).toBe(true);
    const config = JSON.parse(await readFile(join(result.modelDir, 'config.json'), 'utf8'));
    expect(config.num_labels).toBe(1);
  });
});
