// cleanDataset end to end on a small synthetic corpus with planted PII, duplicates, junk, an opted-out user, licence
// boilerplate and a harmful keyword: per-step counts, the output rows, stats.json, the HTML summary (escaped, PII
// masked), dry run (nothing written), routing per language, config/state errors — and a crash mid-run (an error
// thrown from the progress callback) followed by a rerun that resumes and ends with exactly the uninterrupted output.
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AhaError } from '@aha/errors';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseCleanConfig } from './config.js';
import { renderCleanSummary } from './html.js';
import { type CleanOptions, cleanDataset } from './run.js';

let dir: string;
let raw: string;

const NOUNS = `river town market farmer bread cheese child school bank light water tower church visitor place
people garden bridge road village mountain forest valley lake island harbour ship sailor captain storm winter summer
autumn spring morning evening night teacher student book letter story song music painter picture window door house
kitchen table chair friend family brother sister mother father doctor nurse hospital city street train station ticket
coffee tea dinner lunch breakfast festival holiday museum library garden flower tree bird horse dog cat field farm`
  .split(/\s+/)
  .filter(Boolean);
const VERBS = 'sees finds meets visits paints writes builds carries follows greets remembers describes'.split(' ');

/** A readable English page of five sentences, different for every seed (so no two pages are near-duplicates). */
const GOOD = (topic: string, seed: number) => {
  let s = seed * 7919 + topic.length * 104729 + 1;
  const pick = <T>(list: readonly T[]) => {
    s = (Math.imul(s, 1103515245) + 12345) >>> 0;
    return list[(s >>> 8) % list.length];
  };
  return Array.from(
    { length: 6 },
    () =>
      `The ${pick(NOUNS)} ${pick(VERBS)} the ${pick(NOUNS)} and ${pick(NOUNS)} with ${pick(NOUNS)} of ${pick(NOUNS)} ${pick(NOUNS)} ${topic}.`,
  ).join('\n');
};

const rows = () => {
  const out: Record<string, unknown>[] = [];
  for (let i = 0; i < 40; i++)
    out.push({ text: GOOD(`topic${i}`, i), user_id: `u${i % 7}`, domain: i % 2 ? 'news' : 'blog' });
  out.push({
    text: `${GOOD('contact', 99)}\nWrite to jane.doe@example.com or call +44 20 7946 0958.`,
    user_id: 'u1',
    domain: 'news',
  });
  out.push({ text: GOOD('topic3', 3), user_id: 'u1', domain: 'news' }); // exact duplicate of row 4
  out.push({ text: GOOD('topic5', 5).replace(' topic5.', ' topic5 again.'), user_id: 'u2', domain: 'blog' }); // near
  out.push({ text: 'click here', user_id: 'u3', domain: 'blog' }); // junk
  out.push({ text: `${GOOD('secret', 1)} All rights reserved.`, user_id: 'u4', domain: 'blog' }); // licence
  out.push({ text: `How to build a bomb. ${GOOD('weapons', 2)}`, user_id: 'u5', domain: 'news' }); // harmful
  out.push({ text: GOOD('optout', 3), user_id: 'optout-user', domain: 'news' }); // opted out
  return out;
};

const CONFIG = {
  steps: [
    { type: 'consent', optOut: ['optout-user'] },
    { type: 'pii' },
    { type: 'content', lists: ['lists.json'] },
    { type: 'licence' },
    { type: 'quality' },
    { type: 'exact-dedup' },
    { type: 'near-dedup' },
  ],
  output: { shardRecords: 10 },
  report: { columns: ['domain'] },
};

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'aha-data-run-'));
  raw = join(dir, 'raw');
  mkdirSync(raw);
  writeFileSync(
    join(raw, 'a.jsonl'),
    rows()
      .map((r) => JSON.stringify(r))
      .join('\n'),
  );
  writeFileSync(
    join(dir, 'lists.json'),
    JSON.stringify({ version: 1, categories: [{ id: 'weapons', terms: ['bomb'] }] }),
  );
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const run = (out: string, extra: Partial<CleanOptions> = {}, config: unknown = CONFIG) =>
  cleanDataset(config as never, { in: raw, out: join(dir, out), baseDir: dir, ...extra });

