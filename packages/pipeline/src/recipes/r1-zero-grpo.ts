/**
 * The GRPO stage of the main job as a `TrainTask` for @aha/core's `trainLoop`: each step samples G completions for
 * each of a few training prompts (local `model.generate`, temperature 1), scores them with the R1-Zero rule rewards
 * (accuracy + format, equal weights, @aha/rewards), turns rewards into group-relative advantages (`groupAdvantages`,
 * DeepSeek-R1 eq. 3) and takes one on-policy gradient step of `grpoLoss` (μ = 1, so π_old = π_θ's detached values).
 * This is a small stand-in used until @aha/grpo's GrpoTrainer lands; it adds no loop of its own.
 * Leaves out: μ > 1 inner epochs, a reference model (β = 0 here, as in Dr. GRPO / TRL's default), remote rollouts.
 */
import {
  createByteLevelTokenizer,
  gather,
  logSoftmax,
  type Model,
  narrow,
  noGrad,
  reshape,
  type StepContext,
  Tensor,
  type TrainTask,
  tensor,
} from '@aha/core';
import { createRng, groupAdvantages, grpoLossWithStats, mixSeed, reflectionStats, scoreAddition } from '@aha/grpo';
import { accuracyReward, combineRewards, formatReward, scoreRewards } from '@aha/rewards';
import type { AdditionProblem } from './base-model/task.js';

/** Settings of the GRPO step (the zod schema lives with the recipe config). */
export interface GrpoStepOptions {
  seed: number;
  promptsPerStep: number;
  groupSize: number;
  maxNewTokens: number;
  temperature: number;
  lossType: 'grpo' | 'bnpo' | 'dr_grpo' | 'dapo';
  epsilon: number;
  routingBiasGamma: number;
}

/** One rollout batch ready for the loss. */
export interface GrpoBatch {
  tokens: number[][];
  mask: number[][];
  promptLength: number;
  completionMask: number[][];
  advantages: number[];
  completionTokens: number;
}

const PAD = 258;

/** Exact integer match of the `<answer>` (the task's own verifier), in the `verifyMath` contract shape. */
const verifyInteger = async (gold: string, completion: string) => ({
  verdict: scoreAddition(completion, { solution: gold }) === 1 ? ('equal' as const) : ('not_equal' as const),
});

/** The R1-Zero reward: accuracy + format, equal weights (DeepSeek-R1 §2.2.2). */
export const r1ZeroReward = () =>
  combineRewards([
    { reward: accuracyReward({ verify: verifyInteger, answerOnly: true }), weight: 1 },
    { reward: formatReward(), weight: 1 },
  ]);

/**
 * Builds the task. `onStep` receives each step's metrics record (metrics.jsonl line) after the rollout is scored;
 * the trainer's numbers (loss, grad norm, lr) are added by the caller from the loop's report.
 */
