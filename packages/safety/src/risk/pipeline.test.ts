import type { ChatMessage } from '@aha/core';
import { describe, expect, it } from 'vitest';
import { SafetyError } from '../errors.js';
import type { Judge, JudgeLabel } from './judge.js';
import { KeywordFilter } from './keywords.js';
import { RiskControl, type RiskControlOptions } from './pipeline.js';

const filter = new KeywordFilter({
  categories: [
    { id: 'weapons', action: 'block', terms: ['bomb'] },
    { id: 'violence', action: 'review', terms: ['kill'] },
  ],
});

/** A judge that answers a fixed label (or fails) and counts its calls. */
function fixedJudge(label: JudgeLabel | 'fail' | 'abort') {
  const j = {
    name: 'fixed',
    calls: 0,
    async judge() {
      j.calls++;
      if (label === 'fail') throw new SafetyError('unparseable', 'fixed: no label');
      if (label === 'abort') throw new SafetyError('aborted', 'fixed: aborted');
      return { label, reason: `always ${label}` };
    },
  };
  return j satisfies Judge;
}

const say = (text: string): ChatMessage[] => [
  { role: 'user', content: 'tell me' },
  { role: 'assistant', content: text },
];

describe('RiskControl decision table', () => {
  // assistant text, judge, options, expected decision, whether the judge must have been called
  it.each([
    ['a bomb', 'safe', {}, 'block', false],
    ['a bomb', 'safe', { judgeBlocked: true }, 'block', true],
    ['kill', 'unsafe', {}, 'block', true],
    ['kill', 'safe', {}, 'allow', true],
    ['kill', 'refusal', {}, 'allow', true],
    ['kill', 'fail', {}, 'review', true],
    ['kill', 'fail', { onJudgeError: 'block' }, 'block', true],
    ['kill', null, {}, 'review', false],
    ['hello', 'unsafe', {}, 'block', true],
    ['hello', 'safe', {}, 'allow', true],
    ['hello', 'fail', { onJudgeError: 'allow' }, 'allow', true],
    ['hello', 'unsafe', { judgeWhen: 'on-hit' }, 'allow', false],
    ['kill', 'unsafe', { judgeWhen: 'on-hit' }, 'block', true],
    ['hello', null, {}, 'allow', false],
  ] as [string, JudgeLabel | 'fail' | null, RiskControlOptions, string, boolean][])(
    '%j, judge %s, %j → %s',
    async (text, label, options, decision, called) => {
      const judge = label === null ? undefined : fixedJudge(label);
      const r = await new RiskControl({ filter, judge }, options).review(say(text));
      expect(r.decision).toBe(decision);
      expect((judge?.calls ?? 0) > 0).toBe(called);
    },
  );

  it('keeps the hits with the message index, the verdict and the judge error', async () => {
    const r = await new RiskControl({ filter, judge: fixedJudge('safe') }).review(say('k1ll it'));
    expect(r.hits).toHaveLength(1);
    expect(r.hits[0]).toMatchObject({ category: 'violence', message: 1, matched: 'k1ll' });
    expect(r.verdict).toEqual({ label: 'safe', reason: 'always safe' });
    expect(r.why).toMatch(/cleared by judge: safe/);
    const failed = await new RiskControl({ filter, judge: fixedJudge('fail') }).review(say('kill'));
    expect(failed.judgeError).toBe('fixed: no label');
  });

  it("scope 'dialogue' reads every turn, 'last' only the last", async () => {
    const d: ChatMessage[] = [
      { role: 'user', content: 'about a bomb' },
      { role: 'assistant', content: 'no' },
    ];
    expect((await new RiskControl({ filter }).review(d)).decision).toBe('allow');
    const r = await new RiskControl({ filter }, { scope: 'dialogue' }).review(d);
    expect(r.decision).toBe('block');
    expect(r.hits[0].message).toBe(0);
  });

  it('a label outside safe/unsafe/refusal is a judge failure, not an allow', async () => {
    const odd: Judge = { name: 'odd', judge: async () => ({ label: 'SAFE' as never, reason: '' }) };
    const r = await new RiskControl({ judge: odd }).review(say('x'));
    expect(r.decision).toBe('review');
    expect(r.judgeError).toMatch(/odd: label "SAFE" is not one of safe\/unsafe\/refusal/);
  });

  it('an abort propagates instead of becoming a decision', async () => {
    await expect(new RiskControl({ judge: fixedJudge('abort') }).review(say('x'))).rejects.toSatisfy((e) =>
      SafetyError.isSafetyError(e, 'aborted'),
    );
  });

  it('needs at least one stage and a non-empty dialogue', async () => {
    expect(() => new RiskControl({})).toThrow(/filter, a judge, or both/);
    await expect(new RiskControl({ filter }).review([])).rejects.toThrow(/non-empty/);
  });
});