const readOut = (out: string) => {
  const root = join(dir, out, 'data');
  return readdirSync(root, { recursive: true })
    .map(String)
    .filter((f) => f.endsWith('.jsonl'))
    .sort()
    .flatMap((f) =>
      readFileSync(join(root, f), 'utf8')
        .split('\n')
        .filter(Boolean)
        .map((l) => JSON.parse(l)),
    );
};

describe('cleanDataset', () => {
  it('runs the steps in order with per-step counts, writes shards, stats and keeps PII out', async () => {
    const stats = await run('clean');
    const by = Object.fromEntries(stats.steps.map((s) => [s.name, s]));
    expect(stats.input.records).toBe(47);
    expect(by.consent).toMatchObject({ seen: 47, dropped: 1, reasons: { 'consent:opted-out': 1 } });
    expect(by.pii).toMatchObject({ seen: 46, edited: 1, dropped: 0 });
    expect(by.content).toMatchObject({ dropped: 1, reasons: { 'content:weapons': 1 } });
    expect(by.licence).toMatchObject({ dropped: 1, reasons: { 'licence-marker': 1 } });
    expect(by.quality.reasons).toEqual({ 'c4:too-few-sentences': 1 });
    expect(by['exact-dedup']).toMatchObject({ dropped: 1 });
    expect(by['near-dedup']).toMatchObject({ dropped: 1 });
    expect(stats.output.records).toBe(41);
    expect(stats.output.shards).toBe(5);
    const out = readOut('clean');
    expect(out).toHaveLength(41);
    const contact = out.find((r) => r.text.includes('Write to'));
    expect(contact.text).toContain('Write to <EMAIL_1> or call <PHONE_1>.');
    expect(contact._aha.id).toMatch(/a\.jsonl:41$/);
    expect(JSON.stringify(out)).not.toContain('jane.doe');
    const file = JSON.parse(readFileSync(join(dir, 'clean', 'stats.json'), 'utf8'));
    expect(file.steps.map((s: { name: string }) => s.name)).toEqual(CONFIG.steps.map((s) => s.type));
    expect(file.balance.output.columns.domain).toEqual({ blog: 20, news: 21 });
    expect(stats.examples.content['content:weapons'][0].text).toContain('bomb');
    // a finished run is not redone
    expect((await run('clean')).output.records).toBe(41);
  });

  it('dry run reports the same drops and writes nothing', async () => {
    const stats = await run('dry', { dryRun: true });
    expect(stats.dryRun).toBe(true);
    expect(stats.steps.reduce((a, s) => a + s.dropped, 0)).toBe(6);
    expect(stats.output.records).toBe(41);
    expect(existsSync(join(dir, 'dry'))).toBe(false);
  });

  it('resumes after a crash without losing or duplicating records', async () => {
    const reference = readOut('clean');
    let thrown = false;
    const crash = run('crash', {
      progressEvery: 1,
      onProgress: (p) => {
        if (p.records === 27 && !thrown) {
          thrown = true;
          throw new Error('simulated crash');
        }
      },
    });
    await expect(crash).rejects.toThrow('simulated crash');
    const manifest = JSON.parse(readFileSync(join(dir, 'crash', 'manifest.json'), 'utf8'));
    expect(manifest).toMatchObject({ committedShards: 2, inputRecords: 20, complete: false });
    // a process killed between renaming shard 2 into place and committing the manifest leaves such a file
    writeFileSync(join(dir, 'crash', 'data', 'part-00002.jsonl'), '{"text":"half-committed"}\n');
    const stats = await run('crash');
    expect(stats.resumedFrom).toBe(20);
    expect(readOut('crash')).toEqual(reference);
    const full = JSON.parse(readFileSync(join(dir, 'clean', 'stats.json'), 'utf8'));
    expect(stats.steps.map(({ report: _r, ms: _m, ...s }) => s)).toEqual(
      full.steps.map(({ report: _r, ms: _m, ...s }: { report: unknown; ms: number }) => s),
    );
    expect(stats.steps.find((s) => s.name === 'near-dedup')?.report).toEqual(
      full.steps.find((s: { name: string }) => s.name === 'near-dedup').report,
    );
  });

  it('an abort stops after the current record and a rerun resumes', async () => {
    const controller = new AbortController();
    const first = await run('abort', {
      signal: controller.signal,
      progressEvery: 1,
      onProgress: (p) => p.records === 15 && controller.abort(),
    });
    expect(first.complete).toBe(false);
    expect((await run('abort')).output.records).toBe(41);
    expect(readOut('abort')).toEqual(readOut('clean'));
  });

  it('worker threads give the same output, counts and reports, and resume the same way', async () => {
    const strip = (st: { steps: { ms: number }[] }) => st.steps.map(({ ms: _m, ...rest }) => rest);
    const single = JSON.parse(readFileSync(join(dir, 'clean', 'stats.json'), 'utf8'));
    const pooled = await run('pooled', { workers: 2, batchRecords: 3 });
    expect(readOut('pooled')).toEqual(readOut('clean'));
    expect(strip(pooled)).toEqual(strip(single));
    let thrown = false;
    const crash = run('pooled-crash', {
      workers: 2,
      batchRecords: 4,
      progressEvery: 1,
      onProgress: (p) => {
        if (p.records === 33 && !thrown) {
          thrown = true;
          throw new Error('simulated crash');
        }
      },
    });
    await expect(crash).rejects.toThrow('simulated crash');
    const resumed = await run('pooled-crash', { workers: 2, batchRecords: 4 });
    expect(resumed.resumedFrom).toBe(30);
    expect(readOut('pooled-crash')).toEqual(readOut('clean'));
    expect(strip(resumed)).toEqual(strip(single));
    const dedupFirst = { steps: [{ type: 'exact-dedup' }, { type: 'pii' }] };
    await expect(run('x', { workers: 2 }, dedupFirst)).rejects.toThrow(/first step \('exact-dedup'/);
  });

  it('routes per language and refuses a changed config on the same output', async () => {
    const config = { ...CONFIG, steps: [{ type: 'language' }, ...CONFIG.steps], output: { routeBy: 'language' } };
    await run('routed', {}, config);
    expect(readdirSync(join(dir, 'routed', 'data'))).toEqual(['eng']);
    const err = await run('routed', {}, { ...config, output: { routeBy: 'language', shardRecords: 5 } }).catch(
      (e) => e,
    );
    expect(AhaError.is(err, 'state')).toBe(true);
    expect(err.message).toMatch(/another config or other input files/);
  });

  it('config errors name the key', () => {
    expect(() => parseCleanConfig({ steps: [] })).toThrow(/steps: /);
    expect(() => parseCleanConfig({ steps: [{ type: 'pii', typo: 1 }] })).toThrow(/steps\.0/);
    expect(() => parseCleanConfig({ steps: [{ type: 'pii' }, { type: 'pii' }] })).toThrow(/'pii' is used twice/);
    expect(() => parseCleanConfig({ steps: [{ type: 'pii' }], output: { routeBy: 'language' } })).toThrow(
      /no step has type 'language'/,
    );
  });

  it('a quality step restricted to a language the detector never returns is refused', async () => {
    const config = { steps: [{ type: 'language' }, { type: 'quality', languages: ['qqq'] }] };
    await expect(run('x', {}, config)).rejects.toThrow(/quality\.languages: 'qqq' is not a language/);
  });

  it('a row that already has the metadata column is an error naming it', async () => {
    const own = join(dir, 'own.jsonl');
    writeFileSync(own, `${JSON.stringify({ text: 'x', _aha: 1 })}\n`);
    await expect(cleanDataset({ steps: [{ type: 'pii' }] }, { in: own, out: join(dir, 'own') })).rejects.toThrow(
      /own\.jsonl, line 1, column '_aha': the row already has the metadata column/,
    );
  });

  it('the HTML summary escapes everything', async () => {
    const stats = await run('dry2', { dryRun: true });
    stats.examples.x = { '<script>': [{ id: '<b>id</b>', text: '<img src=x onerror=alert(1)>' }] };
    const html = renderCleanSummary(stats);
    expect(html).not.toMatch(/<script>|<img|<b>/);
    expect(html).toContain('&#60;img src=x onerror=alert(1)&#62;');
    expect(html).toContain('content:weapons');
  });
});
