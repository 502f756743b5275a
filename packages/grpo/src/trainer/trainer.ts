/**
 * GrpoTrainer — R1-Zero's reinforcement learning (DeepSeekMath §4.1.1, DeepSeek-R1 §2.2.1 and Methods) on the
 * @aha/core model, driven by the one training loop of @aha/core (`trainLoop`): this file only supplies the
 * `TrainTask` hooks — `nextBatches` runs the rollout (sampling, rewards, advantages), `loss` computes the GRPO
 * objective of one micro-batch, `afterStep` moves the MoE routing biases and refreshes the reference model, and
 * `stateDict` / `loadStateDict` carry the data position, the current rollout buffer and the reference weights so a
 * resumed run continues exactly. Sampling seeds are derived from (seed, rollout, round), so no RNG state is needed.
 *
 * Schedule: one rollout covers `stepsPerRollout × promptsPerStep` prompts (× G completions); it is trained on for
 * `numIterations` (μ) passes of `stepsPerRollout` optimizer steps each. When a rollout is trained on more than once,
 * log π_old is computed once (no grad) before the first update; otherwise π_old = π_θ detached (ratio 1, as TRL).
 * Each step's batch is split into `gradAccumulation` micro-batches; the loop sums their weighted gradients.
 *
 * With a remote server and a weight sync (`rollout.sync` or the `weightSync` option), the policy is pushed to the
 * server before each rollout (rollout/weight-sync.ts), so the server samples the policy being trained.
 *
 * Follows TRL's GRPOTrainer in spirit (reading only); leaves out: multi-GPU / NCCL weight broadcast, reward models as
 * networks (pass them as rewards), and asynchronous generation.
 */
import { join } from 'node:path';
import {
  AhaError,
  closestKey,
  createModel,
  deepseekV3ConfigToJson,
  type LrScheduler,
  loopConfigOf,
  type Model,
  noGrad,
  type Optimizer,
  optimizerFrom,
  type StepReport,
  Tensor,
  type Tokenizer,
  type TrainEvent,
  type TrainTask,
  trainLoop,
  ValueError,
} from '@aha/core';
import type { Reward, RewardLogger } from '@aha/rewards';
import { type GrpoConfig, type GrpoConfigInput, GrpoConfigSchema, parseGrpoConfig } from '../config.js';
import { renderPrompt } from '../data/chat.js';
import { DataIterator, type DataPosition } from '../data/iterator.js';
import { mixSeed } from '../data/prng.js';
import type { ChatTemplate, DatasetRow } from '../data/types.js';
import { grpoLossWithStats } from '../loss.js';
import { reflectionSplit, reflectionStats, type StepMetrics } from '../metrics.js';
import { localRolloutEngine, type PreparedPrompt, type RolloutEngine, remoteRolloutEngine } from '../rollout/engine.js';
import { createRemoteRollout } from '../rollout/remote.js';
import { fullWeightSync, loraAdapterSync, type WeightSync } from '../rollout/weight-sync.js';
import { addFailures, RewardFailureWatch } from './reward-failures.js';
import { advantagesWithNulls, type RewardFailures, type RolloutSample, scoreCompletions } from './rollout.js';
import { logprobsNoGrad, maskedEntropy, packSequences, policyLogprobs } from './sequences.js';

