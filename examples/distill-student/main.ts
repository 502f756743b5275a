/**
 * R1-style distillation in miniature (DeepSeek-R1 §2.3.3 + §2.4): a tiny MLA + MoE teacher is first taught a
 * verifiable task (one-digit addition in the `<think>…</think><answer>…</answer>` format), then
 *   1. rejection sampling: n completions per prompt from the teacher, kept when correct and well-formed
 *      (accuracy + format rewards, sum ≥ 2), one per prompt, written as JSONL;
 *   2. SFT of a smaller dense student (first_k_dense_replace = num_hidden_layers: no MoE) on those samples;
 *   3. logit distillation (forward KL) of a second dense student from the teacher on the same samples.
 * Each model is then scored greedily on every prompt; the students are saved as HF model folders.
 * Run: npm start -w @aha/example-distill-student [-- <outDir>]   (tiny preset: a few seconds on 2 cores)
 * Leaves out: a real base model and tokenizer (the teacher is trained here from scratch on synthetic data).
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import {
  createByteLevelTokenizer,
  createModel,
  type DeepseekV3ConfigInput,
  type Model,
  type Tokenizer,
} from '@aha/core';
import { KdTrainer, type PromptRow, rejectionSample, SftTrainer } from '@aha/distill';
import { accuracyReward, formatReward, scoreRewards } from '@aha/rewards';

/** Sizes of a run. */
export interface Preset {
  teacherSteps: number;
  studentSteps: number;
  samplesPerPrompt: number;
}
export const TINY: Preset = { teacherSteps: 120, studentSteps: 80, samplesPerPrompt: 4 };

const COMMON: DeepseekV3ConfigInput = {
  vocab_size: 263, // the byte-level tokenizer: 256 bytes + bos/eos/pad + <think></think><answer></answer>
  num_attention_heads: 2,
  num_key_value_heads: 2,
  q_lora_rank: null,
  kv_lora_rank: 16,
  qk_nope_head_dim: 8,
  qk_rope_head_dim: 4,
  v_head_dim: 8,
  max_position_embeddings: 64,
  rope_scaling: null,
  num_nextn_predict_layers: 0,
  bos_token_id: 256,
  eos_token_id: 257,
  pad_token_id: 258,
};
/** Teacher: 2 layers, the second DeepSeekMoE (1 shared + 4 routed experts, top-2). */
export const TEACHER: DeepseekV3ConfigInput = {
  ...COMMON,
  hidden_size: 48,
  intermediate_size: 96,
  moe_intermediate_size: 32,
  num_hidden_layers: 2,
  first_k_dense_replace: 1,
  n_shared_experts: 1,
  n_routed_experts: 4,
  num_experts_per_tok: 2,
  n_group: 1,
  topk_group: 1,
};
/** Student: 1 dense layer, narrower; first_k_dense_replace = num_hidden_layers, so no MoE at all. */
export const STUDENT: DeepseekV3ConfigInput = {
  ...COMMON,
  hidden_size: 32,
  intermediate_size: 64,
  num_hidden_layers: 1,
  first_k_dense_replace: 1,
};

/** All one-digit additions a + b with a, b in 0…4, with the gold answer in `solution`. */
export function additionPrompts(): PromptRow[] {
  const rows: PromptRow[] = [];
  for (let a = 0; a < 5; a++) for (let b = 0; b < 5; b++) rows.push({ prompt: `${a}+${b}=`, solution: `${a + b}` });
  return rows;
}
const worked = (p: PromptRow) => {
  const sum = p.solution as string;
  return { ...p, completion: `<think>${p.prompt}${sum}</think><answer>${sum}</answer>` };
};

/** Greedy accuracy + format of a model on the prompts (mean of each reward). */
async function evaluate(model: Model, tokenizer: Tokenizer, prompts: PromptRow[]) {
  const gens = await model.generate(
    prompts.map((p) => tokenizer.encode(p.prompt as string)),
    { maxNewTokens: 16, temperature: 0, tokenizer },
  );
  const samples = prompts.map((p, i) => ({ ...p, completion: gens[i].text ?? '' }));
  const [acc, fmt] = await scoreRewards([accuracyReward(), formatReward()], samples);
  const mean = (v: (number | null)[]) => v.reduce<number>((s, x) => s + (x ?? 0), 0) / v.length;
  return { accuracy: mean(acc.values), format: mean(fmt.values) };
}

