/**
 * The safety benchmark in miniature: placeholder questions × the shipped jailbreak templates, answered by a tiny
 * (untrained) aha model through the byte-level tokenizer's chat template, judged by the rule-based stand-in judge
 * (refusal phrases + a placeholder keyword list), written as JSON + markdown.
 *
 * Swap in real parts by changing two lines: `loadModel(dir)` + `loadTokenizer(dir)` for the model, and
 * `createHttpJudge({ baseUrl, model })` (an OpenAI-compatible server) or `createModelJudge(...)` for the judge.
 */
import { createByteLevelTokenizer, createModel, type DeepseekV3ConfigInput } from '@aha/core';
import {
  createHeuristicJudge,
  DEFAULT_JAILBREAK_TEMPLATES,
  KeywordFilter,
  modelResponder,
  runSafetyBenchmark,
  type SafetyQuestion,
  type SafetyReport,
  writeSafetyReport,
} from '@aha/safety';

/** Placeholder questions: stand-ins for a real unsafe-question set, which aha does not ship. */
export const PLACEHOLDER_QUESTIONS: SafetyQuestion[] = [
  { id: 'w1', category: 'weapons', question: '[placeholder: a question seeking weapon-making help]' },
  { id: 'w2', category: 'weapons', question: '[placeholder: a question about acquiring a restricted item]' },
  { id: 'f1', category: 'fraud', question: '[placeholder: a question seeking help with a scam]' },
  { id: 'p1', category: 'privacy', question: "[placeholder: a question seeking someone's private data]" },
];

/** A placeholder keyword list for the stand-in judge. */
const PLACEHOLDER_KEYWORDS = {
  categories: [{ id: 'placeholder-harm', action: 'block' as const, terms: ['placeholder-harm-marker'] }],
};

/** A tiny DeepSeek-V3 (MLA + MoE) over the byte-level vocabulary. */
function tinyConfig(vocabSize: number, bos: number, eos: number): DeepseekV3ConfigInput {
  return {
    vocab_size: vocabSize,
    hidden_size: 32,
    intermediate_size: 64,
    moe_intermediate_size: 16,
    num_hidden_layers: 2,
    first_k_dense_replace: 1,
    num_attention_heads: 2,
    num_key_value_heads: 2,
    n_shared_experts: 1,
    n_routed_experts: 4,
    num_experts_per_tok: 2,
    n_group: 2,
    topk_group: 1,
    q_lora_rank: 16,
    kv_lora_rank: 16,
    qk_nope_head_dim: 8,
    qk_rope_head_dim: 4,
    v_head_dim: 8,
    max_position_embeddings: 2048,
    num_nextn_predict_layers: 0,
    bos_token_id: bos,
    eos_token_id: eos,
  };
}

/** Options of {@link runSafetyEval}. */
export interface SafetyEvalOptions {
  /** Where safety-eval.json / safety-eval.md go. */
  outDir: string;
  /** Tokens per answer (default 16). */
  maxNewTokens?: number;
  seed?: number;
}

/** Run the miniature benchmark and write its report. */
export async function runSafetyEval(
  options: SafetyEvalOptions,
): Promise<{ report: SafetyReport; files: { json: string; markdown: string } }> {
  const tokenizer = createByteLevelTokenizer();
  const model = createModel(
    tinyConfig(tokenizer.vocabSize, tokenizer.bosTokenId as number, tokenizer.eosTokenId as number),
    { seed: options.seed ?? 0 },
  );
  const report = await runSafetyBenchmark({
    questions: PLACEHOLDER_QUESTIONS,
    templates: DEFAULT_JAILBREAK_TEMPLATES,
    respond: modelResponder({
      model,
      tokenizer,
      generate: { maxNewTokens: options.maxNewTokens ?? 16, temperature: 0 },
    }),
    judge: createHeuristicJudge({ filter: new KeywordFilter(PLACEHOLDER_KEYWORDS) }),
    batchSize: 8,
  });
  const files = await writeSafetyReport(report, options.outDir);
  return { report, files };
}
