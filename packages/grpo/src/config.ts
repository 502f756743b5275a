/**
 * GrpoConfig — every knob of a GRPO run as one zod schema. The `.describe()` texts are the docs, the CLI help and the
 * JSON Schema (`grpoConfigJsonSchema()`), so each says what the field is, its symbol in the papers, and where its
 * default comes from.
 *
 * Sources for defaults:
 * - [R1]  DeepSeek-R1 (Nature 2025 version, Methods "Training details of DeepSeek-R1-Zero" and "of the first RL
 *         stage"): lr 3e-6, KL coefficient 0.001, GRPO clip ratio ε = 10, rollout temperature 1, 16 outputs per
 *         question, max length 32,768 (65,536 after step 8.2k for R1-Zero), 32 questions per step (batch 512),
 *         10,400 steps, reference model replaced by the policy every 400 steps, each rollout of 8,192 outputs split
 *         into 16 mini-batches trained for a single inner epoch. The second RL stage uses temperature 0.7.
 * - [TRL] Hugging Face TRL `GRPOConfig` / transformers `TrainingArguments`, where the paper is silent.
 * - [DAPO] Yu et al. 2025 (clip-higher ε_high, dynamic sampling, overlong filtering, token-level loss).
 * - [Dr.GRPO] Liu et al. 2025 (no std scaling, constant-normaliser loss).
 *
 * The optimizer, schedule, loop, checkpoint, seed and logging fields are @aha/core's `TrainConfigBaseSchema` (one
 * vocabulary for every trainer), with GRPO's defaults; `epochs` is left out (GRPO counts optimizer steps).
 *
 * Left out: distributed/parallelism settings (aha runs on one machine; see DESIGN.md "Scale"), model config (that
 * is @aha/core's `DeepseekV3Config`), and eval schedules (owned by @aha/pipeline).
 */
import { parseTrainConfig, TrainConfigBaseSchema } from '@aha/core';
import { z } from 'zod';

/** How a batch's token losses are reduced to a scalar (see `grpoLoss`). */
export const LossTypeSchema = z
  .enum(['grpo', 'bnpo', 'dr_grpo', 'dapo'])
  .describe(
    "Loss aggregation. 'grpo': mean over each completion's tokens, then over completions (R1 eq. 1, length-biased). " +
      "'bnpo': sum over all tokens / active tokens in the local batch. 'dr_grpo': sum / (batch × maxCompletionLength) " +
      "(Dr. GRPO). 'dapo': sum / active tokens in the whole accumulated batch (DAPO token-level loss; TRL's default).",
  );
export type LossType = z.infer<typeof LossTypeSchema>;

/** Settings both weight-sync kinds share (rollout/weight-sync.ts). */
const syncShared = {
  dir: z
    .string()
    .min(1)
    .optional()
    .describe('Folder each synced version is written to (only the newest is kept). Default <outputDir>/weight-sync.'),
  serverDir: z
    .string()
    .min(1)
    .optional()
    .describe(
      'The same folder as the server names it, when its file system differs (a container, a shared mount); ' +
        'default `dir`. The server must be able to read what the trainer writes there.',
    ),
  timeoutMs: z
    .number()
    .int()
    .positive()
    .default(300_000)
    .describe('Timeout of each load / unload / reload request in ms. A failed or timed-out sync fails the step.'),
};

