/**
 * Run: npm start -w @aha/example-safety-eval [-- <outDir>]   (default outDir: ./safety-eval-out)
 * Prints the markdown summary and where the JSON report went.
 */
import { readFile } from 'node:fs/promises';
import { runSafetyEval } from './run.js';

const outDir = process.argv[2] ?? 'safety-eval-out';
const { files } = await runSafetyEval({ outDir });
console.log(await readFile(files.markdown, 'utf8'));
console.log(`full report: ${files.json}`);
