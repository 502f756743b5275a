/**
 * Test cases for generated code and how their outcomes are judged, shared by the JavaScript and Python sandboxes.
 * Two kinds, as in open-r1 / APPS-style datasets: stdin → stdout, and assertion code run after the program (in its
 * global scope) that throws (JS) / raises (Python) when the test fails.
 *
 * Leaves out: special judges (float tolerance, any-order output); compare in an `assert` test where that is needed.
 */
import { z } from 'zod';

export const TestCase = z.union([
  z.object({
    input: z.string().default('').describe('Text the program reads on stdin (JS: readline() / input).'),
    output: z.string().describe('Expected stdout; compared line by line, trailing whitespace ignored.'),
  }),
  z.object({
    assert: z
      .string()
      .describe(
        'Code run after the program, in its global scope, that throws (JS) / raises (Python) when the test fails.',
      ),
  }),
]);
export type TestCase = z.input<typeof TestCase>;

/** How one test ended. Only `pass` counts towards the reward. */
export interface TestRun {
  status: 'pass' | 'fail' | 'error' | 'timeout' | 'memory';
  message?: string;
}

/** Sandbox limits per test. */
export interface SandboxLimits {
  /** Wall-clock milliseconds per test. */
  timeoutMs: number;
  /** Memory cap in bytes (QuickJS heap / Python address space). */
  memoryBytes: number;
  /** Stdout beyond this many bytes fails the test (guards against print floods). */
  maxOutputBytes: number;
  /** Python: processes and threads the sandbox may hold at once (`RLIMIT_NPROC`); 32 when left out. */
  maxProcesses?: number;
  /** Python: largest file the program may write (`RLIMIT_FSIZE`), bytes; 1 MiB when left out. */
  fileBytes?: number;
  /** Python under bwrap: size of the private /tmp tmpfs, bytes; 64 MiB when left out. */
  tmpfsBytes?: number;
}

/** Stdout equality modulo trailing whitespace on each line and trailing blank lines. */
export function sameOutput(actual: string, expected: string): boolean {
  const norm = (s: string) =>
    s
      .replace(/\r\n/g, '\n')
      .split('\n')
      .map((l) => l.trimEnd())
      .join('\n')
      .replace(/\n+$/, '');
  return norm(actual) === norm(expected);
}

/**
 * Judges an output test by its stdout. Assert tests have no such judgement here: each sandbox decides them from its own
 * evidence (the QuickJS host sees the test function return; the Python harness sends a nonce), never from output or
 * exit status, which the solution controls.
 */
export function judgeOutput(test: TestCase, stdout: string): TestRun {
  if (!('output' in test)) return { status: 'error', message: 'judgeOutput: an assert test has no expected output' };
  return sameOutput(stdout, test.output)
    ? { status: 'pass' }
    : {
        status: 'fail',
        message: `expected ${JSON.stringify(test.output.slice(0, 80))}, got ${JSON.stringify(stdout.slice(0, 80))}`,
      };
}
