import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createByteLevelTokenizer, createModel, listCheckpoints, loadModel, type Model, noGrad } from '@aha/core';
import { afterEach, describe, expect, it } from 'vitest';
import { additionRows, TINY_STUDENT, TINY_TEACHER } from '../__fixtures__/tiny.js';
import { writeJsonl } from '../data/jsonl.js';
import { collate, packExamples, tokenizeSftDataset } from '../data/sft-data.js';
import { lmLoss, SftTrainer } from './trainer.js';

const tokenizer = createByteLevelTokenizer();
const bytes = (s: string) => [...Buffer.from(s, 'utf8')];
const opts = { completionOnlyLoss: true, maxLength: 64, appendEos: true, ignoreIndex: -100 };

const dirs: string[] = [];
async function tempDir() {
  const d = await mkdtemp(join(tmpdir(), 'aha-sft-'));
  dirs.push(d);
  return d;
}
afterEach(async () => {
  for (const d of dirs.splice(0)) await rm(d, { recursive: true, force: true });
});

/** Float64 −log p(tokens[j] | tokens[<j]) for j in `positions`, from one unpadded forward per row. */
function handNll(model: Model, rows: number[][], positions: number[][]): number {
  let total = 0;
  let count = 0;
  rows.forEach((tokens, r) => {
    const logits = noGrad(() => model.forward([tokens])).toFloat32Array();
    const V = model.config.vocab_size;
    for (const j of positions[r]) {
      const row = Array.from(logits.subarray((j - 1) * V, j * V));
      const m = Math.max(...row);
      const lse = m + Math.log(row.reduce((s, v) => s + Math.exp(v - m), 0));
      total += lse - row[tokens[j]];
      count++;
    }
  });
  return total / count;
}

describe('SFT data', () => {
  it('tokenizes text rows as BOS + prompt + completion + EOS, labels only on the completion', () => {
    const { examples } = tokenizeSftDataset([{ prompt: '2+3=', completion: '5' }], tokenizer, opts);
    expect(examples[0].tokens).toEqual([256, ...bytes('2+3='), ...bytes('5'), 257]);
    expect(examples[0].labels).toEqual([-100, -100, -100, -100, -100, ...bytes('5'), 257]);
    const all = tokenizeSftDataset([{ prompt: '2+3=', completion: '5' }], tokenizer, {
      ...opts,
      completionOnlyLoss: false,
    });
    expect(all.examples[0].labels).toEqual([-100, ...bytes('2+3='), ...bytes('5'), 257]);
  });

  it('applies the chat template to { messages } and trains only the last assistant turn', () => {
    const row = {
      messages: [
        { role: 'system', content: 'Be brief.' },
        { role: 'user', content: '1+1?' },
        { role: 'assistant', content: '2' },
      ],
    };
    const { examples } = tokenizeSftDataset([row], tokenizer, opts);
    const ex = examples[0];
    expect(tokenizer.decode(ex.tokens)).toBe('<|bos|>Be brief.\nUser: 1+1?\nAssistant: 2<|eos|>\n');
    expect(tokenizer.decode(ex.tokens.filter((_, i) => ex.labels[i] !== -100))).toBe(' 2<|eos|>\n');
    // Conversational prompt/completion gives the same tokens and labels.
    const pc = { prompt: row.messages.slice(0, 2), completion: row.messages.slice(2) };
    expect(tokenizeSftDataset([pc], tokenizer, opts).examples[0]).toEqual(ex);
  });

  it('truncates to maxLength, drops rows left without targets, names bad rows', () => {
    const rows = [
      { prompt: 'a long prompt here', completion: 'x' },
      { prompt: 'q', completion: 'answer' },
    ];
    const r = tokenizeSftDataset(rows, tokenizer, { ...opts, maxLength: 6 });
    expect(r.dropped).toBe(1);
    expect(r.examples[0].tokens).toHaveLength(6);
    expect(() => tokenizeSftDataset([{ prompt: 'q' }], tokenizer, opts)).toThrow(/SFT row 0 is neither/);
    expect(() => tokenizeSftDataset([{ messages: [{ role: 'user', content: 'q' }] }], tokenizer, opts)).toThrow(
      /SFT row 0: messages has no assistant turn/,
    );
    expect(() =>
      tokenizeSftDataset([{ prompt: 'q', completion: [{ role: 'assistant', content: 'a' }] }], tokenizer, opts),
    ).toThrow(/both be text or both be chat/);
  });

  it('packs whole examples up to maxLength and keeps every target', () => {
    const { examples } = tokenizeSftDataset(additionRows(10), tokenizer, opts); // 7 tokens each
    const packed = packExamples(examples, 16);
    expect(packed.map((p) => p.tokens.length)).toEqual([14, 14, 14, 14, 14]);
    expect(packed.flatMap((p) => p.tokens)).toEqual(examples.flatMap((e) => e.tokens));
    expect(collate(packed, 258, -100).count).toBe(collate(examples, 258, -100).count);
  });
});

