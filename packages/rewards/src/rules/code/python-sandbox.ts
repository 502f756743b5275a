/**
 * Runs generated Python in a bubblewrap sandbox (docs/concepts/sandbox.md says exactly what is and is not a boundary).
 *
 * `bwrap` gives the interpreter new user, PID, mount, network, IPC, UTS (and cgroup, where available) namespaces, no
 * further user namespaces, no capabilities, a new session (no terminal), a clear environment and a file system of
 * read-only binds (`/usr`, the `/bin` `/lib*` links, the Python installation, the dynamic loader cache) plus a private
 * tmpfs at `/tmp` as the only writable place. There is no `/proc`, no `/run`, no host `/tmp`, no `/dev/shm`: no host
 * socket can be reached by path, and the network namespace has no interface but a down loopback. When this process is
 * root, bwrap runs as `nobody` (uid 65534) so that `RLIMIT_NPROC` applies (the kernel exempts real uid 0 from it) and
 * nothing in the sandbox is root outside it. Limits per test: wall clock (`timeoutMs`; the whole sandbox is killed),
 * CPU seconds and address space (`RLIMIT_CPU`, `RLIMIT_AS`), file size, open files, processes (`RLIMIT_NPROC`, counted
 * in the sandbox's own user namespace) and output bytes. Killing bwrap kills the sandbox: with `--die-with-parent` its
 * PID-namespace init gets SIGKILL, and the kernel then kills every process in the namespace, `setsid` daemons included.
 *
 * The pass/fail verdict comes from the harness (python-harness.ts) over fd 3 with a per-run nonce, never from the exit
 * status or stdout alone.
 *
 * `sandbox: 'none'` runs the same harness as a plain subprocess with the same rlimits, in a temp folder, as this
 * process's user: no boundary at all (documented, and warned about by codeReward).
 *
 * Leaves out: seccomp filters, cgroup memory/pids controllers (rlimits are per process), interpreters other than
 * CPython 3.8+.
 */
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, lstatSync, mkdtempSync, readlinkSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { AhaError } from '@aha/errors';
import { HARNESS } from './python-harness.js';
import { judgeOutput, type SandboxLimits, type TestCase, type TestRun } from './tests.js';

/** How generated Python is isolated: a bubblewrap sandbox, or none (an explicit opt-out). */
export type PythonIsolation = 'bwrap' | 'none';

/** The interpreter and the sandbox found on this machine. */
export interface PythonEnvironment {
  /** Real path of the interpreter (past pyenv / venv shims). */
  executable: string;
  /** `major.minor.micro`. */
  version: string;
  isolation: PythonIsolation;
  /** Directories bound read-only into the sandbox for the interpreter (its prefixes outside `/usr`). */
  prefixes: string[];
  /** uid/gid bwrap runs as; undefined: this process's own. */
  uid?: number;
  gid?: number;
  /** Whether `RLIMIT_NPROC` holds: false where the sandboxed processes are root outside (the kernel exempts uid 0). */
  processLimit: boolean;
  /** The bwrap executable. */
  bwrap?: string;
  /** bwrap supports `--size` (tmpfs cap) and `--disable-userns` (0.8+). */
  bwrapFeatures?: { size: boolean; disableUserns: boolean };
}

/** Where bubblewrap is missing or cannot create its namespaces here; the message says how to fix it. */
export class SandboxUnavailableError extends AhaError {
  constructor(
    message: string,
    /** One line per configuration tried and why it failed. */
    readonly attempts: readonly string[],
  ) {
    super('config', message);
    this.name = 'SandboxUnavailableError';
  }
}

const NOBODY = 65534;
/** How to install bubblewrap, for error messages and docs. */
export const BWRAP_INSTALL_HINT =
  'install bubblewrap (`npm run setup:sandbox`, or `apt-get install bubblewrap` / `dnf install bubblewrap`) and allow ' +
  'unprivileged user namespaces (sysctl kernel.unprivileged_userns_clone=1 on older Debian, ' +
  'kernel.apparmor_restrict_unprivileged_userns=0 on Ubuntu 24.04+), or opt out with codeReward({ sandbox: "none" }) ' +
  '(no isolation at all)';

