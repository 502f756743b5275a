/**
 * Attacks on the Python sandbox (bubblewrap), each from issue #12: a file write outside the tmpfs, a host Unix socket
 * reached by path (and an abstract one, and TCP to the host), killing the parent and every process it can see, a fork
 * bomb, and a `setsid` double-fork that must neither survive the limit nor stall the reward. Also the refusal when
 * bwrap is missing. Skipped, with the reason in the suite name, only where bwrap cannot run here; CI installs it.
 *
 * Leaves out: the exit-status fakes and forged verdicts (the cheat table in code.test.ts runs them in this sandbox).
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AhaError } from '@aha/errors';
import { afterAll, describe, expect, it } from 'vitest';
import { createRewardContext, type RewardLogger } from '../../reward.js';
import { codeReward } from './code.js';
import {
  type PythonEnvironment,
  pythonEnvironment,
  runPythonTests,
  SandboxUnavailableError,
} from './python-sandbox.js';
import type { SandboxLimits } from './tests.js';

let env: PythonEnvironment | undefined;
let skipped = '';
try {
  env = pythonEnvironment('bwrap');
  if (!env) skipped = 'python3 is not installed';
} catch (err) {
  skipped = (err as Error).message;
}
// The memory limit is on every sandbox's command line: an odd value marks this file's sandboxes apart from those of
// test files running beside it.
const marker = 256 * 1024 * 1024 + 4096 * (1 + (process.pid % 4000));
const limits: SandboxLimits = { timeoutMs: 1500, memoryBytes: marker, maxOutputBytes: 4096 };
const hostDir = mkdtempSync(join(tmpdir(), 'aha-sandbox-test-'));
afterAll(() => rmSync(hostDir, { recursive: true, force: true }));

/** Host pids of this file's sandbox processes still alive (bwrap and the harness: its code is on their command line). */
function harnessProcesses(): number[] {
  const pids: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const args = readFileSync(`/proc/${entry}/cmdline`, 'utf8').split('\0');
      if (args.some((a) => a.includes('_aha_main')) && args.includes(String(marker))) pids.push(Number(entry));
    } catch {
      // exited while we looked
    }
  }
  return pids;
}

/** harnessProcesses() once the kernel has torn the sandbox down: SIGKILLed processes can linger in /proc for a moment. */
async function leftoverProcesses(): Promise<number[]> {
  for (let i = 0; i < 60 && harnessProcesses().length > 0; i++) await new Promise((r) => setTimeout(r, 50));
  return harnessProcesses();
}

const listen = (server: Server, where: string | number) =>
  new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    if (typeof where === 'number') server.listen(where, '127.0.0.1', resolve);
    else server.listen(where, resolve);
  });

