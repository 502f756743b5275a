/**
 * Weight sync: before each remote rollout, the inference server must hold the policy the trainer is training, or the
 * rollout samples a stale policy and GRPO's ratio and advantages describe the wrong model. A `WeightSync` pushes the
 * current weights to the server and says which served model name the rollout must request.
 *
 * Two built-in strategies, plus any object of your own with the same one method:
 * - {@link loraAdapterSync} (vLLM runtime LoRA, `VLLM_ALLOW_RUNTIME_LORA_UPDATING=True`): saves the adapter in PEFT
 *   format to `<dir>/<prefix>-step-<N>`, POSTs `/v1/unload_lora_adapter {lora_name}` for the previous version (a 404
 *   there means it is already gone), then `/v1/load_lora_adapter {lora_name, lora_path}`; rollouts then send
 *   `"model": "<prefix>-step-<N>"`. The previous version's folder is removed once the new one is loaded.
 * - {@link fullWeightSync}: writes a Hugging Face checkpoint to `<dir>/step-<N>` and POSTs `{model_path}` to a reload
 *   endpoint (default SGLang's `/update_weights_from_disk`); a reply `{"success": false}` counts as a failure.
 *   Rollouts keep requesting the configured model name.
 *
 * Every failure (HTTP status, timeout, connection, a write error) is a {@link WeightSyncError} naming the endpoint and
 * status; nothing is retried, so a step never trains on rollouts sampled from weights the server did not take.
 * Leaves out: NCCL / collective-RPC weight broadcast (no shared GPU group here), several servers.
 */
import { rm } from 'node:fs/promises';
import { join, relative, resolve } from 'node:path';
import { AhaError, bodySnippet, loraStateOf, type Model, saveLoraAdapter, type Tokenizer, ValueError } from '@aha/core';
import { anySignal } from './remote.js';

/** Why a weight sync failed. */
export type WeightSyncErrorReason = 'http' | 'timeout' | 'connection' | 'rejected' | 'write';

const syncMarker = Symbol.for('aha.grpo.weightSyncError');

/**
 * The server did not take the new weights: `reason`, the `endpoint` it was sent to (or the folder that could not be
 * written) and the HTTP `status` when there was one. The step that needed the sync does not run.
 */
export class WeightSyncError extends AhaError {
  readonly [syncMarker] = true;
  constructor(
    readonly reason: WeightSyncErrorReason,
    readonly endpoint: string,
    message: string,
    readonly status?: number,
    options?: { cause?: unknown },
  ) {
    super('io', message, options);
    this.name = `WeightSyncError[${reason}]`;
  }

  /** True when `err` is a WeightSyncError (of `reason`, when given), across package copies. */
  static isWeightSyncError(err: unknown, reason?: WeightSyncErrorReason): err is WeightSyncError {
    return (
      AhaError.is(err, 'io') &&
      (err as unknown as Record<symbol, unknown>)[syncMarker] === true &&
      (reason === undefined || (err as WeightSyncError).reason === reason)
    );
  }
}

/** What a sync is given: the policy and where the run writes. */
export interface WeightSyncContext {
  /** Optimizer steps done so far (0 before the first): the version being pushed. */
  step: number;
  /** The policy, as trained. */
  model: Model;
  tokenizer: Tokenizer;
  signal?: AbortSignal;
}

/** What a sync reports. */
export interface WeightSyncResult {
  /** Served model name the rollout must request (the adapter's name); undefined = the configured `model`. */
  model?: string;
  /** A label of the pushed version, recorded in the step metrics (e.g. the adapter name or checkpoint folder). */
  version: string;
}

/** Pushes the policy's weights to the rollout server; the trainer calls it before every rollout. */
export interface WeightSync {
  /** 'lora', 'full' or your own (shown in errors and metrics). */
  readonly kind: string;
  /**
   * Checks the model can be synced this way; called once when the trainer is built (a ValueError explains why not).
   */
  check?(model: Model): void;
  /** Makes the server serve the current policy. Throws (a WeightSyncError for the built-ins) when it did not. */
  sync(ctx: WeightSyncContext): Promise<WeightSyncResult>;
}

/** How to reach the server's admin endpoints. */
interface ServerOptions {
  /** Server base URL, e.g. http://127.0.0.1:8000 (a trailing /v1 is dropped). */
  baseUrl: string;
  apiKey?: string;
  /** Per-request timeout in ms (default 300 000: a load reads the files and may compile). */
  timeoutMs?: number;
  fetch?: typeof fetch;
}

