/**
 * Recipes as stages. A stage is a typed function from artifacts to artifacts (paths and numbers, JSON) with a zod
 * config. `runStage` records each finished stage in `<runDir>/stages.json` with a hash of its config (and input), so
 * running a recipe again skips finished stages and re-enters an unfinished one; a stage that can be interrupted
 * (GRPO) resumes from its own checkpoints inside its work folder. When a stage's config changes, its record and work
 * folder are discarded and it runs afresh. Leaves out: a DAG scheduler (recipes call their stages in order) and
 * invalidating later stages when an earlier one reruns (they hash their inputs, which changes with it).
 */
import { createHash } from 'node:crypto';
import { mkdir, readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { AhaError, writeFileAtomic } from '@aha/core';
import type { z } from 'zod';

/** What a stage gets besides its input and config. */
export interface StageContext {
  /** The stage's own folder, `<runDir>/<stage name>` (checkpoints, intermediate files). */
  workDir: string;
  /** The recipe's run folder. */
  runDir: string;
  /** Aborted on Ctrl-C: finish the current step, save, and return. */
  signal: AbortSignal;
  /** A message for the user (through the progress display). */
  log?: (message: string) => void;
}

/** A stage: named, with a zod config, from input artifacts to output artifacts (both JSON-serialisable). */
export interface Stage<Config extends z.ZodType, In, Out> {
  name: string;
  description: string;
  config: Config;
  /**
   * Bump when the stage's output (its shape or what it means) changes for the same config and input: the version is
   * part of the hash, so run folders made by the older code run the stage again instead of reusing an output that
   * later stages cannot read. Unset: version 1, hashed as before versions existed.
   */
  version?: number;
  run(input: In, config: z.infer<Config>, context: StageContext): Promise<Out>;
}

/** Returns its argument: lets TypeScript infer the stage's types (as `defineReward` does). */
export function defineStage<Config extends z.ZodType, In, Out>(stage: Stage<Config, In, Out>): Stage<Config, In, Out> {
  return stage;
}

/** One entry of stages.json. */
export interface StageRecord {
  hash: string;
  status: 'running' | 'done';
  output?: unknown;
  startedAt: string;
  finishedAt?: string;
}

/** The stage was interrupted (Ctrl-C) before finishing; running the recipe again resumes it. */
export class StageInterruptedError extends AhaError {
  constructor(readonly stage: string) {
    super('state', `stage "${stage}" was interrupted; run the same command again to resume it`);
  }
}

/** The file recording finished stages in a run folder. */
export const STAGES_FILE = 'stages.json';

/** Stable JSON (sorted keys) → sha256, first 16 hex digits. */
export function hashConfig(value: unknown): string {
  const stable = (v: unknown): unknown =>
    Array.isArray(v)
      ? v.map(stable)
      : v && typeof v === 'object'
        ? Object.fromEntries(
            Object.keys(v)
              .sort()
              .map((k) => [k, stable((v as Record<string, unknown>)[k])]),
          )
        : v;
  return createHash('sha256')
    .update(JSON.stringify(stable(value)))
    .digest('hex')
    .slice(0, 16);
}

/** Reads `<runDir>/stages.json` ({} when absent). */
export async function readStages(runDir: string): Promise<Record<string, StageRecord>> {
  try {
    return JSON.parse(await readFile(join(runDir, STAGES_FILE), 'utf8')) as Record<string, StageRecord>;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return {};
    throw new AhaError('io', `${join(runDir, STAGES_FILE)}: cannot read (${(err as Error).message})`);
  }
}

async function writeStage(runDir: string, name: string, record: StageRecord): Promise<void> {
  const all = await readStages(runDir);
  all[name] = record;
  await writeFileAtomic(join(runDir, STAGES_FILE), async (fh) => {
    await fh.write(`${JSON.stringify(all, null, 2)}\n`);
  });
}

/** What `runStage` reports besides the output. */
export interface StageRun<Out> {
  output: Out;
  /** True when a finished record with the same hash was reused. */
  skipped: boolean;
  /** True when an unfinished record with the same hash was found (the stage resumed). */
  resumed: boolean;
}

/**
 * Runs `stage` unless `<runDir>/stages.json` records it finished with the same config+input hash (then returns the
 * recorded output). Throws `StageInterruptedError` when `signal` was aborted during the stage (not recorded done).
 * @param rawConfig the stage config before defaults; parsed with `stage.config`
 */
export async function runStage<Config extends z.ZodType, In, Out>(
  runDir: string,
  stage: Stage<Config, In, Out>,
  input: In,
  rawConfig: z.input<Config>,
  options: { signal: AbortSignal; log?: (message: string) => void },
): Promise<StageRun<Out>> {
  const parsed = stage.config.safeParse(rawConfig);
  if (!parsed.success) {
    throw new AhaError('config', `stage "${stage.name}": invalid config: ${parsed.error.message}`);
  }
  const config = parsed.data as z.infer<Config>;
  const hash = hashConfig(
    stage.version && stage.version > 1 ? { config, input, version: stage.version } : { config, input },
  );
  const workDir = join(runDir, stage.name);
  const previous = (await readStages(runDir))[stage.name];
  if (previous?.hash === hash && previous.status === 'done') {
    return { output: previous.output as Out, skipped: true, resumed: false };
  }
  const resumed = previous?.hash === hash;
  // A different config invalidates the old work (checkpoints of another run must not be resumed).
  if (!resumed) await rm(workDir, { recursive: true, force: true });
  await mkdir(workDir, { recursive: true });
  const startedAt = resumed ? previous.startedAt : new Date().toISOString();
  await writeStage(runDir, stage.name, { hash, status: 'running', startedAt });
  const output = await stage.run(input, config, { workDir, runDir, signal: options.signal, log: options.log });
  if (options.signal.aborted) throw new StageInterruptedError(stage.name);
  await writeStage(runDir, stage.name, {
    hash,
    status: 'done',
    output,
    startedAt,
    finishedAt: new Date().toISOString(),
  });
  return { output, skipped: false, resumed };
}

/**
 * `runStage` bound to one run folder and its signal: runs (or skips, or resumes) a stage, logs which it did, and
 * returns the stage's output. Recipes call their stages through it in order.
 */
export function stageRunner(runDir: string, options: { signal: AbortSignal; log: (message: string) => void }) {
  return async <Config extends z.ZodType, In, Out>(
    stage: Stage<Config, In, Out>,
    input: In,
    rawConfig: z.input<Config>,
  ): Promise<Out> => {
    const r = await runStage(runDir, stage, input, rawConfig, options);
    const what = r.skipped ? 'already done (stages.json), skipped' : r.resumed ? 'resumed, done' : 'done';
    options.log(`${stage.name}: ${what}`);
    return r.output;
  };
}
