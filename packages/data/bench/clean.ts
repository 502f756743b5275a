/**
 * Benchmark of the cleaning pipeline on a synthetic corpus: writes `MB` megabytes of JSONL (readable English-like
 * pages with planted PII, exact and near duplicates, junk), then times
 *   1. the clean pipeline: PII + keywords + quality + exact dedup (cleanDataset, shards on disk), and
 *   2. MinHash near-dedup alone (nearDedupStep over the same records in memory),
 * printing MB/s of text per core (one thread each; the run is single-threaded) and the peak RSS of the process.
 * With a second argument W > 1 the clean pipeline also runs on W worker threads (MB/s per core = total / W).
 * Run: npx tsx --conditions=source packages/data/bench/clean.ts [MB=5] [W=1]
 * Not part of the tests; the machine is shared, so keep MB modest.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { cleanDataset, nearDedupStep, readRecords } from '@aha/data';

const mb = Number(process.argv[2] ?? 5);
if (!(mb > 0)) throw new Error(`size must be a positive number of MB, got ${process.argv[2]}`);
const workers = Number(process.argv[3] ?? 1);

const WORDS = `river market bridge garden harbour tower teacher farmer sailor painter doctor student lantern window
letter story song winter summer morning evening village mountain forest valley island ship captain storm kitchen table
friend family brother sister station ticket coffee dinner festival museum library flower horse field paper engine
machine number system question answer problem method result reason history science language country government`.split(
  /\s+/,
);
let seed = 12345;
const rand = () => {
  seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
  return seed / 4294967296;
};
const w = () => WORDS[Math.floor(rand() * WORDS.length)];
const sentence = () => `The ${w()} ${w()} and the ${w()} of ${w()} went with ${w()} ${w()} to the ${w()} ${w()}.`;
const page = () => Array.from({ length: 8 + Math.floor(rand() * 8) }, sentence).join('\n');

const dir = mkdtempSync(join(tmpdir(), 'aha-data-bench-'));
const input = join(dir, 'raw.jsonl');
const lines: string[] = [];
let bytes = 0;
let previous = page();
while (bytes < mb * 1e6) {
  const r = rand();
  let text: string;
  if (r < 0.05)
    text = previous; // exact duplicate
  else if (r < 0.1)
    text = previous.replace(/\.\n/, ' again.\n'); // near duplicate
  else if (r < 0.15)
    text = `${page()}\nMail ${w()}.${w()}@example.com or call +44 20 7946 ${1000 + Math.floor(rand() * 8999)}.`;
  else if (r < 0.18) text = 'click here to buy now';
  else text = page();
  previous = text;
  const line = `${JSON.stringify({ text, user_id: `u${Math.floor(rand() * 1000)}` })}\n`;
  lines.push(line);
  bytes += Buffer.byteLength(text);
}
writeFileSync(input, lines.join(''));
writeFileSync(
  join(dir, 'lists.json'),
  JSON.stringify({ version: 1, categories: [{ id: 'weapons', terms: ['bomb', 'rifle'] }] }),
);

let peak = process.memoryUsage().rss;
const sample = setInterval(() => {
  peak = Math.max(peak, process.memoryUsage().rss);
}, 50);

const t0 = performance.now();
const stats = await cleanDataset(
  {
    steps: [{ type: 'pii' }, { type: 'content', lists: ['lists.json'] }, { type: 'quality' }, { type: 'exact-dedup' }],
    output: { shardRecords: 5000 },
  },
  { in: input, out: join(dir, 'clean'), baseDir: dir },
);
const cleanS = (performance.now() - t0) / 1000;
const textMb = stats.input.textBytes / 1e6;
let pooled = '';
if (workers > 1) {
  const t = performance.now();
  await cleanDataset(
    {
      steps: [
        { type: 'pii' },
        { type: 'content', lists: ['lists.json'] },
        { type: 'quality' },
        { type: 'exact-dedup' },
      ],
      output: { shardRecords: 5000 },
    },
    { in: input, out: join(dir, 'clean-pooled'), baseDir: dir, workers },
  );
  const s = (performance.now() - t) / 1000;
  pooled = `clean on ${workers} worker threads: ${(textMb / s).toFixed(2)} MB/s total, ${(textMb / s / workers).toFixed(2)} MB/s per worker, ${s.toFixed(1)} s`;
}

const step = nearDedupStep();
let nearDropped = 0;
const t1 = performance.now();
for await (const r of readRecords([input])) if (step.process(r).action === 'drop') nearDropped++;
const nearS = (performance.now() - t1) / 1000;
clearInterval(sample);
peak = Math.max(peak, process.memoryUsage().rss);

const cpu = cpus()[0]?.model ?? 'unknown CPU';
process.stdout.write(
  [
    `corpus: ${stats.input.records} records, ${textMb.toFixed(1)} MB of text (${cpu}, Node ${process.version})`,
    `clean (pii + keywords + quality + exact dedup): ${(textMb / cleanS).toFixed(2)} MB/s per core, ${cleanS.toFixed(1)} s, ${stats.output.records} kept`,
    `  per step: ${stats.steps.map((s) => `${s.name} ${(stats.input.textBytes / 1e3 / s.ms).toFixed(1)} MB/s`).join(', ')}`,
    ...(pooled ? [pooled] : []),
    `minhash near-dedup (128 perm, 32×4, 5-word shingles): ${(textMb / nearS).toFixed(2)} MB/s per core, ${nearS.toFixed(1)} s, ${nearDropped} dropped`,
    `peak RSS: ${(peak / 2 ** 20).toFixed(0)} MiB`,
    '',
  ].join('\n'),
);
rmSync(dir, { recursive: true, force: true });