/** Where versions are written, and how the server sees that folder. */
interface FolderOptions {
  /** Folder the versions are written to (e.g. `<outputDir>/weight-sync`). */
  dir: string;
  /**
   * The same folder as the server's file system names it, when the server runs elsewhere (a container, another
   * machine with a shared mount); default `dir`.
   */
  serverDir?: string;
}

/** Options of {@link loraAdapterSync}. */
export interface LoraAdapterSyncOptions extends ServerOptions, FolderOptions {
  /** Adapter names are `<prefix>-step-<N>` (default 'aha-policy'). */
  namePrefix?: string;
  /** Recorded as base_model_name_or_path in adapter_config.json. */
  baseModelNameOrPath?: string;
}

/** Options of {@link fullWeightSync}. */
export interface FullWeightSyncOptions extends ServerOptions, FolderOptions {
  /** Path of the reload endpoint (default SGLang's '/update_weights_from_disk'). */
  endpoint?: string;
  /** Request body key holding the checkpoint folder (default 'model_path', as SGLang). */
  pathKey?: string;
  /** Extra request fields (e.g. SGLang's `load_format`). */
  extraBody?: Record<string, unknown>;
}

/** vLLM runtime LoRA updating: save the adapter, swap it on the server, request it by name. */
export function loraAdapterSync(opts: LoraAdapterSyncOptions): WeightSync {
  const post = poster(opts, 'loraAdapterSync');
  const prefix = opts.namePrefix ?? 'aha-policy';
  if (!/^[A-Za-z0-9._-]+$/.test(prefix))
    throw new ValueError(`loraAdapterSync: namePrefix must be letters, digits, '.', '_' or '-', got '${prefix}'`);
  let previous: { name: string; dir: string } | null = null;
  return {
    kind: 'lora',
    check(model) {
      if (!loraStateOf(model))
        throw new ValueError(
          "GrpoTrainer: weight sync 'lora' needs a model with LoRA adapters (applyLora / `lora` in the config); " +
            "the model has none — use sync 'full' to push full weights",
        );
    },
    async sync(ctx) {
      // A new name per version: the rollout request then names exactly the weights it samples from, and the
      // server's logs and /v1/models show which step it serves. (vLLM: unload of an unknown name is a 404, loading a
      // name it holds a 400; vllm/entrypoints/openai/serving_models.py.)
      const name = `${prefix}-step-${ctx.step}`;
      const dir = join(opts.dir, name);
      await writing(dir, () => saveLoraAdapter(ctx.model, dir, { baseModelNameOrPath: opts.baseModelNameOrPath }));
      // Unload first: vLLM caps the adapters it holds (--max-cpu-loras), and only the newest is wanted. The first
      // sync of a process unloads the name it is about to load instead: a resumed run pushes a step the server may
      // already hold from before the restart, and vLLM refuses to load a name twice. 404 = not loaded: fine.
      const stale = previous?.name ?? name;
      await post('/v1/unload_lora_adapter', { lora_name: stale }, ctx.signal, { notFoundIsOk: true });
      await post('/v1/load_lora_adapter', { lora_name: name, lora_path: serverPath(opts, dir) }, ctx.signal);
      if (previous && previous.dir !== dir) await rm(previous.dir, { recursive: true, force: true });
      previous = { name, dir };
      return { model: name, version: name };
    },
  };
}

/** Full weights: write an HF checkpoint and ask the server to reload it (SGLang-style by default). */
export function fullWeightSync(opts: FullWeightSyncOptions): WeightSync {
  const post = poster(opts, 'fullWeightSync');
  const endpoint = opts.endpoint ?? '/update_weights_from_disk';
  if (!endpoint.startsWith('/'))
    throw new ValueError(`fullWeightSync: endpoint must start with '/', got '${endpoint}'`);
  const pathKey = opts.pathKey ?? 'model_path';
  let previous: string | null = null;
  return {
    kind: 'full',
    check(model) {
      if (loraStateOf(model))
        throw new ValueError(
          "GrpoTrainer: weight sync 'full' writes the model's own weights, but the model has LoRA adapters; " +
            "use sync 'lora' (vLLM runtime LoRA) instead",
        );
    },
    async sync(ctx) {
      const dir = join(opts.dir, `step-${ctx.step}`);
      await writing(dir, async () => {
        await rm(dir, { recursive: true, force: true });
        await ctx.model.save(dir);
        const tok = ctx.tokenizer as { save?: (d: string) => Promise<void> | void };
        if (typeof tok.save === 'function') await tok.save(dir);
      });
      await post(endpoint, { ...opts.extraBody, [pathKey]: serverPath(opts, dir) }, ctx.signal);
      if (previous && previous !== dir) await rm(previous, { recursive: true, force: true });
      previous = dir;
      return { version: `step-${ctx.step}` };
    },
  };
}

