/**
 * Makes the "base model" of the main job: a tiny DeepSeek-V3 (MLA + DeepSeekMoE, byte-level vocabulary) pretrained
 * briefly on synthetic addition text with column traces, and stopped early while it is still weak (held-out greedy
 * accuracy in a target band, ~30–50%), so GRPO has something to improve — R1-Zero starts from a base model that can
 * already sometimes solve the task (DeepSeek-R1 §2.2). Training is @aha/core's `trainLoop` with `model.loss`; this
 * file only supplies batches. Deterministic for the seed (data order, init, evaluation are all seeded; the CPU
 * kernels are deterministic). Leaves out: MTP (the model ships without MTP modules, to stay small and fast).
 */
import {
  createByteLevelTokenizer,
  createModel,
  type DeepseekV3ConfigInput,
  type DeepseekV3Model,
  optimizerFrom,
  type TrainTask,
  trainLoop,
} from '@aha/core';
import {
  type AdditionProblem,
  additionCompletion,
  additionProblems,
  createRng,
  type ReflectionKind,
  reflectiveAdditionCompletion,
} from '@aha/grpo';
import { z } from 'zod';
import { evaluateGreedy, type GreedyEval } from './evaluate.js';

/** Token ids of the byte-level tokenizer's specials (see @aha/core byte-level.ts). */
export const BOS_ID = 256;
export const EOS_ID = 257;
export const PAD_ID = 258;

/** The shipped model's architecture: 3 layers (1 dense + 2 MoE with 8 routed experts, 2 active, 1 shared), MLA. */
export const BASE_MODEL_CONFIG: DeepseekV3ConfigInput = {
  vocab_size: 263,
  hidden_size: 96,
  intermediate_size: 256,
  moe_intermediate_size: 64,
  num_hidden_layers: 3,
  num_attention_heads: 4,
  num_key_value_heads: 4,
  n_shared_experts: 1,
  n_routed_experts: 8,
  num_experts_per_tok: 2,
  n_group: 2,
  topk_group: 1,
  routed_scaling_factor: 1,
  first_k_dense_replace: 1,
  q_lora_rank: null,
  kv_lora_rank: 32,
  qk_nope_head_dim: 16,
  qk_rope_head_dim: 8,
  v_head_dim: 16,
  max_position_embeddings: 128,
  rope_scaling: null,
  num_nextn_predict_layers: 0,
  bos_token_id: BOS_ID,
  eos_token_id: EOS_ID,
  pad_token_id: PAD_ID,
  initializer_range: 0.02,
  tie_word_embeddings: false,
};

/** The task's problem space, shared by the base model and the R1-Zero recipe. */
export const TaskOptionsSchema = z.object({
  minDigits: z.number().int().min(1).default(2).describe('Fewest digits per operand.'),
  maxDigits: z.number().int().min(1).default(2).describe('Most digits per operand.'),
  pad: z
    .boolean()
    .default(false)
    .describe('Zero-pad both operands to maxDigits in the prompt ("007+385="), so digit positions are fixed.'),
  evalSeed: z.number().int().default(1234).describe('Seed of the held-out (test split) evaluation problems.'),
  evalProblems: z.number().int().positive().default(200).describe('Held-out problems in the greedy evaluation.'),
  maxNewTokens: z.number().int().positive().default(40).describe('Longest completion in tokens.'),
});
export type TaskOptions = z.infer<typeof TaskOptionsSchema>;

/**
 * The held-out problems of a task: the one definition behind the base model's recorded accuracy and the R1-Zero
 * "before" / "after" evaluations, so they always measure the same set.
 */
export function heldOutProblems(task: TaskOptions) {
  const { minDigits, maxDigits, pad, evalSeed, evalProblems } = task;
  return additionProblems({ count: evalProblems, seed: evalSeed, split: 'test', minDigits, maxDigits, pad });
}

export const BaseModelOptionsSchema = z.object({
  seed: z.number().int().default(0).describe('Seed of the model init, the training problems and their order.'),
  task: TaskOptionsSchema.default(TaskOptionsSchema.parse({})).describe('The addition task.'),
  model: z
    .record(z.string(), z.unknown())
    .default({})
    .describe('Overrides of BASE_MODEL_CONFIG (HF DeepseekV3Config keys).'),
  trainProblems: z.number().int().positive().default(2000).describe('Distinct training problems (train split).'),
  batchSize: z.number().int().positive().default(32).describe('Sequences per optimizer step.'),
  lr: z.number().positive().default(5e-3).describe('Peak AdamW learning rate.'),
  maxSteps: z.number().int().positive().default(3000).describe('Upper bound on optimizer steps.'),
  evalEvery: z.number().int().positive().default(20).describe('Check the early-stop accuracy every N steps.'),
  stopProblems: z
    .number()
    .int()
    .positive()
    .default(100)
    .describe('Held-out problems (another seed than the recorded eval) for the early-stop check.'),
  stopAt: z
    .number()
    .min(0)
    .max(1)
    .default(0.45)
    .describe('Stop once the early-stop accuracy reaches this: the base must stay weak for R1-Zero to show gains.'),
  routingBiasGamma: z
    .number()
    .nonnegative()
    .default(0.001)
    .describe('γ of auxiliary-loss-free load balancing (bias update speed), DeepSeek-V3 §2.1.2.'),
  reflection: z
    .strictObject({
      mistake: z
        .number()
        .min(0)
        .max(1)
        .default(0)
        .describe('Share of training traces that write one column wrong, then " wait " and the corrected column.'),
      recheck: z
        .number()
        .min(0)
        .max(1)
        .default(0)
        .describe('Share of training traces that re-check one correct column needlessly (" wait " and it again).'),
    })
    .default({ mistake: 0, recheck: 0 })
    .describe(
      'Reflection in the corpus (@aha/grpo reflectiveAdditionTrace); 0 and 0: the plain traces of the main job.',
    ),
});
export type BaseModelOptions = z.input<typeof BaseModelOptionsSchema>;

