/**
 * The `aha` process tree and Ctrl-C. A command that trains runs in a child process (its own process group) under a
 * small supervisor, the process the user started. Why: a reward stuck in synchronous code (an infinite loop on the
 * main thread) blocks the child's event loop, so no JS signal handler of the child can run — Ctrl-C would do nothing
 * and the terminal's parent would exit, leaving the child orphaned at full CPU. The supervisor's event loop stays
 * free: it forwards Ctrl-C (SIGINT) to the child, notices when the child stops answering (heartbeats over IPC) and
 * says so, and on a second Ctrl-C, or when it must exit itself, kills the child's whole process group (sandboxes and
 * other grandchildren included). No process outlives the command.
 *
 * Ctrl-C, once: the child finishes its step, writes a checkpoint and exits (commands' `withCtrlC`). Twice: the child
 * exits at once and says which checkpoint it abandons; a child that does not answer is killed. Signals that arrive
 * within `DUPLICATE_MS` of each other count once (`npm start` forwards the terminal's SIGINT that the process also got).
 * A child silent for `AHA_HANG_WARN_S` seconds (default 60) is reported as blocked, once per stall.
 * Leaves out: Windows process groups (there the child is killed alone).
 */
import { type ChildProcess, spawn } from 'node:child_process';

/** Environment flag of the child: run the command in-process, heartbeat to the supervisor. */
export const SUPERVISED_ENV = 'AHA_CLI_SUPERVISED';
/** Two SIGINTs closer than this are one Ctrl-C (a terminal's and a forwarded copy). */
export const DUPLICATE_MS = 300;
/** The child beats this often. */
const BEAT_MS = 500;
/** No beat for this long after a Ctrl-C: the child is blocked. */
const UNRESPONSIVE_MS = 2_000;

/** Commands that run long (training, sampling): supervised. `report`, `init`, `--help` run in-process. */
const SUPERVISED = new Set(['run', 'train', 'generate', 'eval']);

/** Whether `argv` (after the program name) should run under a supervisor in this process. */
export function wantsSupervisor(argv: readonly string[], env: NodeJS.ProcessEnv = process.env): boolean {
  if (env[SUPERVISED_ENV] === '1' || env.AHA_NO_SUPERVISOR === '1') return false;
  const command = argv.find((a) => !a.startsWith('-'));
  return command !== undefined && SUPERVISED.has(command) && !argv.includes('--help') && !argv.includes('-h');
}

/** In the child: heartbeats to the supervisor, and exit when the supervisor is gone (never an orphan). */
export function startHeartbeat(): void {
  if (process.env[SUPERVISED_ENV] !== '1' || typeof process.send !== 'function') return;
  process.send({ beat: Date.now() }); // now: the command may block its event loop before the first interval
  const beat = setInterval(() => process.send?.({ beat: Date.now() }), BEAT_MS);
  beat.unref();
  // The IPC channel must not keep a finished command alive.
  (process.channel as { unref?: () => void } | undefined)?.unref?.();
  process.on('disconnect', () => process.exit(129));
}

const killGroup = (child: ChildProcess, signal: NodeJS.Signals) => {
  if (child.pid === undefined) return;
  try {
    if (process.platform === 'win32') child.kill(signal);
    else process.kill(-child.pid, signal);
  } catch {} // already gone
};

/**
 * Runs this same script (`process.argv[1]`, with this process's node flags) as a supervised child with `argv`, and
 * resolves with its exit code (128 + n for a signal).
 */
