// One exit-code table for every command (printed by `aha --help`, written in docs/cli.md), and config problems that a
// recipe's or trainer's own zod schema finds after loading are printed as "file: key: problem" lines once, exit 2 —
// never a raw zod dump with exit 1. Leaves out: the codes of Ctrl-C (process-tree.test.ts).
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCliCaptured } from './capture.js';
import { EXIT, EXIT_CODES_HELP } from './main.js';

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'aha-exit-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('exit codes', () => {
  it('aha --help prints the table; docs/cli.md has every code of it', async () => {
    const r = await runCliCaptured(['--help'], { cwd: dir });
    expect(r.code).toBe(EXIT.ok);
    expect(r.stdout).toContain(EXIT_CODES_HELP);
    const doc = readFileSync(fileURLToPath(new URL('../../../../docs/cli.md', import.meta.url)), 'utf8');
    for (const code of Object.values(EXIT)) expect(EXIT_CODES_HELP).toMatch(new RegExp(`^  ${code} `, 'm'));
    expect(doc).toContain(EXIT_CODES_HELP);
  });

  it("a bad value found by the recipe's own schema: one 'file: key: problem' line, exit 2", async () => {
    const file = join(dir, 'bad.json');
    writeFileSync(file, JSON.stringify({ recipe: 'r1-zero', grpo: { groupSize: 'many' } }));
    const r = await runCliCaptured(['run', file], { cwd: dir });
    expect(r.code, r.stderr).toBe(EXIT.usage);
    const lines = r.stderr.trimEnd().split('\n');
    expect(lines[0]).toBe('aha: config error:');
    expect(lines.slice(1)).toEqual([expect.stringMatching(/^ {2}\S+bad\.json: grpo\.groupSize: .*number/)]);
  });
});
