/**
 * Test cases for generated code and how their outcomes are judged, shared by the JavaScript and Python sandboxes.
 * Two kinds, as in open-r1 / APPS-style datasets: stdin → stdout, and assertion code appended to the program.
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
    assert: z.string().describe('Code appended to the program that throws (JS) / raises (Python) when the test fails.'),
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

/** The program a test runs: the solution, then the assertion code for `assert` tests. */
export function programFor(code: string, test: TestCase): string {
  return 'assert' in test ? `${code}\n${test.assert}\n` : code;
}

export function judgeOutput(test: TestCase, stdout: string): TestRun {
  if ('assert' in test) return { status: 'pass' };
  return sameOutput(stdout, test.output)
    ? { status: 'pass' }
    : {
        status: 'fail',
        message: `expected ${JSON.stringify(test.output.slice(0, 80))}, got ${JSON.stringify(stdout.slice(0, 80))}`,
      };
}
