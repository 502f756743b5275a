/**
 * Every ```ts block in the docs type-checks against the workspace (see snippets.ts), and the checker itself reports
 * a broken block at its Markdown line.
 */
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  checkSnippets,
  extractSnippets,
  formatSnippetErrors,
  repoRoot,
  repoSnippets,
  type SnippetError,
} from './snippets.js';

describe('docs snippets', () => {
  it('extracts ts blocks with their first code line and skips nocompile, js and unclosed-fence contents', () => {
    const md = [
      '# T', // 1
      '```ts', // 2
      'const a = 1;', // 3
      '```', // 4
      '```ts nocompile', // 5
      'this is not code', // 6
      '```', // 7
      '````md', // 8
      '```ts', // 9  (inside a 4-backtick block: not a snippet)
      'nope', // 10
      '```', // 11
      '````', // 12
      '```typescript', // 13
      'const b: number = 2;', // 14
      '```', // 15
      '  ```` ```ts ```` is inline code, not a fence', // 16
      '```ts', // 17
      'const c = 3;', // 18
      '```', // 19
    ].join('\n');
    const found = extractSnippets(md, '/x/a.md');
    expect(found.map((s) => [s.line, s.code])).toEqual([
      [3, 'const a = 1;'],
      [14, 'const b: number = 2;'],
      [18, 'const c = 3;'],
    ]);
  });

  // One program for both checks below: building it (parsing the workspace sources) is most of the cost.
  const broken = join(repoRoot, 'docs', 'not-a-real-file.md');
  const brokenMd = ['intro', '```ts', "import { tensor } from '@aha/core';", '', 'const t: string = tensor;', '```'];
  let errors: SnippetError[] = [];
  let count = 0;
  beforeAll(() => {
    const snippets = repoSnippets(repoRoot);
    count = snippets.length;
    errors = checkSnippets([...snippets, ...extractSnippets(brokenMd.join('\n'), broken)], repoRoot);
  });

  it('reports a type error at the Markdown file, line and column', () => {
    const found = errors.filter((e) => e.file === join('docs', 'not-a-real-file.md'));
    expect(found).toHaveLength(1);
    expect(found[0]).toMatchObject({ line: 5, column: 7 });
    expect(found[0].message).toMatch(/not assignable to type 'string'/);
  });

  it('every ts block in docs/, README.md and the package/example READMEs compiles', () => {
    expect(count).toBeGreaterThan(0);
    expect(formatSnippetErrors(errors.filter((e) => e.file !== join('docs', 'not-a-real-file.md')))).toBe('');
  });
});
