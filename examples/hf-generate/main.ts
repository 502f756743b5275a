/**
 * Loads a checkpoint in Hugging Face layout (config.json + model.safetensors, as `save_pretrained` writes it) and a
 * tokenizer (tokenizer.json + tokenizer_config.json), then generates greedily and with sampling and prints each
 * completion's tokens, log-probabilities and text. The same code loads a real DeepSeek-V3-architecture checkpoint;
 * by default it runs on two tiny committed fixtures so it needs no download:
 * - model: packages/core/src/models/deepseek-v3/__fixtures__/tiny-qlora-f32 (random weights, MLA with q_lora + MoE,
 *   vocab 64) — the output is therefore gibberish, but real: the numbers are what the model computes;
 * - tokenizer: packages/core/src/tokenizers/__fixtures__/tiny-bpe (byte-level BPE in DeepSeek's layout; ids 0..255
 *   are the bytes). The model's vocabulary covers ids 0..63 only, i.e. the bytes of ASCII digits, space and
 *   punctuation, so the default prompts are arithmetic and are encoded without the BOS token (id 262).
 *
 * Run: npm start -w @aha/example-hf-generate [-- --model <dir> --tokenizer <dir> --prompt "12+5=" --max-new-tokens 8]
 */
import { fileURLToPath, pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { type Generation, loadModel, loadTokenizer, ValueError } from '@aha/core';

const fixture = (path: string) => fileURLToPath(new URL(`../../packages/core/src/${path}`, import.meta.url));
export const DEFAULT_MODEL_DIR = fixture('models/deepseek-v3/__fixtures__/tiny-qlora-f32');
export const DEFAULT_TOKENIZER_DIR = fixture('tokenizers/__fixtures__/tiny-bpe');

export interface HfGenerateOptions {
  modelDir?: string;
  tokenizerDir?: string;
  prompts?: string[];
  maxNewTokens?: number;
  /** Sampling settings of the second pass (the first is greedy). */
  temperature?: number;
  topP?: number;
  seed?: number;
}

export interface HfGenerateResult {
  prompts: { text: string; ids: number[] }[];
  greedy: Generation[];
  sampled: Generation[];
}

/** Loads model + tokenizer and runs one greedy and one sampled generation over the prompts. */
export async function hfGenerate(options: HfGenerateOptions = {}): Promise<HfGenerateResult> {
  const model = await loadModel(options.modelDir ?? DEFAULT_MODEL_DIR);
  const tokenizer = await loadTokenizer(options.tokenizerDir ?? DEFAULT_TOKENIZER_DIR);
  const vocab = model.config.vocab_size;
  const prompts = (options.prompts ?? ['12+5=', '7*8=']).map((text) => {
    // A tokenizer made for a bigger vocabulary than the model's would index past the embedding table.
    const ids = tokenizer.encode(text, { addSpecialTokens: false });
    const bad = ids.find((id) => id >= vocab);
    if (bad !== undefined) {
      throw new ValueError(
        `prompt ${JSON.stringify(text)} encodes to id ${bad}, but the model's vocab_size is ${vocab}: ` +
          'use a tokenizer made for this model (or, with the tiny fixture, digits and punctuation only)',
      );
    }
    return { text, ids };
  });
  const ids = prompts.map((p) => p.ids);
  const maxNewTokens = options.maxNewTokens ?? 8;
  const greedy = await model.generate(ids, { maxNewTokens, temperature: 0, tokenizer });
  const sampled = await model.generate(ids, {
    maxNewTokens,
    temperature: options.temperature ?? 0.8,
    topP: options.topP ?? 0.95,
    seed: options.seed ?? 1,
    tokenizer,
  });
  return { prompts, greedy, sampled };
}

function print(result: HfGenerateResult): void {
  for (const [label, gens] of [
    ['greedy (temperature 0)', result.greedy],
    ['sampled (temperature 0.8, top-p 0.95, seed 1)', result.sampled],
  ] as const) {
    console.log(`\n== ${label}`);
    gens.forEach((g, i) => {
      const logprob = g.logprobs.reduce((s, v) => s + v, 0);
      console.log(`prompt ${JSON.stringify(result.prompts[i].text)} ids [${result.prompts[i].ids.join(', ')}]`);
      console.log(`  tokens   [${g.tokens.join(', ')}]  finish: ${g.finishReason}`);
      console.log(`  logprobs [${g.logprobs.map((v) => v.toFixed(3)).join(', ')}]  sum ${logprob.toFixed(3)}`);
      console.log(`  text     ${JSON.stringify(g.text)}`);
    });
  }
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const { values } = parseArgs({
    options: {
      model: { type: 'string' },
      tokenizer: { type: 'string' },
      prompt: { type: 'string', multiple: true },
      'max-new-tokens': { type: 'string' },
    },
  });
  const result = await hfGenerate({
    modelDir: values.model,
    tokenizerDir: values.tokenizer,
    prompts: values.prompt,
    maxNewTokens: values['max-new-tokens'] ? Number(values['max-new-tokens']) : undefined,
  });
  print(result);
}
