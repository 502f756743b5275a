// Bring your own model through the CLI: `aha train grpo|sft --model <HF dir> --dataset <file> --lora ... [--merge]` on a
// tiny random Qwen2 checkpoint and a byte-level tokenizer written here, with a GSM8K-format Parquet file (question /
// answer columns, `#### n` answers) and a conversational JSONL file; plus the strict `--lora` parser and the exit-2
// errors naming the bad part or record. Leaves out: learning anything (one or two steps of a random model) and real
// Hub checkpoints (core's loader tests cover the formats).
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createByteLevelTokenizer, createModel, loadLoraAdapter, loadModel, tinyQwen2Config } from '@aha/core';
import { parquetWriteFile } from 'hyparquet-writer';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCliCaptured } from '../cli/capture.js';
import { ConfigError } from '../config/errors.js';
import { parseLoraFlag } from './lora.js';

let dir: string;
let base: string;
const aha = (argv: string[]) => runCliCaptured(argv, { cwd: dir });

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'aha-byom-'));
  base = join(dir, 'qwen2');
  // The byte-level tokenizer has 263 ids (256 bytes + 7 added): the tiny config's vocabulary is set to it.
  const model = createModel(
    {
      ...tinyQwen2Config,
      vocab_size: 263,
      bos_token_id: 256,
      eos_token_id: 257,
      pad_token_id: 258,
      max_position_embeddings: 512,
    },
    { seed: 3 },
  );
  await model.save(base);
  await createByteLevelTokenizer().save(base);
  parquetWriteFile({
    filename: join(dir, 'gsm8k.parquet'),
    columnData: [
      { name: 'question', data: ['1+2?', '3+4?', '5+1?', '2+2?'], type: 'STRING' },
      { name: 'answer', data: ['1+2=3\n#### 3', '#### 7', 'so\n#### 6', '#### 4'], type: 'STRING' },
    ],
  });
  writeFileSync(
    join(dir, 'chat.jsonl'),
    ['hi', 'yo', 'hey', 'ho']
      .map((w) =>
        JSON.stringify({
          messages: [
            { role: 'user', content: w },
            { role: 'assistant', content: `${w}!` },
          ],
        }),
      )
      .join('\n'),
  );
  writeFileSync(
    join(dir, 'grpo.json'),
    JSON.stringify({
      outputDir: 'runs/grpo',
      rewards: [{ name: 'accuracy' }],
      grpo: {
        columns: { prompt: 'question', solution: 'answer' },
        goldFormat: 'gsm8k',
        maxSteps: 1,
        groupSize: 2,
        promptsPerStep: 2,
        maxCompletionLength: 4,
        beta: 0,
        learningRate: 1e-2,
      },
    }),
  );
  writeFileSync(
    join(dir, 'sft.json'),
    JSON.stringify({
      outputDir: 'runs/sft',
      sft: { dataset: 'none.jsonl', maxSteps: 2, batchSize: 2, learningRate: 1e-2 },
    }),
  );
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('parseLoraFlag', () => {
  it.each([
    ['r=16,alpha=32,targets=q_proj,v_proj', { r: 16, alpha: 32, dropout: 0, targets: ['q_proj', 'v_proj'] }],
    ['targets=q_proj, r=4', { r: 4, dropout: 0, targets: ['q_proj'] }],
    [
      'r=2,dropout=0.1,targets=model.layers.0.mlp.up_proj',
      { r: 2, dropout: 0.1, targets: ['model.layers.0.mlp.up_proj'] },
    ],
  ])('%s', (spec, want) => {
    expect(parseLoraFlag(spec)).toEqual(want);
  });

  it.each([
    ['r=16,rank=3,targets=q_proj', 'unknown key "rank" in "rank=3"'],
    ['r=x,targets=q_proj', 'r="x" is not a number'],
    ['r=4,q_proj', 'part "q_proj" is not key=value'],
    ['r=4,r=8,targets=q_proj', '"r" given twice'],
    ['r=4', 'targets: '],
    ['r=0,targets=q_proj', 'r: '],
    ['r=2.5,targets=q_proj', 'r: '],
    ['r=4,dropout=1,targets=q_proj', 'dropout: '],
    ['r=4,targets=', 'targets: '],
  ])('%s is an error naming the bad part', (spec, msg) => {
    const err = (() => {
      try {
        return parseLoraFlag(spec);
      } catch (e) {
        return e;
      }
    })();
    expect(err).toBeInstanceOf(ConfigError);
    expect((err as ConfigError).problems.join('\n')).toContain(msg);
  });
});

