// The distill recipe in tiny settings through `aha run distill`: the shipped base model as teacher, a 1-layer dense
// student, every stage recorded and skipped on a re-run; a teacher made by GRPO from a random model keeps nothing
// and the recipe says so (exit 1); config errors name the key (exit 2).
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createByteLevelTokenizer, createModel, loadModel } from '@aha/core';
import { contentIdFor, readLabelSidecar } from '@aha/safety';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCliCaptured } from '../../cli/capture.js';
import { evaluateGreedy } from '../base-model/evaluate.js';
import { BASE_MODEL_CONFIG, heldOutProblems, TaskOptionsSchema } from '../base-model/pretrain.js';
import { readBaseModelRecord, SHIPPED_BASE_MODEL_DIR } from '../base-model/save.js';
import { readStages } from '../stages.js';
import { studentConfig } from './distill.js';

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'aha-distill-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const aha = (...argv: string[]) => runCliCaptured(argv, { cwd: dir });
const writeConfig = (name: string, value: unknown) => writeFileSync(join(dir, name), JSON.stringify(value));

const TINY = {
  teacherGrpoSteps: 0,
  prompts: 8,
  samplesPerPrompt: 2,
  student: { hiddenSize: 16, layers: 1, intermediateSize: 32, heads: 2 },
  sft: { maxSteps: 2, batchSize: 4 },
  evalProblems: 8,
};