/** What `makeBaseModel` returns (and records in base-model.json). */
export interface BaseModelResult {
  model: DeepseekV3Model;
  steps: number;
  /** Greedy accuracy on the recorded held-out set (task.evalSeed / evalProblems). */
  heldOut: GreedyEval;
  /** The early-stop checks: [step, accuracy]. */
  curve: [number, number][];
  options: z.infer<typeof BaseModelOptionsSchema>;
  seconds: number;
  /** How many distinct training traces are plain, hold a corrected mistake, or re-check needlessly. */
  corpus: Record<ReflectionKind, number>;
}

/** Tokens of prompt + completion (default: the plain reference completion) + EOS. */
export function encodeExample(p: AdditionProblem, completion = additionCompletion(p)): number[] {
  const tokenizer = createByteLevelTokenizer();
  return [...tokenizer.encode(p.prompt), ...tokenizer.encode(completion, { addSpecialTokens: false }), EOS_ID];
}

/**
 * The encoded training corpus: one completion per distinct problem, reflective (drawn once, from `seed`) when the
 * reflection rates are above zero, else the plain trace — so the main job's base model is unchanged by the option.
 */
export function trainingCorpus(
  problems: readonly AdditionProblem[],
  rates: { mistake: number; recheck: number },
  seed: number,
): { examples: number[][]; kinds: Record<ReflectionKind, number> } {
  const kinds: Record<ReflectionKind, number> = { none: 0, mistake: 0, recheck: 0 };
  if (rates.mistake === 0 && rates.recheck === 0) {
    kinds.none = problems.length;
    return { examples: problems.map((p) => encodeExample(p)), kinds };
  }
  const rng = createRng(seed);
  const examples = problems.map((p) => {
    const { completion, kind } = reflectiveAdditionCompletion(p, rates, rng);
    kinds[kind]++;
    return encodeExample(p, completion);
  });
  return { examples, kinds };
}

/** Right-pads a batch with PAD and its mask (0 on padding, which the loss skips). */
function padBatch(seqs: number[][]): { tokens: number[][]; mask: number[][] } {
  const T = Math.max(...seqs.map((s) => s.length));
  return {
    tokens: seqs.map((s) => [...s, ...new Array(T - s.length).fill(PAD_ID)]),
    mask: seqs.map((s) => [...new Array(s.length).fill(1), ...new Array(T - s.length).fill(0)]),
  };
}

/** Pretrains the base model and stops early once it is weak-but-not-useless; see the file comment. */
export async function makeBaseModel(
  options: BaseModelOptions = {},
  hooks: { onEval?: (step: number, accuracy: number) => void } = {},
): Promise<BaseModelResult> {
  const o = BaseModelOptionsSchema.parse(options);
  const t0 = performance.now();
  const model = createModel({ ...BASE_MODEL_CONFIG, ...o.model } as DeepseekV3ConfigInput, { seed: o.seed });
  const digits = { minDigits: o.task.minDigits, maxDigits: o.task.maxDigits, pad: o.task.pad };
  const corpus = trainingCorpus(
    additionProblems({ count: o.trainProblems, seed: o.seed, split: 'train', ...digits }),
    o.reflection,
    o.seed + 2,
  );
  const train = corpus.examples;
  const stopSet = additionProblems({ count: o.stopProblems, seed: o.task.evalSeed + 1, split: 'test', ...digits });
  const evalSet = heldOutProblems(o.task);
  const rng = createRng(o.seed + 1);
  // The one optimizer factory: AdamW (β 0.9/0.999, ε 1e-8), 20 warmup steps, linear decay over maxSteps.
  const { optimizer, scheduler } = optimizerFrom(
    {
      learningRate: o.lr,
      lrSchedule: 'linear',
      warmupSteps: 20,
      minLrRatio: 0,
      weightDecay: 0.01,
      adamBetas: [0.9, 0.999],
      adamEpsilon: 1e-8,
    },
    model.parameters(),
    o.maxSteps,
  );
  const task: TrainTask<number[][]> = {
    namedTensors: () => model.stateDict(),
    optimizer,
    scheduler,
    nextBatches: async () => [Array.from({ length: o.batchSize }, () => train[rng.int(train.length)])],
    loss: async (seqs) => {
      const { tokens, mask } = padBatch(seqs);
      const out = model.loss(tokens, { attentionMask: mask });
      return { loss: out.loss, tokens: mask.flat().reduce((a, b) => a + b, 0) };
    },
    afterStep: () => {
      model.updateRoutingBias(o.routingBiasGamma);
    },
  };
  const curve: [number, number][] = [];
  let steps = 0;
  for await (const report of trainLoop(task, { totalSteps: o.maxSteps, maxGradNorm: 1, metrics: false })) {
    steps = report.step;
    if (steps % o.evalEvery !== 0) continue;
    const { accuracy } = await evaluateGreedy(model, stopSet, { maxNewTokens: o.task.maxNewTokens });
    curve.push([steps, accuracy]);
    hooks.onEval?.(steps, accuracy);
    if (accuracy >= o.stopAt) break;
  }
  const heldOut = await evaluateGreedy(model, evalSet, { maxNewTokens: o.task.maxNewTokens });
  return {
    model,
    steps,
    heldOut,
    curve,
    options: o,
    seconds: (performance.now() - t0) / 1000,
    corpus: corpus.kinds,
  };
}