/** What `new GrpoTrainer(...)` takes: the GRPO config fields plus the run's objects. */
export interface GrpoTrainerOptions extends GrpoConfigInput {
  /** The policy, trained in place. */
  model: Model;
  /** Encodes prompts and stop strings, decodes completions. */
  tokenizer: Tokenizer;
  /** Rows with a `prompt` column; extra columns (e.g. `solution`) are passed to the rewards. */
  dataset: readonly DatasetRow[];
  /** Reward functions; each is weighted by `rewardWeights[name]` (1 when not listed). */
  rewards: readonly Reward[];
  /**
   * Renders prompts. Chat prompts need it (default: the tokenizer's chat template); plain-string prompts are wrapped
   * as one user message and rendered when it is given (e.g. `r1ZeroTemplate`), else used as they are.
   */
  chatTemplate?: ChatTemplate;
  /** Progress events of the training loop: "resuming from step N", a corrupt checkpoint skipped, cleanup. */
  onEvent?: (event: TrainEvent) => void;
  /** When aborted: the step in progress is finished, a checkpoint is written and `train()` returns. */
  signal?: AbortSignal;
  /** Told of each failed or timed-out reward sample as it happens (`warn`, with `{ reward, sample, status }`). */
  rewardLogger?: RewardLogger;
  /** fetch for the remote rollout client (tests). */
  fetch?: typeof fetch;
  /** Samples the rollouts instead of the engine `rollout` configures (local policy or remote server). */
  rolloutEngine?: RolloutEngine;
  /**
   * Pushes the policy to the rollout server before each rollout, instead of the `rollout.sync` the config names
   * (e.g. a vLLM collective RPC or a server restart of your own). A remote backend or a `rolloutEngine` only.
   */
  weightSync?: WeightSync;
}

/** A trained micro-batch: samples of the step and the step's token count (DAPO's normaliser). */
interface MicroBatch {
  samples: RolloutSample[];
  tokensInStep: number;
  stepSamples: number;
}

/** The rollout being trained on (checkpointed: a resumed run continues inside it). */
interface RolloutBuffer {
  index: number;
  samples: RolloutSample[];
  /** Groups the rollout sampled (dynamic sampling may sample more than it keeps), and the zero-variance ones. */
  sampledGroups: number;
  zeroVarianceGroups: number;
  failures: RewardFailures;
  rolloutSeconds: number;
  rolloutTokens: number;
  /** The weight sync that preceded the rollout, when there is one. */
  sync?: { kind: string; version: string; seconds: number };
}

interface TrainerState {
  data: DataPosition;
  rollout: RolloutBuffer | null;
  step: number;
  ref: Record<string, Float32Array> | null;
}

const CONFIG_KEYS = new Set(Object.keys(GrpoConfigSchema.shape));
/** The options that are run objects, not config. */
const RUN_KEYS = [
  'model',
  'tokenizer',
  'dataset',
  'rewards',
  'chatTemplate',
  'onEvent',
  'signal',
  'rewardLogger',
  'fetch',
  'rolloutEngine',
  'weightSync',
];

/**
 * Splits trainer options into the zod-validated config and the run objects. A key that is neither is an error
 * naming the closest valid key: a misspelt setting must not be dropped silently.
 */
function splitOptions(o: GrpoTrainerOptions): GrpoConfig {
  const cfg: Record<string, unknown> = {};
  const unknown: string[] = [];
  for (const [k, v] of Object.entries(o)) {
    if (CONFIG_KEYS.has(k)) cfg[k] = v;
    else if (!RUN_KEYS.includes(k)) unknown.push(k);
  }
  if (unknown.length) {
    const valid = [...CONFIG_KEYS, ...RUN_KEYS];
    const lines = unknown.map((k) => {
      const near = closestKey(k, valid);
      return `  ${k}: unknown key${near ? ` (did you mean "${near}"?)` : ''}`;
    });
    throw new AhaError('config', `GrpoTrainer: invalid options\n${lines.join('\n')}`);
  }
  return parseGrpoConfig(cfg);
}

/** Per-step accumulators filled by `loss` and read when the loop reports the step. */
interface StepAccumulator {
  samples: RolloutSample[];
  tokens: number;
  klSum: number;
  clipLowSum: number;
  clipHighSum: number;
  entropySum: number;
  entropyTokens: number;
  trainMs: number;
  trainTokens: number;
}

/**
 * GRPO trainer. `train()` yields one `StepMetrics` per optimizer step; the core loop appends it to
 * `<outputDir>/metrics.jsonl`.
 * @example
 * const trainer = new GrpoTrainer({ model, tokenizer, dataset, rewards: [accuracyReward(), formatReward()],
 *   groupSize: 8, promptsPerStep: 4, maxSteps: 100, outputDir: 'runs/r1-zero' });
 * for await (const m of trainer.train()) console.log(m.step, m.reward.mean);
 */
