import { createByteLevelTokenizer, createModel, type Model, noGrad, ShapeError } from '@aha/core';
import { describe, expect, it } from 'vitest';
import { additionRows, TINY_STUDENT, TINY_TEACHER } from '../__fixtures__/tiny.js';
import { collate, tokenizeSftDataset } from '../data/sft-data.js';
import { type Divergence, distillLoss } from './losses.js';
import { KdTrainer } from './trainer.js';

const tokenizer = createByteLevelTokenizer();
const rows = additionRows(12);
const opts = { completionOnlyLoss: true, maxLength: 64, appendEos: true, ignoreIndex: -100 };

/** The divergence of student from teacher over the whole dataset's targets, without gradients. */
function divergenceToTeacher(student: Model, teacher: Model, kind: Divergence): number {
  const batch = collate(tokenizeSftDataset(rows, tokenizer, opts).examples, 258, -100);
  return noGrad(() => {
    const f = { attentionMask: batch.attentionMask };
    return distillLoss(student.forward(batch.tokens, f), teacher.forward(batch.tokens, f), kind, {
      mask: batch.targetMask,
    }).item();
  });
}

const snapshot = (m: Model) => [...m.stateDict()].map(([n, t]) => [n, Array.from(t.toFloat32Array())] as const);

describe('KdTrainer', () => {
  it.each(['forward_kl', 'reverse_kl', 'jsd'] as const)(
    'lowers the student’s divergence from a frozen teacher (%s)',
    async (divergence) => {
      // A teacher with sharp, non-trivial next-token distributions: random init, logits scaled up by its init range.
      const teacher = createModel({ ...TINY_TEACHER, initializer_range: 0.5 }, { seed: 7 });
      const student = createModel(TINY_STUDENT, { seed: 1 });
      const before = divergenceToTeacher(student, teacher, divergence);
      const teacherBefore = snapshot(teacher);
      const trainer = new KdTrainer({
        student,
        teacher,
        tokenizer,
        dataset: rows,
        config: {
          divergence,
          learningRate: 2e-2,
          maxSteps: 40,
          batchSize: 6,
          warmupSteps: 2,
          completionOnlyLoss: false,
        },
      });
      const reports = [];
      for await (const r of trainer.train()) reports.push(r);
      const after = divergenceToTeacher(student, teacher, divergence);
      expect(before).toBeGreaterThan(divergence === 'jsd' ? 0.05 : 0.2);
      expect(after).toBeLessThan(before * 0.5);
      expect(reports.at(-1)!.metrics.kd).toBeLessThan(reports[0].metrics.kd);
      expect(snapshot(teacher)).toEqual(teacherBefore);
    },
  );

  it('adds α × cross-entropy when ceWeight > 0', async () => {
    const teacher = createModel(TINY_TEACHER, { seed: 7 });
    const student = createModel(TINY_STUDENT, { seed: 1 });
    const trainer = new KdTrainer({
      student,
      teacher,
      tokenizer,
      dataset: rows,
      config: { ceWeight: 0.5, maxSteps: 1, batchSize: 12, shuffle: false },
    });
    const [r] = await (async () => {
      const out = [];
      for await (const x of trainer.train()) out.push(x);
      return out;
    })();
    expect(r.loss).toBeCloseTo(r.metrics.kd + 0.5 * r.metrics.ce, 4);
  });

  it('on-policy (λ > 0): samples completions from the student for a seeded share of micro-batches', async () => {
    const run = async (lmbda: number) => {
      const teacher = createModel({ ...TINY_TEACHER, initializer_range: 0.5 }, { seed: 7 });
      const student = createModel(TINY_STUDENT, { seed: 1 });
      const generate = student.generate.bind(student);
      let calls = 0;
      student.generate = (prompts, o) => {
        calls++;
        expect(prompts.every((p) => p[0] === 256 && p.at(-1) === '='.charCodeAt(0))).toBe(true); // the prompts only
        return generate(prompts, o);
      };
      const trainer = new KdTrainer({
        student,
        teacher,
        tokenizer,
        dataset: rows,
        config: {
          lmbda,
          learningRate: 2e-2,
          maxSteps: 30,
          batchSize: 6,
          gradAccumulation: 2,
          maxNewTokens: 4,
          seed: 3,
        },
      });
      const before = divergenceToTeacher(student, teacher, 'forward_kl');
      const reports = [];
      for await (const r of trainer.train()) reports.push(r);
      const after = divergenceToTeacher(student, teacher, 'forward_kl');
      const onPolicy = reports.reduce((s, r) => s + r.metrics.onPolicy * 2, 0);
      return { reports, calls, onPolicy, weights: snapshot(student), before, after };
    };
    const half = await run(0.5);
    expect(half.calls).toBe(Math.round(half.onPolicy));
    expect(half.calls).toBeGreaterThan(10);
    expect(half.calls).toBeLessThan(50);
    expect((await run(0.5)).weights).toEqual(half.weights); // the same coins and samples again
    const full = await run(1);
    expect(full.calls).toBe(60);
    // Matching the teacher on its own samples also brings the student closer to the teacher on the dataset.
    expect(full.after).toBeLessThan(full.before * 0.6);
  });

  it('refuses on-policy distillation with packing', () => {
    const teacher = createModel(TINY_TEACHER);
    const student = createModel(TINY_STUDENT);
    expect(
      () => new KdTrainer({ student, teacher, tokenizer, dataset: rows, config: { lmbda: 0.5, packing: true } }),
    ).toThrow(/lmbda > 0\) needs packing: false/);
  });

  it('refuses a student whose vocabulary differs from the teacher’s', () => {
    const teacher = createModel(TINY_TEACHER);
    const student = createModel({ ...TINY_STUDENT, vocab_size: 300 });
    expect(() => new KdTrainer({ student, teacher, tokenizer, dataset: rows })).toThrow(ShapeError);
    expect(() => new KdTrainer({ student, teacher, tokenizer, dataset: rows })).toThrow(
      /300 and teacher vocab_size 263/,
    );
  });
});