function serverPath(opts: FolderOptions, dir: string): string {
  // Absolute: the server resolves a relative path against its own working directory, not ours.
  if (opts.serverDir === undefined) return resolve(dir);
  // Posix joins: the server's paths are the server's, whatever this machine uses.
  return [opts.serverDir.replace(/\/+$/, ''), ...relative(opts.dir, dir).split(/[\\/]/)].join('/');
}

async function writing(dir: string, write: () => Promise<void>): Promise<void> {
  try {
    await write();
  } catch (err) {
    throw new WeightSyncError('write', dir, `weight sync: cannot write ${dir}: ${(err as Error).message}`, undefined, {
      cause: err,
    });
  }
}

type Post = (
  path: string,
  body: Record<string, unknown>,
  signal: AbortSignal | undefined,
  o?: { notFoundIsOk?: boolean },
) => Promise<void>;

/** One POST per call, no retry: a half-applied load must surface, not be papered over. */
function poster(opts: ServerOptions, who: string): Post {
  let base: URL;
  try {
    base = new URL(opts.baseUrl);
  } catch {
    throw new ValueError(`${who}: baseUrl '${opts.baseUrl}' is not a URL`);
  }
  if (base.protocol !== 'http:' && base.protocol !== 'https:')
    throw new ValueError(`${who}: baseUrl must be http(s), got '${opts.baseUrl}'`);
  const timeoutMs = opts.timeoutMs ?? 300_000;
  if (!(timeoutMs > 0) || !Number.isFinite(timeoutMs))
    throw new ValueError(`${who}: timeoutMs must be > 0, got ${timeoutMs}`);
  // The admin endpoints hang off the server root (vLLM's /v1/load_lora_adapter is spelt with its /v1 here).
  const root = `${base.origin}${base.pathname.replace(/\/+$/, '').replace(/\/v1$/, '')}`;
  const doFetch = opts.fetch ?? globalThis.fetch;
  const headers: Record<string, string> = { 'content-type': 'application/json' };
  if (opts.apiKey) headers.authorization = `Bearer ${opts.apiKey}`;
  return async (path, body, signal, o = {}) => {
    const url = `${root}${path}`;
    const timeout = AbortSignal.timeout(timeoutMs);
    const s = signal ? anySignal(signal, timeout) : timeout;
    let res: Response;
    let text: string;
    try {
      res = await doFetch(url, { method: 'POST', headers, body: JSON.stringify(body), signal: s });
      text = await res.text();
    } catch (err) {
      if (timeout.aborted && !signal?.aborted)
        throw new WeightSyncError('timeout', url, `weight sync: ${url}: no reply within ${timeoutMs} ms`, undefined, {
          cause: err,
        });
      const cause = (err as { cause?: { code?: string; message?: string } }).cause;
      const why = cause?.code ?? cause?.message ?? (err as Error).message;
      throw new WeightSyncError('connection', url, `weight sync: ${url}: request failed (${why})`, undefined, {
        cause: err,
      });
    }
    if (res.status === 404 && o.notFoundIsOk) return;
    if (!res.ok)
      throw new WeightSyncError(
        'http',
        url,
        `weight sync: ${url}: HTTP ${res.status} ${res.statusText}: ${bodySnippet(text)}`,
        res.status,
      );
    // SGLang answers 200 with {"success": false, "message": …} when it could not load the weights.
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch {
      return; // vLLM answers the LoRA endpoints with plain text ("Success: LoRA adapter … added successfully.")
    }
    if (json && typeof json === 'object' && (json as { success?: unknown }).success === false)
      throw new WeightSyncError(
        'rejected',
        url,
        `weight sync: ${url}: the server refused the weights: ${bodySnippet(text)}`,
        res.status,
      );
  };
}
