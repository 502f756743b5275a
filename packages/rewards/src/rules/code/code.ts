/**
 * codeReward: accuracy for code (DeepSeek-R1 §2.2.2: "for LeetCode problems, a compiler can be used to generate
 * feedback based on predefined test cases"). Takes the last ```js / ```python fenced block of the answer part (inside
 * `<answer>`, else after `</think>`), runs it against the sample's `tests` column and scores the fraction of tests
 * passed (open-r1 `code_reward`), or 1/0 with `scoring: 'all'`.
 *
 * JavaScript runs in QuickJS/WASM (js-sandbox.ts: heap + time limits, no host access). Python runs in a subprocess
 * under rlimits (python-sandbox.ts, whose header says exactly what that does and does not isolate); when python3 is
 * missing, Python samples are reported as errors (`ctx.fail`), never as 0.
 *
 * The runner's per-sample limit must cover all of a sample's tests: set `scoreRewards(..., { timeoutMs })` to at least
 * tests × `timeoutMs` here.
 *
 * Leaves out: languages other than JS and Python, compiled languages, partial credit inside a test.
 */
import { z } from 'zod';
import { defineReward, type Reward, textOf } from '../../reward.js';
import { answerPart, codeBlocks } from '../../text.js';
import { runJavaScriptTests } from './js-sandbox.js';
import { pythonEnvironment, runPythonTests } from './python-sandbox.js';
import { type SandboxLimits, TestCase, type TestRun } from './tests.js';

export type CodeLanguage = 'javascript' | 'python';

const ALIASES: Record<string, CodeLanguage> = {
  js: 'javascript',
  javascript: 'javascript',
  mjs: 'javascript',
  node: 'javascript',
  py: 'python',
  python: 'python',
  python3: 'python',
};

export const CodeOptions = z.object({
  column: z.string().default('tests').describe('Dataset column holding the test cases.'),
  languages: z
    .array(z.enum(['javascript', 'python']))
    .default(['javascript', 'python'])
    .describe('Languages accepted in the answer fence; a sample column `language` narrows it per sample.'),
  scoring: z
    .enum(['fraction', 'all'])
    .default('fraction')
    .describe('"fraction": passed / total (open-r1); "all": 1 only when every test passes.'),
  timeoutMs: z.number().int().positive().default(2000).describe('Wall-clock limit per test, ms.'),
  memoryBytes: z
    .number()
    .int()
    .positive()
    .default(256 * 1024 * 1024)
    .describe('Memory cap per test: QuickJS heap, Python address space (bytes).'),
  maxOutputBytes: z
    .number()
    .int()
    .positive()
    .default(1 << 20)
    .describe('Stdout cap per test (bytes).'),
  concurrency: z.number().int().positive().default(2).describe('Samples run at once.'),
  name: z.string().default('code').describe('Reward name (metric key).'),
});
export type CodeOptions = z.input<typeof CodeOptions>;

/** The solution to run: the last fenced block in an accepted language within the answer part. */
export function extractCode(
  completion: string,
  languages: readonly CodeLanguage[],
): { language: CodeLanguage; code: string } | undefined {
  const blocks = codeBlocks(answerPart(completion));
  for (let i = blocks.length - 1; i >= 0; i--) {
    const language = ALIASES[blocks[i].language];
    if (language && languages.includes(language)) return { language, code: blocks[i].code };
  }
  return undefined;
}

/** Runs one solution against its tests in the sandbox for its language. */
export async function runCodeTests(
  language: CodeLanguage,
  code: string,
  tests: readonly TestCase[],
  limits: SandboxLimits,
): Promise<TestRun[]> {
  if (language === 'javascript') return runJavaScriptTests(code, tests, limits);
  const env = pythonEnvironment();
  if (!env) throw new Error('python3 is not available on this machine, cannot run Python tests');
  return runPythonTests(code, tests, limits, env);
}

/** Code accuracy reward (see the file comment). */
export function codeReward(options: CodeOptions = {}): Reward {
  const o = CodeOptions.parse(options);
  const limits: SandboxLimits = {
    timeoutMs: o.timeoutMs,
    memoryBytes: o.memoryBytes,
    maxOutputBytes: o.maxOutputBytes,
  };
  return defineReward({
    name: o.name,
    columns: z.object({ [o.column]: z.array(TestCase).min(1), language: z.enum(['javascript', 'python']).optional() }),
    async score(samples, ctx) {
      const values: (number | null)[] = new Array(samples.length).fill(null);
      let next = 0;
      const lane = async () => {
        while (next < samples.length) {
          const i = next++;
          ctx.signal.throwIfAborted();
          const sample = samples[i];
          const allowed = sample.language ? [sample.language as CodeLanguage] : o.languages;
          const solution = extractCode(textOf(sample.completion), allowed);
          if (!solution) {
            values[i] = 0; // no runnable code in the answer: the model failed this sample
            ctx.logger.debug(`${o.name}: sample ${i} has no \`\`\`${allowed.join('/')} block in its answer`);
            continue;
          }
          const tests = sample[o.column] as TestCase[];
          try {
            const runs = await runCodeTests(solution.language, solution.code, tests, limits);
            const passed = runs.filter((r) => r.status === 'pass').length;
            values[i] = o.scoring === 'all' ? (passed === tests.length ? 1 : 0) : passed / tests.length;
            ctx.logger.debug(`${o.name}: sample ${i} passed ${passed}/${tests.length}`, { runs });
          } catch (err) {
            ctx.fail(i, (err as Error).message);
          }
        }
      };
      await Promise.all(Array.from({ length: Math.min(o.concurrency, samples.length) }, lane));
      return values;
    },
  });
}
