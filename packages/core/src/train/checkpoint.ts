/**
 * Training checkpoints. One folder per step, `checkpoint-<step>/`:
 *   model.safetensors   the model's tensors under their HF names (+ config.json when given): a loadable HF model dir
 *   optimizer.safetensors + trainer_state.json   optimizer moments, scheduler, RNG, data position, step, task state
 * A checkpoint is written into a temporary folder and renamed into place only when complete, so a crash or Ctrl-C
 * leaves either the previous checkpoints or the new one, never half of one. `trainer_state.json` is written last.
 * The temporary folder's name carries the writer's pid (`.checkpoint-<step>.<pid>.<hex>.tmp`), so a later run can
 * delete the ones a killed process left (`removeStaleTemporaries`) without touching a live writer's.
 */
import { randomBytes } from 'node:crypto';
import { mkdir, open, readdir, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { AhaError } from '../errors.js';
import { readSafetensors, writeSafetensors } from '../io/safetensors.js';
import type { Tensor } from '../tensor.js';
import { joinState, splitState } from './state.js';

export interface CheckpointContents {
  step: number;
  /** Named model tensors (parameters and buffers such as the MoE routing bias), HF names. */
  model: Iterable<[string, Tensor]>;
  /** Written as config.json so the folder is a loadable model. */
  modelConfig?: unknown;
  /** `optimizer.stateDict()`. */
  optimizer: unknown;
  /** Everything else the loop and the task need to continue exactly (JSON + Float32Array leaves). */
  trainer: unknown;
}

export interface LoadedCheckpoint {
  dir: string;
  step: number;
  model: Map<string, { data: Float32Array; shape: number[] }>;
  optimizer: unknown;
  trainer: unknown;
}

const NAME = /^checkpoint-(\d+)$/;
export const checkpointDirName = (step: number): string => `checkpoint-${String(step).padStart(6, '0')}`;

async function writeJson(path: string, value: unknown): Promise<void> {
  await writeFile(path, `${JSON.stringify(value, null, 2)}\n`);
  const fh = await open(path, 'r+');
  await fh.sync();
  await fh.close();
}

async function syncDir(dir: string): Promise<void> {
  const fh = await open(dir, 'r');
  try {
    await fh.sync();
  } catch {
    // Some file systems refuse fsync on directories; the rename is still atomic there.
  } finally {
    await fh.close();
  }
}

/** Writes a checkpoint atomically under `root` and returns its folder. */
export async function saveCheckpoint(root: string, c: CheckpointContents): Promise<string> {
  await mkdir(root, { recursive: true });
  const final = join(root, checkpointDirName(c.step));
  const tmp = join(root, `.${checkpointDirName(c.step)}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`);
  await mkdir(tmp);
  try {
    const model: Record<string, { data: Float32Array; shape: number[] }> = {};
    for (const [name, t] of c.model) model[name] = { data: t.toFloat32Array(), shape: [...t.shape] };
    await writeSafetensors(join(tmp, 'model.safetensors'), model);
    if (c.modelConfig !== undefined) await writeJson(join(tmp, 'config.json'), c.modelConfig);
    const optimizer = splitState(c.optimizer, 'optimizer');
    const trainer = splitState(c.trainer, 'trainer');
    await writeSafetensors(join(tmp, 'optimizer.safetensors'), { ...optimizer.tensors, ...trainer.tensors });
    await writeJson(join(tmp, 'trainer_state.json'), {
      format: 'aha-checkpoint-1',
      step: c.step,
      optimizer: optimizer.json,
      trainer: trainer.json,
    });
    await syncDir(tmp);
    // Re-saving a step (after a resume) replaces the old folder: move it aside first so `final` is never missing.
    const old = await stat(final).then(
      () => `${tmp}.old`,
      () => null,
    );
    if (old) await rename(final, old);
    await rename(tmp, final);
    await syncDir(root);
    if (old) await rm(old, { recursive: true, force: true });
  } catch (err) {
    await rm(tmp, { recursive: true, force: true });
    throw err;
  }
  return final;
}

/** Complete checkpoints under `root`, oldest first. Leftover temporary folders are ignored. */
export async function listCheckpoints(root: string): Promise<{ step: number; dir: string }[]> {
  const entries = await readdir(root).catch(() => [] as string[]);
  return entries
    .map((name) => ({ m: NAME.exec(name), name }))
    .filter((e) => e.m)
    .map((e) => ({ step: Number(e.m![1]), dir: join(root, e.name) }))
    .sort((a, b) => a.step - b.step);
}

export async function latestCheckpoint(root: string): Promise<string | null> {
  const all = await listCheckpoints(root);
  return all.length ? all[all.length - 1].dir : null;
}

export async function loadCheckpoint(dir: string): Promise<LoadedCheckpoint> {
  let state: { format?: string; step: number; optimizer: unknown; trainer: unknown };
  try {
    state = JSON.parse(await readFile(join(dir, 'trainer_state.json'), 'utf8'));
  } catch (err) {
    throw new AhaError('io', `checkpoint ${dir}: cannot read trainer_state.json (${(err as Error).message})`, {
      cause: err,
    });
  }
  if (state.format !== 'aha-checkpoint-1' || !Number.isInteger(state.step)) {
    throw new AhaError('io', `checkpoint ${dir}: trainer_state.json is not an aha checkpoint (format ${state.format})`);
  }
  const tensors = await readSafetensors(join(dir, 'optimizer.safetensors'));
  return {
    dir,
    step: state.step,
    model: await readSafetensors(join(dir, 'model.safetensors')),
    optimizer: joinState(state.optimizer, tensors),
    trainer: joinState(state.trainer, tensors),
  };
}

/** Deletes all but the newest `keep` checkpoints. */
export async function pruneCheckpoints(root: string, keep: number): Promise<void> {
  const all = await listCheckpoints(root);
  for (const c of all.slice(0, Math.max(0, all.length - keep))) await rm(c.dir, { recursive: true, force: true });
}

const TEMPORARY = /^\.(checkpoint-\d+)\.(\d+)\.[0-9a-f]+\.tmp(\.old)?$/;

/** Whether a process with this pid is alive (EPERM: it exists but belongs to someone else). */
function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * Deletes the temporary folders under `root` that a killed writer left behind (its pid is no longer alive), and
 * puts back a checkpoint that was moved aside for a re-save (`.tmp.old`) when the kill came before its replacement
 * was renamed into place. Returns what it did, one line per folder, for the run's log.
 */
export async function removeStaleTemporaries(root: string): Promise<string[]> {
  const entries = await readdir(root).catch(() => [] as string[]);
  const done: string[] = [];
  for (const name of entries) {
    const m = TEMPORARY.exec(name);
    if (!m || processAlive(Number(m[2]))) continue;
    const dir = join(root, name);
    const final = join(root, m[1]);
    if (
      m[3] &&
      !(await stat(final).then(
        () => true,
        () => false,
      ))
    ) {
      await rename(dir, final);
      done.push(`restored ${final} from ${name} (a re-save was killed before it finished)`);
      continue;
    }
    await rm(dir, { recursive: true, force: true });
    done.push(`removed ${dir} (left by process ${m[2]}, which is gone)`);
  }
  return done;
}
