// The stage commands end to end through the CLI entry (runCli, streams captured) on a tiny model made here or the
// shipped base model: generate (reproducible with a seed), eval (equal to a direct computation), train grpo (plugin
// reward, interrupted by Ctrl-C and resumed), train sft, train rm, and config errors that name the key (exit 2).
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createByteLevelTokenizer, loadModel } from '@aha/core';
import { additionCompletion, additionProblems } from '@aha/grpo';
import { loadRewardModel } from '@aha/reward-models';
import { formatReward, scoreRewards } from '@aha/rewards';
import { contentIdFor, isLabelled, readLabelSidecar } from '@aha/safety';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCliCaptured } from '../cli/capture.js';
import { evaluateGreedy } from '../recipes/base-model/evaluate.js';
import { saveMicroBaseModel } from '../recipes/base-model/micro.js';
import { heldOutProblems, TaskOptionsSchema } from '../recipes/base-model/pretrain.js';
import { readBaseModelRecord, SHIPPED_BASE_MODEL_DIR } from '../recipes/base-model/save.js';
import { BUILTIN_REWARDS } from './rewards.js';

const PLUGIN = fileURLToPath(new URL('./__fixtures__/short-reward.ts', import.meta.url));

let dir: string;
let tiny: string;

const aha = (argv: string[], onStderr?: (text: string) => void) => runCliCaptured(argv, { cwd: dir, onStderr });
const json = (r: { stdout: string }) => JSON.parse(r.stdout);
const write = (name: string, value: unknown) => {
  const text = Array.isArray(value)
    ? value.map((v) => JSON.stringify(v)).join('\n')
    : typeof value === 'string'
      ? value
      : JSON.stringify(value);
  writeFileSync(join(dir, name), text);
  return join(dir, name);
};
const lines = (file: string) =>
  readFileSync(file, 'utf8')
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l));

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'aha-commands-'));
  tiny = join(dir, 'micro');
  await saveMicroBaseModel(tiny, { evalProblems: 4, maxNewTokens: 6 });
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('aha generate', () => {
  it('prints completions; a fixed seed reproduces them and they equal model.generate', async () => {
    const args = ['generate', '-m', tiny, '-p', '12+3=', '-p', '7+8=', '--max-new-tokens', '5', '-n', '2'];
    const a = await aha([...args, '--seed', '7', '--json']);
    expect(a.code, a.stderr).toBe(0);
    const b = await aha([...args, '--seed', '7', '--json']);
    // The same texts, ids and content ids (the label's time is the run's).
    const untimed = (r: { stdout: string }) =>
      json(r).completions.map((c: { aigc: { timestamp?: string } }) => ({ ...c, aigc: { ...c.aigc, timestamp: 0 } }));
    expect(untimed(a)).toEqual(untimed(b));
    expect(json(a).completions).toHaveLength(4);
    const model = await loadModel(tiny);
    const tokenizer = createByteLevelTokenizer();
    const direct = await model.generate([tokenizer.encode('12+3='), tokenizer.encode('7+8=')], {
      maxNewTokens: 5,
      temperature: 1,
      numReturnSequences: 2,
      seed: 7,
      tokenizer,
    });
    expect(json(a).completions.map((c: { completion: string }) => c.completion)).toEqual(direct.map((g) => g.text));
    const other = await aha([...args, '--seed', '8', '--json']);
    expect(untimed(other)).not.toEqual(untimed(a));
    // Human output: the explicit AI-generated label line, then the prompt followed by its completion.
    const one = ['generate', '-m', tiny, '-p', '12+3=', '--max-new-tokens', '5', '--seed', '7'];
    const human = await aha(one);
    const completion = json(await aha([...one, '--json'])).completions[0].completion;
    expect(human.stdout).toBe(`【人工智能生成 | AI-generated】\n12+3=${completion}\n`);
    expect(isLabelled(human.stdout, { where: 'start' })).toBe(true);
    const unlabelled = await aha([...one, '--no-label']);
    expect(unlabelled.stdout).toBe(`12+3=${completion}\n`);
    expect(isLabelled(unlabelled.stdout)).toBe(false);
    const help = await aha(['generate', '--help']);
    expect(help.stdout.replace(/\s+/g, ' ')).toContain('--no-label do not print the explicit "AI-generated" label');
  });

  it('--json carries the implicit label of each completion: producer, model, time, content id', async () => {
    const r = await aha(['generate', '-m', tiny, '-p', '1+2=', '--max-new-tokens', '4', '--json', '--no-label']);
    expect(r.code, r.stderr).toBe(0);
    const [c] = json(r).completions;
    expect(c.aigc).toEqual({
      AIGC: expect.objectContaining({ Label: '1', ContentProducer: 'aha', ProduceID: contentIdFor(c.completion) }),
      timestamp: expect.stringMatching(/^\d{4}-\d\d-\d\dT/),
      model: tiny,
    });
  });

  it('reads prompts from --input JSONL and writes JSONL with --output', async () => {
    const input = write('prompts.jsonl', [{ prompt: '1+1=' }, { prompt: '2+2=', id: 'x' }]);
    const r = await aha(['generate', '-m', tiny, '-i', input, '-o', 'out.jsonl', '--max-new-tokens', '3', '-t', '0']);
    expect(r.code, r.stderr).toBe(0);
    const rows = lines(join(dir, 'out.jsonl'));
    expect(rows.map((x) => x.prompt)).toEqual(['1+1=', '2+2=']);
    expect(rows.every((x) => typeof x.completion === 'string' && x.tokens <= 3)).toBe(true);
    expect(rows.every((x) => x.aigc.AIGC.ProduceID === contentIdFor(x.completion))).toBe(true);
    expect(r.stdout).toContain(`wrote 2 completions to ${join(dir, 'out.jsonl')}`);
    // The file's implicit label: a sidecar whose content id is the file's hash.
    const sidecar = await readLabelSidecar(join(dir, 'out.jsonl'));
    expect(sidecar?.AIGC.ProduceID).toBe(contentIdFor(readFileSync(join(dir, 'out.jsonl'))));
    expect(sidecar?.model).toBe(tiny);
  });

  it('usage problems are config errors (exit 2) that say what is missing', async () => {
    const none = await aha(['generate', '-m', tiny]);
    expect(none.code).toBe(2);
    expect(none.stderr).toContain('--prompt: give a prompt');
    const bad = await aha(['generate', '-m', join(dir, 'nowhere'), '-p', 'x']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain(`--model: "${join(dir, 'nowhere')}" is neither a model folder`);
    const t = await aha(['generate', '-m', tiny, '-p', 'x', '-t', '-1', '--json']);
    expect(t.code).toBe(2);
    expect(json(t).error.problems).toEqual(['command line: generate.temperature: must be >= 0, got -1']);
  });
});

describe('aha eval', () => {
  it('--task addition: accuracy equals a direct greedy evaluation of the shipped base model', async () => {
    const r = await aha([
      'eval',
      '-m',
      'tiny',
      '--task',
      'addition',
      '--limit',
      '12',
      '-r',
      'accuracy,format',
      '--json',
    ]);
    expect(r.code, r.stderr).toBe(0);
    const out = json(r);
    const task = TaskOptionsSchema.parse((await readBaseModelRecord(SHIPPED_BASE_MODEL_DIR)).task);
    const problems = heldOutProblems(task).slice(0, 12);
    const model = await loadModel(SHIPPED_BASE_MODEL_DIR);
    const direct = await evaluateGreedy(model, problems, { maxNewTokens: task.maxNewTokens, keepSamples: 12 });
    expect(out).toMatchObject({ ok: true, command: 'eval', prompts: 12, n: 1, temperature: 0 });
    expect(out.accuracy).toBeCloseTo(direct.accuracy, 12);
    expect(direct.accuracy).toBeGreaterThan(0); // the check is not vacuous
    const formats = await scoreRewards(
      formatReward(),
      direct.samples.map((s) => ({ prompt: s.prompt, completion: s.completion })),
    );
    const meanFormat = formats[0].values.reduce((a: number, v) => a + (v ?? 0), 0) / 12;
    expect(out.rewards.format.mean).toBeCloseTo(meanFormat, 12);
    expect(out.rewardMean).toBeCloseTo(direct.accuracy + meanFormat, 12);
    const human = await aha(['eval', '-m', 'tiny', '--task', 'addition', '--limit', '12', '-r', 'accuracy']);
    expect(human.stdout).toContain(
      `accuracy (greedy, held-out addition problems): ${(direct.accuracy * 100).toFixed(1)}%`,
    );
  });

  it('--dataset JSONL with -n samples reports pass@n; an unknown reward names the entry', async () => {
    const rows = additionProblems({ count: 3, seed: 5, split: 'test', minDigits: 2, maxDigits: 2 });
    const data = write(
      'eval.jsonl',
      rows.map((p) => ({ prompt: p.prompt, solution: p.solution })),
    );
    const r = await aha(['eval', '-m', tiny, '-d', data, '-n', '2', '--max-new-tokens', '4', '--json']);
    expect(r.code, r.stderr).toBe(0);
    expect(json(r)).toMatchObject({ prompts: 3, n: 2, temperature: 1 });
    expect(json(r)['pass@2']).toBeGreaterThanOrEqual(0);
    expect(json(r).rewards.accuracy.count).toBe(6);
    const bad = await aha(['eval', '-m', tiny, '-d', data, '-r', 'accuracy,speling']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('--reward[1].name: unknown reward "speling" (built-in: accuracy, format,');
  });
});

/** A train grpo config for the tiny model: 3 steps, a checkpoint each step, the plugin reward beside accuracy. */
const grpoConfig = (extra: Record<string, unknown> = {}) => ({
  model: './micro',
  outputDir: 'runs/grpo',
  rewards: [{ name: 'accuracy' }, { module: PLUGIN, weight: 0.5 }],
  grpo: {
    task: 'addition',
    trainProblems: 20,
    maxSteps: 3,
    groupSize: 2,
    promptsPerStep: 2,
    stepsPerRollout: 1,
    maxCompletionLength: 6,
    beta: 0,
    learningRate: 1e-3,
    checkpointEvery: 1,
    ...extra,
  },
});

describe('aha train grpo', () => {
  it('Ctrl-C stops after the current step with a checkpoint; the same command resumes and finishes', async () => {
    write('grpo.json', grpoConfig());
    let sent = false;
    // Progress lines go to stderr under CI=true: Ctrl-C (a SIGINT to the process) when step 1 is reported.
    const interrupted = await aha(['train', 'grpo', '-c', 'grpo.json'], (text) => {
      if (!sent && text.includes('grpo step 1/3')) {
        sent = true;
        process.emit('SIGINT');
      }
    });
    expect(interrupted.code, interrupted.stderr).toBe(0);
    expect(interrupted.stdout).toContain('interrupted: true');
    expect(existsSync(join(dir, 'runs/grpo/final'))).toBe(false);
    const stepsBefore = lines(join(dir, 'runs/grpo/metrics.jsonl')).map((m) => m.step);
    expect(stepsBefore.length).toBeLessThan(3);

    const resumed = await aha(['train', 'grpo', 'grpo.json']);
    expect(resumed.code, resumed.stderr).toBe(0);
    // It went on from the checkpoint, and says so: step 1 is not trained again.
    expect(resumed.stderr).toMatch(/resuming from step \d/);
    expect(resumed.stderr).not.toContain('grpo step 1/3');
    expect(resumed.stderr).toContain('grpo step 3/3');
    expect(resumed.stdout).toContain('lastStep: 3');
    const again = await aha(['train', 'grpo', 'grpo.json', '--json']); // finished: nothing left to train
    const out = json(again);
    expect(out).toMatchObject({ ok: true, command: 'train grpo', steps: 3, lastStep: 0 });
    const steps = lines(join(dir, 'runs/grpo/metrics.jsonl')).map((m) => m.step);
    expect(steps).toEqual([1, 2, 3]); // each step once: the resumed run started after the checkpoint
    const last = lines(join(dir, 'runs/grpo/metrics.jsonl'))[2];
    expect(Object.keys(last.rewards).sort()).toEqual(['accuracy', 'short']);
    expect(existsSync(join(out.finalModel, 'config.json'))).toBe(true);
    expect(readFileSync(out.report, 'utf8')).toContain('<html');
    await loadModel(out.finalModel);
  });

  it('trains from a JSONL dataset with the R1-Zero template and the rewards named in the config', async () => {
    write('prompts-grpo.jsonl', [
      { question: 'What is 1+1?', answer: '2' },
      { question: 'What is 2+3?', answer: '5' },
    ]);
    write('grpo-data.json', {
      model: './micro',
      outputDir: 'runs/grpo-data',
      rewards: [{ name: 'format' }, { module: PLUGIN }],
      grpo: {
        dataset: 'prompts-grpo.jsonl',
        columns: { prompt: 'question', solution: 'answer' },
        template: 'r1-zero',
        maxSteps: 1,
        groupSize: 2,
        promptsPerStep: 2,
        stepsPerRollout: 1,
        maxCompletionLength: 4,
        beta: 0,
      },
    });
    const r = await aha(['train', 'grpo', '-c', 'grpo-data.json', '--json']);
    expect(r.code, r.stdout).toBe(0);
    const [m] = lines(join(dir, 'runs/grpo-data/metrics.jsonl'));
    expect(Object.keys(m.rewards).sort()).toEqual(['format', 'short']);
    expect(m.samples[0].prompt).toContain('User: What is');
  });

  it('config errors name the key and the problem, exit 2', async () => {
    write('bad.json', {
      ...grpoConfig({ groupSize: 1, lr: 3 }),
      rewards: [{ name: 'acuracy' }, { module: PLUGIN, export: 'notAReward' }],
    });
    const r = await aha(['train', 'grpo', '--config', 'bad.json', '--json']);
    expect(r.code).toBe(2);
    expect(json(r).error.problems).toEqual(
      expect.arrayContaining([
        'bad.json: grpo.groupSize: must be >= 2, got 1',
        'bad.json: grpo.lr: unknown key (did you mean "learningRate"?)',
      ]),
    );
    write('bad2.json', { ...grpoConfig(), rewards: [{ name: 'acuracy' }, { module: PLUGIN, export: 'notAReward' }] });
    const r2 = await aha(['train', 'grpo', '--config', 'bad2.json']);
    expect(r2.code).toBe(2);
    expect(r2.stderr).toContain('bad2.json: rewards[0].name: unknown reward "acuracy"');
    expect(r2.stderr).toContain('bad2.json: rewards[1].export: ');
    expect(r2.stderr).toContain('has no export "notAReward" that is a reward');
    write('bad3.json', { ...grpoConfig(), grpo: { seed: 3, dataset: 'x.jsonl', task: 'addition' } });
    const r3 = await aha(['train', 'grpo', 'bad3.json']);
    expect(r3.stderr).toContain('bad3.json: grpo.seed: set the top-level "seed" instead');
  });
});

describe('aha train sft / rm', () => {
  it('sft: trains on prompt/completion JSONL, checkpoints, writes metrics, a loadable final model and the report', async () => {
    const rows = additionProblems({ count: 8, seed: 1, split: 'train', minDigits: 1, maxDigits: 1 });
    write(
      'sft.jsonl',
      rows.map((p) => ({ prompt: p.prompt, completion: additionCompletion(p) })),
    );
    write('sft.json', {
      model: './micro',
      outputDir: 'runs/sft',
      sft: { dataset: 'sft.jsonl', maxSteps: 2, batchSize: 4, learningRate: 1e-3 },
    });
    const r = await aha(['train', 'sft', '-c', 'sft.json', '--json']);
    expect(r.code, r.stdout).toBe(0);
    const out = json(r);
    expect(out).toMatchObject({ ok: true, command: 'train sft', examples: 8, lastStep: 2 });
    expect(Number.isFinite(out.loss)).toBe(true);
    expect(lines(join(dir, 'runs/sft/metrics.jsonl')).map((m) => [m.step, typeof m.loss])).toEqual([
      [1, 'number'],
      [2, 'number'],
    ]);
    const trained = await loadModel(out.finalModel);
    const base = await loadModel(tiny);
    const w = (m: typeof base) => m.stateDict().get('model.embed_tokens.weight')!.toFloat32Array();
    expect(w(trained)).not.toEqual(w(base));
    expect(existsSync(out.report)).toBe(true);

    write('sft-bad.jsonl', [{ prompt: 'a' }]);
    write('sft-bad.json', { model: './micro', sft: { datset: 'sft-bad.jsonl' } });
    const bad = await aha(['train', 'sft', 'sft-bad.json']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('sft-bad.json: sft.dataset: expected string, got nothing (the key is missing)');
    expect(bad.stderr).toContain('sft-bad.json: sft.datset: unknown key');
    write('sft-bad2.json', { model: './micro', sft: { dataset: 'sft-bad.jsonl' } });
    const badRow = await aha(['train', 'sft', 'sft-bad2.json']);
    expect(badRow.code).toBe(2);
    expect(badRow.stderr).toContain('sft.dataset: ');
    expect(badRow.stderr).toContain("sft-bad.jsonl: line 1, column 'completion'");
  });

  it('rm: pairwise rows → a reward model folder; the objective follows the data', async () => {
    write('pairs.jsonl', [
      { prompt: '1+1=', chosen: '<answer>2</answer>', rejected: '<answer>3</answer>' },
      { prompt: '2+2=', chosen: '<answer>4</answer>', rejected: 'no' },
    ]);
    write('rm.json', {
      model: './micro',
      outputDir: 'runs/rm',
      rm: { dataset: 'pairs.jsonl', maxSteps: 2, batchSize: 2 },
    });
    const r = await aha(['train', 'rm', 'rm.json', '--json']);
    expect(r.code, r.stdout).toBe(0);
    const out = json(r);
    expect(out).toMatchObject({ objective: 'pairwise', examples: 2, lastStep: 2 });
    expect(out.trainAccuracy).toBeGreaterThanOrEqual(0);
    const rm = await loadRewardModel(out.finalModel);
    expect(rm.numLabels).toBe(1);

    write('labels.jsonl', [
      { prompt: 'q', response: 'fine', label: 'safe' },
      { prompt: 'q', response: 'bad', label: 'unsafe' },
    ]);
    write('rm2.json', { model: './micro', outputDir: 'runs/rm2', rm: { dataset: 'labels.jsonl', maxSteps: 1 } });
    const p = await aha(['train', 'rm', 'rm2.json', '--json']);
    expect(p.code, p.stdout).toBe(0);
    expect(json(p).objective).toBe('pointwise');
  });
});

describe('reward registry', () => {
  it('on the addition task, accuracy checks the integer sum', async () => {
    const accuracy = BUILTIN_REWARDS.accuracy({ task: 'addition', maxNewTokens: 8 });
    const [r] = await scoreRewards(accuracy, [
      { prompt: '1+2=', completion: '<think>1+2=3</think><answer>3</answer>', solution: '3' },
      { prompt: '1+2=', completion: '<think></think><answer>4</answer>', solution: '3' },
    ]);
    expect(r.values).toEqual([1, 0]);
  });
});