export function supervise(argv: readonly string[], stderr: NodeJS.WritableStream = process.stderr): Promise<number> {
  const child = spawn(process.execPath, [...process.execArgv, process.argv[1], ...argv], {
    stdio: ['inherit', 'inherit', 'inherit', 'ipc'],
    env: { ...process.env, [SUPERVISED_ENV]: '1' },
    detached: process.platform !== 'win32',
  });
  // 0 until the first beat: loading the modules blocks the child for seconds before it can beat at all.
  let lastBeat = 0;
  let interrupts = 0;
  let lastInterrupt = 0;
  let watch: ReturnType<typeof setInterval> | undefined;
  child.on('message', (m: { beat?: number }) => {
    if (m?.beat) lastBeat = Date.now();
  });
  const say = (text: string) => stderr.write(`aha: ${text}\n`);
  // A run whose event loop stays blocked says nothing by itself: say it for it, once per stall.
  const hangMs = 1000 * Number(process.env.AHA_HANG_WARN_S ?? 60);
  let warnedAt = 0;
  const hang = setInterval(() => {
    const silentFor = Date.now() - lastBeat;
    if (lastBeat === 0 || silentFor < hangMs || warnedAt === lastBeat) return;
    warnedAt = lastBeat;
    say(
      `the run has not answered for ${Math.round(silentFor / 1000)} s: its event loop is blocked (a long ` +
        'synchronous step, or a reward stuck in synchronous code: declare such a reward with `worker:` so its time ' +
        'limit can cut it). Ctrl-C twice kills it.',
    );
  }, 500);
  hang.unref();

  const onSigint = () => {
    const now = Date.now();
    if (now - lastInterrupt < DUPLICATE_MS) return;
    lastInterrupt = now;
    interrupts++;
    if (interrupts === 1) {
      killGroupLeader(child, 'SIGINT');
      const sentAt = now;
      watch = setInterval(() => {
        if (lastBeat > 0 && lastBeat < sentAt && Date.now() - sentAt > UNRESPONSIVE_MS) {
          say(
            'the run does not answer Ctrl-C: its event loop is blocked (a reward running synchronous code that ' +
              'never yields? declare it with `worker:` so its time limit can cut it). Ctrl-C again kills it.',
          );
          clearInterval(watch);
        }
      }, 250);
      return;
    }
    if (lastBeat > 0 && Date.now() - lastBeat > UNRESPONSIVE_MS) {
      say('second Ctrl-C: the run is not responding; killed it without writing the checkpoint of the step in progress');
      killGroup(child, 'SIGKILL');
    } else {
      killGroupLeader(child, 'SIGINT'); // the child says what it abandons and exits
      setTimeout(() => killGroup(child, 'SIGKILL'), UNRESPONSIVE_MS).unref();
    }
  };
  const onTerminate = (signal: NodeJS.Signals) => () => killGroup(child, signal);
  const handlers: [NodeJS.Signals, () => void][] = [
    ['SIGINT', onSigint],
    ['SIGTERM', onTerminate('SIGTERM')],
    ['SIGHUP', onTerminate('SIGHUP')],
  ];
  for (const [signal, handler] of handlers) process.on(signal, handler);
  // Whatever ends this process, the child's group goes with it.
  const onExit = () => killGroup(child, 'SIGKILL');
  process.on('exit', onExit);

  return new Promise((resolve) => {
    child.on('exit', (code, signal) => {
      if (watch) clearInterval(watch);
      clearInterval(hang);
      for (const [s, handler] of handlers) process.off(s, handler);
      process.off('exit', onExit);
      // Grandchildren the child left behind (a sandbox it did not reap) go too.
      killGroup(child, 'SIGKILL');
      resolve(code ?? 128 + (signal ? signalNumber(signal) : 1));
    });
    child.on('error', (err) => {
      say(`cannot start the run: ${err.message}`);
      resolve(1);
    });
  });
}

/** SIGINT to the child alone (not its group): its handler decides; sandboxes are its business until it exits. */
const killGroupLeader = (child: ChildProcess, signal: NodeJS.Signals) => {
  try {
    child.kill(signal);
  } catch {}
};

const signalNumber = (signal: NodeJS.Signals) =>
  ({ SIGINT: 2, SIGKILL: 9, SIGTERM: 15, SIGHUP: 1 })[signal as string] ?? 1;
