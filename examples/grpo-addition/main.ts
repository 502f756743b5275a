/**
 * Prints the accuracy curve of GRPO on single-digit addition (see run.ts).
 * Run: npx tsx --conditions=source examples/grpo-addition/main.ts [grpoSteps = 200] [sftSteps = 400]
 * (about a minute on 2 cores).
 */
import { runGrpoAddition } from './run.js';

const grpoSteps = Number(process.argv[2] ?? 200);
const promptsPerStep = 8;
const t0 = performance.now();
const window: number[] = [];
const result = await runGrpoAddition({
  sftSteps: Number(process.argv[3] ?? 400),
  grpoSteps,
  groupSize: 8,
  promptsPerStep,
  learningRate: 1e-3,
  outputDir: 'runs/grpo-addition',
  seed: 1,
  onSft: (step, loss) => {
    if (step % 100 === 0) console.log(`sft step ${step}: loss ${loss.toFixed(3)}`);
  },
  onStep: (m) => {
    window.push(m.accuracy ?? 0);
    if (m.step % 10 === 0) {
      const mean = window.splice(0).reduce((a, b) => a + b, 0) / 10;
      console.log(
        `grpo step ${String(m.step).padStart(4)}: accuracy (mean of last 10 steps) ${mean.toFixed(3)}  ` +
          `len ${m.completionLength.mean.toFixed(1)}  entropy ${m.entropy?.toFixed(3)}  ` +
          `zero-var groups ${m.zeroVarianceGroups.count}/${promptsPerStep}  ${((performance.now() - t0) / 1000).toFixed(0)} s`,
      );
    }
  },
});
const first = result.curve.slice(0, 10).reduce((a, b) => a + b.accuracy, 0) / Math.min(10, result.curve.length);
const last = result.curve.slice(-10).reduce((a, b) => a + b.accuracy, 0) / Math.min(10, result.curve.length);
console.log(`mean sampled accuracy: first 10 steps ${first.toFixed(3)} → last 10 steps ${last.toFixed(3)}`);
console.log(`greedy accuracy on all 40 problems: ${result.greedyBefore.toFixed(2)} → ${result.greedyAfter.toFixed(2)}`);
console.log(`total ${((performance.now() - t0) / 1000).toFixed(0)} s`);