describe('completion-only loss', () => {
  it('equals a hand computation over completion tokens only (padding and prompts ignored)', () => {
    const model = createModel(TINY_TEACHER, { seed: 3 });
    const rows = [
      { prompt: '12+30=', completion: '42' },
      { prompt: '7*6=', completion: '42 exactly' },
    ];
    const { examples } = tokenizeSftDataset(rows, tokenizer, opts);
    const batch = collate(examples, 258, -100);
    const got = noGrad(() => lmLoss(model, batch).loss.item());
    const seqs = rows.map((r) => [256, ...bytes(r.prompt), ...bytes(r.completion), 257]);
    const completionAt = rows.map((r, k) =>
      Array.from({ length: seqs[k].length - 1 - r.prompt.length }, (_, i) => 1 + r.prompt.length + i),
    );
    expect(got).toBeCloseTo(handNll(model, seqs, completionAt), 4);
    const everyAt = seqs.map((s) => Array.from({ length: s.length - 1 }, (_, i) => i + 1));
    const full = collate(
      tokenizeSftDataset(rows, tokenizer, { ...opts, completionOnlyLoss: false }).examples,
      258,
      -100,
    );
    const fullLoss = noGrad(() => lmLoss(model, full).loss.item());
    expect(fullLoss).toBeCloseTo(handNll(model, seqs, everyAt), 4);
    expect(Math.abs(fullLoss - got)).toBeGreaterThan(1e-3);
  });
});

describe('SftTrainer', () => {
  it('lowers the loss of a tiny model on a small dataset', async () => {
    const model = createModel(TINY_STUDENT, { seed: 1 });
    const trainer = new SftTrainer({
      model,
      tokenizer,
      dataset: additionRows(16),
      config: { learningRate: 3e-3, maxSteps: 40, batchSize: 8, warmupSteps: 2 },
    });
    const losses: number[] = [];
    for await (const r of trainer.train()) losses.push(r.loss);
    expect(losses).toHaveLength(40);
    const head = (losses[0] + losses[1] + losses[2]) / 3;
    const tail = (losses[37] + losses[38] + losses[39]) / 3;
    expect(tail).toBeLessThan(head * 0.5);
  });

  it('reads a JSONL dataset and derives the step count from epochs', async () => {
    const dir = await tempDir();
    await writeJsonl(join(dir, 'train.jsonl'), additionRows(10));
    const trainer = new SftTrainer({
      model: createModel(TINY_STUDENT, { seed: 1 }),
      tokenizer,
      dataset: join(dir, 'train.jsonl'),
      config: { epochs: 2, batchSize: 3, gradAccumulation: 2 }, // 4 micro-batches per epoch → 8 → 4 steps
    });
    const steps: number[] = [];
    for await (const r of trainer.train()) steps.push(r.step);
    expect(steps).toEqual([1, 2, 3, 4]);
  });

  it.each([false, true])('resumes exactly after an interruption (packing %s)', async (packing) => {
    const config = {
      learningRate: 2e-3,
      maxSteps: 8,
      batchSize: 3,
      gradAccumulation: 2,
      packing,
      maxLength: 16,
      warmupSteps: 2,
      seed: 5,
    };
    const make = () => createModel(TINY_TEACHER, { seed: 2 });
    const straight = make();
    for await (const _ of new SftTrainer({ model: straight, tokenizer, dataset: additionRows(11), config }).train()) {
      // run to the end
    }
    const dir = await tempDir();
    const first = make();
    const cfg = { ...config, outputDir: dir, checkpointEvery: 3 };
    for await (const r of new SftTrainer({ model: first, tokenizer, dataset: additionRows(11), config: cfg }).train()) {
      if (r.step === 5) break; // crash after step 5: the newest checkpoint is step 3
    }
    expect((await listCheckpoints(join(dir, 'checkpoints'))).map((c) => c.step)).toEqual([3]);
    const resumed = make();
    const steps: number[] = [];
    for await (const r of new SftTrainer({ model: resumed, tokenizer, dataset: additionRows(11), config: cfg }).train())
      steps.push(r.step);
    expect(steps).toEqual([4, 5, 6, 7, 8]);
    const want = straight.stateDict();
    let differing = 0;
    for (const [name, t] of resumed.stateDict()) {
      const a = t.toFloat32Array();
      const b = want.get(name)!.toFloat32Array();
      if (a.some((v, i) => v !== b[i])) differing++;
    }
    expect(differing).toBe(0);
    // The final checkpoint is a loadable model folder holding these weights.
    const loaded = await loadModel(join(dir, 'checkpoints', 'checkpoint-000008'));
    expect(Array.from(loaded.stateDict().get('lm_head.weight')!.toFloat32Array())).toEqual(
      Array.from(resumed.stateDict().get('lm_head.weight')!.toFloat32Array()),
    );
    // and training did move the weights
    const init = make().stateDict();
    const moved = [...resumed.stateDict()].some(([n, t]) =>
      t.toFloat32Array().some((v, i) => v !== init.get(n)!.toFloat32Array()[i]),
    );
    expect(moved).toBe(true);
  });

  it('rejects a bad config naming the field', () => {
    expect(
      () =>
        new SftTrainer({
          model: createModel(TINY_STUDENT),
          tokenizer,
          dataset: [],
          config: { batchSize: 0 },
        }),
    ).toThrow(/SftTrainer: invalid config\n {2}batchSize: /);
    expect(
      () => new SftTrainer({ model: createModel(TINY_STUDENT), tokenizer, dataset: [], config: { learningRate: -1 } }),
    ).toThrow(/learningRate/);
  });

  it.each([
    ['lr', 'learningRate'],
    ['schedule', 'lrSchedule'],
    ['betas', 'adamBetas'],
    ['maxStep', 'maxSteps'],
  ])('an unknown key %s is an error naming the key to use (%s), not a silent default', (key, near) => {
    const make = () =>
      new SftTrainer({ model: createModel(TINY_STUDENT), tokenizer, dataset: [], config: { [key]: 1 } as never });
    expect(make).toThrow(`${key}: unknown key (did you mean "${near}"?)`);
  });
});