describe('distill recipe (tiny settings)', () => {
  it('teacher → rejection sampling → dense student SFT → held-out accuracy of both; a re-run skips every stage', async () => {
    writeConfig('distill.json', { recipe: 'distill', model: 'tiny', outputDir: 'runs/d', distill: TINY });
    const r = await aha('run', 'distill.json', '--json');
    expect(r.code, r.stdout).toBe(0);
    const out = JSON.parse(r.stdout);
    expect(out).toMatchObject({ ok: true, recipe: 'distill', heldOutProblems: 8, studentSteps: 2 });
    expect(out.kept).toBeGreaterThan(0);
    expect(out.kept).toBeLessThanOrEqual(8); // at most one per prompt
    // The kept samples are correct and in the strict format.
    const kept = readFileSync(join(dir, 'runs/d/rejection/kept.jsonl'), 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    for (const k of kept)
      expect(k.completion).toMatch(new RegExp(`^<think>.*</think><answer>${k.solution}</answer>$`, 's'));
    // The generated data set carries its implicit AI-generated label (a sidecar with the file's hash).
    const label = await readLabelSidecar(join(dir, 'runs/d/rejection/kept.jsonl'));
    expect(label?.AIGC.ProduceID).toBe(contentIdFor(readFileSync(join(dir, 'runs/d/rejection/kept.jsonl'))));
    // Teacher accuracy is the shipped model's greedy accuracy on the same 8 held-out problems.
    const task = TaskOptionsSchema.parse({
      ...(await readBaseModelRecord(SHIPPED_BASE_MODEL_DIR)).task,
      evalProblems: 8,
    });
    const direct = await evaluateGreedy(await loadModel(SHIPPED_BASE_MODEL_DIR), heldOutProblems(task), {
      maxNewTokens: task.maxNewTokens,
    });
    expect(out.teacherAccuracy).toBe(direct.accuracy);
    expect(out.studentAccuracy).toBeGreaterThanOrEqual(0);
    // The recipe's SFT defaults apply where the config is silent (lr 3e-3, not the trainer's 1e-4).
    const sftLog = readFileSync(join(dir, 'runs/d/student-sft/metrics.jsonl'), 'utf8').trim().split('\n');
    expect(JSON.parse(sftLog[0]).lr).toBeGreaterThan(1e-3);
    // The student is dense: no MoE layer.
    const student = await loadModel(out.studentModel);
    expect(student.config.first_k_dense_replace).toBe(student.config.num_hidden_layers);
    expect(student.moeLayers()).toHaveLength(0);
    expect(student.config.hidden_size).toBe(16);

    const stages = await readStages(join(dir, 'runs/d'));
    expect(Object.keys(stages)).toEqual(['teacher', 'rejection', 'student-sft', 'evaluate']);
    expect(Object.values(stages).every((s) => s.status === 'done')).toBe(true);
    const again = await aha('run', 'distill.json');
    expect(again.code).toBe(0);
    expect(again.stderr.match(/already done \(stages\.json\), skipped/g)).toHaveLength(4);
    expect(again.stdout).toContain(`studentAccuracy: ${out.studentAccuracy}`);
    // A changed SFT setting reruns the student and, through its new output, the evaluation; not the teacher stages.
    writeConfig('distill.json', {
      recipe: 'distill',
      model: 'tiny',
      outputDir: 'runs/d',
      distill: { ...TINY, sft: { maxSteps: 3, batchSize: 4 } },
    });
    const changed = await aha('run', 'distill.json', '--json');
    expect(JSON.parse(changed.stdout)).toMatchObject({ ok: true, studentSteps: 3 });
    const after = await readStages(join(dir, 'runs/d'));
    expect(after.teacher.finishedAt).toBe(stages.teacher.finishedAt);
    expect(after.rejection.finishedAt).toBe(stages.rejection.finishedAt);
    expect(after['student-sft'].finishedAt).not.toBe(stages['student-sft'].finishedAt);
    expect(after.evaluate.finishedAt).not.toBe(stages.evaluate.finishedAt);
  });

  it('a teacher made by GRPO from a random model keeps no sample: exit 1 naming what to change', async () => {
    const base = join(dir, 'random-base');
    const model = createModel(
      { ...BASE_MODEL_CONFIG, hidden_size: 16, num_hidden_layers: 1, first_k_dense_replace: 1, intermediate_size: 16 },
      { seed: 3 },
    );
    await model.save(base);
    await createByteLevelTokenizer().save(base);
    const task = TaskOptionsSchema.parse({ minDigits: 1, maxDigits: 2, evalProblems: 2, maxNewTokens: 4 });
    writeFileSync(join(base, 'base-model.json'), JSON.stringify({ task, heldOutAccuracy: 0 }));
    writeConfig('random.json', {
      recipe: 'distill',
      model: './random-base',
      outputDir: 'runs/random',
      distill: {
        ...TINY,
        teacherGrpoSteps: 1,
        teacherGrpo: { promptsPerStep: 2, groupSize: 2 },
        teacherTrainProblems: 10,
      },
    });
    const run = await aha('run', 'random.json');
    expect(run.code, run.stderr).toBe(1);
    expect(run.stderr).toContain('rejection sampling kept none of 16 teacher samples');
    const stages = await readStages(join(dir, 'runs/random'));
    expect(stages.teacher.status).toBe('done');
    expect((stages.teacher.output as { modelDir: string }).modelDir).toBe(join(dir, 'runs/random/teacher/grpo/final'));
  });

  it('config errors name the key; the student config is the teacher one made dense', async () => {
    writeConfig('bad.json', { recipe: 'distill', distill: { prompts: 0, student: { layers: 'two' }, teachr: 'x' } });
    const r = await aha('run', 'bad.json');
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('bad.json: distill.prompts: must be > 0, got 0');
    expect(r.stderr).toContain('bad.json: distill.student.layers: expected number, got "two"');
    expect(r.stderr).toContain('bad.json: distill.teachr: unknown key');
    const c = studentConfig({ ...BASE_MODEL_CONFIG }, { hiddenSize: 32, layers: 2, intermediateSize: 64, heads: 2 });
    expect(c).toMatchObject({
      first_k_dense_replace: 2,
      num_hidden_layers: 2,
      vocab_size: BASE_MODEL_CONFIG.vocab_size,
    });
  });
});