export class GrpoTrainer {
  readonly config: GrpoConfig;
  readonly model: Model;
  readonly tokenizer: Tokenizer;
  /** The frozen reference model (β > 0), else null. */
  readonly refModel: Model | null;
  readonly #rows: readonly DatasetRow[];
  readonly #prompts: (PreparedPrompt | null)[];
  readonly #rewards: readonly Reward[];
  readonly #rewardLogger: RewardLogger | undefined;
  readonly #failureWatch: RewardFailureWatch;
  readonly #opts: GrpoTrainerOptions;
  readonly #engine: RolloutEngine;
  readonly #weightSync: WeightSync | null;
  readonly #padId: number;
  #data: DataIterator<number>;
  #rollout: RolloutBuffer | null = null;
  #acc: StepAccumulator = emptyAccumulator();
  #started = false;
  /** Prompts left out because they exceed maxPromptLength. */
  readonly skippedPrompts: number;

  constructor(options: GrpoTrainerOptions) {
    this.config = splitOptions(options);
    const c = this.config;
    this.#opts = options;
    if (!options.model || typeof options.model.forward !== 'function')
      throw new ValueError('GrpoTrainer: model must be an @aha/core Model');
    if (!options.tokenizer || typeof options.tokenizer.encode !== 'function')
      throw new ValueError('GrpoTrainer: tokenizer must be an @aha/core Tokenizer');
    if (!Array.isArray(options.rewards) || options.rewards.length === 0)
      throw new ValueError('GrpoTrainer: rewards must be a non-empty array of rewards (defineReward)');
    if (!Array.isArray(options.dataset) || options.dataset.length === 0)
      throw new ValueError('GrpoTrainer: dataset must be a non-empty array of rows with a prompt column');
    if (c.gradAccumulation > c.promptsPerStep * c.groupSize) {
      throw new ValueError(
        `GrpoTrainer: gradAccumulation (${c.gradAccumulation}) exceeds the step batch ` +
          `promptsPerStep × groupSize = ${c.promptsPerStep * c.groupSize}`,
      );
    }
    this.model = options.model;
    this.tokenizer = options.tokenizer;
    this.#rows = options.dataset;
    this.#rewards = options.rewards;
    this.#rewardLogger = options.rewardLogger;
    this.#failureWatch = new RewardFailureWatch(this.config.rewardFailureLimit, this.config.rewardFailurePatience);
    const pad = this.model.config.pad_token_id;
    this.#padId = typeof pad === 'number' ? pad : 0;
    let skipped = 0;
    this.#prompts = this.#rows.map((row, rowIndex) => {
      const p = this.#prepare(row, rowIndex);
      if (c.maxPromptLength !== null && p.ids.length > c.maxPromptLength) {
        skipped++;
        return null;
      }
      return p;
    });
    this.skippedPrompts = skipped;
    if (skipped === this.#rows.length) {
      throw new ValueError(`GrpoTrainer: every prompt is longer than maxPromptLength (${c.maxPromptLength}) tokens`);
    }
    this.#data = this.#newIterator({ epoch: 0, index: 0 });
    this.refModel = c.beta > 0 ? cloneModel(this.model) : null;
    if (options.rolloutEngine && c.rollout.backend === 'remote')
      throw new ValueError("GrpoTrainer: give rolloutEngine or rollout.backend 'remote', not both");
    this.#engine =
      options.rolloutEngine ??
      (c.rollout.backend === 'remote'
        ? remoteRolloutEngine(
            createRemoteRollout({
              baseUrl: c.rollout.baseUrl,
              model: c.rollout.model,
              apiKey: c.rollout.apiKey,
              timeoutMs: c.rollout.timeoutMs,
              maxRetries: c.rollout.maxRetries,
              fetch: options.fetch,
            }),
            this.tokenizer,
          )
        : localRolloutEngine(this.model, this.tokenizer));
    this.#weightSync = this.#buildWeightSync(options);
  }

  /** The `weightSync` option, or the one `rollout.sync` configures, checked against the model; null when none. */
  #buildWeightSync(options: GrpoTrainerOptions): WeightSync | null {
    const r = this.config.rollout;
    const configured = r.backend === 'remote' ? r.sync : undefined;
    if (options.weightSync && configured)
      throw new ValueError('GrpoTrainer: give weightSync or rollout.sync, not both');
    if (options.weightSync && r.backend === 'local' && !options.rolloutEngine)
      throw new ValueError(
        "GrpoTrainer: weightSync needs a server to sync to (rollout.backend 'remote' or a rolloutEngine); local " +
          'rollouts sample the policy itself',
      );
    if (options.weightSync && typeof options.weightSync.sync !== 'function')
      throw new ValueError('GrpoTrainer: weightSync must have a sync(ctx) method');
    let sync: WeightSync | null = options.weightSync ?? null;
    if (configured && r.backend === 'remote') {
      const common = {
        baseUrl: r.baseUrl,
        apiKey: r.apiKey,
        timeoutMs: configured.timeoutMs,
        fetch: options.fetch,
        dir: configured.dir ?? join(this.config.outputDir, 'weight-sync'),
        serverDir: configured.serverDir,
      };
      sync =
        configured.kind === 'lora'
          ? loraAdapterSync({ ...common, namePrefix: configured.namePrefix })
          : fullWeightSync({ ...common, endpoint: configured.endpoint, pathKey: configured.pathKey });
    }
    sync?.check?.(this.model);
    return sync;
  }

  /** The completions of the rollout being trained on (read-only view, for inspection and tests). */
  get rolloutSamples(): readonly RolloutSample[] {
    return this.#rollout?.samples ?? [];
  }

  /** Optimizer steps each rollout is trained for (stepsPerRollout × μ). */
  get stepsPerRolloutBatch(): number {
    return this.config.stepsPerRollout * this.config.numIterations;
  }

  /**
   * Runs GRPO to `maxSteps`, yielding each step's metrics (also appended to `<outputDir>/metrics.jsonl`).
   * Resumes from the newest checkpoint in outputDir unless `resume: false`. Call once per trainer.
   */
  async *train(): AsyncGenerator<StepMetrics> {
    if (this.#started) throw new AhaError('state', 'GrpoTrainer.train: a trainer runs once; create a new one');
    this.#started = true;
    const c = this.config;
    const { optimizer, scheduler } = optimizerFrom(c, this.model.parameters(), c.maxSteps);
    const task = this.#task(optimizer, scheduler);
    // The loop writes <outputDir>/metrics.jsonl (each line before its checkpoint) and truncates it on resume.
    const loop = trainLoop(task, loopConfigOf(c, c.maxSteps), {
      signal: this.#opts.signal,
      onEvent: this.#opts.onEvent,
      record: (report) => {
        const m = this.#metrics(report);
        // StepMetrics plus the loop's names for the quantities every trainer logs (one vocabulary in metrics.jsonl).
        return {
          ...m,
          time: Date.now(),
          grad_norm: m.gradNorm,
          step_seconds: m.stepSeconds,
          tokens_per_s: { rollout: m.throughput.rolloutTokensPerSec, train: m.throughput.trainTokensPerSec },
        };
      },
    });
    for await (const report of loop) {
      if (!report.record) {
        yield this.#metrics(report);
        continue;
      }
      const { time: _t, grad_norm: _g, step_seconds: _s, tokens_per_s: _p, ...m } = report.record;
      yield m as unknown as StepMetrics;
    }
  }

  #task(optimizer: Optimizer, scheduler: LrScheduler): TrainTask<MicroBatch> {
    const c = this.config;
    return {
      namedTensors: () => this.model.stateDict(),
      modelConfig: JSON.parse(deepseekV3ConfigToJson(this.model.config)),
      optimizer,
      scheduler,
      nextBatches: (ctx) => this.#nextBatches(ctx.step),
      loss: async (batch) => this.#loss(batch),
      afterStep: (ctx) => {
        this.model.updateRoutingBias(c.routingBiasGamma);
        if (this.refModel && c.refModelSyncSteps > 0 && ctx.step % c.refModelSyncSteps === 0) {
          syncReference(this.refModel, this.model, c.refModelMixupAlpha);
        }
      },
      stateDict: (): TrainerState => ({
        data: this.#data.position,
        rollout: this.#rollout,
        step: scheduler.stepCount,
        ref: this.refModel ? snapshot(this.refModel) : null,
      }),
      loadStateDict: (raw) => {
        const s = raw as TrainerState;
        this.#data = this.#newIterator(s.data);
        this.#rollout = s.rollout;
        if (this.refModel && s.ref) restoreSnapshot(this.refModel, s.ref);
      },
    };
  }

  #prepare(row: DatasetRow, rowIndex: number): PreparedPrompt {
    const own = this.#opts.chatTemplate;
    const tpl: ChatTemplate =
      own ?? ((messages) => this.tokenizer.applyChatTemplate(messages, { addGenerationPrompt: true }));
    const text = renderPrompt(row.prompt, tpl, { wrapStrings: own !== undefined });
    // The tokenizer's own chat template writes BOS itself; plain text and custom templates get it from encode.
    const templated = own === undefined && typeof row.prompt !== 'string';
    return { rowIndex, row, text, ids: this.tokenizer.encode(text, { addSpecialTokens: !templated }) };
  }

  #newIterator(position: DataPosition): DataIterator<number> {
    const indices = this.#prompts.flatMap((p, i) => (p ? [i] : []));
    return new DataIterator(indices, { seed: this.config.seed, shuffle: this.config.shuffle, position });
  }

  async #nextBatches(step: number): Promise<MicroBatch[]> {
    const c = this.config;
    const inRollout = step % this.stepsPerRolloutBatch;
    const rolloutIndex = Math.floor(step / this.stepsPerRolloutBatch);
    if (inRollout === 0 || !this.#rollout || this.#rollout.index !== rolloutIndex) {
      this.#rollout = await this.#doRollout(rolloutIndex, step);
    }
    const mini = inRollout % c.stepsPerRollout;
    const groupsPerStep = Math.ceil(this.#rollout.samples.length / c.groupSize / c.stepsPerRollout);
    const samples = this.#rollout.samples.filter(
      (s) => s.group >= mini * groupsPerStep && s.group < (mini + 1) * groupsPerStep,
    );
    const tokensInStep = samples.reduce((n, s) => n + activeTokens(s, c.overlongFilter), 0);
    this.#acc = emptyAccumulator();
    this.#acc.samples = samples;
    const micros = Math.min(c.gradAccumulation, samples.length);
    const out: MicroBatch[] = [];
    for (let m = 0; m < micros; m++) {
      const from = Math.floor((m * samples.length) / micros);
      const to = Math.floor(((m + 1) * samples.length) / micros);
      out.push({ samples: samples.slice(from, to), tokensInStep, stepSamples: samples.length });
    }
    return out;
  }

  async #doRollout(index: number, step: number): Promise<RolloutBuffer> {
    const c = this.config;
    const t0 = performance.now();
    // The server must sample the policy as it is now (after `step` optimizer steps). A failed sync throws out of
    // nextBatches, so the step that would have trained on stale rollouts never runs.
    let sync: RolloutBuffer['sync'];
    let served: string | undefined;
    if (this.#weightSync) {
      const s0 = performance.now();
      const r = await this.#weightSync.sync({ step, model: this.model, tokenizer: this.tokenizer });
      served = r.model;
      sync = { kind: this.#weightSync.kind, version: r.version, seconds: (performance.now() - s0) / 1000 };
    }
    const want = c.promptsPerStep * c.stepsPerRollout;
    const kept: RolloutSample[][] = [];
    const flat: RolloutSample[][] = [];
    let sampledGroups = 0;
    let zeroVarianceGroups = 0;
    let rolloutTokens = 0;
    const failures: RewardFailures = {};
    for (let round = 0; kept.length < want; round++) {
      if (round > 0 && (!c.dynamicSampling || round >= 1 + c.dynamicSamplingMaxRounds)) break;
      const prompts = this.#data.take(want - kept.length).map((r) => this.#prompts[r.row] as PreparedPrompt);
      const settings = {
        groupSize: c.groupSize,
        temperature: c.temperature,
        topP: c.topP,
        topK: c.topK,
        maxNewTokens: c.maxCompletionLength,
        stop: c.stop,
        seed: mixSeed(c.seed, index, round),
        model: served,
      };
      const sampled = await this.#engine.generate(prompts, settings);
      if (sampled.length !== prompts.length * c.groupSize)
        throw new ValueError(
          `GrpoTrainer: the ${this.#engine.kind} rollout engine returned ${sampled.length} completions for ${prompts.length} prompts × G = ${c.groupSize}`,
        );
      const samples = sampled.map((s, k) => ({
        ...prompts[Math.floor(k / c.groupSize)].row,
        completion: s.completion,
      }));
      // No stop signal here: a stop request (Ctrl-C) means "finish this step, checkpoint, return" (trainLoop), so
      // scoring the completions already sampled must not be cancelled by it.
      const scored = await scoreCompletions(
        this.#rewards,
        c.rewardWeights,
        samples,
        c.rewardTimeoutMs,
        undefined,
        this.#rewardLogger,
      );
      addFailures(failures, scored.failures);
      const { advantages, zeroVariance } = advantagesWithNulls(scored.totals, c.groupSize, {
        scale: c.advantageScale,
        epsilon: c.advantageEpsilon,
      });
      for (let g = 0; g < prompts.length; g++) {
        const group: RolloutSample[] = [];
        for (let j = 0; j < c.groupSize; j++) {
          const k = g * c.groupSize + j;
          rolloutTokens += sampled[k].completionIds.length;
          group.push({
            ...sampled[k],
            group: -1,
            rowIndex: prompts[g].rowIndex,
            rewards: Object.fromEntries(Object.entries(scored.perFunction).map(([n, v]) => [n, v[k]])),
            reward: scored.totals[k],
            advantage: advantages[k],
          });
        }
        sampledGroups++;
        if (zeroVariance[g]) zeroVarianceGroups++;
        if (c.dynamicSampling && zeroVariance[g]) flat.push(group);
        else kept.push(group);
      }
    }
    // A reward that keeps failing stops the run here, before it trains on masked samples (reward-failures.ts).
    this.#failureWatch.observe(failures);
    // Dynamic sampling ran out of rounds: keep zero-variance groups (advantage 0, only the KL term acts) to fill.
    while (kept.length < want && flat.length > 0) kept.push(flat.shift() as RolloutSample[]);
    const samples = kept.flatMap((group, g) => group.map((s) => ({ ...s, group: g })));
    if (this.stepsPerRolloutBatch > 1) {
      // π_old: the policy that sampled, computed once before the first update of this rollout.
      const old = logprobsNoGrad(this.model, samples, this.#padId, c.temperature, this.#microSize(samples.length));
      samples.forEach((s, i) => {
        s.oldLogprobs = old[i];
      });
    }
    return {
      index,
      samples,
      sampledGroups,
      zeroVarianceGroups,
      failures,
      rolloutSeconds: (performance.now() - t0) / 1000,
      rolloutTokens,
      ...(sync ? { sync } : {}),
    };
  }

  #microSize(n: number): number {
    const perStep = Math.max(1, Math.ceil(n / this.config.stepsPerRollout));
    return Math.max(1, Math.ceil(perStep / this.config.gradAccumulation));
  }

  async #loss(batch: MicroBatch) {
    const c = this.config;
    const t0 = performance.now();
    const { samples } = batch;
    const packed = packSequences(samples, this.#padId);
    const [B, C] = [samples.length, packed.completionLength];
    const mask = Float32Array.from(packed.completionMask);
    samples.forEach((s, b) => {
      if (s.reward === null || (c.overlongFilter && s.finishReason === 'length')) mask.fill(0, b * C, (b + 1) * C);
    });
    // [B, C] log-probs and [B · C] entropies from the fused LM head (no [B, C, V] logits held).
    const { logprobs, entropy } = policyLogprobs(this.model, packed, c.temperature, { withEntropy: true });
    const rows = (get: (s: RolloutSample) => number[] | null | undefined, fallback: Float32Array) => {
      const out = Float32Array.from(fallback);
      samples.forEach((s, b) => {
        const v = get(s);
        if (v) out.set(v.slice(0, C), b * C);
      });
      return new Tensor(out, [B, C]);
    };
    const current = logprobs.values();
    const oldLogprobs = this.stepsPerRolloutBatch > 1 ? rows((s) => s.oldLogprobs, current) : logprobs.detach();
    const refLogprobs = this.refModel
      ? noGrad(() => policyLogprobs(this.refModel as Model, packed, c.temperature).logprobs)
      : undefined;
    const useTis = this.#engine.samplerLogprobs && c.tisCap !== null;
    const samplerLogprobs = useTis ? rows((s) => s.samplerLogprobs, oldLogprobs.values()) : undefined;
    const { loss, stats } = grpoLossWithStats(
      {
        logprobs,
        oldLogprobs,
        refLogprobs,
        advantages: samples.map((s) => s.advantage),
        mask: new Tensor(mask, [B, C]),
        samplerLogprobs,
      },
      {
        lossType: c.lossType,
        epsilonLow: Math.min(c.epsilonLow, 1 - 1e-6),
        epsilonHigh: c.epsilonHigh,
        beta: c.beta,
        maxCompletionLength: c.maxCompletionLength,
        tokensInStep: batch.tokensInStep,
        tisCap: c.tisCap ?? undefined,
      },
    );
    const h = maskedEntropy(entropy as Float32Array, mask);
    const a = this.#acc;
    a.tokens += stats.tokens;
    a.klSum += stats.kl * stats.tokens;
    a.clipLowSum += stats.clipLow * stats.tokens;
    a.clipHighSum += stats.clipHigh * stats.tokens;
    a.entropySum += h.sum;
    a.entropyTokens += h.n;
    a.trainTokens += packed.attentionMask.reduce((n, r) => n + r.reduce((x, y) => x + y, 0), 0);
    a.trainMs += performance.now() - t0;
    // Weights so the step's loss is the loss of the whole step batch: 'dapo' already divides by the step's tokens,
    // 'bnpo' normalises per micro-batch (as TRL), the others are means over sequences.
    const weight = c.lossType === 'dapo' ? 1 : c.lossType === 'bnpo' ? undefined : B / batch.stepSamples;
    return { loss, weight, tokens: stats.tokens };
  }

  #metrics(report: StepReport): StepMetrics {
    const c = this.config;
    const a = this.#acc;
    const r = this.#rollout as RolloutBuffer;
    const samples = a.samples;
    const totals = samples.flatMap((s) => (s.reward === null ? [] : [s.reward]));
    const perFunction: Record<string, number[]> = {};
    for (const s of samples)
      for (const [n, v] of Object.entries(s.rewards)) {
        perFunction[n] ??= [];
        if (v !== null) perFunction[n].push(v);
      }
    const rewards = Object.fromEntries(Object.entries(perFunction).map(([n, v]) => [n, meanStd(v)]));
    const lengths = samples.map((s) => s.completionIds.length);
    const groups = new Set(samples.map((s) => s.group));
    const zeroVar = [...groups].filter((g) => {
      const v = samples.filter((s) => s.group === g && s.reward !== null).map((s) => s.reward);
      return v.length < 2 || v.every((x) => x === v[0]);
    }).length;
    const m: StepMetrics = {
      step: report.step,
      data: this.#data.position,
      reward: meanStd(totals),
      rewards,
      completionLength: {
        mean: lengths.reduce((x, y) => x + y, 0) / Math.max(lengths.length, 1),
        max: Math.max(0, ...lengths),
        min: lengths.length ? Math.min(...lengths) : 0,
      },
      clippedShare: samples.filter((s) => s.finishReason === 'length').length / Math.max(samples.length, 1),
      clipFraction: {
        low: a.tokens ? a.clipLowSum / a.tokens : 0,
        high: a.tokens ? a.clipHighSum / a.tokens : 0,
      },
      entropy: a.entropyTokens ? a.entropySum / a.entropyTokens : undefined,
      gradNorm: report.gradNorm,
      lr: report.lr,
      loss: report.loss,
      throughput: {
        rolloutTokensPerSec: r.rolloutSeconds > 0 ? r.rolloutTokens / r.rolloutSeconds : 0,
        trainTokensPerSec: a.trainMs > 0 ? a.trainTokens / (a.trainMs / 1000) : 0,
      },
      reflection: reflectionStats(
        samples.map((s) => s.completion),
        lengths,
      ),
      zeroVarianceGroups: { count: zeroVar, share: groups.size ? zeroVar / groups.size : 0 },
      rolloutZeroVarianceGroups: { count: r.zeroVarianceGroups, sampled: r.sampledGroups },
      rewardFailures: r.failures,
      maskedSamples: samples.filter((s) => s.reward === null).length,
      stepSeconds: report.stepMs / 1000,
      samples: samples.slice(0, c.logSamples).map((s) => ({
        prompt: this.#prompts[s.rowIndex]?.text ?? '',
        completion: s.completion,
        reward: s.reward,
      })),
    };
    if (perFunction.accuracy) {
      m.accuracy = rewards.accuracy.mean;
      m.reflectionSplit = reflectionSplit(
        samples.map((s) => s.completion),
        samples.map((s) => s.rewards.accuracy ?? null),
      );
    }
    if (perFunction.format) m.formatRate = rewards.format.mean;
    if (this.refModel) m.kl = a.tokens ? a.klSum / a.tokens : 0;
    if (r.sync) m.weightSync = r.sync;
    return m;
  }
}

