/**
 * What a recipe's command-line handler gets from whoever runs it, as plain interfaces: a log, a progress display and
 * `--json`, plus Ctrl-C as an AbortSignal (`withCtrlC`). The CLI's `CommandContext` satisfies `RecipeContext`, so the
 * CLI calls recipes and recipes never import the CLI. Leaves out: how the CLI prints (the CLI's own modules).
 */
import type { RewardLogger } from '@aha/rewards';

/** The progress display a recipe drives. */
export interface RecipeProgress {
  start(total: number, label: string): void;
  update(step: number, record?: object): void;
  stop(): void;
  /** The stage shown and the last step reported (what a second Ctrl-C abandons is the step after it). */
  position?(): { label: string; step: number; total: number } | undefined;
  /** A reward logger that prints failures as they happen (once per distinct message). */
  rewardLogger?(): RewardLogger;
}

/** What a recipe handler may use of its caller. */
export interface RecipeContext {
  /** `--json`: print one JSON object at the end, no human text. */
  json: boolean;
  progress: RecipeProgress;
  /** A message for the person running it. */
  log(message: string): void;
}

/** What a recipe handler returns (printed as JSON with `--json`). */
export interface RecipeResult {
  /** The run folder written (checkpoints, `metrics.jsonl`); the CLI then writes `report.html` there. */
  runDir?: string;
  [key: string]: unknown;
}

/**
 * Runs `fn` with an AbortSignal that the first Ctrl-C aborts (the trainer finishes its step and checkpoints); a
 * second Ctrl-C exits at once with 130, saying which step's checkpoint it abandons. (Under the `aha` binary the
 * signals come from its supervisor, cli/supervise.ts, which also kills a run too blocked to get here.)
 */
export async function withCtrlC<T>(
  ctx: Pick<RecipeContext, 'log'> & { progress?: Pick<RecipeProgress, 'position'> },
  fn: (signal: AbortSignal) => Promise<T>,
): Promise<T> {
  const controller = new AbortController();
  const onSigint = () => {
    if (controller.signal.aborted) {
      const at = ctx.progress?.position?.();
      const step = at ? `${at.label} step ${Math.min(at.step + 1, at.total)}` : 'the step in progress';
      process.stderr.write(
        `second Ctrl-C: exiting without the checkpoint of ${step} (the last checkpoint written is kept; ` +
          'run the same command again to resume from it)\n',
      );
      process.exit(130);
    }
    ctx.log('Ctrl-C: stopping after this step and saving a checkpoint (Ctrl-C again to quit now)');
    controller.abort();
  };
  process.on('SIGINT', onSigint);
  try {
    return await fn(controller.signal);
  } finally {
    process.off('SIGINT', onSigint);
  }
}

/** Share as a percentage with one decimal, for messages. */
export const pct = (x: number) => `${(x * 100).toFixed(1)}%`;
