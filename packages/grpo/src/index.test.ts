// End to end through the public entry point, as a trainer will use it: tasks → JSONL → load → seeded batches →
// R1-Zero prompts → (scripted) completions → scores → group advantages → metrics line.
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  DataIterator,
  generateCountdown,
  groupAdvantages,
  groupStats,
  loadDataset,
  MetricsWriter,
  parseGrpoConfig,
  R1_ZERO_INSTRUCTION,
  r1ZeroTemplate,
  readMetricsJsonl,
  reflectionStats,
  renderPrompt,
  scoreCountdown,
} from '@aha/grpo';
import { describe, expect, it } from 'vitest';

describe('@aha/grpo data path', () => {
  it('runs one miniature GRPO data step', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'aha-grpo-e2e-'));
    try {
      const cfg = parseGrpoConfig({ groupSize: 4, promptsPerStep: 2, outputDir: dir });
      const file = join(dir, 'train.jsonl');
      await writeFile(
        file,
        generateCountdown({ count: 8, seed: 1 })
          .map((r) => JSON.stringify(r))
          .join('\n'),
      );
      const rows = await loadDataset(file);
      const it = new DataIterator(rows, { seed: cfg.seed });
      const batch = it.take(cfg.promptsPerStep);
      const prompts = batch.map((b) => renderPrompt(b.row.prompt, r1ZeroTemplate, { wrapStrings: true }));
      expect(prompts[0].startsWith(R1_ZERO_INSTRUCTION)).toBe(true);
      // Completions: for each prompt, 1 correct (its own solution) and 3 wrong.
      const completions = batch.flatMap((b) => [
        `<think>wait, let me check</think><answer>${b.row.solution}</answer>`,
        '<think>no idea</think><answer>1</answer>',
        '<think>hmm</think>',
        '<answer>0 / 0</answer>',
      ]);
      const rewards = completions.map((c, i) =>
        scoreCountdown(c, batch[Math.floor(i / cfg.groupSize)].row as unknown as { numbers: number[]; target: number }),
      );
      expect(rewards).toEqual([1, 0, 0, 0, 1, 0, 0, 0]);
      const adv = groupAdvantages(rewards, cfg.groupSize, { scale: cfg.advantageScale, epsilon: 0 });
      expect(adv).toEqual([1.5, -0.5, -0.5, -0.5, 1.5, -0.5, -0.5, -0.5]);
      const w = await MetricsWriter.open(join(cfg.outputDir, 'metrics.jsonl'));
      await w.append({
        step: 1,
        data: it.position,
        zeroVarianceGroups: groupStats(rewards, cfg.groupSize).zeroVarianceGroups.length,
        reflection: reflectionStats(completions).total,
      });
      await w.close();
      expect(await readMetricsJsonl(join(dir, 'metrics.jsonl'))).toEqual([
        { step: 1, data: { epoch: 0, index: 2 }, zeroVarianceGroups: 0, reflection: 4 },
      ]);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
