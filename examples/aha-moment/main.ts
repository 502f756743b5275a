/**
 * The aha moment in miniature (what `aha run aha-moment` runs): GRPO with accuracy + format rewards only, from the
 * shipped base model that has seen "wait" in a few percent of its pretraining traces; prints held-out greedy
 * accuracy, reflection words per completion and completion length at the start and end of GRPO, and the report path.
 * Run: npx tsx --conditions=source examples/aha-moment/main.ts [full|tiny = full] [seed = 0] [runDir]
 * Running again skips finished stages; Ctrl-C stops after the current step and the next run resumes there.
 */
import { runAhaMomentExample } from './run.js';

const setting = process.argv[2] === 'tiny' ? 'tiny' : 'full';
const seed = Number(process.argv[3] ?? 0);
const runDir = process.argv[4] ?? `runs/aha-moment-${seed}`;
const t0 = performance.now();
const { result, numbers } = await runAhaMomentExample({ setting, runDir, seed, log: (m) => console.log(m) });
const f = (v: number | null | undefined, d = 3) => (v == null ? '–' : v.toFixed(d));
if (numbers) {
  console.log(JSON.stringify(numbers));
  console.log(
    `held-out greedy accuracy ${f(numbers.heldOut[0])} → ${f(numbers.heldOut[1])}; reflection words per completion ` +
      `${f(numbers.reflection[0])} → ${f(numbers.reflection[1])} (${f(numbers.ratio, 1)}×); length ` +
      `${f(numbers.length[0], 1)} → ${f(numbers.length[1], 1)}; take-off ${numbers.takeOffStep ?? 'none'}`,
  );
}
if (result.report) console.log(`report: ${result.report}`);
console.log(`total ${((performance.now() - t0) / 1000).toFixed(0)} s`);