async function lastLoss(reports: AsyncIterable<{ loss: number }>): Promise<{ first: number; last: number }> {
  let first = Number.NaN;
  let last = Number.NaN;
  for await (const r of reports) {
    if (Number.isNaN(first)) first = r.loss;
    last = r.loss;
  }
  return { first, last };
}

/** Runs the whole example into `outDir`; returns the summary it also writes as summary.json. */
export async function runDistillStudent(outDir: string, preset: Preset = TINY, log: (line: string) => void = () => {}) {
  await mkdir(outDir, { recursive: true });
  const tokenizer = createByteLevelTokenizer();
  const prompts = additionPrompts();

  // 0. The teacher learns the task with worked answers (stands in for an RL checkpoint).
  const teacher = createModel(TEACHER, { seed: 1 });
  const teacherTrain = await lastLoss(
    new SftTrainer({
      model: teacher,
      tokenizer,
      dataset: prompts.map(worked),
      config: { learningRate: 1e-2, maxSteps: preset.teacherSteps, batchSize: 25, warmupSteps: 5, seed: 1 },
    }).train(),
  );
  const teacherEval = await evaluate(teacher, tokenizer, prompts);
  log(
    `teacher: loss ${teacherTrain.first.toFixed(3)} → ${teacherTrain.last.toFixed(3)}, accuracy ${teacherEval.accuracy}`,
  );

  // 1. Rejection sampling: keep correct, well-formed answers, one per prompt.
  const rejectionPath = join(outDir, 'rejection.jsonl');
  const rs = await rejectionSample({
    model: teacher,
    tokenizer,
    prompts,
    n: preset.samplesPerPrompt,
    temperature: 0.8,
    topP: 1,
    maxNewTokens: 16,
    seed: 3,
    rewards: [
      { reward: accuracyReward(), weight: 1 },
      { reward: formatReward(), weight: 1 },
    ],
    keep: { minReward: 2, maxPerPrompt: 1, dedupe: true, requireFormat: true, noCodeBlocks: true },
    output: rejectionPath,
  });
  log(`rejection sampling: kept ${rs.stats.kept} of ${rs.stats.generated} (${JSON.stringify(rs.stats.rejected)})`);
  if (rs.stats.kept === 0) throw new Error('rejection sampling kept nothing: train the teacher longer');

  // 2. SFT of a dense student on the kept samples.
  const sftStudent = createModel(STUDENT, { seed: 2 });
  const sftTrain = await lastLoss(
    new SftTrainer({
      model: sftStudent,
      tokenizer,
      dataset: rejectionPath,
      config: { learningRate: 1e-2, maxSteps: preset.studentSteps, batchSize: 25, warmupSteps: 5, seed: 2 },
    }).train(),
  );
  const sftEval = await evaluate(sftStudent, tokenizer, prompts);
  await sftStudent.save(join(outDir, 'student-sft'));
  log(`SFT student: loss ${sftTrain.first.toFixed(3)} → ${sftTrain.last.toFixed(3)}, accuracy ${sftEval.accuracy}`);

  // 3. Logit distillation of another dense student from the teacher on the same samples.
  const kdStudent = createModel(STUDENT, { seed: 2 });
  const kdTrain = await lastLoss(
    new KdTrainer({
      student: kdStudent,
      teacher,
      tokenizer,
      dataset: rejectionPath,
      config: {
        divergence: 'forward_kl',
        learningRate: 1e-2,
        maxSteps: preset.studentSteps,
        batchSize: 25,
        warmupSteps: 5,
      },
    }).train(),
  );
  const kdEval = await evaluate(kdStudent, tokenizer, prompts);
  await kdStudent.save(join(outDir, 'student-kd'));
  log(`KD student: KL ${kdTrain.first.toFixed(3)} → ${kdTrain.last.toFixed(3)}, accuracy ${kdEval.accuracy}`);

  const summary = {
    teacher: { ...teacherEval, loss: teacherTrain },
    rejection: rs.stats,
    sftStudent: { ...sftEval, loss: sftTrain },
    kdStudent: { ...kdEval, loss: kdTrain },
  };
  await writeFile(join(outDir, 'summary.json'), `${JSON.stringify(summary, null, 2)}\n`);
  return summary;
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const out = process.argv[2] ?? 'runs/distill-student';
  const t0 = performance.now();
  await runDistillStudent(out, TINY, (line) => console.log(line));
  console.log(`done in ${((performance.now() - t0) / 1000).toFixed(1)} s → ${out}`);
}