function emptyAccumulator(): StepAccumulator {
  return {
    samples: [],
    tokens: 0,
    klSum: 0,
    clipLowSum: 0,
    clipHighSum: 0,
    entropySum: 0,
    entropyTokens: 0,
    trainMs: 0,
    trainTokens: 0,
  };
}

function activeTokens(s: RolloutSample, overlongFilter: boolean): number {
  if (s.reward === null || (overlongFilter && s.finishReason === 'length')) return 0;
  return s.completionIds.length;
}

function meanStd(v: readonly number[]): { mean: number; std: number } {
  if (v.length === 0) return { mean: 0, std: 0 };
  const mean = v.reduce((x, y) => x + y, 0) / v.length;
  const varr = v.reduce((x, y) => x + (y - mean) ** 2, 0) / v.length;
  return { mean, std: Math.sqrt(varr) };
}

/** A frozen copy of `model` (same config, same weights, buffers included). */
function cloneModel(model: Model): Model {
  const copy = createModel(model.config);
  restoreSnapshot(copy, snapshot(model));
  copy.eval();
  for (const p of copy.parameters()) p.requiresGrad_(false);
  return copy;
}

function snapshot(model: Model): Record<string, Float32Array> {
  return Object.fromEntries([...model.stateDict()].map(([n, t]) => [n, t.toFloat32Array()]));
}

function restoreSnapshot(model: Model, snap: Record<string, Float32Array>): void {
  for (const [n, t] of model.stateDict()) {
    const v = snap[n];
    if (!v || v.length !== t.numel) throw new AhaError('state', `reference model: tensor "${n}" missing or resized`);
    t.values().set(v);
  }
}

/** π_ref ← α·π_θ + (1 − α)·π_ref. */
function syncReference(ref: Model, policy: Model, alpha: number): void {
  const src = policy.stateDict();
  for (const [n, t] of ref.stateDict()) {
    const p = (src.get(n) as Tensor).values();
    const r = t.values();
    for (let i = 0; i < r.length; i++) r[i] = alpha * p[i] + (1 - alpha) * r[i];
  }
}
