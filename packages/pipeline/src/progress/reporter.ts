/**
 * Live training progress: step/total, ETA, reward, accuracy and throughput. On a terminal it is a redrawn bar
 * (cli-progress) with log lines printed above it; when the stream is not a TTY or CI is set it prints one plain
 * line per update, which is what log files and CI consoles can keep. Trainers only see the `ProgressReporter`
 * interface; `createProgressReporter` picks the display. Reward failures are loud: the line shows how many samples
 * each failing reward lost in the step, and each distinct failure message is printed once (reward-failures.ts).
 * Leaves out: several concurrent bars (stages run one at a time).
 */
import type { RewardLogger } from '@aha/rewards';
import { MultiBar, Presets, type SingleBar } from 'cli-progress';
import { normalizeStepMetrics } from '../metrics/normalize.js';
import type { StepMetricsRecord } from '../metrics/schema.js';
import { failureSummary, RewardFailurePrinter } from './reward-failures.js';

/** What a trainer reports to; one instance per stage or run. */
export interface ProgressReporter {
  /** Begins a stage of `total` steps, shown with `label` (e.g. "grpo"). */
  start(total: number, label?: string): void;
  /** `step` steps of `total` are done (1..total); `metrics` is that step's record (any fields may be missing). */
  update(step: number, metrics?: Partial<StepMetricsRecord>): void;
  /** A message that must not garble the display (printed above the bar on a terminal). */
  log(message: string): void;
  /** Ends the display (the final state stays on screen). Safe to call twice. */
  stop(): void;
  /** A logger for the reward runner that prints failures as they happen (once per distinct message). */
  rewardLogger?(): RewardLogger;
  /** The stage shown and the last step reported (what a second Ctrl-C abandons is the step after it). */
  position?(): { label: string; step: number; total: number } | undefined;
}

/** How to show progress: `auto` = bar on a TTY outside CI, otherwise lines. */
export type ProgressMode = 'auto' | 'bar' | 'lines' | 'silent';

export interface ProgressOptions {
  /** Where to write (default `process.stderr`, so stdout stays clean for `--json`). */
  stream?: NodeJS.WritableStream & { isTTY?: boolean };
  mode?: ProgressMode;
  /** Environment consulted for `CI` (default `process.env`). */
  env?: Record<string, string | undefined>;
  /** Clock in milliseconds for the ETA of line mode (default `Date.now`); injectable for tests. */
  now?: () => number;
}

/** True when `CI` is set to anything but an explicit false. */
export function isCi(env: Record<string, string | undefined>): boolean {
  const ci = env.CI;
  return ci !== undefined && ci !== '' && ci !== '0' && ci.toLowerCase() !== 'false';
}

/** Chooses the concrete mode for `auto`. */
export function resolveProgressMode(options: ProgressOptions = {}): Exclude<ProgressMode, 'auto'> {
  const mode = options.mode ?? 'auto';
  if (mode !== 'auto') return mode;
  const stream = options.stream ?? process.stderr;
  return stream.isTTY && !isCi(options.env ?? process.env) ? 'bar' : 'lines';
}

/** `1234` → `1.2k`; `-` when missing. */
export function compact(value: number | null | undefined): string {
  if (value === null || value === undefined || !Number.isFinite(value)) return '-';
  const a = Math.abs(value);
  if (a >= 1e6) return `${(value / 1e6).toFixed(1)}M`;
  if (a >= 1e4) return `${Math.round(value / 1e3)}k`;
  if (a >= 1e3) return `${(value / 1e3).toFixed(1)}k`;
  return a >= 100 ? value.toFixed(0) : a >= 1 ? value.toFixed(2) : value.toFixed(3);
}

/** Seconds → `1h02m`, `3m05s`, `42s`; `?` when unknown. */
export function formatDuration(seconds: number | undefined): string {
  if (seconds === undefined || !Number.isFinite(seconds) || seconds < 0) return '?';
  const s = Math.round(seconds);
  if (s >= 3600) return `${Math.floor(s / 3600)}h${String(Math.floor((s % 3600) / 60)).padStart(2, '0')}m`;
  if (s >= 60) return `${Math.floor(s / 60)}m${String(s % 60).padStart(2, '0')}s`;
  return `${s}s`;
}

