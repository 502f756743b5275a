/**
 * Tests of pretraining: packing (EOS between documents, nothing lost or duplicated over an epoch), the objective
 * (next-token + λ · MTP, the MTP term exactly as the model reports it), learning on a tiny corpus, the routing-bias
 * update, config errors, and exact resume after a crash and after an abort. Leaves out: large corpora, the CLI.
 */
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  createByteLevelTokenizer,
  createModel,
  type DeepseekV3ConfigInput,
  listCheckpoints,
  type Model,
  noGrad,
} from '@aha/core';
import { afterEach, describe, expect, it } from 'vitest';
import { TINY_STUDENT, TINY_TEACHER } from '../__fixtures__/tiny.js';
import { collateSequences, packDocuments, packDocumentsAsync, unpackSequences } from './packing.js';
import { type PretrainConfig, PretrainTrainer, pretrainLoss } from './trainer.js';

const tokenizer = createByteLevelTokenizer();
const EOS = 257;
/** 2 layers (dense + MoE) and one MTP module. */
const TINY_MTP: DeepseekV3ConfigInput = { ...TINY_TEACHER, num_nextn_predict_layers: 1 };

const dirs: string[] = [];
async function tempDir() {
  const d = await mkdtemp(join(tmpdir(), 'aha-pretrain-'));
  dirs.push(d);
  return d;
}
afterEach(async () => {
  for (const d of dirs.splice(0)) await rm(d, { recursive: true, force: true });
});

/** Short documents of varied length: counting, a repeated phrase, letters. */
function corpus(n: number): string[] {
  return Array.from({ length: n }, (_, i) => {
    const k = i % 4;
    if (k === 0) return `${i} ${i + 1} ${i + 2}`;
    if (k === 1) return 'the cat sat on the mat.';
    if (k === 2) return 'abcdefghij'.slice(0, 3 + (i % 7));
    return `doc ${i}: ${'ab'.repeat(1 + (i % 3))}`;
  });
}

/** Splits a token stream at EOS into decoded documents. */
function splitDocs(stream: number[]): string[] {
  const docs: string[] = [];
  let cur: number[] = [];
  for (const id of stream) {
    if (id === EOS) {
      docs.push(tokenizer.decode(cur));
      cur = [];
    } else cur.push(id);
  }
  expect(cur).toEqual([]); // the stream ends with an EOS
  return docs;
}

function sameWeights(a: Model, b: Model): number {
  const want = b.stateDict();
  let differing = 0;
  for (const [name, t] of a.stateDict()) {
    const x = t.toFloat32Array();
    const y = want.get(name)!.toFloat32Array();
    if (x.some((v, i) => v !== y[i])) differing++;
  }
  return differing;
}

describe('packDocuments', () => {
  it.each([2, 5, 16, 1000])('puts EOS after every document and keeps the stream whole (seqLength %i)', (seqLength) => {
    const docs = [...corpus(9), ''];
    const packed = packDocuments(docs, tokenizer, { seqLength });
    expect(packed.documents).toBe(10);
    const stream = unpackSequences(packed.sequences);
    expect(stream).toHaveLength(packed.tokens);
    expect(splitDocs(stream)).toEqual(docs);
    expect(stream.filter((t) => t === EOS)).toHaveLength(docs.length);
    // full-length windows except possibly the last; overlap of exactly one token
    for (const [k, s] of packed.sequences.entries()) {
      if (k < packed.sequences.length - 1) expect(s).toHaveLength(seqLength);
      else expect(s.length).toBeGreaterThanOrEqual(2);
      if (k > 0) expect(s[0]).toBe(packed.sequences[k - 1].at(-1));
    }
    // every token after the first is a next-token target exactly once
    expect(packed.sequences.reduce((n, s) => n + s.length - 1, 0)).toBe(packed.tokens - 1);
  });

  it('packs an async stream of texts the same as an array', async () => {
    const docs = corpus(11);
    async function* stream() {
      for (const d of docs) yield d;
    }
    expect(await packDocumentsAsync(stream(), tokenizer, { seqLength: 9 })).toEqual(
      packDocuments(docs, tokenizer, { seqLength: 9 }),
    );
  });

  it('rejects bad input naming the problem', () => {
    expect(() => packDocuments(['a'], tokenizer, { seqLength: 1 })).toThrow(/seqLength must be an integer >= 2/);
    expect(() => packDocuments([], tokenizer, { seqLength: 8 })).toThrow(/no document/);
    expect(() => packDocuments(['a', 3 as never], tokenizer, { seqLength: 8 })).toThrow(/document 1 is number/);
    const noEos = { encode: tokenizer.encode.bind(tokenizer), eosTokenId: null };
    expect(() => packDocuments(['a'], noEos, { seqLength: 8 })).toThrow(/no EOS token/);
  });

  it('collates right-padded rows with a mask only when needed', () => {
    expect(collateSequences([[1, 2, 3]], 0)).toEqual({ tokens: [[1, 2, 3]], attentionMask: undefined, targets: 2 });
    expect(
      collateSequences(
        [
          [1, 2, 3],
          [4, 5],
        ],
        9,
      ),
    ).toEqual({
      tokens: [
        [1, 2, 3],
        [4, 5, 9],
      ],
      attentionMask: [
        [1, 1, 1],
        [1, 1, 0],
      ],
      targets: 3,
    });
  });
});

