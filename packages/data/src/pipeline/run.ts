/**
 * `cleanDataset`: reads every input file in a stable order, runs each record through the steps, and writes the
 * survivors as JSONL shards. Memory is bounded by one record plus the steps' state (dedup indexes grow with the
 * number of distinct kept records, see dedup/); nothing else holds the corpus.
 *
 * Crash safety: shard k holds the survivors of input records [k·S, (k+1)·S). Its files are written as `*.tmp`,
 * renamed when the shard is complete, then the steps' state deltas go to `state/<k>.json`, and last the manifest is
 * replaced atomically (write + rename): the manifest is the commit. A rerun with the same config and input reads the
 * manifest, deletes anything of uncommitted shards, replays the state deltas, skips the committed input records and
 * goes on, so no record is lost or written twice. A different config or input list is refused.
 * Dry run: the same processing, nothing written; the stats say what would be dropped.
 * Leaves out: worker threads (records run on the calling thread; the steps are synchronous CPU work except the
 * content classifier, so one process per input shard is the way to use more cores today).
 */
import { createHash } from 'node:crypto';
import { createWriteStream, existsSync, type WriteStream } from 'node:fs';
import { mkdir, readdir, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import { dirname, join, relative, resolve } from 'node:path';
import { BalanceCounter, type BalanceReport } from '../balance.js';
import { DataConfigError, DataInputError, DataStateError } from '../errors.js';
import { redactPii } from '../pii/redact.js';
import { listInputFiles, readRecords } from '../readers/index.js';
import type { DataRecord, Step } from '../record.js';
import { type CleanConfig, type CleanConfigInput, parseCleanConfig } from './config.js';
import { StepPool } from './pool.js';
import {
  type ClassifierFactory,
  createSteps,
  emptyCounts,
  processRecord,
  type RecordFate,
  type StepCounts,
} from './steps.js';

export const MANIFEST_FILE = 'manifest.json';
export const STATS_FILE = 'stats.json';
export const DATA_DIR = 'data';
export const STATE_DIR = 'state';

/** A dropped record as shown in the summary: id and a PII-masked, shortened text. */
export interface DropExample {
  id: string;
  text: string;
}

/** Per-step stats: counts plus the step's own report. */
export interface StepStats extends StepCounts {
  type: string;
  report?: unknown;
}

/** The stats file. */
export interface CleanStats {
  version: 1;
  dryRun: boolean;
  complete: boolean;
  input: { files: string[]; records: number; textBytes: number };
  output: { records: number; shards: number; files: { path: string; records: number }[] };
  steps: StepStats[];
  examples: Record<string, Record<string, DropExample[]>>;
  balance: { input: BalanceReport; output: BalanceReport };
  seconds: number;
  resumedFrom?: number;
}

export interface CleanProgress {
  records: number;
  kept: number;
  dropped: number;
  textBytes: number;
  shards: number;
  elapsedMs: number;
}

export interface CleanOptions {
  /** Input file or folder. */
  in: string;
  /** Output folder (created). Ignored, and nothing written, in a dry run. */
  out: string;
  dryRun?: boolean;
  /** Called every `progressEvery` records and after each shard. */
  onProgress?: (p: CleanProgress) => void;
  progressEvery?: number;
  /** Where relative paths of the config resolve (the config file's folder). */
  baseDir?: string;
  /** Makes the content steps' classifiers (default: JSON keyword lists, plain matching). */
  classifier?: ClassifierFactory;
  /** Environment for secrets (consent.pseudonymise.secretEnv). */
  env?: Record<string, string | undefined>;
  /** Stops after the current record; the committed shards stay and a rerun resumes. */
  signal?: AbortSignal;
  /**
   * Worker threads for the leading steps that need no order (consent, pii, licence, language, quality, and content
   * with the built-in classifier); the steps from the first dedup step (or a content step with a `classifier`
   * function) on run on the calling thread in input order. 1 (default) = everything on the calling thread.
   */
  workers?: number;
  /** Records per batch sent to a worker (default 64). */
  batchRecords?: number;
}

interface Manifest {
  version: 1;
  fingerprint: string;
  shardRecords: number;
  committedShards: number;
  inputRecords: number;
  complete: boolean;
  stats: CleanStats;
}

const pad = (k: number) => String(k).padStart(5, '0');

async function writeAtomic(file: string, text: string): Promise<void> {
  await writeFile(`${file}.tmp`, text);
  await rename(`${file}.tmp`, file);
}

/** What a resume must match: the parsed config and the input files with their sizes and mtimes. */
async function fingerprint(config: CleanConfig, files: readonly string[]): Promise<string> {
  const h = createHash('sha256').update(JSON.stringify(config));
  for (const f of files) {
    const s = await stat(f);
    h.update(`\n${f}\t${s.size}\t${s.mtimeMs}`);
  }
  return h.digest('hex');
}

/** One output shard: a write stream per route, opened on first use. */
class ShardWriter {
  readonly #streams = new Map<string, { stream: WriteStream; path: string; records: number }>();
  constructor(
    readonly dir: string,
    readonly index: number,
  ) {}

  async write(route: string, line: string): Promise<void> {
    let s = this.#streams.get(route);
    if (!s) {
      const path = join(this.dir, DATA_DIR, ...(route ? [route] : []), `part-${pad(this.index)}.jsonl`);
      await mkdir(dirname(path), { recursive: true });
      s = { stream: createWriteStream(`${path}.tmp`), path, records: 0 };
      this.#streams.set(route, s);
    }
    s.records++;
    if (!s.stream.write(line)) await new Promise<void>((res) => s.stream.once('drain', () => res()));
  }

  /** Closes and renames every file; returns them. */
  async finish(): Promise<{ path: string; records: number }[]> {
    const out: { path: string; records: number }[] = [];
    for (const s of this.#streams.values()) {
      await new Promise<void>((res, rej) => s.stream.end((err?: Error | null) => (err ? rej(err) : res())));
      await rename(`${s.path}.tmp`, s.path);
      out.push({ path: relative(this.dir, s.path), records: s.records });
    }
    return out;
  }

  async abandon(): Promise<void> {
    for (const s of this.#streams.values()) s.stream.destroy();
  }
}

/** Files under `dir/data` (recursive). */
async function listData(dir: string): Promise<string[]> {
  const root = join(dir, DATA_DIR);
  if (!existsSync(root)) return [];
  const out: string[] = [];
  const walk = async (d: string) => {
    for (const e of await readdir(d, { withFileTypes: true })) {
      const p = join(d, e.name);
      if (e.isDirectory()) await walk(p);
      else out.push(relative(dir, p));
    }
  };
  await walk(root);
  return out;
}

/** The output row of a kept record. */
function outputRow(record: DataRecord, config: CleanConfig): Record<string, unknown> {
  const row: Record<string, unknown> = { ...record.fields, [config.input.textColumn]: record.text };
  if (config.output.metadataColumn !== false) {
    if (config.output.metadataColumn in record.fields)
      throw new DataInputError(
        { ...record.source, column: config.output.metadataColumn },
        'the row already has the metadata column; set output.metadataColumn to another name or false',
      );
    const meta: Record<string, unknown> = { id: record.id };
    if (record.lang !== undefined) meta.lang = record.lang;
    if (record.tags.length) meta.tags = record.tags;
    row[config.output.metadataColumn] = meta;
  }
  return row;
}

const ORDER_FREE = new Set(['consent', 'pii', 'licence', 'language', 'quality', 'content']);

/** How many leading steps may run in worker threads (order-free, state only mergeable counts). */
function parallelPrefix(config: CleanConfig, steps: readonly Step[], customClassifier: boolean): number {
  let k = 0;
  while (k < steps.length) {
    const type = config.steps[k].type;
    if (!ORDER_FREE.has(type) || (type === 'content' && customClassifier)) break;
    if (steps[k].checkpoint && !steps[k].absorb) break;
    k++;
  }
  return k;
}

interface Processed {
  fate: RecordFate;
  /** UTF-8 bytes of the text as read. */
  bytes: number;
}

async function* localFates(
  records: AsyncIterable<DataRecord>,
  steps: readonly Step[],
  counts: StepCounts[],
): AsyncGenerator<Processed> {
  for await (const r of records) {
    const bytes = Buffer.byteLength(r.text);
    yield { fate: await processRecord(r, steps, counts), bytes };
  }
}

/**
 * Records through the pool (the first `prefix` steps), then the remaining steps here, yielded in input order.
 * Batches end at shard boundaries, so the report deltas absorbed before a commit cover exactly the committed records.
 */
async function* pooledFates(
  records: AsyncIterable<DataRecord>,
  pool: StepPool,
  o: {
    steps: readonly Step[];
    counts: StepCounts[];
    prefix: number;
    shardRecords: number;
    skip: number;
    batchRecords: number;
  },
): AsyncGenerator<Processed> {
  const rest = o.steps.slice(o.prefix);
  const restCounts = o.counts.slice(o.prefix);
  const queue: { result: ReturnType<StepPool['run']>; bytes: number[] }[] = [];
  const maxInFlight = 4;
  let batch: DataRecord[] = [];
  let position = o.skip;
  const flush = () => {
    if (!batch.length) return;
    const result = pool.run(batch);
    result.catch(() => undefined); // awaited in order below; this only keeps a queued failure from being "unhandled"
    queue.push({ result, bytes: batch.map((r) => Buffer.byteLength(r.text)) });
    batch = [];
  };
  async function* drain(keep: number): AsyncGenerator<Processed> {
    while (queue.length > keep) {
      const head = queue.shift();
      if (!head) return;
      const res = await head.result;
      for (let k = 0; k < o.prefix; k++) {
        const c = o.counts[k];
        const d = res.counts[k];
        c.seen += d.seen;
        c.kept += d.kept;
        c.edited += d.edited;
        c.dropped += d.dropped;
        c.ms += d.ms;
        for (const [r, n] of Object.entries(d.reasons)) c.reasons[r] = (c.reasons[r] ?? 0) + n;
        if (res.deltas[k] !== undefined) o.steps[k].absorb?.(res.deltas[k]);
      }
      for (let i = 0; i < res.fates.length; i++) {
        const fate = res.fates[i];
        yield { fate: fate.kept ? await processRecord(fate.record, rest, restCounts) : fate, bytes: head.bytes[i] };
      }
    }
  }
  for await (const r of records) {
    batch.push(r);
    position++;
    if (batch.length >= o.batchRecords || position % o.shardRecords === 0) flush();
    yield* drain(maxInFlight);
  }
  flush();
  yield* drain(0);
}

/**
 * Cleans a corpus: `in` (file or folder of .jsonl/.parquet/.txt/.md) → `out/data/part-*.jsonl` (per language with
 * `routeBy: 'language'`), `out/manifest.json`, `out/stats.json`. Resumes an interrupted run in the same `out`.
 */
export async function cleanDataset(
  configInput: CleanConfigInput | CleanConfig,
  options: CleanOptions,
): Promise<CleanStats> {
  const t0 = performance.now();
  const config = parseCleanConfig(configInput);
  const files = await listInputFiles(options.in);
  const steps = await createSteps(config, {
    baseDir: options.baseDir,
    classifier: options.classifier,
    env: options.env,
  });
  const workers = options.workers ?? 1;
  if (!Number.isInteger(workers) || workers < 1)
    throw new DataConfigError(`cleanDataset: workers must be a positive integer, got ${workers}`);
  const prefix = parallelPrefix(config, steps, options.classifier !== undefined);
  if (workers > 1 && prefix === 0)
    throw new DataConfigError(
      `cleanDataset: workers is ${workers} but the first step ('${config.steps[0].name}', ${config.steps[0].type}) must run on the calling thread; put the order-free steps (consent, pii, licence, language, quality) first`,
    );
  const out = resolve(options.out);
  const dry = options.dryRun === true;
  const S = config.output.shardRecords;
  const balanceOpts = { sourceColumn: config.report.sourceColumn, columns: config.report.columns };

  let counts = emptyCounts(steps);
  let examples: CleanStats['examples'] = {};
  let balanceIn = new BalanceCounter(balanceOpts);
  let balanceOut = new BalanceCounter(balanceOpts);
  let outputFiles: { path: string; records: number }[] = [];
  let inputRecords = 0;
  let textBytes = 0;
  let committed = 0;
  let resumedFrom: number | undefined;
  const print = await fingerprint(config, files);

  if (!dry) {
    await mkdir(out, { recursive: true });
    const manifestPath = join(out, MANIFEST_FILE);
    if (existsSync(manifestPath)) {
      const m = JSON.parse(await readFile(manifestPath, 'utf8')) as Manifest;
      if (m.fingerprint !== print || m.shardRecords !== S)
        throw new DataStateError(
          `cleanDataset: ${out} holds a run with another config or other input files; use a new output folder or delete it`,
        );
      if (m.complete) return m.stats;
      committed = m.committedShards;
      inputRecords = m.inputRecords;
      resumedFrom = inputRecords;
      counts = m.stats.steps.map(({ name, seen, kept, edited, dropped, reasons, ms }) => ({
        name,
        seen,
        kept,
        edited,
        dropped,
        reasons,
        ms,
      }));
      examples = m.stats.examples;
      textBytes = m.stats.input.textBytes;
      balanceIn = new BalanceCounter(balanceOpts, m.stats.balance.input);
      balanceOut = new BalanceCounter(balanceOpts, m.stats.balance.output);
      outputFiles = m.stats.output.files;
      // delete the uncommitted shard's files and state, then replay the committed state
      const keep = new Set(outputFiles.map((f) => f.path));
      for (const f of await listData(out)) if (!keep.has(f)) await rm(join(out, f));
      const deltas: unknown[][] = steps.map(() => []);
      for (let k = 0; k < committed; k++) {
        const state = JSON.parse(await readFile(join(out, STATE_DIR, `${pad(k)}.json`), 'utf8')) as Record<
          string,
          unknown
        >;
        steps.forEach((s, i) => {
          if (s.name in state) deltas[i].push(state[s.name]);
        });
      }
      for (const [i, s] of steps.entries()) s.restore?.(deltas[i]);
    } else if ((await listData(out)).length) {
      throw new DataStateError(
        `cleanDataset: ${out}/${DATA_DIR} has files but no ${MANIFEST_FILE}; use an empty output folder`,
      );
    }
    await mkdir(join(out, STATE_DIR), { recursive: true });
  }

  const stats = (complete: boolean): CleanStats => {
    const kept = outputFiles.reduce((a, f) => a + f.records, 0);
    return {
      version: 1,
      dryRun: dry,
      complete,
      input: { files: files.map((f) => relative(process.cwd(), f) || f), records: inputRecords, textBytes },
      output: { records: dry ? balanceOut.report().records : kept, shards: committed, files: outputFiles },
      steps: steps.map((s, i) => ({ ...counts[i], type: config.steps[i].type, report: s.report?.() })),
      examples,
      balance: { input: balanceIn.report(), output: balanceOut.report() },
      seconds: (performance.now() - t0) / 1000,
      ...(resumedFrom !== undefined ? { resumedFrom } : {}),
    };
  };

  let writer = dry ? null : new ShardWriter(out, committed);
  const commit = async () => {
    if (!writer) return;
    outputFiles.push(...(await writer.finish()));
    const state: Record<string, unknown> = {};
    for (const s of steps) if (s.checkpoint) state[s.name] = s.checkpoint();
    await writeAtomic(join(out, STATE_DIR, `${pad(committed)}.json`), JSON.stringify(state));
    committed++;
    const manifest: Manifest = {
      version: 1,
      fingerprint: print,
      shardRecords: S,
      committedShards: committed,
      inputRecords,
      complete: false,
      stats: stats(false),
    };
    await writeAtomic(join(out, MANIFEST_FILE), JSON.stringify(manifest));
    writer = new ShardWriter(out, committed);
  };

  const every = options.progressEvery ?? 1000;
  let kept = 0;
  let dropped = 0;
  const progress = () =>
    options.onProgress?.({
      records: inputRecords,
      kept,
      dropped,
      textBytes,
      shards: committed,
      elapsedMs: performance.now() - t0,
    });

  const skip = inputRecords;
  /** The input after the committed records, stopping at an abort. */
  async function* inputs(): AsyncGenerator<DataRecord> {
    let index = 0;
    for await (const record of readRecords(files, config.input)) {
      if (index++ < skip) continue;
      if (options.signal?.aborted) return;
      yield record;
    }
  }
  let pending = 0;
  let pool: StepPool | undefined;
  try {
    if (workers > 1)
      pool = await StepPool.start(workers, { config, prefix, baseDir: options.baseDir, env: options.env });
    const fates = pool
      ? pooledFates(inputs(), pool, {
          steps,
          counts,
          prefix,
          shardRecords: S,
          skip,
          batchRecords: options.batchRecords ?? 64,
        })
      : localFates(inputs(), steps, counts);
    for await (const { fate, bytes } of fates) {
      const record = fate.record;
      inputRecords++;
      pending++;
      textBytes += bytes;
      // counted after the steps so the language is known for records that reached the language step
      // (`unknown` for those dropped before it); source and columns are as read
      balanceIn.add(record);
      if (fate.kept) {
        kept++;
        balanceOut.add(record);
        const route = config.output.routeBy === 'language' ? (record.lang ?? 'und') : '';
        await writer?.write(route, `${JSON.stringify(outputRow(record, config))}\n`);
      } else {
        dropped++;
        examples[fate.step] ??= {};
        examples[fate.step][fate.reason] ??= [];
        const list = examples[fate.step][fate.reason];
        if (list.length < config.report.examplesPerReason) {
          // mask before shortening, so a cut never leaves half an address behind
          const masked = redactPii(record.text, { mode: 'redact' }).text;
          list.push({ id: record.id, text: masked.slice(0, config.report.exampleChars) });
        }
      }
      if (inputRecords % every === 0) progress();
      if (inputRecords % S === 0) {
        await commit();
        pending = 0;
        progress();
      }
    }
  } catch (err) {
    await writer?.abandon();
    throw err;
  } finally {
    await pool?.close();
  }
  const aborted = options.signal?.aborted === true;
  if (aborted) {
    await writer?.abandon();
  } else if (pending > 0 || (!dry && committed === 0)) await commit();
  const final = stats(!aborted);
  if (!dry) {
    if (!aborted) {
      const manifest: Manifest = {
        version: 1,
        fingerprint: print,
        shardRecords: S,
        committedShards: committed,
        inputRecords,
        complete: true,
        stats: final,
      };
      await writeAtomic(join(out, STATS_FILE), JSON.stringify(final, null, 2));
      await writeAtomic(join(out, MANIFEST_FILE), JSON.stringify(manifest));
    }
  }
  progress();
  return final;
}
