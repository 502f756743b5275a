/**
 * Bring your own model: GRPO with LoRA on a Hugging Face dense checkpoint (Llama / Qwen2 / Qwen3 folder with
 * config.json, *.safetensors and tokenizer.json — what `huggingface-cli download` leaves) and a GSM8K-format dataset
 * (JSONL or Parquet with `question` / `answer` columns, answers ending in `#### <n>`). It loads the model
 * (`loadModel` picks the family from config.json), reads the data with TRL's column conventions and the GSM8K gold
 * answers, attaches LoRA adapters to the attention projections (the base stays frozen), trains a few GRPO steps
 * with the accuracy reward, saves the adapter in PEFT's layout (`adapter/`, loadable by PEFT or `loadLoraAdapter`)
 * and a merged checkpoint (`merged/`, a plain HF folder). The same run from the command line:
 *   aha train grpo grpo.json --model <dir> --dataset gsm8k.parquet --lora r=16,alpha=32,targets=q_proj,v_proj --merge
 * Without `--model` it first writes a tiny random Qwen2 checkpoint with a byte-level tokenizer, and without
 * `--dataset` a four-row GSM8K-format file, so it runs offline in seconds (learning nothing: the model is random).
 *
 * Run: npm start -w @aha/example-bring-your-own-model -- [--model <dir>] [--dataset <file>] [--out <dir>] [--steps 2]
 */
import { writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import {
  applyLora,
  createByteLevelTokenizer,
  createModel,
  loadModel,
  loadTokenizer,
  mergeLora,
  saveLoraAdapter,
  tinyQwen2Config,
} from '@aha/core';
import { GrpoTrainer, loadDataset } from '@aha/grpo';
import { accuracyReward } from '@aha/rewards';

export interface ByomOptions {
  /** Run folder: adapter/, merged/, metrics.jsonl (and base/ + gsm8k.jsonl when they are made here). */
  outputDir: string;
  /** A Hugging Face checkpoint folder; default: a tiny random Qwen2 written to `<outputDir>/base`. */
  modelDir?: string;
  /** A GSM8K-format JSONL or Parquet file; default: four rows written to `<outputDir>/gsm8k.jsonl`. */
  dataset?: string;
  steps?: number;
  lora?: { r: number; alpha: number; targets: string[] };
  seed?: number;
}

export interface ByomResult {
  modelDir: string;
  dataset: string;
  /** Dotted paths of the adapted Linears. */
  adapted: string[];
  adapterDir: string;
  mergedDir: string;
  rewards: number[];
}

/** A tiny random Qwen2 checkpoint plus the byte-level tokenizer (its vocabulary is the tokenizer's 263 ids). */
export async function writeTinyQwen2(dir: string, seed = 0): Promise<void> {
  const config = { ...tinyQwen2Config, vocab_size: 263, bos_token_id: 256, eos_token_id: 257, pad_token_id: 258 };
  await createModel({ ...config, max_position_embeddings: 512 }, { seed }).save(dir);
  await createByteLevelTokenizer().save(dir);
}

export const SAMPLE_ROWS = [
  { question: 'What is 2 + 3?', answer: '2 + 3 = 5\n#### 5' },
  { question: 'What is 4 + 4?', answer: '#### 8' },
  { question: 'What is 1 + 6?', answer: '#### 7' },
  { question: 'What is 10 * 100?', answer: '10 * 100 = 1,000\n#### 1,000' },
];

export async function bringYourOwnModel(o: ByomOptions): Promise<ByomResult> {
  const seed = o.seed ?? 0;
  const modelDir = o.modelDir ?? join(o.outputDir, 'base');
  if (!o.modelDir) await writeTinyQwen2(modelDir, seed);
  const dataset = o.dataset ?? join(o.outputDir, 'gsm8k.jsonl');
  if (!o.dataset) await writeFile(dataset, SAMPLE_ROWS.map((r) => JSON.stringify(r)).join('\n'));

  const [model, tokenizer] = await Promise.all([loadModel(modelDir), loadTokenizer(modelDir)]);
  // TRL's names are prompt / solution; GSM8K's are question / answer, and its gold answer follows '####'.
  const rows = await loadDataset(dataset, { columns: { prompt: 'question', solution: 'answer' }, goldFormat: 'gsm8k' });
  const lora = o.lora ?? { r: 4, alpha: 8, targets: ['q_proj', 'v_proj'] };
  // Every base weight is frozen from here on: the trainer's optimizer only sees lora_A / lora_B.
  const adapted = applyLora(model, { r: lora.r, alpha: lora.alpha, targetModules: lora.targets, seed });
  const trainer = new GrpoTrainer({
    model,
    tokenizer,
    dataset: rows,
    rewards: [accuracyReward()],
    groupSize: 2,
    promptsPerStep: 2,
    maxCompletionLength: 8,
    learningRate: 1e-3,
    beta: 0,
    maxSteps: o.steps ?? 2,
    checkpointEvery: 0,
    outputDir: o.outputDir,
    seed,
    resume: false,
  });
  const rewards: number[] = [];
  for await (const m of trainer.train()) rewards.push(m.reward.mean);

  const adapterDir = join(o.outputDir, 'adapter');
  await saveLoraAdapter(model, adapterDir, { baseModelNameOrPath: modelDir });
  const mergedDir = join(o.outputDir, 'merged');
  mergeLora(model);
  await model.save(mergedDir);
  await tokenizer.save(mergedDir);
  return { modelDir, dataset, adapted, adapterDir, mergedDir, rewards };
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const { values } = parseArgs({
    options: {
      model: { type: 'string' },
      dataset: { type: 'string' },
      out: { type: 'string', default: 'runs/bring-your-own-model' },
      steps: { type: 'string', default: '2' },
    },
  });
  const result = await bringYourOwnModel({
    outputDir: resolve(values.out),
    modelDir: values.model && resolve(values.model),
    dataset: values.dataset && resolve(values.dataset),
    steps: Number(values.steps),
  });
  console.log(`model ${result.modelDir}, data ${result.dataset}`);
  console.log(`LoRA on ${result.adapted.length} modules; mean reward per step: ${result.rewards.join(', ')}`);
  console.log(`adapter (PEFT): ${result.adapterDir}`);
  console.log(`merged checkpoint: ${result.mergedDir}`);
}
