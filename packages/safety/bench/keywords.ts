/**
 * Benchmark of the keyword filter (`KeywordFilter.check`, normalisation included): time per MB of input for plain
 * text, adversarial inputs (long runs of leet characters/digits, runs of allow-listed phrases and of near-misses of
 * them, many overlapping partial matches, letters spelled apart, non-Latin text) at 100 kB and 1 MB, so a
 * per-MB time that grows with the size shows at a glance. Prints a table (process CPU ms, wall ms in brackets);
 * writes nothing.
 * Run: npx tsx --conditions=source packages/safety/bench/keywords.ts [repeats]
 * Not part of the tests. Every figure is the minimum over `repeats` runs (default 3): the cores are shared.
 */
import { performance } from 'node:perf_hooks';
import { KeywordFilter } from '@aha/safety';

const repeats = Number(process.argv[2] ?? 3);

// The test fixtures' placeholder categories, plus 1 000 made-up terms so the automaton has a realistic size.
const filter = new KeywordFilter([
  {
    categories: [
      { id: 'weapons', action: 'block', terms: ['bomb', 'blastkit'] },
      { id: 'violence', terms: ['kill', '违禁词'], allow: ['kill the process', 'kill -9'] },
      { id: 'fraud', terms: ['fake invoice'] },
      { id: 'partial', terms: ['aaaaaaab', 'abababababc'], wholeWord: false },
      {
        id: 'generated',
        terms: Array.from({ length: 1000 }, (_, i) => `zq${i.toString(36)}x${(i * 7919).toString(36)}`),
      },
    ],
  },
]);

/** `unit` repeated up to `bytes` UTF-16 units (a JS string's length; 1 MB = 2^20 units here). */
const fill = (unit: string, bytes: number) => unit.repeat(Math.ceil(bytes / unit.length)).slice(0, bytes);

const prose =
  'The quick brown fox jumps over the lazy dog; then the process was killed with kill -9 and restarted. ' +
  'A fake invoice arrived on 2024-03-01 at 10:30, sent by someone called l33t h4x0r, who said b0mb twice. ';
const inputs: [string, (bytes: number) => string][] = [
  ['plain prose with some hits', (b) => fill(prose, b)],
  ['digits only (leet run, no letters)', (b) => fill('1', b)],
  ['one leet run between letters', (b) => `a${fill('0134', b - 2)}b`],
  ['allow phrases back to back', (b) => fill('kill the process ', b)],
  ['near-misses of an allow phrase', (b) => fill('kill the proces ', b)],
  ['overlapping partial matches', (b) => fill('aaaaaaaababababababab', b)],
  ['letters spelled apart', (b) => fill('b.o.m.b k i l l ', b)],
  ['CJK, emoji and accents', (b) => fill('日本語の文章 😀 héllo wörld 违禁 ', b)],
  ['zero-width characters between letters', (b) => fill('b\u200bo\u200cm\u200db ', b)],
];

const KB = 1024;
const MB = 1024 * KB;
/** Min wall ms and min process CPU ms (all threads) of one check; CPU time is what other processes do not inflate. */
const time = (text: string): { wall: number; cpu: number } => {
  let wall = Infinity;
  let cpu = Infinity;
  for (let r = 0; r < repeats; r++) {
    const c0 = process.cpuUsage();
    const t0 = performance.now();
    filter.check(text);
    wall = Math.min(wall, performance.now() - t0);
    const used = process.cpuUsage(c0);
    cpu = Math.min(cpu, (used.user + used.system) / 1000);
  }
  return { wall, cpu };
};

filter.check(fill(prose, 64 * KB)); // warm-up
const rows: string[] = [];
for (const [name, make] of inputs) {
  const small = make(100 * KB);
  const big = make(MB);
  const hits = filter.check(big).hits.length;
  const perMb = (text: string) => {
    const t = time(text);
    return `${((t.cpu / text.length) * MB).toFixed(0)} (${((t.wall / text.length) * MB).toFixed(0)})`;
  };
  rows.push(`| ${name} | ${perMb(small)} | ${perMb(big)} | ${hits} |`);
}
process.stdout.write(
  [
    `KeywordFilter.check, CPU ms (wall ms) per MB (2^20 UTF-16 units), min of ${repeats}; node ${process.version}`,
    '| input | per MB at 100 kB | per MB at 1 MB | hits in 1 MB |',
    '| --- | --: | --: | --: |',
    ...rows,
    '',
  ].join('\n'),
);
