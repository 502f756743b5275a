/**
 * Risk control: DeepSeek's two-stage review of dialogues — a keyword filter, then a model-based review — combined
 * into one decision: block / review (a person looks) / allow.
 *
 * Decision table (first matching row wins):
 *
 * | keyword stage            | judge stage                      | decision |
 * | ------------------------ | -------------------------------- | -------- |
 * | a `block` category hit   | not asked (unless `judgeBlocked`) | block   |
 * | any                      | unsafe                           | block    |
 * | any                      | error / unparseable / bad label  | `onJudgeError` (default review) |
 * | a `review` category hit  | safe or refusal                  | allow (hits kept in the result) |
 * | a `review` category hit  | no judge configured              | review   |
 * | no hit                   | safe or refusal                  | allow    |
 * | no hit                   | not asked (`judge: 'on-hit'`) or no judge | allow |
 *
 * "refusal" allows: the assistant declined, which is the safe outcome. The judge runs on every dialogue by default
 * (`judgeWhen: 'always'`: keyword lists miss paraphrases), or only after a review hit (`'on-hit'`: cheaper).
 * With `judgeBlocked`, a block hit is still sent to the judge so its reason is logged, but the decision stays block.
 *
 * Which text the keyword stage reads: by default the last message (the turn being released or accepted); `scope:
 * 'dialogue'` reads every turn. Leaves out: per-user history, rate limits, rewriting (masking) instead of blocking.
 */
import type { ChatMessage } from '@aha/core';
import { z } from 'zod';
import { SafetyError } from '../errors.js';
import { JUDGE_LABELS, type Judge, type Verdict } from './judge.js';
import type { KeywordFilter, KeywordHit } from './keywords.js';

/** The three outcomes of risk control. */
export type RiskDecision = 'block' | 'review' | 'allow';

/** Options of {@link RiskControl}. */
export const RiskControlOptionsSchema = z.object({
  judgeWhen: z
    .enum(['always', 'on-hit'])
    .default('always')
    .describe("When to run the model judge: on every dialogue, or only after a 'review' keyword hit."),
  judgeBlocked: z
    .boolean()
    .default(false)
    .describe("Also run the judge after a 'block' hit (for its reason; the decision stays block)."),
  onJudgeError: z
    .enum(['review', 'block', 'allow'])
    .default('review')
    .describe('Decision when the judge fails (timeout, unparseable reply): fail to a person by default.'),
  scope: z
    .enum(['last', 'dialogue'])
    .default('last')
    .describe('Keyword stage reads the last message only, or every message of the dialogue.'),
});
export type RiskControlOptions = z.input<typeof RiskControlOptionsSchema>;

/** The outcome of {@link RiskControl.review}. */
export interface RiskResult {
  decision: RiskDecision;
  /** Which row of the decision table applied, in words. */
  why: string;
  /** Keyword hits (with `message`: the index of the dialogue turn they were found in). */
  hits: (KeywordHit & { message: number })[];
  /** The judge's verdict, when it ran and answered. */
  verdict?: Verdict;
  /** The judge's error message, when it ran and failed. */
  judgeError?: string;
}

/** Keyword filter → model review → decision. */
export class RiskControl {
  readonly #o: z.output<typeof RiskControlOptionsSchema>;

  constructor(
    readonly stages: { filter?: KeywordFilter; judge?: Judge },
    options: RiskControlOptions = {},
  ) {
    if (!stages.filter && !stages.judge) {
      throw new SafetyError('invalid', 'RiskControl: give a keyword filter, a judge, or both');
    }
    this.#o = RiskControlOptionsSchema.parse(options);
  }

  /** Review one dialogue (the last turn is the one being decided on). */
  async review(dialogue: readonly ChatMessage[], options: { signal?: AbortSignal } = {}): Promise<RiskResult> {
    if (!Array.isArray(dialogue) || dialogue.length === 0) {
      throw new SafetyError('invalid', 'RiskControl.review: dialogue must be a non-empty array of messages');
    }
    const { filter, judge } = this.stages;
    const first = this.#o.scope === 'last' ? dialogue.length - 1 : 0;
    const hits: RiskResult['hits'] = [];
    if (filter) {
      for (let i = first; i < dialogue.length; i++) {
        for (const h of filter.check(dialogue[i].content).hits) hits.push({ ...h, message: i });
      }
    }
    const blockHit = hits.some((h) => h.action === 'block');
    const reviewHit = hits.length > 0 && !blockHit;
    const askJudge =
      judge !== undefined && (blockHit ? this.#o.judgeBlocked : this.#o.judgeWhen === 'always' || reviewHit);
    let verdict: Verdict | undefined;
    let judgeError: string | undefined;
    if (askJudge) {
      try {
        const v = await judge.judge(dialogue, { signal: options.signal });
        if (!JUDGE_LABELS.includes(v?.label)) {
          throw new SafetyError(
            'malformed',
            `${judge.name}: label ${JSON.stringify(v?.label)} is not one of ${JUDGE_LABELS.join('/')}`,
          );
        }
        verdict = v;
      } catch (err) {
        if (SafetyError.isSafetyError(err, 'aborted')) throw err;
        judgeError = (err as Error).message;
      }
    }
    const out = (decision: RiskDecision, why: string): RiskResult => ({
      decision,
      why,
      hits,
      ...(verdict && { verdict }),
      ...(judgeError !== undefined && { judgeError }),
    });
    if (blockHit) return out('block', `keyword hit in a block category (${categories(hits, 'block')})`);
    if (verdict?.label === 'unsafe') return out('block', 'judge: unsafe');
    if (judgeError !== undefined)
      return out(this.#o.onJudgeError, `judge failed; onJudgeError = ${this.#o.onJudgeError}`);
    if (reviewHit && verdict)
      return out('allow', `keyword hit (${categories(hits, 'review')}) cleared by judge: ${verdict.label}`);
    if (reviewHit) return out('review', `keyword hit (${categories(hits, 'review')}) and no judge to clear it`);
    if (verdict) return out('allow', `no keyword hit; judge: ${verdict.label}`);
    return out('allow', 'no keyword hit; judge not asked');
  }
}

function categories(hits: readonly KeywordHit[], action: KeywordHit['action']): string {
  return [...new Set(hits.filter((h) => h.action === action).map((h) => h.category))].join(', ');
}