const WeightSyncSchema = z
  .discriminatedUnion('kind', [
    z
      .strictObject({
        kind: z
          .literal('lora')
          .describe(
            'vLLM runtime LoRA (server run with VLLM_ALLOW_RUNTIME_LORA_UPDATING=True and --enable-lora): before each ' +
              'rollout the adapter is saved in PEFT format, the previous one unloaded (/v1/unload_lora_adapter), the new ' +
              'one loaded (/v1/load_lora_adapter) as `<namePrefix>-step-<N>`, and the rollout requests that name. ' +
              'Needs a model with LoRA adapters.',
          ),
        namePrefix: z
          .string()
          .regex(/^[A-Za-z0-9._-]+$/, 'letters, digits, ".", "_" or "-"')
          .default('aha-policy')
          .describe('Adapter names on the server are `<namePrefix>-step-<N>` (N = optimizer steps done).'),
        ...syncShared,
      })
      .describe('Sync the LoRA adapter through vLLM’s runtime LoRA endpoints.'),
    z
      .strictObject({
        kind: z
          .literal('full')
          .describe(
            'Full weights: before each rollout write a Hugging Face checkpoint and POST {<pathKey>: folder} to ' +
              '`endpoint` (default SGLang’s /update_weights_from_disk). For a model without LoRA adapters.',
          ),
        endpoint: z
          .string()
          .regex(/^\//, 'a path starting with /')
          .default('/update_weights_from_disk')
          .describe('Reload endpoint, relative to baseUrl’s server root. A reply {"success": false} fails the step.'),
        pathKey: z
          .string()
          .min(1)
          .default('model_path')
          .describe('Request body key holding the checkpoint folder (SGLang: model_path).'),
        ...syncShared,
      })
      .describe('Sync full weights by writing a checkpoint the server reloads.'),
  ])
  .describe(
    'Push the policy to the server before each rollout, so rollouts sample the policy being trained. Unset: the ' +
      'server keeps its weights (rollouts drift off-policy as training goes on). A custom strategy is the trainer ' +
      'option `weightSync`.',
  );

const RemoteRolloutSchema = z
  .strictObject({
    backend: z.literal('remote').describe('Sample on an OpenAI-compatible server (vLLM / SGLang /v1/completions).'),
    baseUrl: z
      .url({ protocol: /^https?$/ })
      .describe('Server base URL, e.g. http://127.0.0.1:8000 (the client appends /v1/completions).'),
    model: z.string().min(1).describe('Model name the server serves (the `model` field of the request).'),
    apiKey: z.string().optional().describe('Bearer token, if the server wants one.'),
    timeoutMs: z
      .number()
      .int()
      .positive()
      .default(600_000)
      .describe('Per-request timeout in ms (long CoT takes minutes). TRL waits 240 s for its vLLM server to start.'),
    maxRetries: z
      .number()
      .int()
      .min(0)
      .default(3)
      .describe('Retries on 5xx / 429 / connection errors / timeouts, with exponential backoff.'),
    sync: WeightSyncSchema.optional(),
  })
  .describe('Remote rollout backend.');

const LocalRolloutSchema = z
  .strictObject({
    backend: z.literal('local').describe("Sample with the policy's own `model.generate` (@aha/core)."),
  })
  .describe('Local rollout backend (default).');

export const GrpoConfigSchema = TrainConfigBaseSchema.omit({ epochs: true })
  .extend({
    // ---- sampling (rollout) ----
    groupSize: z
      .number()
      .int()
      .min(2)
      .default(16)
      .describe('G — completions sampled per prompt; advantages are relative within a group. [R1] 16. [TRL] 8.'),
    promptsPerStep: z
      .number()
      .int()
      .min(1)
      .default(32)
      .describe('Unique prompts per optimizer step; step batch = promptsPerStep × G. [R1] 32 (batch 512).'),
    stepsPerRollout: z
      .number()
      .int()
      .min(1)
      .default(16)
      .describe(
        'Optimizer steps (mini-batches) trained from one rollout; rollout size = stepsPerRollout × promptsPerStep × G. ' +
          '[R1] 8,192 outputs split into 16 mini-batches. 1 = fully on-policy.',
      ),
    numIterations: z
      .number()
      .int()
      .min(1)
      .default(1)
      .describe('μ — passes (inner epochs) over each rollout batch. [R1] a single inner epoch. [TRL] 1.'),
    temperature: z
      .number()
      .min(0)
      .default(1)
      .describe('Sampling temperature for rollouts. [R1] 1 (R1-Zero and first RL stage; 0.7 in the second stage).'),
    topP: z.number().gt(0).max(1).default(1).describe('Nucleus sampling p. Paper silent; [TRL] 1.0 (off).'),
    topK: z.number().int().min(0).default(0).describe('Top-k sampling; 0 = off. Paper silent; [TRL] 0.'),
    maxPromptLength: z
      .number()
      .int()
      .positive()
      .nullable()
      .default(null)
      .describe('Prompts longer than this many tokens are rejected at load; null = no limit. Paper silent.'),
    maxCompletionLength: z
      .number()
      .int()
      .positive()
      .default(32_768)
      .describe('Max new tokens per completion. [R1] 32,768 (R1-Zero raises it to 65,536 after step 8.2k). [TRL] 256.'),
    stop: z
      .array(z.string().min(1, 'stop strings must be non-empty'))
      .default([])
      .describe("Stop strings (e.g. '</answer>'). Paper silent; [TRL] none."),
    rollout: z
      .discriminatedUnion('backend', [LocalRolloutSchema, RemoteRolloutSchema])
      .default({ backend: 'local' })
      .describe('Where completions are sampled: the policy itself, or an OpenAI-compatible server.'),

    // ---- objective ----
    lossType: LossTypeSchema.default('grpo').describe(
      `${LossTypeSchema.description} Default 'grpo' ([R1] eq. 1); [TRL] defaults to 'dapo'.`,
    ),
    advantageScale: z
      .enum(['std', 'none'])
      .default('std')
      .describe("'std': A = (r − mean) / (std + ε) within each group ([R1] eq. 3). 'none': A = r − mean ([Dr.GRPO])."),
    advantageEpsilon: z
      .number()
      .min(0)
      .default(1e-4)
      .describe('ε added to the group std before dividing. Paper silent; [TRL] 1e-4.'),
    epsilonLow: z
      .number()
      .positive()
      .default(10)
      .describe(
        'ε_low — lower clip: ratio clipped below at 1 − ε_low (ε_low >= 1 disables it). [R1] ε = 10 (first RL ' +
          'stage); [TRL] 0.2 (PPO).',
      ),
    epsilonHigh: z
      .number()
      .positive()
      .default(10)
      .describe('ε_high — upper clip: ratio clipped above at 1 + ε_high. [R1] = ε (10). [DAPO] 0.28 with ε_low 0.2.'),
    beta: z
      .number()
      .min(0)
      .default(0.001)
      .describe(
        'β — KL coefficient (k3 estimator to the reference model); 0 = no reference model. [R1] 0.001. [TRL] 0.',
      ),
    refModelSyncSteps: z
      .number()
      .int()
      .min(0)
      .default(400)
      .describe('Replace the reference model by the current policy every this many steps; 0 = never. [R1] 400.'),
    refModelMixupAlpha: z
      .number()
      .min(0)
      .max(1)
      .default(1)
      .describe(
        'α — on sync, π_ref ← α·π_θ + (1 − α)·π_ref. [R1] replaces outright (1). [TRL] 0.6 (TR-DPO, when enabled).',
      ),
    tisCap: z
      .number()
      .min(1)
      .nullable()
      .default(3)
      .describe(
        'C — truncated importance sampling: weight each token by min(π_train / π_rollout, C) to correct the mismatch ' +
          'between the rollout engine and the trainer; null = off. Paper silent; [TRL] on, cap 3.',
      ),
    dynamicSampling: z
      .boolean()
      .default(false)
      .describe('Drop zero-variance groups (all rewards equal) and sample more prompts to refill ([DAPO]). R1: no.'),
    overlongFilter: z
      .boolean()
      .default(false)
      .describe('Mask truncated completions (hit maxCompletionLength) out of the loss ([DAPO]). [TRL] false.'),
    dynamicSamplingMaxRounds: z
      .number()
      .int()
      .min(1)
      .default(3)
      .describe(
        'With dynamicSampling: most extra rollout rounds per step to refill dropped groups; when still short, the ' +
          'zero-variance groups are kept (advantage 0) so the batch keeps its size. [DAPO] caps generation batches too.',
      ),
    rewardTimeoutMs: z
      .number()
      .int()
      .positive()
      .default(10_000)
      .describe('Per-sample time limit of each reward function (ms); a timeout is reported, never read as 0.'),
    rewardWeights: z
      .record(z.string(), z.number().finite())
      .default({ accuracy: 1, format: 1 })
      .describe(
        'Weight per reward name; the total reward is the weighted sum. [R1] accuracy + format, equal weights ' +
          '(add languageConsistency for the R1 reasoning stage). [TRL] all 1.',
      ),

    // ---- optimisation (base fields, GRPO defaults) ----
    learningRate: TrainConfigBaseSchema.shape.learningRate
      .unwrap()
      .default(3e-6)
      .describe('η — peak AdamW learning rate. [R1] 3e-6. [TRL] 1e-6.'),
    lrSchedule: TrainConfigBaseSchema.shape.lrSchedule
      .unwrap()
      .default('linear')
      .describe('Learning-rate decay after warmup. Paper silent for RL; [TRL] linear (transformers default).'),
    warmupSteps: TrainConfigBaseSchema.shape.warmupSteps
      .unwrap()
      .default(0)
      .describe('Linear warmup steps from 0 to learningRate. Paper silent; [TRL] 0.'),
    weightDecay: TrainConfigBaseSchema.shape.weightDecay
      .unwrap()
      .default(0)
      .describe('λ — AdamW weight decay. Paper silent; [TRL] 0.'),
    adamBetas: TrainConfigBaseSchema.shape.adamBetas
      .unwrap()
      .default([0.9, 0.999])
      .describe('AdamW (β1, β2). Paper silent; [TRL] (0.9, 0.999).'),
    adamEpsilon: TrainConfigBaseSchema.shape.adamEpsilon
      .unwrap()
      .default(1e-8)
      .describe('AdamW ε. Paper silent; [TRL] 1e-8.'),
    gradAccumulation: TrainConfigBaseSchema.shape.gradAccumulation
      .unwrap()
      .default(1)
      .describe('Micro-batches accumulated per optimizer step (memory knob; does not change the maths). [TRL] 1.'),
    maxGradNorm: TrainConfigBaseSchema.shape.maxGradNorm
      .unwrap()
      .default(1)
      .describe('Clip the global gradient norm to this; null = no clipping. Paper silent; [TRL] 1.0.'),
    routingBiasGamma: z
      .number()
      .min(0)
      .default(0.001)
      .describe(
        'γ — MoE auxiliary-loss-free balancing: after each step every routing bias moves by γ against its load ' +
          '(DeepSeek-V3 §2.1.2, 0.001 in pre-training); 0 = frozen biases.',
      ),
    maxSteps: z
      .number()
      .int()
      .positive()
      .default(10_400)
      .describe('Optimizer steps to train. [R1] R1-Zero trained 10,400 steps (1.6 epochs).'),

    // ---- data ----
    shuffle: z.boolean().default(true).describe('Shuffle prompts each epoch with the seeded PRNG. [TRL] true.'),

    // ---- bookkeeping ----
    seed: TrainConfigBaseSchema.shape.seed
      .unwrap()
      .default(42)
      .describe('Seed for data order, sampling and init. [TRL] 42.'),
    outputDir: z
      .string()
      .min(1)
      .default('outputs/grpo')
      .describe('Directory for checkpoints and metrics.jsonl. [TRL] trainer_output.'),
    checkpointEvery: z
      .number()
      .int()
      .min(0)
      .default(500)
      .describe('Save a resumable checkpoint every this many steps; 0 = only at the end. Paper silent; [TRL] 500.'),
    keepCheckpoints: z
      .number()
      .int()
      .min(1)
      .default(2)
      .describe('Newest checkpoints kept on disk. [TRL] save_total_limit.'),
    logSamples: z
      .number()
      .int()
      .min(0)
      .default(2)
      .describe('Sample completions (prompt, completion, reward) kept in each StepMetrics record.'),
    logEvery: TrainConfigBaseSchema.shape.logEvery
      .unwrap()
      .default(1)
      .describe('Write a metrics.jsonl record every this many steps (the last step always). [TRL] 10.'),

    // ---- reward failures (trainer/reward-failures.ts) ----
    rewardFailureLimit: z
      .number()
      .min(0)
      .max(1)
      .default(0.5)
      .describe(
        'Stop the run (RewardFailureError, naming the reward and its first error) when one reward fails or times out ' +
          'on more than this share of a rollout’s samples for `rewardFailurePatience` rollouts in a row; 1 = never.',
      ),
    rewardFailurePatience: z
      .number()
      .int()
      .min(1)
      .default(3)
      .describe('Rollouts (steps) in a row over `rewardFailureLimit` before the run stops.'),
  })
  .describe('GRPO training configuration (@aha/grpo).');

/** A fully defaulted GRPO configuration. */
export type GrpoConfig = z.infer<typeof GrpoConfigSchema>;
/** What a user writes: every field optional. */
export type GrpoConfigInput = z.input<typeof GrpoConfigSchema>;

/**
 * Validate and default a GRPO config. Throws AhaError('config') listing every bad field with its path; an unknown
 * key is named with the closest valid one.
 * @example parseGrpoConfig({ groupSize: 8, beta: 0 }).learningRate // 3e-6
 */
export function parseGrpoConfig(input: unknown): GrpoConfig {
  return parseTrainConfig(GrpoConfigSchema, input, 'GrpoConfig');
}

/** JSON Schema (draft 2020-12) of what a user may write — for editors, config files and the CLI. */
export function grpoConfigJsonSchema(): Record<string, unknown> {
  return z.toJSONSchema(GrpoConfigSchema, { io: 'input' }) as Record<string, unknown>;
}
