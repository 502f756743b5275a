/** docs/cli.md is exactly what tools/docs/cli-reference.ts generates from the CLI's help: it cannot drift. */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { CLI_COMMANDS, CLI_DOC, cliReference, helpOf } from './cli-reference.js';

describe('docs/cli.md', () => {
  it('documents every command with its own help text', async () => {
    const doc = readFileSync(CLI_DOC, 'utf8');
    for (const command of CLI_COMMANDS) expect(doc).toContain(`## \`${['aha', ...command].join(' ')}\``);
    expect(doc).toContain(await helpOf(['train', 'grpo']));
    expect(await helpOf(['report'])).toMatch(/^Usage: aha report \[options\] <runDir>/);
  });

  it('is up to date (regenerate with `npm run docs:cli`)', async () => {
    expect(readFileSync(CLI_DOC, 'utf8'), 'docs/cli.md is stale: run `npm run docs:cli`').toBe(await cliReference());
  });
});
