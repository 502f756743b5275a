/**
 * Runs the `aha` CLI in-process with its output captured, for tests (and for programs that drive the CLI and want
 * its text): `runCliCaptured(['run', 'r1-zero', '--json'], { cwd })` → `{ code, stdout, stderr }`. Plain lines, no
 * progress bars (CI=true), like a CI log.
 */
import { Writable } from 'node:stream';
import { runCli } from './main.js';

/** A stream that records what is written; `onText` sees the whole text so far after each write. */
export function textSink(onText?: (text: string) => void): Writable & { text: () => string } {
  const chunks: string[] = [];
  const stream = new Writable({
    write(c, _e, cb) {
      chunks.push(String(c));
      onText?.(chunks.join(''));
      cb();
    },
  }) as Writable & { text: () => string };
  stream.text = () => chunks.join('');
  return stream;
}

/** Runs `aha <argv>` in `cwd`; `onStderr` sees stderr as it grows (e.g. to send a signal after a given line). */
export async function runCliCaptured(
  argv: string[],
  opts: { cwd: string; onStderr?: (text: string) => void },
): Promise<{ code: number; stdout: string; stderr: string }> {
  const stdout = textSink();
  const stderr = textSink(opts.onStderr);
  const code = await runCli(argv, { stdout, stderr, cwd: opts.cwd, env: { CI: 'true' } });
  return { code, stdout: stdout.text(), stderr: stderr.text() };
}
