/**
 * Runs generated Python in a subprocess under resource limits. What it does, honestly:
 * - a fresh `python3 -I -S -B` (isolated mode: no user site, no PYTHON* env, no cwd on sys.path) in an empty temp
 *   directory, with a minimal environment;
 * - before the solution runs, the harness sets rlimits with `resource.setrlimit` (the preexec step): address space
 *   (`memoryBytes`), CPU seconds, file size (1 MiB), core dumps off, open files (64), processes (0 — not enforced
 *   for root, which the kernel exempts);
 * - a wall-clock timeout kills the whole process group (SIGKILL);
 * - network: when `unshare --net --map-root-user` works on this machine the process runs in an empty network namespace
 *   (no interfaces but a down loopback); otherwise `socket.socket` is replaced by a stub that raises, which stops
 *   honest code but not a determined attacker (ctypes, `_socket`).
 * This is not a security boundary against hostile code: the solution can read files readable by this user and use
 * its CPU share until the limits hit. For untrusted code at scale, run it in a container / gVisor / a remote sandbox
 * (as open-r1 does with E2B / Piston).
 *
 * Leaves out: seccomp filters, a read-only root (needs a mount namespace + an image), Python versions other than the
 * first `python3` on PATH.
 */
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { judgeOutput, programFor, type SandboxLimits, type TestCase, type TestRun } from './tests.js';

/** How the Python process was isolated from the network: a network namespace, or the in-process socket stub only. */
export type PythonIsolation = 'netns' | 'socket-stub';

/** The interpreter and isolation available here; `undefined` when python3 is not found. */
export interface PythonEnvironment {
  executable: string;
  isolation: PythonIsolation;
}

let cached: PythonEnvironment | null | undefined;

/** Finds python3 (its real executable, past shims) and probes whether `unshare --net` works. Cached per process. */
export function pythonEnvironment(): PythonEnvironment | undefined {
  if (cached !== undefined) return cached ?? undefined;
  const probe = spawnSync('python3', ['-c', 'import sys, resource; print(sys.executable)'], {
    encoding: 'utf8',
    timeout: 10_000,
  });
  const executable = probe.status === 0 ? probe.stdout.trim() : '';
  if (!executable) {
    cached = null;
    return undefined;
  }
  const netns = spawnSync('unshare', ['--net', '--map-root-user', executable, '-c', 'pass'], { timeout: 10_000 });
  cached = { executable, isolation: netns.status === 0 ? 'netns' : 'socket-stub' };
  return cached;
}

// Runs in the child: set rlimits, stub sockets, then exec the solution as __main__.
const HARNESS = `
import resource, sys
def _lim(kind, value):
    try:
        resource.setrlimit(kind, (value, value))
    except (ValueError, OSError):
        pass
_mem, _cpu = int(sys.argv[2]), int(sys.argv[3])
_lim(resource.RLIMIT_AS, _mem)
_lim(resource.RLIMIT_CPU, _cpu)
_lim(resource.RLIMIT_FSIZE, 1 << 20)
_lim(resource.RLIMIT_CORE, 0)
_lim(resource.RLIMIT_NOFILE, 64)
_lim(resource.RLIMIT_NPROC, 0)
import socket
def _no_network(*args, **kwargs):
    raise OSError("network access is disabled in the aha sandbox")
socket.socket = _no_network
socket.create_connection = _no_network
_path = sys.argv[1]
with open(_path) as _f:
    _src = _f.read()
sys.argv = ["solution.py"]
del _lim, _mem, _cpu, _f, _path, _no_network
exec(compile(_src, "solution.py", "exec"), {"__name__": "__main__", "__builtins__": __builtins__})
`;

/** Runs `code` against every test, one fresh process per test, in order. */
export async function runPythonTests(
  code: string,
  tests: readonly TestCase[],
  limits: SandboxLimits,
  env: PythonEnvironment,
): Promise<TestRun[]> {
  const dir = mkdtempSync(join(tmpdir(), 'aha-py-'));
  try {
    const runs: TestRun[] = [];
    for (const test of tests) {
      const file = join(dir, 'solution.py');
      writeFileSync(file, programFor(code, test));
      runs.push(await runOne(env, dir, file, 'input' in test ? (test.input ?? '') : '', test, limits));
    }
    return runs;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

function runOne(
  env: PythonEnvironment,
  dir: string,
  file: string,
  input: string,
  test: TestCase,
  limits: SandboxLimits,
): Promise<TestRun> {
  const cpuSeconds = String(Math.max(1, Math.ceil(limits.timeoutMs / 1000)));
  const python = [env.executable, '-I', '-S', '-B', '-c', HARNESS, file, String(limits.memoryBytes), cpuSeconds];
  const [command, ...args] = env.isolation === 'netns' ? ['unshare', '--net', '--map-root-user', ...python] : python;
  return new Promise((resolve) => {
    let child: ChildProcess;
    try {
      child = spawn(command, args, {
        cwd: dir,
        env: { PATH: '/usr/bin:/bin', HOME: dir, LANG: 'C.UTF-8', PYTHONHASHSEED: '0' },
        detached: true, // own process group, so a timeout kills everything the solution started
        stdio: ['pipe', 'pipe', 'pipe'],
      });
    } catch (err) {
      resolve({ status: 'error', message: `cannot start python: ${(err as Error).message}` });
      return;
    }
    let stdout = '';
    let stderr = '';
    let verdict: TestRun | undefined;
    const kill = (run: TestRun) => {
      verdict ??= run;
      try {
        process.kill(-child.pid!, 'SIGKILL');
      } catch {
        // already gone
      }
    };
    const timer = setTimeout(() => kill({ status: 'timeout', message: 'time limit' }), limits.timeoutMs);
    child.stdout!.setEncoding('utf8').on('data', (chunk: string) => {
      stdout += chunk;
      if (stdout.length > limits.maxOutputBytes)
        kill({ status: 'fail', message: `more than ${limits.maxOutputBytes} bytes of output` });
    });
    child.stderr!.setEncoding('utf8').on('data', (chunk: string) => {
      if (stderr.length < 4096) stderr += chunk;
    });
    child.stdin!.on('error', () => {}); // the program may exit without reading its input
    child.stdin!.end(input);
    child.on('error', (err) => {
      clearTimeout(timer);
      resolve({ status: 'error', message: `python: ${err.message}` });
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      if (verdict) return resolve(verdict);
      if (signal === 'SIGXCPU' || signal === 'SIGKILL')
        return resolve({ status: 'timeout', message: `killed by ${signal}` });
      if (code !== 0) {
        const last = stderr.trim().split('\n').at(-1) ?? '';
        if (/MemoryError/.test(last)) return resolve({ status: 'memory', message: 'memory limit' });
        return resolve({ status: 'error', message: last || `exit code ${code}` });
      }
      resolve(judgeOutput(test, stdout));
    });
  });
}
