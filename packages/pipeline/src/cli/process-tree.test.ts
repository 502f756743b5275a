// Ctrl-C and the process tree of the real `aha` binary (bin/aha.js from source: launcher → supervisor → run), spawned
// as a user would: a reward stuck in a synchronous loop is reported as blocked, and two Ctrl-Cs end every process
// (no orphan at full CPU); a responsive run's second Ctrl-C says which checkpoint it abandons. Leaves out: the built
// form (built-cli.test.ts) and Windows (process groups; /proc).
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { saveMicroBaseModel } from '../recipes/base-model/micro.js';
import { DUPLICATE_MS } from './supervise.js';

const BIN = fileURLToPath(new URL('../../bin/aha.js', import.meta.url));
const FIXTURE = fileURLToPath(new URL('./__fixtures__/stuck-rewards.ts', import.meta.url));

let dir: string;
beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'aha-tree-'));
  await saveMicroBaseModel(join(dir, 'micro'), { evalProblems: 2, maxNewTokens: 4 });
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** [pid, ppid, state] of every process, from /proc (no ps needed); state Z = a zombie, already dead. */
function processes(): { pid: number; ppid: number; state: string }[] {
  const out: { pid: number; ppid: number; state: string }[] = [];
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      // "pid (comm) state ppid ...": comm may hold spaces and parentheses, so read after the last ')'.
      const stat = readFileSync(`/proc/${name}/stat`, 'utf8');
      const [state, ppid] = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      out.push({ pid: Number(name), ppid: Number(ppid), state });
    } catch {} // exited while listing
  }
  return out;
}

/** Every live descendant pid of `pid`. */
function descendants(pid: number): number[] {
  const rows = processes();
  const out: number[] = [];
  const walk = (parent: number) => {
    for (const r of rows) {
      if (r.ppid !== parent || r.state === 'Z') continue;
      out.push(r.pid);
      walk(r.pid);
    }
  };
  walk(pid);
  return out;
}
const alive = (pid: number) => processes().some((p) => p.pid === pid && p.state !== 'Z');

/** Spawns `aha train grpo` with one fixture reward; resolves helpers to wait on stderr and on the exit. */
function start(
  rewardExport: string,
  name: string,
): {
  child: ChildProcess;
  stderr: () => string;
  waitFor: (text: string) => Promise<void>;
  exited: Promise<number | null>;
} {
  const file = join(dir, `${name}.json`);
  writeFileSync(
    file,
    JSON.stringify({
      model: './micro',
      outputDir: `runs/${name}`,
      rewards: [{ module: FIXTURE, export: rewardExport }],
      grpo: {
        task: 'addition',
        trainProblems: 10,
        maxSteps: 50,
        groupSize: 2,
        promptsPerStep: 1,
        maxCompletionLength: 4,
      },
    }),
  );
  const child = spawn(process.execPath, [BIN, 'train', 'grpo', file], {
    cwd: dir,
    env: { ...process.env, AHA_CLI_SOURCE: '1', CI: 'true', AHA_HANG_WARN_S: '2' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let text = '';
  const waiters: { text: string; resolve: () => void }[] = [];
  child.stderr?.on('data', (chunk) => {
    text += String(chunk);
    for (const w of waiters.splice(0)) (text.includes(w.text) ? w.resolve : () => waiters.push(w))();
  });
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  return {
    child,
    stderr: () => text,
    waitFor: (t) => new Promise((resolve) => (text.includes(t) ? resolve() : waiters.push({ text: t, resolve }))),
    exited,
  };
}
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('aha process tree', () => {
  it('a reward stuck in a synchronous loop: reported as blocked, and two Ctrl-Cs leave no process behind', async () => {
    const run = start('loop', 'loop');
    await run.waitFor('fixture: reward loop is looping');
    await run.waitFor('the run has not answered for'); // not a silent hang
    const tree = descendants(run.child.pid as number);
    expect(tree.length).toBeGreaterThanOrEqual(2); // supervisor and the run under the launcher
    run.child.kill('SIGINT');
    await run.waitFor('the run does not answer Ctrl-C: its event loop is blocked');
    await sleep(2 * DUPLICATE_MS);
    run.child.kill('SIGINT');
    const code = await run.exited;
    expect(code).toBe(137); // EXIT.killed
    expect(run.stderr()).toContain('second Ctrl-C: the run is not responding; killed it');
    await sleep(300);
    expect(tree.filter(alive)).toEqual([]);
  }, 60_000);

  it("a responsive run's second Ctrl-C exits at once and says which step's checkpoint it abandons", async () => {
    const run = start('slow', 'slow');
    await run.waitFor('fixture: reward slow is scoring');
    const tree = descendants(run.child.pid as number);
    run.child.kill('SIGINT');
    await run.waitFor('Ctrl-C: stopping after this step');
    await sleep(2 * DUPLICATE_MS); // closer Ctrl-Cs count once (a terminal's SIGINT and npm's forwarded copy)
    run.child.kill('SIGINT');
    expect(await run.exited).toBe(130);
    // Step 1 is in progress (no step reported yet): it names that, and what is kept.
    expect(run.stderr()).toContain(
      'second Ctrl-C: exiting without the checkpoint of the step in progress (the last checkpoint written is kept',
    );
    await sleep(300);
    expect(tree.filter(alive)).toEqual([]);
  }, 60_000);
});