describe.skipIf(!env)(`Python sandbox attacks${skipped ? ` — skipped: ${skipped}` : ''}`, () => {
  it('cannot write outside its private /tmp; the tmpfs is writable', async () => {
    const escaped = join(hostDir, 'escaped');
    const code = `
import os
results = []
for path in ["/usr/aha-escape", "/etc/aha-escape", "/aha-escape", ${JSON.stringify(escaped)}, ${JSON.stringify(join(process.cwd(), 'aha-escape'))}]:
    try:
        with open(path, "w") as f:
            f.write("x")
        results.append("wrote " + path)
    except OSError:
        results.append("blocked")
with open("/tmp/scratch", "w") as f:
    f.write("ok")
print(" ".join(results), open("/tmp/scratch").read())
`;
    const [run] = await runPythonTests(code, [{ output: 'blocked blocked blocked blocked blocked ok' }], limits, env!);
    expect(run).toEqual({ status: 'pass' });
    expect(existsSync(escaped)).toBe(false);
    expect(existsSync(join(process.cwd(), 'aha-escape'))).toBe(false);
  });

  it('cannot reach host sockets: a Unix socket by path, an abstract one, TCP on loopback', async () => {
    let connections = 0;
    const servers = [0, 1, 2].map(() =>
      createServer((socket) => {
        connections++;
        socket.destroy();
      }),
    );
    const socketPath = join(hostDir, 'host.sock');
    const abstract = `\0aha-sandbox-test-${process.pid}`;
    await listen(servers[0], socketPath);
    await listen(servers[1], abstract);
    await listen(servers[2], 0);
    const port = (servers[2].address() as { port: number }).port;
    try {
      const code = `
import socket
def attempt(family, address):
    s = socket.socket(family, socket.SOCK_STREAM)
    s.settimeout(1)
    try:
        s.connect(address)
        return "connected"
    except OSError:
        return "blocked"
print(attempt(socket.AF_UNIX, ${JSON.stringify(socketPath)}), attempt(socket.AF_UNIX, ${JSON.stringify(abstract)}),
      attempt(socket.AF_INET, ("127.0.0.1", ${port})))
`;
      const [run] = await runPythonTests(code, [{ output: 'blocked blocked blocked' }], limits, env!);
      expect(run).toEqual({ status: 'pass' });
      expect(connections).toBe(0);
    } finally {
      for (const server of servers) server.close();
    }
  });

  it('cannot signal the trainer or any host process (kill of the parent, kill -9 -1)', async () => {
    const bystander = spawn('sleep', ['30'], { stdio: 'ignore' });
    try {
      const code = `
import os
for pid in (os.getppid(), 1, -1):
    try:
        os.kill(pid, 9)
    except OSError:
        pass
print("done")
`;
      await runPythonTests(code, [{ output: 'done' }], limits, env!);
      expect(() => process.kill(bystander.pid!, 0)).not.toThrow(); // still alive
      expect(bystander.exitCode).toBeNull();
    } finally {
      bystander.kill('SIGKILL');
    }
  });

  it('contains a fork bomb and returns at the time limit', async () => {
    const code = 'import os\nwhile True:\n    try:\n        os.fork()\n    except OSError:\n        pass';
    const started = Date.now();
    const [run] = await runPythonTests(code, [{ output: '' }], limits, env!);
    expect(run.status).toBe('timeout');
    expect(Date.now() - started).toBeLessThan(limits.timeoutMs + 5000); // not a benchmark: "returns, not hangs"
    expect(await leftoverProcesses()).toEqual([]);
  });

  it.runIf(env?.processLimit)('caps processes with RLIMIT_NPROC in the sandbox user namespace', async () => {
    const code =
      'import os, time\nn = 0\ntry:\n    for _ in range(200):\n        if os.fork() == 0:\n            time.sleep(5)\n            os._exit(0)\n        n += 1\nexcept OSError:\n    pass\nprint("capped" if n < 200 else "uncapped")';
    const [run] = await runPythonTests(code, [{ output: 'capped' }], { ...limits, maxProcesses: 16 }, env!);
    expect(run).toEqual({ status: 'pass' });
  });

  it.each([
    ['the program ends normally', 'print(3)', 'pass'],
    ['the program hangs too', 'import time\ntime.sleep(60)', 'timeout'],
  ])('kills an escaped setsid double-fork child when %s, without stalling', async (_when, tail, status) => {
    const code = `
import os, time
if os.fork() == 0:
    os.setsid()
    if os.fork() == 0:
        time.sleep(60)  # holds stdout, stderr and fd 3 open
    os._exit(0)
time.sleep(0.2)
${tail}
`;
    const started = Date.now();
    const [run] = await runPythonTests(code, [{ output: '3' }], limits, env!);
    expect(run.status).toBe(status);
    expect(Date.now() - started).toBeLessThan(limits.timeoutMs + 5000); // not a benchmark: "returns, not hangs"
    expect(await leftoverProcesses()).toEqual([]);
  });
});

describe('Python sandbox refusal', () => {
  it('throws a typed error that says how to install bubblewrap where it is missing', () => {
    let error: unknown;
    try {
      pythonEnvironment('bwrap', { bwrap: join(hostDir, 'no-such-bwrap') });
    } catch (err) {
      error = err;
    }
    if (!pythonEnvironment('none')) return; // no python3: nothing to refuse
    expect(error).toBeInstanceOf(SandboxUnavailableError);
    expect(AhaError.is(error, 'config')).toBe(true);
    expect((error as Error).message).toMatch(/no-such-bwrap.*npm run setup:sandbox.*sandbox: "none"/s);
  });

  it("sandbox: 'none' runs Python only with a warning through the reward logger", async () => {
    if (!pythonEnvironment('none')) return; // no python3
    const warnings: string[] = [];
    const logger: RewardLogger = { debug() {}, info() {}, warn: (message) => void warnings.push(message) };
    const reward = codeReward({ sandbox: 'none', timeoutMs: 2000 });
    const completion = '<answer>\n```python\ndef add(a, b):\n    return a + b\n```\n</answer>';
    const [value] = await reward.score(
      [{ prompt: 'q', completion, tests: [{ assert: 'assert add(2, 3) == 5' }] }],
      createRewardContext({ logger }),
    );
    expect(value).toBe(1);
    expect(warnings).toEqual([expect.stringMatching(/UNSANDBOXED/)]);
  });
});
