/**
 * codeReward: accuracy for code (DeepSeek-R1 §2.2.2: "for LeetCode problems, a compiler can be used to generate
 * feedback based on predefined test cases"). Takes the last ```js / ```python fenced block of the answer part (inside
 * `<answer>`, else after `</think>`), runs it against the sample's `tests` column and scores the fraction of tests
 * passed (open-r1 `code_reward`), or 1/0 with `scoring: 'all'`.
 *
 * JavaScript runs in QuickJS/WASM (js-sandbox.ts: heap + time limits, no host access). Python runs in a bubblewrap
 * sandbox (python-sandbox.ts); where bwrap is missing or cannot create its namespaces, Python samples fail with the
 * SandboxUnavailableError's message (how to install it) unless the reward was built with `sandbox: 'none'`, which runs
 * Python unsandboxed and says so through the reward logger. When python3 is missing, Python samples are reported as
 * errors (`ctx.fail`), never as 0. docs/concepts/sandbox.md states what is and is not a boundary.
 *
 * Pass/fail comes from each sandbox's own evidence, never from the program's exit status: the QuickJS host sees the
 * test function return; the Python harness writes a per-run nonce the solution cannot read (python-harness.ts).
 *
 * The runner's per-sample limit must cover all of a sample's tests: set `scoreRewards(..., { timeoutMs })` to at least
 * tests × `timeoutMs` here.
 *
 * Leaves out: languages other than JS and Python, compiled languages, partial credit inside a test.
 */
import { AhaError } from '@aha/errors';
import { z } from 'zod';
import { defineReward, type Reward, type RewardContext, textOf } from '../../reward.js';
import { answerPart, codeBlocks } from '../../text.js';
import { runJavaScriptTests } from './js-sandbox.js';
import {
  type PythonEnvironment,
  type PythonIsolation,
  pythonEnvironment,
  runPythonTests,
  SandboxUnavailableError,
} from './python-sandbox.js';
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
  maxProcesses: z
    .number()
    .int()
    .positive()
    .default(32)
    .describe('Python: processes + threads the sandbox may hold at once (RLIMIT_NPROC in its user namespace).'),
  sandbox: z
    .enum(['bwrap', 'none'])
    .default('bwrap')
    .describe(
      'Python isolation: "bwrap" (bubblewrap; refuses to run Python where it is unavailable) or "none" (no isolation ' +
        'at all: the code runs as your user; a warning is logged). See docs/concepts/sandbox.md.',
    ),
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
  sandbox: PythonIsolation = 'bwrap',
): Promise<TestRun[]> {
  if (language === 'javascript') return runJavaScriptTests(code, tests, limits);
  return runPythonTests(code, tests, limits, requirePython(sandbox));
}

/** The Python environment for `sandbox`; throws SandboxUnavailableError, or an AhaError when python3 is missing. */
function requirePython(sandbox: PythonIsolation): PythonEnvironment {
  const env = pythonEnvironment(sandbox);
  if (!env)
    throw new AhaError('config', 'python3 (3.8 or later) is not available on this machine, cannot run Python tests');
  return env;
}

/** Code accuracy reward (see the file comment). */
export function codeReward(options: CodeOptions = {}): Reward {
  const o = CodeOptions.parse(options);
  const limits: SandboxLimits = {
    timeoutMs: o.timeoutMs,
    memoryBytes: o.memoryBytes,
    maxOutputBytes: o.maxOutputBytes,
    maxProcesses: o.maxProcesses,
  };
  let warned = false;
  /** Said once per reward: how Python is isolated (loudly when it is not). */
  const announce = (ctx: RewardContext) => {
    if (warned) return;
    warned = true;
    let env: PythonEnvironment | undefined;
    try {
      env = pythonEnvironment(o.sandbox);
    } catch (err) {
      if (err instanceof SandboxUnavailableError)
        ctx.logger.warn(`${o.name}: Python samples cannot run: ${err.message}`);
      return;
    }
    if (!env) return;
    if (env.isolation === 'none')
      ctx.logger.warn(
        `${o.name}: sandbox 'none': generated Python runs UNSANDBOXED as this user (${env.executable}) with rlimits ` +
          'only; it can read and write your files, reach the network and host sockets, and signal your processes ' +
          '(the trainer included). Use it only for code you trust. See docs/concepts/sandbox.md.',
        { executable: env.executable },
      );
    else {
      ctx.logger.info(`${o.name}: Python ${env.version} (${env.executable}) runs in bubblewrap`, {
        uid: env.uid,
        processLimit: env.processLimit,
      });
      if (!env.processLimit)
        ctx.logger.warn(
          `${o.name}: bwrap runs as root here (unprivileged user namespaces are unavailable), so the process-count ` +
            'limit (RLIMIT_NPROC) does not hold in the sandbox: a fork bomb is only stopped by the time limit',
        );
    }
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
            if (solution.language === 'python') announce(ctx);
            const runs = await runCodeTests(solution.language, solution.code, tests, limits, o.sandbox);
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
