/**
 * Runs DeepSeek-R1's four stages in miniature from the shipped tiny base model and prints, per stage, the held-out
 * greedy accuracy, the language consistency of the chain of thought and the reward-model scores (see README.md).
 * Run: npx tsx --conditions=source examples/r1-four-stage/main.ts [full|tiny = full] [runDir = runs/r1-four-stage]
 * `full` takes about 5 minutes on 2 cores (the non-CI path); `tiny` a few seconds. Running again skips finished
 * stages; Ctrl-C stops after the current step and the next run resumes there.
 */
import { summaryTable } from '@aha/pipeline';
import { runR1FourStage } from './run.js';

const setting = process.argv[2] === 'tiny' ? 'tiny' : 'full';
const runDir = process.argv[3] ?? 'runs/r1-four-stage';
const t0 = performance.now();
const result = await runR1FourStage({ setting, runDir, log: (m) => console.log(m) });
if (result.summary) {
  console.log(`\n${summaryTable(result.summary)}\n`);
  console.log(
    `reward models, held-out accuracy: helpfulness ${result.rewardModels?.helpfulnessHeldOutAccuracy.toFixed(2)}, ` +
      `safety ${result.rewardModels?.safetyHeldOutAccuracy.toFixed(2)}`,
  );
  console.log(`report: ${result.report}`);
}
console.log(`total ${((performance.now() - t0) / 1000).toFixed(0)} s`);
