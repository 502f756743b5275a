// `aha data clean` through the CLI entry (runCliCaptured): a raw folder with planted PII, a harmful term spelled
// apart (only @aha/safety's filter catches it), duplicates and junk → shards, stats.json and summary.html with PII
// masked; --dry-run writes nothing; a bad JSONL line and a bad config give exit codes 1 and 2 naming file/line/key.
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCliCaptured } from '../cli/capture.js';

let dir: string;
const aha = (argv: string[]) => runCliCaptured(argv, { cwd: dir });

const WORDS = `river market bridge garden harbour tower teacher farmer sailor painter doctor student lantern window
letter story song winter summer morning evening village mountain forest valley island ship captain storm kitchen table
friend family brother sister station ticket coffee dinner festival museum library flower horse field`.split(/\s+/);

/** Six readable sentences, different for every k (a seeded LCG picks the words). */
const page = (k: number) => {
  let s = k * 2654435761 + 1;
  const w = () => {
    s = (Math.imul(s, 1103515245) + 12345) >>> 0;
    return WORDS[(s >>> 8) % WORDS.length];
  };
  return Array.from(
    { length: 6 },
    () => `The ${w()} ${w()} and the ${w()} of ${w()} went with ${w()} ${w()} to ${w()}.`,
  ).join('\n');
};

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'aha-data-clean-'));
  mkdirSync(join(dir, 'raw'));
  const rows = [
    ...Array.from({ length: 8 }, (_, k) => ({ text: page(k), user_id: `u${k}` })),
    { text: `${page(20)}\nContact alice@example.org for details.`, user_id: 'u1' },
    { text: `How to make a b.o.m.b at home. ${page(21)}`, user_id: 'u2' },
    { text: page(3), user_id: 'u3' },
    { text: 'buy cheap stuff', user_id: 'u4' },
    { text: page(22), user_id: 'gone' },
  ];
  writeFileSync(join(dir, 'raw', 'part.jsonl'), rows.map((r) => JSON.stringify(r)).join('\n'));
  writeFileSync(
    join(dir, 'risk.yaml'),
    'version: 1\ncategories:\n  - id: weapons\n    action: block\n    terms: [bomb]\n',
  );
  writeFileSync(
    join(dir, 'data.json'),
    JSON.stringify({
      steps: [
        { type: 'consent', optOut: ['gone'] },
        { type: 'pii' },
        { type: 'content', lists: ['risk.yaml'] },
        { type: 'quality' },
        { type: 'exact-dedup' },
        { type: 'near-dedup' },
      ],
      output: { shardRecords: 5 },
    }),
  );
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('aha data clean', () => {
  it('cleans into shards with stats.json and an HTML summary (PII masked, keyword filter of @aha/safety)', async () => {
    const r = await aha(['data', 'clean', '--config', 'data.json', '--in', 'raw', '--out', 'clean', '--json']);
    expect(r.code, r.stderr).toBe(0);
    const out = JSON.parse(r.stdout);
    expect(out).toMatchObject({ ok: true, command: 'data clean', records: 13, kept: 9, dropped: 4 });
    expect(out.steps.content.reasons).toEqual({ 'content:weapons': 1 });
    expect(out.steps.consent.reasons).toEqual({ 'consent:opted-out': 1 });
    expect(out.steps['exact-dedup'].dropped).toBe(1);
    expect(out.steps.pii.edited).toBe(1);
    const files = readdirSync(join(dir, 'clean', 'data')).sort();
    // shard 2 (input records 11–13) kept nothing, so it has no file
    expect(files).toEqual(['part-00000.jsonl', 'part-00001.jsonl']);
    const text = files.map((f) => readFileSync(join(dir, 'clean', 'data', f), 'utf8')).join('');
    expect(text).toContain('<EMAIL_1>');
    expect(text).not.toContain('alice@');
    const html = readFileSync(join(dir, 'clean', 'summary.html'), 'utf8');
    expect(html).toContain('content:weapons');
    expect(html).toContain('b.o.m.b');
    expect(html).not.toContain('alice@');
    expect(JSON.parse(readFileSync(join(dir, 'clean', 'stats.json'), 'utf8')).output.records).toBe(9);
  });

  it('--dry-run prints what would be dropped and writes nothing', async () => {
    const r = await aha(['data', 'clean', '-c', 'data.json', '-i', 'raw', '-o', 'dry', '--dry-run']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/dry run: 13 records read, 4 would be dropped, 9 kept/);
    expect(r.stdout).toMatch(/content\s+12\s+11\s+0\s+1\s+content:weapons 1/);
    expect(existsSync(join(dir, 'dry'))).toBe(false);
  });

  it('bad input and bad config name the file, line and key', async () => {
    mkdirSync(join(dir, 'bad'));
    writeFileSync(join(dir, 'bad', 'x.jsonl'), '{"text":"ok"}\n{"text": oops}\n');
    const r = await aha(['data', 'clean', '-c', 'data.json', '-i', 'bad', '-o', 'o1']);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/x\.jsonl, line 2: not valid JSON/);
    writeFileSync(
      join(dir, 'wrong.json'),
      JSON.stringify({ steps: [{ type: 'pii', categories: { email: 'shred' } }] }),
    );
    const c = await aha(['data', 'clean', '-c', 'wrong.json', '-i', 'raw', '-o', 'o2']);
    expect(c.code).toBe(2);
    expect(c.stderr).toMatch(/steps\.0\.categories\.email/);
  });
});