/** The fields shown next to the step count. */
function metricFields(raw: Partial<StepMetricsRecord> = {}) {
  const metrics = normalizeStepMetrics(raw) as Partial<StepMetricsRecord>;
  const tps = metrics.tokens_per_s;
  return {
    reward: compact(metrics.reward_mean),
    acc: compact(metrics.accuracy),
    tps:
      tps?.rollout != null || tps?.train != null ? `gen ${compact(tps?.rollout)} / train ${compact(tps?.train)}` : '-',
    failed: failureSummary(raw),
  };
}

/** The bar's fields: the line's, with the failures as one text token. */
function barFields(raw?: Partial<StepMetricsRecord>) {
  const f = metricFields(raw);
  return { ...f, failedText: f.failed ? ` | reward failures: ${f.failed}` : '' };
}

/** One plain line per update: for pipes, log files and CI. */
class LineReporter implements ProgressReporter {
  private total = 0;
  private label = '';
  private startedAt = 0;
  constructor(
    private readonly stream: NodeJS.WritableStream,
    private readonly now: () => number,
  ) {}

  start(total: number, label = 'train'): void {
    this.total = total;
    this.label = label;
    this.startedAt = this.now();
    this.step = 0;
    this.stream.write(`${label}: ${total} steps\n`);
  }

  private step = 0;
  position() {
    return this.label ? { label: this.label, step: this.step, total: this.total } : undefined;
  }

  update(step: number, metrics?: Partial<StepMetricsRecord>): void {
    this.step = step;
    const elapsed = (this.now() - this.startedAt) / 1000;
    const eta = step > 0 ? (elapsed / step) * Math.max(0, this.total - step) : undefined;
    const pct = this.total > 0 ? Math.floor((100 * step) / this.total) : 0;
    const f = metricFields(metrics);
    this.failures.fromStep(metrics);
    const failed = f.failed ? ` | reward failures: ${f.failed}` : '';
    this.stream.write(
      `${this.label} step ${step}/${this.total} ${pct}% | eta ${formatDuration(eta)} | reward ${f.reward} | acc ${f.acc} | tok/s ${f.tps}${failed}\n`,
    );
  }

  private readonly failures = new RewardFailurePrinter((m) => this.log(m));
  rewardLogger(): RewardLogger {
    return this.failures.rewardLogger();
  }

  log(message: string): void {
    this.stream.write(`${message}\n`);
  }

  stop(): void {}
}

/** A redrawn bar on a terminal, with `log` lines printed above it. */
class BarReporter implements ProgressReporter {
  private multi: MultiBar | undefined;
  private bar: SingleBar | undefined;
  constructor(private readonly stream: NodeJS.WritableStream) {}

  start(total: number, label = 'train'): void {
    this.stop();
    this.multi = new MultiBar(
      {
        stream: this.stream as NodeJS.WritableStream & { isTTY: true },
        format:
          '{label} {bar} {value}/{total} {percentage}% | ETA {eta_formatted} | reward {reward} | acc {acc} | tok/s {tps}{failedText}',
        barsize: 24,
        hideCursor: true,
        clearOnComplete: false,
        stopOnComplete: false,
        etaBuffer: 20,
        fps: 10,
        autopadding: true,
      },
      Presets.shades_classic,
    );
    this.bar = this.multi.create(total, 0, { label, ...barFields() });
    this.at = { label, step: 0, total };
  }

  update(step: number, metrics?: Partial<StepMetricsRecord>): void {
    this.failures.fromStep(metrics);
    this.at = this.at && { ...this.at, step };
    this.bar?.update(step, barFields(metrics));
  }

  private at: { label: string; step: number; total: number } | undefined;
  position() {
    return this.at;
  }

  private readonly failures = new RewardFailurePrinter((m) => this.log(m));
  rewardLogger(): RewardLogger {
    return this.failures.rewardLogger();
  }

  log(message: string): void {
    if (this.multi) this.multi.log(`${message}\n`);
    else this.stream.write(`${message}\n`);
  }

  stop(): void {
    // MultiBar.log only buffers until the next timed redraw, and stop() does not flush: redraw once first so the
    // last messages are not lost.
    this.multi?.update();
    this.multi?.stop();
    this.multi = undefined;
    this.bar = undefined;
  }
}

const silent: ProgressReporter = { start() {}, update() {}, log() {}, stop() {} };

/** Makes the progress display for the current output; see {@link ProgressOptions}. */
export function createProgressReporter(options: ProgressOptions = {}): ProgressReporter {
  const stream = options.stream ?? process.stderr;
  switch (resolveProgressMode(options)) {
    case 'bar':
      return new BarReporter(stream);
    case 'lines':
      return new LineReporter(stream, options.now ?? Date.now);
    case 'silent':
      return silent;
  }
}
