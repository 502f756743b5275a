import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadModel } from '@aha/core';
import { readJsonl } from '@aha/distill';
import { afterAll, describe, expect, it } from 'vitest';
import { runDistillStudent, TINY } from './main.js';

let dir = '';
afterAll(async () => {
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe('examples/distill-student (tiny preset)', () => {
  it('teaches a teacher, rejection-samples it, and distils two dense students that solve the task', async () => {
    dir = await mkdtemp(join(tmpdir(), 'aha-distill-student-'));
    const s = await runDistillStudent(dir, TINY);
    expect(s.teacher.accuracy).toBeGreaterThanOrEqual(0.8);
    expect(s.rejection.kept).toBeGreaterThanOrEqual(10);
    const kept = await readJsonl<{ prompt: string; completion: string; solution: string; reward: number }>(
      join(dir, 'rejection.jsonl'),
    );
    expect(kept).toHaveLength(s.rejection.kept);
    for (const row of kept) {
      expect(row.reward).toBe(2);
      expect(row.completion).toMatch(new RegExp(`^<think>.*</think><answer>${row.solution}</answer>$`));
    }
    expect(new Set(kept.map((r) => r.prompt)).size).toBe(kept.length); // one per prompt
    for (const student of [s.sftStudent, s.kdStudent]) {
      expect(student.loss.last).toBeLessThan(student.loss.first * 0.2);
      expect(student.accuracy).toBeGreaterThanOrEqual(0.6);
    }
    const saved = await loadModel(join(dir, 'student-sft'));
    expect(saved.moeLayers()).toHaveLength(0);
    expect(saved.config.first_k_dense_replace).toBe(saved.config.num_hidden_layers);
  });
});
