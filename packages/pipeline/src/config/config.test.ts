// Config loading: defaults, path resolution, and error lines that name file, key and value (a table of bad inputs).
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AhaError } from '@aha/core';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { ConfigError } from './errors.js';
import { formatPath, formatZodIssues } from './format-issues.js';
import { loadConfig } from './load.js';
import { AhaConfig, configJsonSchema, createConfigSchema } from './schema.js';
import { CONFIG_SCHEMA_FILE, configSchemaText } from './schema-file.js';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'aha-config-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

const write = (name: string, value: unknown) => {
  writeFileSync(join(dir, name), typeof value === 'string' ? value : JSON.stringify(value, null, 2));
  return name;
};
const problems = (fn: () => unknown): string[] => {
  try {
    fn();
  } catch (err) {
    if (err instanceof ConfigError) return [...err.problems];
    throw err;
  }
  throw new Error('expected a ConfigError');
};

/** A stand-in stage schema, as @aha/grpo will register one. */
const Grpo = z.strictObject({
  learningRate: z.number().positive().default(1e-6).describe('η'),
  groupSize: z.number().int().min(2).default(8).describe('G'),
});

describe('config', () => {
  it('fills defaults and resolves paths against the config file folder', () => {
    const file = write('aha.config.json', { recipe: 'r1-zero', rewards: [{ module: './r.ts' }, { name: 'format' }] });
    const { config, baseDir } = loadConfig(file, { cwd: dir });
    expect(baseDir).toBe(dir);
    expect(config.model).toBe('tiny'); // a preset stays a name
    expect(config.outputDir).toBe(join(dir, 'runs/latest'));
    expect(config.seed).toBe(0);
    expect(config.rewards).toEqual([
      { module: join(dir, 'r.ts'), export: 'default', weight: 1 },
      { name: 'format', export: 'default', weight: 1 },
    ]);
  });

  it('names the file, key and problem, with the offending value (zod v4 issues)', () => {
    const schema = createConfigSchema({ grpo: Grpo });
    const file = write('config.json', {
      recipe: '',
      seed: 1.5,
      grpo: { learningRate: 'abc', groupSize: 1, lr: 3 },
      rewards: [{ weight: 2 }, { name: 'format', weight: '1' }],
      modle: 'x',
    });
    const list = problems(() => loadConfig(file, { cwd: dir, schema }));
    expect(list).toEqual(
      expect.arrayContaining([
        'recipe: must not be empty',
        'seed: expected int, got 1.5',
        'grpo.learningRate: expected number, got "abc"',
        'grpo.groupSize: must be >= 2, got 1',
        'grpo.lr: unknown key (did you mean "learningRate"?)',
        'rewards[0]: a reward needs a `name` (built-in) or a `module` (your own)',
        'rewards[1].weight: expected number, got "1"',
        'modle: unknown key (did you mean "model"?)',
      ]),
    );
    try {
      loadConfig(file, { cwd: dir, schema });
    } catch (err) {
      expect(AhaError.is(err, 'config')).toBe(true);
      expect((err as Error).message).toContain('config.json: grpo.learningRate: expected number, got "abc"');
    }
  });

  it('open stage sections accept anything until a schema is registered', () => {
    const file = write('c.json', { grpo: { learningRate: 'abc' } });
    expect(loadConfig(file, { cwd: dir, schema: AhaConfig }).config.grpo).toEqual({ learningRate: 'abc' });
  });

  it('reports JSON syntax errors with line and column, and missing files', () => {
    const file = write('bad.json', '{\n  "recipe": "r1-zero",\n}\n');
    expect(problems(() => loadConfig(file, { cwd: dir }))).toEqual([
      expect.stringMatching(/^invalid JSON at line 3, column 1: /),
    ]);
    expect(problems(() => loadConfig('nope.json', { cwd: dir }))).toEqual(['file not found']);
    expect(problems(() => loadConfig(write('arr.json', '[1]'), { cwd: dir }))).toEqual([
      '(root): expected a JSON object',
    ]);
  });

  it('command-line overrides replace file values and are validated the same way', () => {
    const file = write('c.json', { model: 'tiny', seed: 1 });
    expect(loadConfig(file, { cwd: dir, overrides: { seed: 9, model: undefined } }).config).toMatchObject({
      seed: 9,
      model: 'tiny',
    });
    expect(problems(() => loadConfig(file, { cwd: dir, overrides: { seed: -1 } }))).toEqual([
      'seed: must be >= 0, got -1',
    ]);
  });

  it('formats paths and issue kinds', () => {
    expect(formatPath([])).toBe('(root)');
    expect(formatPath(['a', 0, 'b'])).toBe('a[0].b');
    const r = z.object({ kind: z.enum(['pairwise', 'pointwise']) }).safeParse({ kind: 'x' }, { reportInput: true });
    expect(formatZodIssues(r.error!.issues)).toEqual(['kind: expected one of "pairwise", "pointwise", got "x"']);
    const m = z.object({ a: z.string() }).safeParse({}, { reportInput: true });
    expect(formatZodIssues(m.error!.issues)).toEqual(['a: expected string, got nothing (the key is missing)']);
  });

  it('exports JSON Schema with descriptions and defaults, and the committed file is up to date', () => {
    const schema = configJsonSchema() as { properties: Record<string, { description?: string; default?: unknown }> };
    expect(schema.properties.recipe.description).toMatch(/Recipe to run/);
    expect(schema.properties.outputDir.default).toBe('runs/latest');
    expect(Object.keys(schema.properties)).toEqual(expect.arrayContaining(['grpo', 'sft', 'rm', 'rewards']));
    expect((schema as { required?: string[] }).required ?? []).toEqual([]);
    // If this fails: npm run schema -w @aha/pipeline
    expect(readFileSync(CONFIG_SCHEMA_FILE, 'utf8')).toBe(configSchemaText());
  });
});
