/**
 * Child process of the kill-and-resume test: trains the run of `killRunOptions`, prints `step N` after each step
 * and, after step `stopAt`, keeps the process alive without training so the parent can SIGKILL it mid-run.
 * Usage: node --conditions=source --import tsx kill-run.ts <outputDir> <stopAt>
 */
import { GrpoTrainer } from '../trainer.js';
import { killRunOptions } from './kill-options.js';

const [dir, stopAt] = process.argv.slice(2);
const trainer = new GrpoTrainer(killRunOptions(dir));
for await (const m of trainer.train()) {
  process.stdout.write(`step ${m.step}\n`);
  if (m.step === Number(stopAt)) {
    setInterval(() => {}, 1000);
    await new Promise(() => {});
  }
}
