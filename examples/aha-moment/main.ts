/**
 * The aha moment in miniature (what `aha run aha-moment` runs): GRPO with accuracy + format rewards only, from the
 * shipped base model that has seen "wait" in a few percent of its pretraining traces; prints held-out greedy accuracy,
 * reflection words per completion and completion length at the start and end of GRPO, and the report path.
 * Run: npx tsx --conditions=source examples/aha-moment/main.ts [seed = 0] [runDir = runs/aha-moment-<seed>] [maxSteps]
 * The recipe's defaults take about 10 minutes on 2 cores (see README.md for measured runs). Running again skips
 * finished stages; Ctrl-C stops after the current step and the next run resumes there.
 */
import { runAhaMoment } from '@aha/pipeline';

const seed = Number(process.argv[2] ?? 0);
const runDir = process.argv[3] ?? `runs/aha-moment-${seed}`;
const maxSteps = process.argv[4] === undefined ? undefined : Number(process.argv[4]);
const t0 = performance.now();
const r = await runAhaMoment(
  { grpo: maxSteps === undefined ? {} : { maxSteps } },
  { runDir, seed, log: (m) => console.log(m) },
);
const f = (v: number | null | undefined, d = 3) => (v == null ? '–' : v.toFixed(d));
if (r.aha && r.accuracyBefore !== undefined && r.accuracyAfter !== undefined) {
  const { start, end, ratio, takeOffStep, all, window } = r.aha;
  console.log(
    JSON.stringify({
      seed,
      steps: r.grpoSteps,
      grpoSeconds: r.grpoSeconds,
      heldOut: [r.accuracyBefore, r.accuracyAfter],
      window,
      reflection: [start.reflection, end.reflection],
      ratio,
      wait: [start.wait, end.wait],
      length: [start.completionLength, end.completionLength],
      trainAccuracy: [start.accuracy, end.accuracy],
      reflectingShare: [start.reflectingShare, end.reflectingShare],
      reflectingAccuracy: all.reflectingAccuracy,
      otherAccuracy: all.otherAccuracy,
      takeOffStep,
    }),
  );
  console.log(
    `held-out greedy accuracy ${f(r.accuracyBefore)} → ${f(r.accuracyAfter)}; reflection words per completion ` +
      `${f(start.reflection)} → ${f(end.reflection)} (${f(ratio, 1)}×); length ${f(start.completionLength, 1)} → ` +
      `${f(end.completionLength, 1)}; take-off ${takeOffStep ?? 'none'}`,
  );
}
if (r.report) console.log(`report: ${r.report}`);
console.log(`total ${((performance.now() - t0) / 1000).toFixed(0)} s`);
