/**
 * Trains a tiny pairwise (Bradley-Terry) helpfulness reward model on a synthetic preference set — "prefer the answer
 * without the banned word" — then saves it in HF layout, loads it back and scores fresh samples through
 * `helpfulnessReward`, the way an RL stage would (DeepSeek-R1 §2.3.4: reward models judge general data).
 * Run: npx tsx --conditions=source examples/reward-model/main.ts [outputDir]
 * Leaves out: a real preference set (write one as JSONL {prompt, chosen, rejected} and pass it to `readJsonl`).
 */
import { mkdir, mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { createByteLevelTokenizer, type DeepseekV3ConfigInput } from '@aha/core';
import {
  bannedWordPairs,
  createRewardModel,
  evaluateRewardModel,
  helpfulnessReward,
  loadRewardModel,
  PreferencePairSchema,
  RewardModelTrainer,
  readJsonl,
  tinyRewardModelConfig,
} from '@aha/reward-models';
import { createRewardContext } from '@aha/rewards';

/** A ≈28k-parameter DeepSeek-V3 (MLA + 1 MoE layer) over the byte-level tokenizer's 263 ids. */
export const EXAMPLE_CONFIG: DeepseekV3ConfigInput = tinyRewardModelConfig;

export interface ExampleResult {
  heldOutAccuracyBefore: number;
  heldOutAccuracy: number;
  /** Rewards of fresh samples: [clean answer, the same answer with the banned word]. */
  scored: { completion: string; reward: number }[];
  modelDir: string;
}

/** The whole example; `log` receives progress lines. */
export async function runExample(
  options: { outputDir?: string; steps?: number; log?: (line: string) => void } = {},
): Promise<ExampleResult> {
  const log = options.log ?? (() => {});
  const outputDir = options.outputDir ?? (await mkdtemp(join(tmpdir(), 'aha-reward-model-')));
  await mkdir(outputDir, { recursive: true });

  // 1. A preference set on disk, as a user would have it: JSONL rows {prompt, chosen, rejected}.
  const trainFile = join(outputDir, 'train.jsonl');
  const rows = bannedWordPairs({ n: 200, seed: 1 });
  await writeFile(trainFile, `${rows.map((r) => JSON.stringify(r)).join('\n')}\n`);
  const train = await readJsonl(trainFile, PreferencePairSchema);
  const heldOut = bannedWordPairs({ n: 100, seed: 2 });

  // 2. Train the RM with the Bradley-Terry loss on the core training loop.
  const tokenizer = createByteLevelTokenizer();
  const model = createRewardModel(EXAMPLE_CONFIG, { seed: 1 });
  const before = evaluateRewardModel(model, tokenizer, heldOut);
  const trainer = new RewardModelTrainer({
    model,
    tokenizer,
    dataset: train,
    config: { maxSteps: options.steps ?? 40, batchSize: 8, learningRate: 3e-3 },
  });
  for await (const r of trainer.train()) {
    if (r.step % 10 === 0 || r.step === r.totalSteps)
      log(
        `step ${r.step}/${r.totalSteps} loss ${r.loss.toFixed(3)} accuracy ${r.metrics.accuracy.toFixed(2)} ` +
          `margin ${r.metrics.margin.toFixed(2)}`,
      );
  }
  const after = evaluateRewardModel(model, tokenizer, heldOut);
  log(`held-out pair accuracy: ${before.accuracy.toFixed(2)} before → ${after.accuracy.toFixed(2)} after`);

  // 3. Save in HF layout (config.json with num_labels, model.safetensors with score.weight) and load it back.
  const modelDir = join(outputDir, 'reward-model');
  await model.save(modelDir);
  const loaded = await loadRewardModel(modelDir);

  // 4. Use it as a reward, as an RL stage would.
  const reward = helpfulnessReward({ model: loaded, tokenizer });
  const samples = [
    { prompt: 'Tell me about bridges: ', completion: 'old stone bridges near the river' },
    { prompt: 'Tell me about bridges: ', completion: 'old stone spam near the river' },
  ];
  const values = await reward.score(samples, createRewardContext());
  const scored = samples.map((s, i) => ({ completion: s.completion, reward: values[i] as number }));
  for (const s of scored) log(`reward ${s.reward.toFixed(3)}  ${JSON.stringify(s.completion)}`);
  return { heldOutAccuracyBefore: before.accuracy, heldOutAccuracy: after.accuracy, scored, modelDir };
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  runExample({ outputDir: process.argv[2], log: (line) => console.log(line) }).catch((err) => {
    console.error(err);
    process.exitCode = 1;
  });
}