describe('aha train grpo|sft on your own model', () => {
  it('grpo: --model HF dir, --dataset GSM8K Parquet, --lora ... --merge: adapter in PEFT format and a merged model', async () => {
    const r = await aha([
      'train',
      'grpo',
      'grpo.json',
      '--model',
      base,
      '--dataset',
      'gsm8k.parquet',
      '--lora',
      'r=2,alpha=4,targets=q_proj,v_proj',
      '--merge',
      '--json',
    ]);
    expect(r.code, r.stderr + r.stdout).toBe(0);
    const out = JSON.parse(r.stdout);
    expect(out).toMatchObject({ ok: true, command: 'train grpo', lastStep: 1 });
    const config = JSON.parse(readFileSync(join(out.adapter, 'adapter_config.json'), 'utf8'));
    expect(config).toMatchObject({ peft_type: 'LORA', r: 2, lora_alpha: 4, target_modules: ['q_proj', 'v_proj'] });
    expect(existsSync(join(out.adapter, 'adapter_model.safetensors'))).toBe(true);
    // Only the adapters trained: every weight outside q_proj / v_proj of the merged model is the base model's.
    const [merged, orig] = await Promise.all([loadModel(out.finalModel), loadModel(base)]);
    const before = orig.stateDict();
    for (const [name, t] of merged.stateDict()) {
      if (/q_proj|v_proj/.test(name)) continue;
      expect(t.toFloat32Array(), name).toEqual(before.get(name)!.toFloat32Array());
    }
  });

  it('sft: a conversational JSONL with --lora (no --merge) saves an adapter that loads onto the base model', async () => {
    const r = await aha([
      'train',
      'sft',
      'sft.json',
      '-m',
      base,
      '-d',
      'chat.jsonl',
      '--lora',
      'r=2,targets=q_proj,v_proj,up_proj',
      '--json',
    ]);
    expect(r.code, r.stderr).toBe(0);
    const out = JSON.parse(r.stdout);
    expect(out).toMatchObject({ ok: true, command: 'train sft', examples: 4, lastStep: 2 });
    expect(out.finalModel).toBeUndefined();
    const model = await loadModel(base);
    expect(await loadLoraAdapter(model, out.adapter)).toHaveLength(6);
    // Two steps moved B off its zero start.
    const b = model.stateDict().get('model.layers.0.self_attn.q_proj.lora_B.weight')!.toFloat32Array();
    expect(b.some((v) => v !== 0)).toBe(true);
  });

  it.each([
    [
      ['train', 'grpo', 'grpo.json', '-m', 'qwen2', '-d', 'gsm8k.parquet', '--lora', 'r=2,bad,targets=q_proj'],
      'part "bad"',
    ],
    [['train', 'sft', 'sft.json', '-m', 'qwen2', '-d', 'chat.jsonl', '--merge'], 'sft.merge: set only with `lora`'],
    [
      ['train', 'grpo', 'grpo.json', '-m', 'qwen2', '-d', 'bad.jsonl'],
      "bad.jsonl: line 2, column 'answer': goldFormat 'gsm8k'",
    ],
    [
      ['train', 'sft', 'sft.json', '-m', 'qwen2', '-d', 'bad.jsonl'],
      "bad.jsonl: line 1, column 'messages': no 'messages' column",
    ],
  ])('%j: exit 2 naming the problem', async (argv, msg) => {
    writeFileSync(join(dir, 'bad.jsonl'), '{"question":"q","answer":"#### 1"}\n{"question":"q","answer":"1"}\n');
    const r = await aha(argv);
    expect(r.code, r.stderr).toBe(2);
    expect(r.stderr).toContain(msg);
  });
});
