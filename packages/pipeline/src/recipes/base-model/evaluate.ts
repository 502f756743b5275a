/**
 * Greedy held-out accuracy of a model on the addition task: the number every stage of the main job reports
 * (the base model's recorded accuracy, "before" and "after" GRPO). Greedy (temperature 0) so it is deterministic.
 */
import { createByteLevelTokenizer, type Model } from '@aha/core';
import { type AdditionProblem, scoreAddition } from '@aha/grpo';

/** Result of {@link evaluateGreedy}. */
export interface GreedyEval {
  /** Share of problems whose `<answer>` holds the right sum, in [0, 1]. */
  accuracy: number;
  correct: number;
  total: number;
  /** Mean completion length in tokens (the stop token included where one ended it). */
  meanTokens: number;
  /** A few decoded completions, for the report and for eyeballing. */
  samples: { prompt: string; completion: string; solution: string; correct: boolean }[];
}

/** Options of {@link evaluateGreedy}. */
export interface GreedyEvalOptions {
  /** Longest completion in tokens. */
  maxNewTokens: number;
  /** Prompts per generate call (bounds memory; the result does not depend on it). */
  batchSize?: number;
  /** How many decoded samples to keep. */
  keepSamples?: number;
}

/** Greedy-decodes every problem and scores it with @aha/grpo's `scoreAddition`. */
export async function evaluateGreedy(
  model: Model,
  problems: readonly AdditionProblem[],
  options: GreedyEvalOptions,
): Promise<GreedyEval> {
  const tokenizer = createByteLevelTokenizer();
  const batchSize = options.batchSize ?? 64;
  const keep = options.keepSamples ?? 8;
  let correct = 0;
  let tokens = 0;
  const samples: GreedyEval['samples'] = [];
  for (let i = 0; i < problems.length; i += batchSize) {
    const chunk = problems.slice(i, i + batchSize);
    const gens = await model.generate(
      chunk.map((p) => tokenizer.encode(p.prompt)),
      { temperature: 0, maxNewTokens: options.maxNewTokens, tokenizer },
    );
    gens.forEach((g, j) => {
      const p = chunk[j];
      const completion = g.text ?? '';
      const ok = scoreAddition(completion, p) === 1;
      if (ok) correct++;
      tokens += g.tokens.length;
      if (samples.length < keep) samples.push({ prompt: p.prompt, completion, solution: p.solution, correct: ok });
    });
  }
  const n = problems.length;
  return { accuracy: n ? correct / n : 0, correct, total: n, meanTokens: n ? tokens / n : 0, samples };
}