interface PythonInstall {
  executable: string;
  version: string;
  prefixes: string[];
}

const cache = new Map<string, PythonEnvironment | SandboxUnavailableError | null>();

/**
 * Finds python3 and, for `'bwrap'`, a way to run it in bubblewrap here (probed once per process, cached). Answers
 * undefined when no python3 (3.8+) is found; throws SandboxUnavailableError when bwrap is missing or cannot create
 * its namespaces. `options.bwrap` names the bwrap executable (default: `bwrap` on PATH).
 */
export function pythonEnvironment(
  sandbox: PythonIsolation = 'bwrap',
  options: { bwrap?: string } = {},
): PythonEnvironment | undefined {
  const bwrap = options.bwrap ?? 'bwrap';
  const key = `${sandbox}:${bwrap}`;
  if (!cache.has(key)) cache.set(key, probe(sandbox, bwrap));
  const found = cache.get(key);
  if (found instanceof SandboxUnavailableError) throw found;
  return found ?? undefined;
}

function probe(sandbox: PythonIsolation, bwrap: string): PythonEnvironment | SandboxUnavailableError | null {
  const installs = findPythons();
  if (installs.length === 0) return null;
  if (sandbox === 'none') {
    const uid = process.getuid?.();
    return { ...installs[0], isolation: 'none', processLimit: uid !== 0 };
  }
  const help = spawnSync(bwrap, ['--help'], { encoding: 'utf8', timeout: 10_000 });
  if (help.error || help.status !== 0)
    return new SandboxUnavailableError(
      `the Python sandbox needs bubblewrap (${bwrap}), which is not installed here: ${BWRAP_INSTALL_HINT}`,
      [`${bwrap} --help: ${help.error?.message ?? `exit ${help.status}`}`],
    );
  const features = { size: /--size\b/.test(help.stdout), disableUserns: /--disable-userns\b/.test(help.stdout) };
  // As root, prefer running bwrap as nobody (process limits hold, nothing is root outside); else as ourselves.
  const root = process.getuid?.() === 0;
  const identities: ({ uid: number; gid: number } | undefined)[] = root
    ? [{ uid: NOBODY, gid: NOBODY }, undefined]
    : [undefined];
  const attempts: string[] = [];
  for (const who of identities)
    for (const install of installs) {
      const env: PythonEnvironment = {
        ...install,
        isolation: 'bwrap',
        ...who,
        processLimit: !root || who !== undefined,
        bwrap,
        bwrapFeatures: features,
      };
      const run = spawnSync(bwrap, [...bwrapArgs(env), install.executable, '-I', '-S', '-B', '-c', 'print("aha-ok")'], {
        encoding: 'utf8',
        timeout: 10_000,
        env: {},
        uid: who?.uid,
        gid: who?.gid,
      });
      if (run.status === 0 && run.stdout.trim() === 'aha-ok') return env;
      const why = (run.stderr || run.error?.message || `exit ${run.status}`).trim().split('\n').at(-1);
      attempts.push(`bwrap as ${who ? `uid ${who.uid}` : 'this user'} with ${install.executable}: ${why}`);
    }
  return new SandboxUnavailableError(
    `bubblewrap is installed but cannot create a sandbox here (${attempts.join('; ')}): ${BWRAP_INSTALL_HINT}`,
    attempts,
  );
}

/** python3 on PATH (its real executable and prefixes), then /usr/bin/python3 when that is another interpreter. */
function findPythons(): PythonInstall[] {
  const script =
    'import json, os, sys; print(json.dumps([os.path.realpath(sys.executable), "%d.%d.%d" % sys.version_info[:3], ' +
    'sys.version_info >= (3, 8), sorted({os.path.realpath(p) for p in (sys.prefix, sys.base_prefix, sys.exec_prefix, ' +
    'sys.base_exec_prefix)})]))';
  const found: PythonInstall[] = [];
  for (const candidate of ['python3', '/usr/bin/python3']) {
    const run = spawnSync(candidate, ['-I', '-S', '-c', script], { encoding: 'utf8', timeout: 10_000 });
    if (run.status !== 0) continue;
    const [executable, version, supported, prefixes] = JSON.parse(run.stdout) as [string, string, boolean, string[]];
    if (!supported || found.some((f) => f.executable === executable)) continue;
    found.push({ executable, version, prefixes: prefixes.filter((p) => p !== '/usr' && !p.startsWith('/usr/')) });
  }
  return found;
}

