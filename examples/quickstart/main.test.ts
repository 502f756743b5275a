/**
 * The quickstart example runs as a script and its gradient descent actually fits y = 3x − 2: the last printed step
 * has a small loss and w, b near 3 and −2 (a broken autograd or kernel leaves them far off).
 */
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const root = fileURLToPath(new URL('../..', import.meta.url));

describe('examples/quickstart', () => {
  it('fits y = 3x − 2 by gradient descent on the native kernels', () => {
    const out = execFileSync(
      process.execPath,
      ['--import', 'tsx', '--conditions=source', 'examples/quickstart/main.ts'],
      { cwd: root, encoding: 'utf8' },
    );
    expect(out).toMatch(/^aha quickstart: \d+ threads, \S+ kernels$/m);
    const steps = [...out.matchAll(/^step (\d+): loss (\S+) {2}w=(\S+) b=(\S+)$/gm)];
    expect(steps.map((m) => Number(m[1]))).toEqual([0, 40, 80, 120, 160, 200]);
    const [, , loss, w, b] = steps[steps.length - 1];
    expect(Number(loss)).toBeLessThan(1e-3);
    expect(Number(w)).toBeCloseTo(3, 1);
    expect(Number(b)).toBeCloseTo(-2, 1);
    expect(Number(steps[0][2])).toBeGreaterThan(1); // it started far from the fit
  });
});
