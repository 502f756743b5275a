/**
 * Every ```ts block in the docs type-checks against the workspace (see snippets.ts), and the checker itself reports
 * a broken block at its Markdown line.
 */
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { checkSnippets, extractSnippets, formatSnippetErrors, repoRoot, repoSnippets } from './snippets.js';

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

  it('reports a type error at the Markdown file, line and column', () => {
    const file = join(repoRoot, 'docs', 'not-a-real-file.md');
    const md = ['intro', '```ts', "import { tensor } from '@aha/core';", '', 'const t: string = tensor;', '```'].join(
      '\n',
    );
    const errors = checkSnippets(extractSnippets(md, file), repoRoot);
    expect(errors).toHaveLength(1);
    expect(errors[0]).toMatchObject({ file: join('docs', 'not-a-real-file.md'), line: 5, column: 7 });
    expect(errors[0].message).toMatch(/not assignable to type 'string'/);
  });

  it('every ts block in docs/, README.md and the package/example READMEs compiles', () => {
    const snippets = repoSnippets(repoRoot);
    expect(snippets.length).toBeGreaterThan(0);
    const errors = checkSnippets(snippets, repoRoot);
    expect(formatSnippetErrors(errors)).toBe('');
  });
});
