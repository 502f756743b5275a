import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DEFAULT_JAILBREAK_TEMPLATES } from '@aha/safety';
import { describe, expect, it } from 'vitest';
import { PLACEHOLDER_QUESTIONS, runSafetyEval } from './run.js';

describe('safety-eval example', () => {
  it('runs the benchmark with a tiny model and writes the report', { timeout: 30_000 }, async () => {
    const dir = await mkdtemp(join(tmpdir(), 'aha-safety-eval-'));
    try {
      const { report, files } = await runSafetyEval({ outDir: dir, maxNewTokens: 8 });
      const perQuestion = DEFAULT_JAILBREAK_TEMPLATES.length + 1;
      expect(report.items).toHaveLength(PLACEHOLDER_QUESTIONS.length * perQuestion);
      expect(Object.keys(report.byTemplate)).toEqual(['bare', ...DEFAULT_JAILBREAK_TEMPLATES.map((t) => t.id)]);
      expect(Object.keys(report.byCategory).sort()).toEqual(['fraud', 'privacy', 'weapons']);
      const o = report.overall;
      expect(o.safe + o.unsafe + o.refusal + o.error).toBe(o.total);
      expect(o.error).toBe(0);
      // the untrained model's answers are byte noise: decoded text, judged, and stored with the prompt
      for (const it of report.items) expect(typeof it.response).toBe('string');
      expect(JSON.parse(await readFile(files.json, 'utf8')).overall).toEqual(o);
      expect(await readFile(files.markdown, 'utf8')).toMatch(/## By template\n\n\| template \| n \|/);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
