/**
 * `aha data clean --config data.json --in raw/ --out clean/ [--dry-run]`: runs @aha/data's `cleanDataset` (see its
 * README for the config) with the harmful-content steps backed by @aha/safety's KeywordFilter (normalisation,
 * obfuscated and spelled-apart terms; lists in JSON or YAML), progress lines per shard on stderr, Ctrl-C stopping
 * after the current record (a rerun resumes), and `summary.html` written next to the output (counts per step,
 * dropped examples with PII masked). A dry run writes nothing and prints what would be dropped.
 * Leaves out: a model-backed classifier from the CLI (use `cleanDataset` with your own `ContentClassifier`).
 */
import { readFileSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import {
  type ClassifierFactory,
  type CleanStats,
  type ContentClassifier,
  cleanDataset,
  DataConfigError,
  parseCleanConfig,
  renderCleanSummary,
} from '@aha/data';
import { KeywordFilter } from '@aha/safety';
import { type Command, InvalidArgumentError } from 'commander';
import { type CommandContext, type CommandResult, HUMAN_TEXT } from '../cli/registry.js';
import { withCtrlC } from './common.js';

export const SUMMARY_FILE = 'summary.html';

/** @aha/safety's keyword filter as a @aha/data content classifier. */
export const safetyKeywordClassifier: ClassifierFactory = async (lists) => {
  const filter = await KeywordFilter.fromFiles(lists);
  const classifier: ContentClassifier = {
    categories: filter.categories.map((c) => c.id),
    classify: (text) => ({ categories: filter.check(text).categories }),
  };
  return classifier;
};

export interface DataCleanFlags {
  config: string;
  in: string;
  out: string;
  dryRun?: boolean;
  workers?: number;
}

function table(stats: CleanStats): string {
  const head = ['step', 'seen', 'kept', 'edited', 'dropped', 'reasons'];
  const rows = stats.steps.map((s) => [
    s.name,
    String(s.seen),
    String(s.kept),
    String(s.edited),
    String(s.dropped),
    Object.entries(s.reasons)
      .map(([r, n]) => `${r} ${n}`)
      .join(', '),
  ]);
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const line = (r: string[]) =>
    r
      .map((c, i) => c.padEnd(widths[i]))
      .join('  ')
      .trimEnd();
  return [line(head), ...rows.map(line)].join('\n');
}

/** Runs the clean; returns what the CLI prints. */
export async function dataCleanCommand(
  flags: DataCleanFlags,
  ctx: CommandContext & { env: Record<string, string | undefined> },
): Promise<CommandResult> {
  const configFile = resolve(ctx.cwd, flags.config);
  let value: unknown;
  try {
    value = JSON.parse(readFileSync(configFile, 'utf8'));
  } catch (err) {
    throw new DataConfigError(`--config ${configFile}: ${(err as Error).message}`, { cause: err });
  }
  const config = parseCleanConfig(value, configFile);
  const out = resolve(ctx.cwd, flags.out);
  const dryRun = flags.dryRun === true;
  let lastLog = 0;
  const stats = await withCtrlC(ctx, (signal) =>
    cleanDataset(config, {
      in: resolve(ctx.cwd, flags.in),
      out,
      dryRun,
      baseDir: dirname(configFile),
      classifier: safetyKeywordClassifier,
      env: ctx.env,
      signal,
      workers: flags.workers,
      progressEvery: 10_000,
      onProgress: (p) => {
        if (p.elapsedMs - lastLog < 2000 && p.records % 10_000 !== 0) return;
        lastLog = p.elapsedMs;
        const mbs = p.textBytes / 1e6 / Math.max(1e-3, p.elapsedMs / 1000);
        ctx.log(
          `clean: ${p.records} records read, ${p.kept} kept, ${p.dropped} dropped, ${p.shards} shards (${mbs.toFixed(2)} MB/s)`,
        );
      },
    }),
  );
  let summary: string | undefined;
  if (!dryRun && stats.complete) {
    summary = join(out, SUMMARY_FILE);
    await writeFile(summary, renderCleanSummary(stats, `aha data clean — ${flags.in}`));
  }
  const dropped = stats.steps.reduce((a, s) => a + s.dropped, 0);
  const head = dryRun
    ? `dry run: ${stats.input.records} records read, ${dropped} would be dropped, ${stats.output.records} kept (nothing written)`
    : stats.complete
      ? `${stats.input.records} records read, ${dropped} dropped, ${stats.output.records} kept in ${out} (${stats.output.shards} shards)`
      : `stopped after ${stats.input.records} records; run the same command again to resume`;
  return {
    [HUMAN_TEXT]: `${head}\n${table(stats)}\n${summary ? `summary: ${summary}\n` : ''}`,
    dryRun,
    complete: stats.complete,
    out,
    records: stats.input.records,
    kept: stats.output.records,
    dropped,
    steps: Object.fromEntries(
      stats.steps.map((s) => [s.name, { kept: s.kept, edited: s.edited, dropped: s.dropped, reasons: s.reasons }]),
    ),
    ...(summary ? { summary, stats: join(out, 'stats.json') } : {}),
  };
}

/** What `addDataCommands` needs from the CLI: its per-command context, its result sink, its environment. */
export interface DataCommandHost {
  context(cmd: Command): CommandContext;
  done(result: CommandResult & { command: string }): void;
  env: Record<string, string | undefined>;
}

/** Adds `aha data clean` to the program (one call in cli/main.ts). */
export function addDataCommands(program: Command, host: DataCommandHost): void {
  program
    .command('data')
    .description('training-data governance: clean corpora (PII, harmful content, quality, dedup, consent)')
    .command('clean')
    .description('clean a corpus into JSONL shards with stats.json and summary.html; resumable')
    .requiredOption('-c, --config <file>', 'data cleaning config (JSON, see @aha/data)')
    .requiredOption('-i, --in <path>', 'input file or folder (.jsonl, .parquet, .txt, .md)')
    .requiredOption('-o, --out <dir>', 'output folder (rerun the same command to resume)')
    .option('--dry-run', 'report what would be dropped; write nothing')
    .option(
      '--workers <n>',
      'worker threads for the leading order-free steps (consent, pii, licence, language, quality; the content step runs on the main thread)',
      (v: string) => {
        const n = Number(v);
        if (!Number.isInteger(n) || n < 1)
          throw new InvalidArgumentError(`--workers must be a positive integer, got "${v}"`);
        return n;
      },
    )
    .addHelpText(
      'after',
      `
Example data.json:
  { "steps": [ { "type": "consent", "optOutFile": "optout.txt" }, { "type": "pii" },
               { "type": "content", "lists": ["risk.yaml"] }, { "type": "licence" },
               { "type": "language", "keep": ["eng", "cmn"] }, { "type": "quality", "languages": ["eng"] },
               { "type": "exact-dedup" }, { "type": "near-dedup", "threshold": 0.8 } ] }`,
    )
    .action(async (flags: DataCleanFlags, cmd: Command) => {
      const ctx = host.context(cmd);
      try {
        host.done({ command: 'data clean', ...(await dataCleanCommand(flags, { ...ctx, env: host.env })) });
      } finally {
        ctx.progress.stop();
      }
    });
}