/** bwrap arguments up to the command (see the file comment for what each part is for). */
export function bwrapArgs(env: PythonEnvironment, tmpfsBytes = 64 * 1024 * 1024): string[] {
  const args = [
    '--unshare-user',
    '--unshare-pid',
    '--unshare-net',
    '--unshare-ipc',
    '--unshare-uts',
    '--unshare-cgroup-try',
    '--die-with-parent',
    '--new-session',
    '--cap-drop',
    'ALL',
    '--clearenv',
    '--setenv',
    'PATH',
    '/usr/bin:/bin',
    '--setenv',
    'HOME',
    '/tmp',
    '--setenv',
    'LANG',
    'C.UTF-8',
    '--setenv',
    'PYTHONHASHSEED',
    '0',
    '--hostname',
    'sandbox',
    '--ro-bind',
    '/usr',
    '/usr',
  ];
  if (env.bwrapFeatures?.disableUserns) args.push('--disable-userns');
  for (const top of ['/bin', '/sbin', '/lib', '/lib32', '/lib64', '/libx32']) {
    if (!existsSync(top)) continue;
    const stat = lstatSync(top);
    if (stat.isSymbolicLink()) args.push('--symlink', readlinkSync(top), top);
    else if (stat.isDirectory()) args.push('--ro-bind', top, top);
  }
  for (const file of ['/etc/ld.so.cache', '/etc/ld.so.conf', '/etc/ld.so.conf.d', '/etc/localtime'])
    args.push('--ro-bind-try', file, file);
  for (const prefix of env.prefixes) args.push('--ro-bind', prefix, prefix);
  args.push('--dev', '/dev');
  if (env.bwrapFeatures?.size) args.push('--size', String(tmpfsBytes));
  args.push('--tmpfs', '/tmp', '--remount-ro', '/', '--chdir', '/tmp');
  return args;
}

/** Runs `code` against every test, one fresh sandbox per test, in order. */
export async function runPythonTests(
  code: string,
  tests: readonly TestCase[],
  limits: SandboxLimits,
  env: PythonEnvironment,
): Promise<TestRun[]> {
  const runs: TestRun[] = [];
  for (const test of tests) runs.push(await runOne(env, code, test, limits));
  return runs;
}

/** Bytes of stderr kept for messages. */
const STDERR_KEEP = 4096;
/** How long to wait for the streams to close once the sandbox exited (an unsandboxed escaped child may hold them). */
const CLOSE_GRACE_MS = 500;

