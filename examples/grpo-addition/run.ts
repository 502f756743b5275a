/**
 * GRPO on single-digit addition, R1-Zero in miniature: a tiny DeepSeek-V3 model (MLA + MoE) is SFT-warmed on a noisy
 * answer set — the right sum for half of the examples, a random number for the other half, always in
 * `<answer>…</answer>` — so it knows the format and is right about half of the time when sampling at T = 1. GRPO with
 * the task's accuracy reward then raises the mean accuracy reward of its samples (the pass@k → pass@1 sharpening that
 * RL does in R1-Zero). Leaves out: the `<think>` part (a model this small has nothing to think with) and evaluation on
 * held-out problems beyond a greedy check.
 */
import { AdamW, createByteLevelTokenizer, createModel, type Model, noGrad } from '@aha/core';
import { GrpoTrainer, generateAddition, type StepMetrics, scoreAddition } from '@aha/grpo';
import { defineReward } from '@aha/rewards';

export interface AdditionRunOptions {
  /** SFT warm-up steps (batch 32). */
  sftSteps: number;
  /** GRPO optimizer steps. */
  grpoSteps: number;
  groupSize: number;
  promptsPerStep: number;
  learningRate: number;
  outputDir: string;
  seed: number;
  /** Called with each GRPO step's metrics. */
  onStep?: (m: StepMetrics) => void;
  /** Called with each SFT step's loss. */
  onSft?: (step: number, loss: number) => void;
}

export interface AdditionRunResult {
  curve: { step: number; accuracy: number }[];
  /** Greedy accuracy on every single-digit problem, before and after GRPO. */
  greedyBefore: number;
  greedyAfter: number;
}

const accuracy = defineReward({
  name: 'accuracy',
  async score(samples) {
    return samples.map((s) => scoreAddition(String(s.completion), { solution: String(s.solution) }));
  },
});

function tinyModel(seed: number): Model {
  return createModel(
    {
      vocab_size: 263, // the byte-level tokenizer: 256 bytes + 7 added tokens
      hidden_size: 48,
      intermediate_size: 96,
      moe_intermediate_size: 24,
      num_hidden_layers: 2,
      num_attention_heads: 4,
      num_key_value_heads: 4,
      n_shared_experts: 1,
      n_routed_experts: 4,
      num_experts_per_tok: 2,
      n_group: 2,
      topk_group: 1,
      first_k_dense_replace: 1,
      q_lora_rank: 24,
      kv_lora_rank: 16,
      qk_nope_head_dim: 8,
      qk_rope_head_dim: 4,
      v_head_dim: 8,
      max_position_embeddings: 64,
      num_nextn_predict_layers: 0,
      initializer_range: 0.05,
      bos_token_id: 256,
      eos_token_id: 257,
      pad_token_id: 258,
    },
    { seed },
  );
}

export async function runGrpoAddition(o: AdditionRunOptions): Promise<AdditionRunResult> {
  const tokenizer = createByteLevelTokenizer();
  const eos = tokenizer.tokenToId('<|eos|>') as number;
  // 40 of the 55 one-digit problems a + b (a + b and b + a count once).
  const rows = generateAddition({ count: 40, seed: o.seed, digits: { min: 1, max: 1 } });
  const model = tinyModel(o.seed);

  // SFT warm-up on a noisy answer set: teaches the format and gives a half-right policy.
  let state = o.seed >>> 0;
  const rand = () => {
    state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
    return state / 2 ** 32;
  };
  const sft = rows.flatMap((r) =>
    [0, 1, 2, 3].map((k) => {
      const answer = k < 2 ? r.solution : String(Math.floor(rand() * 19));
      return [
        ...tokenizer.encode(r.prompt),
        ...tokenizer.encode(`<answer>${answer}</answer>`, { addSpecialTokens: false }),
        eos,
      ];
    }),
  );
  const opt = new AdamW(model.parameters(), { lr: 3e-3, weightDecay: 0 });
  for (let step = 0; step < o.sftSteps; step++) {
    const batch = Array.from({ length: 32 }, () => sft[Math.floor(rand() * sft.length)]);
    const T = Math.max(...batch.map((b) => b.length));
    const tokens = batch.map((b) => [...b, ...new Array(T - b.length).fill(258)]);
    const attentionMask = batch.map((b) => [...b.map(() => 1), ...new Array(T - b.length).fill(0)]);
    opt.zeroGrad();
    const { loss } = model.loss(tokens, { attentionMask });
    loss.backward();
    opt.step();
    o.onSft?.(step + 1, loss.item());
  }

  const greedy = async () => {
    const gens = await noGrad(() =>
      model.generate(
        rows.map((r) => tokenizer.encode(r.prompt)),
        { temperature: 0, maxNewTokens: 6, seed: 0 },
      ),
    );
    const ok = gens.filter((g, i) => scoreAddition(tokenizer.decode(g.tokens, { skipSpecialTokens: true }), rows[i]));
    return ok.length / rows.length;
  };
  const greedyBefore = await greedy();

  const trainer = new GrpoTrainer({
    model,
    tokenizer,
    dataset: rows,
    rewards: [accuracy],
    groupSize: o.groupSize,
    promptsPerStep: o.promptsPerStep,
    stepsPerRollout: 1,
    maxCompletionLength: 6,
    temperature: 1,
    learningRate: o.learningRate,
    lrSchedule: 'constant',
    lossType: 'grpo',
    epsilonLow: 0.2,
    epsilonHigh: 0.28,
    beta: 0,
    maxSteps: o.grpoSteps,
    checkpointEvery: 0,
    outputDir: o.outputDir,
    seed: o.seed,
    resume: false,
  });
  const curve: AdditionRunResult['curve'] = [];
  for await (const m of trainer.train()) {
    curve.push({ step: m.step, accuracy: m.accuracy ?? 0 });
    o.onStep?.(m);
  }
  return { curve, greedyBefore, greedyAfter: await greedy() };
}