export function createGrpoTask(
  model: Model,
  optimizerTask: Pick<TrainTask<GrpoBatch>, 'optimizer' | 'scheduler'>,
  train: readonly AdditionProblem[],
  o: GrpoStepOptions,
  onRollout: (step: number, record: Record<string, unknown>) => void,
): TrainTask<GrpoBatch> {
  const tokenizer = createByteLevelTokenizer();
  const reward = r1ZeroReward();
  let rng = createRng(o.seed);
  let lastStats: Record<string, number> = {};
  return {
    namedTensors: () => model.stateDict(),
    modelConfig: JSON.parse(JSON.stringify(model.config)),
    ...optimizerTask,
    async nextBatches(ctx: StepContext) {
      const t0 = performance.now();
      const problems = Array.from({ length: o.promptsPerStep }, () => train[rng.int(train.length)]);
      const prompts = problems.map((p) => tokenizer.encode(p.prompt));
      const gens = await model.generate(prompts, {
        temperature: o.temperature,
        maxNewTokens: o.maxNewTokens,
        numReturnSequences: o.groupSize,
        seed: mixSeed(o.seed, ctx.step),
        tokenizer,
      });
      const rolloutMs = performance.now() - t0;
      const samples = gens.map((g, i) => {
        const p = problems[Math.floor(i / o.groupSize)];
        return { prompt: p.prompt, completion: g.text ?? '', solution: p.solution };
      });
      const [result] = await scoreRewards(reward, samples);
      const totals = result.values.map((v) => v ?? 0);
      const parts = Object.fromEntries(
        (result.components ?? []).map((c) => [c.name, c.values.map((v) => v ?? 0)] as const),
      );
      const advantages = groupAdvantages(totals, o.groupSize);

      // Left-pad prompts to P so every completion starts at P; right-pad completions to L.
      const P = Math.max(...prompts.map((p) => p.length));
      const L = Math.max(...gens.map((g) => g.tokens.length));
      const tokens: number[][] = [];
      const mask: number[][] = [];
      const completionMask: number[][] = [];
      gens.forEach((g, i) => {
        const prompt = prompts[Math.floor(i / o.groupSize)];
        const padL = P - prompt.length;
        const padR = L - g.tokens.length;
        tokens.push([...new Array(padL).fill(PAD), ...prompt, ...g.tokens, ...new Array(padR).fill(PAD)]);
        mask.push([
          ...new Array(padL).fill(0),
          ...new Array(prompt.length + g.tokens.length).fill(1),
          ...new Array(padR).fill(0),
        ]);
        completionMask.push([...new Array(g.tokens.length).fill(1), ...new Array(padR).fill(0)]);
      });
      const lengths = gens.map((g) => g.tokens.length);
      const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / Math.max(1, xs.length);
      const std = (xs: number[]) => Math.sqrt(mean(xs.map((x) => (x - mean(xs)) ** 2)));
      let zeroVar = 0;
      for (let g = 0; g < totals.length; g += o.groupSize) {
        const grp = totals.slice(g, g + o.groupSize);
        if (grp.every((x) => x === grp[0])) zeroVar++;
      }
      const refl = reflectionStats(samples.map((s) => s.completion));
      const completionTokens = lengths.reduce((a, b) => a + b, 0);
      onRollout(ctx.step + 1, {
        reward_mean: mean(totals),
        rewards: Object.fromEntries(Object.entries(parts).map(([k, v]) => [k, { mean: mean(v), std: std(v) }])),
        accuracy: mean(parts.accuracy ?? []),
        format_rate: mean(parts.format ?? []),
        completion_length: {
          mean: mean(lengths),
          max: Math.max(...lengths),
          clipped_share: mean(gens.map((g) => (g.finishReason === 'length' ? 1 : 0))),
        },
        zero_variance_groups: zeroVar / o.promptsPerStep,
        reflection: Object.fromEntries(
          Object.entries(refl.counts).map(([w, c]) => [w, c / Math.max(1, refl.completions)]),
        ),
        tokens_per_s: { rollout: completionTokens / (rolloutMs / 1000) },
        samples: samples.slice(0, 2).map((s, i) => ({ prompt: s.prompt, completion: s.completion, reward: totals[i] })),
      });
      return [{ tokens, mask, promptLength: P, completionMask, advantages, completionTokens }];
    },
    async loss(batch) {
      const { tokens, mask, promptLength: P, completionMask, advantages } = batch;
      const B = tokens.length;
      const T = tokens[0].length;
      const L = T - P;
      const logits = model.forward(tokens, { attentionMask: mask }); // [B, T, V]
      const logp = logSoftmax(logits, -1); // [B, T, V]
      const index = new Int32Array(B * L);
      for (let b = 0; b < B; b++) for (let j = 0; j < L; j++) index[b * L + j] = tokens[b][P + j];
      const picked = narrow(logp, 1, P - 1, L); // [B, L, V]: position P−1+j predicts completion token j
      const lp = reshape(gather(picked, 2, index, [B, L, 1]), [B, L]); // [B, L]
      const old = noGrad(() => new Tensor(Float32Array.from(lp.values()), [B, L]));
      const m = tensor(Float32Array.from(completionMask.flat()), [B, L]);
      const { loss, stats } = grpoLossWithStats(
        { logprobs: lp, oldLogprobs: old, advantages, mask: m },
        { lossType: o.lossType, epsilonLow: o.epsilon, epsilonHigh: o.epsilon, beta: 0, maxCompletionLength: L },
      );
      lastStats = { clip_low: stats.clipLow, clip_high: stats.clipHigh };
      return { loss, tokens: batch.completionTokens, metrics: lastStats };
    },
    afterStep() {
      model.updateRoutingBias(o.routingBiasGamma);
    },
    stateDict: () => ({ rng: rng.state }),
    loadStateDict(state) {
      const s = state as { rng?: number } | null;
      if (s && typeof s.rng === 'number') rng = createRng(o.seed, s.rng);
    },
  };
}
