// Progress display: mode choice (TTY/CI), exact line output with an injected clock, the cli-progress bar, silence.
import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { compact, createProgressReporter, formatDuration, isCi, resolveProgressMode } from './reporter.js';

/** A writable that keeps what was written; `isTTY` makes it look like a terminal to cli-progress. */
function sink(isTTY = false) {
  const chunks: string[] = [];
  const stream = new Writable({
    write(chunk, _enc, done) {
      chunks.push(String(chunk));
      done();
    },
  }) as Writable & { isTTY?: boolean; columns?: number; text: () => string };
  stream.isTTY = isTTY;
  stream.columns = 160;
  stream.text = () => chunks.join('');
  return stream;
}

describe('progress', () => {
  it('auto mode: bar only on a TTY outside CI', () => {
    expect(resolveProgressMode({ stream: sink(true), env: {} })).toBe('bar');
    expect(resolveProgressMode({ stream: sink(true), env: { CI: 'true' } })).toBe('lines');
    expect(resolveProgressMode({ stream: sink(true), env: { CI: 'false' } })).toBe('bar');
    expect(resolveProgressMode({ stream: sink(false), env: {} })).toBe('lines');
    expect(resolveProgressMode({ stream: sink(true), mode: 'silent' })).toBe('silent');
    expect(isCi({ CI: '1' })).toBe(true);
    expect(isCi({ CI: '0' })).toBe(false);
  });

  it('line mode prints one line per update with step, ETA from the clock, reward, accuracy and tokens/s', () => {
    const out = sink();
    let t = 0;
    const p = createProgressReporter({ stream: out, mode: 'lines', now: () => t });
    p.start(10, 'grpo');
    t = 4000; // 2 steps in 4 s → 8 left at 2 s each = 16 s
    p.update(2, { reward_mean: 0.5123, accuracy: 0.25, tokens_per_s: { rollout: 1234, train: 56.7 } });
    p.log('checkpoint saved');
    t = 120_000;
    p.update(3, {});
    p.stop();
    expect(out.text().split('\n')).toEqual([
      'grpo: 10 steps',
      'grpo step 2/10 20% | eta 16s | reward 0.512 | acc 0.250 | tok/s gen 1.2k / train 56.70',
      'checkpoint saved',
      'grpo step 3/10 30% | eta 4m40s | reward - | acc - | tok/s -',
      '',
    ]);
  });

  it('bar mode draws the bar on a terminal and keeps log lines', () => {
    const out = sink(true);
    const p = createProgressReporter({ stream: out, mode: 'bar' });
    p.start(4, 'sft');
    p.update(3, { accuracy: 0.5, reward_mean: 1.5 });
    p.log('hello from the trainer');
    p.stop();
    p.stop();
    const text = out.text();
    expect(text).toContain('sft');
    expect(text).toContain('3/4');
    expect(text).toContain('75%');
    expect(text).toContain('acc 0.500');
    expect(text).toContain('reward 1.50');
    expect(text).toContain('hello from the trainer');
  });

  it('reads the camelCase GRPO StepMetrics shape too', () => {
    const out = sink();
    const p = createProgressReporter({ stream: out, mode: 'lines', now: () => 0 });
    p.start(2, 'grpo');
    p.update(1, { reward: { mean: 1.5, std: 0 }, throughput: { rolloutTokensPerSec: 2000, trainTokensPerSec: 10 } });
    expect(out.text()).toContain('reward 1.50 | acc - | tok/s gen 2.0k / train 10.00');
  });

  it('silent mode writes nothing', () => {
    const out = sink();
    const p = createProgressReporter({ stream: out, mode: 'silent' });
    p.start(3);
    p.update(1, { accuracy: 1 });
    p.log('x');
    p.stop();
    expect(out.text()).toBe('');
  });

  it('formats numbers and durations compactly', () => {
    expect([compact(0.12345), compact(12.345), compact(512), compact(1234), compact(56789), compact(2.5e6)]).toEqual([
      '0.123',
      '12.35',
      '512',
      '1.2k',
      '57k',
      '2.5M',
    ]);
    expect(compact(Number.NaN)).toBe('-');
    expect([formatDuration(42), formatDuration(185), formatDuration(3720), formatDuration(undefined)]).toEqual([
      '42s',
      '3m05s',
      '1h02m',
      '?',
    ]);
  });
});