describe('PretrainTrainer', () => {
  it('serves every packed sequence exactly once per epoch: no document lost or duplicated', async () => {
    const model = createModel(TINY_MTP, { seed: 1 });
    const served: number[][] = [];
    const loss = model.loss.bind(model);
    model.loss = (tokens, options) => {
      tokens.forEach((row, b) => {
        const m = options?.attentionMask?.[b];
        served.push(m ? row.filter((_, i) => m[i] === 1) : row);
      });
      return loss(tokens, options);
    };
    const docs = corpus(13);
    async function* texts() {
      yield* docs; // read once, streamed
    }
    const trainer = new PretrainTrainer({
      model,
      tokenizer,
      texts: texts(),
      config: { seqLength: 12, batchSize: 3, epochs: 1, seed: 4, learningRate: 1e-3 },
    });
    for await (const _ of trainer.train()) {
      // one epoch
    }
    const { sequences } = trainer.corpus!;
    expect(served).toHaveLength(sequences.length);
    expect(served).not.toEqual(sequences); // shuffled...
    const key = (s: number[]) => s.join(',');
    expect(served.map(key).sort()).toEqual(sequences.map(key).sort()); // ...but each exactly once
    expect(splitDocs(unpackSequences(sequences))).toEqual(docs);
  });

  it('adds exactly λ × the MTP loss the model reports to the next-token loss', async () => {
    const first = async (mtpWeight: number) => {
      const model = createModel(TINY_MTP, { seed: 3 });
      const trainer = new PretrainTrainer({
        model,
        tokenizer,
        texts: corpus(8),
        config: { seqLength: 16, batchSize: 4, maxSteps: 1, mtpWeight, routingBiasGamma: 0 },
      });
      for await (const r of trainer.train()) return r;
      throw new Error('no step');
    };
    const off = await first(0);
    const on = await first(0.3);
    expect(on.metrics.mtpLoss).toBeGreaterThan(0);
    expect(on.metrics.mtpLoss).toBeCloseTo(off.metrics.mtpLoss, 6); // same init and batch
    expect(on.metrics.lmLoss).toBeCloseTo(off.metrics.lmLoss, 6);
    expect(off.loss).toBeCloseTo(off.metrics.lmLoss, 6);
    expect(on.loss - off.loss).toBeCloseTo(0.3 * on.metrics.mtpLoss, 5);
    // and pretrainLoss is the model's own objective on a batch
    const model = createModel(TINY_MTP, { seed: 3 });
    const batch = collateSequences(packDocuments(corpus(4), tokenizer, { seqLength: 10 }).sequences, 258);
    const out = noGrad(() => pretrainLoss(model, batch, { mtpWeight: 0.1, balanceAlpha: 0 }));
    const parts = noGrad(() => model.loss(batch.tokens, { attentionMask: batch.attentionMask, mtpWeight: 0 }));
    expect(out.loss.item()).toBeCloseTo(parts.lmLoss.item() + 0.1 * parts.mtpLoss!.item(), 5);
  });

  it('weights accumulated micro-batches by their targets: the step loss is the mean over all its tokens', async () => {
    // 5 documents of 8 bytes + EOS = 45 tokens → 6 windows of 9 (8 targets each) and a last one of 5 (4 targets).
    const texts = ['abcdefgh', '12345678', 'the cat.', 'hello yo', 'zyxwvuts'];
    expect(packDocuments(texts, tokenizer, { seqLength: 9 }).sequences.map((s) => s.length)).toEqual([
      9, 9, 9, 9, 9, 5,
    ]);
    const step1 = async (batchSize: number, gradAccumulation: number) => {
      const model = createModel(TINY_MTP, { seed: 3 });
      const config = { seqLength: 9, batchSize, gradAccumulation, maxSteps: 1, mtpWeight: 0, shuffle: false };
      for await (const r of new PretrainTrainer({ model, tokenizer, texts, config }).train()) return r;
      throw new Error('no step');
    };
    const whole = await step1(6, 1);
    const split = await step1(2, 3);
    expect(split.loss).toBeCloseTo(whole.loss, 5);
    expect(split.metrics.lmLoss).toBeCloseTo(whole.metrics.lmLoss, 5);
  });

  it('lowers the loss on a tiny corpus and moves the routing bias', async () => {
    const model = createModel(TINY_MTP, { seed: 1 });
    const biasOf = () =>
      [...model.stateDict()]
        .filter(([n]) => n.endsWith('e_score_correction_bias'))
        .flatMap(([, t]) => Array.from(t.toFloat32Array()));
    const before = biasOf();
    expect(before.length).toBeGreaterThan(0);
    const trainer = new PretrainTrainer({
      model,
      tokenizer,
      texts: corpus(24),
      config: { seqLength: 24, batchSize: 4, maxSteps: 40, learningRate: 3e-3, warmupSteps: 2 },
    });
    expect(trainer.routingBiasGamma).toBe(0.001); // V3's γ for an MoE model
    const losses: number[] = [];
    for await (const r of trainer.train()) losses.push(r.loss);
    expect(losses).toHaveLength(40);
    const head = (losses[0] + losses[1] + losses[2]) / 3;
    const tail = (losses[37] + losses[38] + losses[39]) / 3;
    expect(tail).toBeLessThan(head * 0.6);
    expect(biasOf()).not.toEqual(before);
  });

  it('trains a dense model (no MTP, no MoE) on next-token loss alone', async () => {
    const model = createModel(TINY_STUDENT, { seed: 1 });
    const trainer = new PretrainTrainer({ model, tokenizer, texts: corpus(8), config: { seqLength: 16, maxSteps: 2 } });
    expect(trainer.routingBiasGamma).toBe(0);
    const reports = [];
    for await (const r of trainer.train()) reports.push(r);
    expect(reports[0].metrics.mtpLoss).toBeUndefined();
    expect(reports[0].loss).toBeCloseTo(reports[0].metrics.lmLoss, 6);
  });

  const resumeConfig: PretrainConfig = {
    learningRate: 2e-3,
    maxSteps: 8,
    batchSize: 3,
    gradAccumulation: 2,
    seqLength: 14,
    warmupSteps: 2,
    seed: 5,
  };

  it.each(['crash', 'abort'])('resumes exactly after an interruption (%s)', async (how) => {
    const make = () => createModel(TINY_MTP, { seed: 2 });
    const texts = corpus(20);
    const straight = make();
    for await (const _ of new PretrainTrainer({ model: straight, tokenizer, texts, config: resumeConfig }).train()) {
      // run to the end
    }
    const dir = await tempDir();
    const cfg = { ...resumeConfig, outputDir: dir, checkpointEvery: 3 };
    const controller = new AbortController();
    for await (const r of new PretrainTrainer({ model: make(), tokenizer, texts, config: cfg }).train({
      signal: controller.signal,
    })) {
      if (how === 'crash' && r.step === 5) break; // killed after step 5: the newest checkpoint is step 3
      if (how === 'abort' && r.step === 4) controller.abort(); // step 5 finishes, then checkpoints and stops
    }
    expect((await listCheckpoints(join(dir, 'checkpoints'))).map((c) => c.step)).toEqual(
      how === 'crash' ? [3] : [3, 5],
    );
    const resumed = make();
    const steps: number[] = [];
    for await (const r of new PretrainTrainer({ model: resumed, tokenizer, texts, config: cfg }).train())
      steps.push(r.step);
    expect(steps).toEqual(how === 'crash' ? [4, 5, 6, 7, 8] : [6, 7, 8]);
    expect(sameWeights(resumed, straight)).toBe(0);
    expect(sameWeights(resumed, make())).toBeGreaterThan(0); // training moved the weights
    // metrics.jsonl holds each step once, with the objective's terms
    const records = (await readFile(join(dir, 'metrics.jsonl'), 'utf8'))
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    expect(records.map((r) => r.step)).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
    for (const r of records) expect(r.loss).toBeCloseTo(r.lmLoss + 0.3 * r.mtpLoss, 5);
  });

  it('rejects settings that would be ignored or are invalid, naming them', () => {
    const dense = createModel(TINY_STUDENT);
    const make = (config: PretrainConfig, model: Model = dense) =>
      new PretrainTrainer({ model, tokenizer, texts: [], config });
    expect(() => make({ mtpWeight: 0.3 })).toThrow(/mtpWeight = 0.3 but the model has no MTP module/);
    expect(() => make({ routingBiasGamma: 0.001 })).toThrow(/routingBiasGamma = 0.001 but the model has no MoE/);
    expect(() => make({ seqLength: 1 })).toThrow(/PretrainTrainer: invalid config\n {2}seqLength: /);
    expect(() => make({ mtpWieght: 0.3 } as never)).toThrow('mtpWieght: unknown key (did you mean "mtpWeight"?)');
    expect(() => make({ lr: 1 } as never)).toThrow('lr: unknown key (did you mean "learningRate"?)');
  });
});