function runOne(env: PythonEnvironment, code: string, test: TestCase, limits: SandboxLimits): Promise<TestRun> {
  const nonce = randomBytes(16).toString('hex');
  const kind = 'assert' in test ? 'assert' : 'output';
  const job = `${JSON.stringify({ nonce, kind, solution: code, test: 'assert' in test ? test.assert : '' })}\n`;
  const input = 'input' in test ? (test.input ?? '') : '';
  const cpuSeconds = Math.max(1, Math.ceil(limits.timeoutMs / 1000));
  const fileBytes = limits.fileBytes ?? 1 << 20;
  const processes = env.processLimit ? (limits.maxProcesses ?? 32) : 0;
  const python = [
    env.executable,
    '-I',
    '-S',
    '-B',
    '-c',
    HARNESS,
    String(limits.memoryBytes),
    String(cpuSeconds),
    String(fileBytes),
    '64',
    String(processes),
  ];
  let dir: string | undefined;
  let command: string;
  let args: string[];
  if (env.isolation === 'bwrap') {
    [command, args] = [env.bwrap ?? 'bwrap', [...bwrapArgs(env, limits.tmpfsBytes), ...python]];
  } else {
    dir = mkdtempSync(join(tmpdir(), 'aha-py-'));
    [command, ...args] = python;
  }
  return new Promise<TestRun>((resolve) => {
    let child: ChildProcess;
    try {
      child = spawn(command, args, {
        cwd: dir ?? '/',
        env:
          env.isolation === 'bwrap' ? {} : { PATH: '/usr/bin:/bin', HOME: dir, LANG: 'C.UTF-8', PYTHONHASHSEED: '0' },
        uid: env.uid,
        gid: env.gid,
        detached: true, // own process group: a kill reaches bwrap (and, unsandboxed, what stayed in the group)
        stdio: ['pipe', 'pipe', 'pipe', 'pipe'],
      });
    } catch (err) {
      resolve({ status: 'error', message: `cannot start ${command}: ${(err as Error).message}` });
      return;
    }
    const channel = child.stdio[3] as Readable & { write(data: string): boolean };
    let stdout = '';
    let stderr = '';
    let verdictText = '';
    let limitHit: TestRun | undefined;
    let exited: { code: number | null; signal: NodeJS.Signals | null } | undefined;
    let settled = false;
    const killGroup = () => {
      try {
        process.kill(-child.pid!, 'SIGKILL');
      } catch {
        // already gone
      }
    };
    const stop = (run: TestRun) => {
      limitHit ??= run;
      killGroup();
    };
    const timer = setTimeout(() => stop({ status: 'timeout', message: 'time limit' }), limits.timeoutMs);
    let grace: NodeJS.Timeout | undefined;
    const done = () => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      clearTimeout(grace);
      if (dir) rmSync(dir, { recursive: true, force: true });
      resolve(judge());
    };
    child.stdout!.setEncoding('utf8').on('data', (chunk: string) => {
      stdout += chunk;
      if (stdout.length > limits.maxOutputBytes)
        stop({ status: 'fail', message: `more than ${limits.maxOutputBytes} bytes of output` });
    });
    child.stderr!.setEncoding('utf8').on('data', (chunk: string) => {
      if (stderr.length < STDERR_KEEP) stderr += chunk;
    });
    channel.setEncoding('utf8').on('data', (chunk: string) => {
      if (verdictText.length < STDERR_KEEP) verdictText += chunk;
    });
    channel.on('error', () => {});
    channel.write(job);
    child.stdin!.on('error', () => {}); // the program may exit without reading its input
    child.stdin!.end(input);
    child.on('error', (err) => {
      limitHit ??= { status: 'error', message: `${command}: ${err.message}` };
      done();
    });
    child.on('exit', (code, signal) => {
      exited = { code, signal };
      killGroup(); // unsandboxed: whatever the program left in its process group
      grace = setTimeout(() => {
        for (const stream of [child.stdout, child.stderr, channel]) stream?.destroy();
        done();
      }, CLOSE_GRACE_MS);
    });
    child.on('close', done);

    function judge(): TestRun {
      if (limitHit) return limitHit;
      if (verdictText === `${nonce} pass\n`) {
        if (exited?.code !== 0) return { status: 'error', message: `exit code ${exited?.code} after the verdict` };
        return 'assert' in test ? { status: 'pass' } : judgeOutput(test, stdout);
      }
      if (verdictText.startsWith('error ')) {
        const message = verdictText.slice(6).trim();
        if (message.startsWith('MemoryError')) return { status: 'memory', message: 'memory limit' };
        return { status: 'error', message };
      }
      const { code, signal } = exited ?? { code: null, signal: null };
      // bwrap reports a child killed by signal N as exit 128 + N
      if (signal === 'SIGXCPU' || signal === 'SIGKILL' || code === 128 + 24 || code === 128 + 9)
        return { status: 'timeout', message: `killed by ${signal ?? `signal ${(code ?? 0) - 128}`}` };
      if (/MemoryError/.test(stderr)) return { status: 'memory', message: 'memory limit' };
      const last = stderr.trim().split('\n').at(-1);
      return {
        status: 'fail',
        message: `the program ended without the harness's verdict (exit ${code ?? signal}${last ? `: ${last}` : ''})`,
      };
    }
  });
}
