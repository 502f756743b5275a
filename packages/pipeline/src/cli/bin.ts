// Source entry of the `aha` binary (bin/aha.js runs this through tsx when there is no build). No top-level await:
// the same file is built to CommonJS too. Commands that train run in a supervised child (supervise.ts: Ctrl-C reaches
// the whole process tree, no orphans); the child (and short commands) run the CLI in-process.
import { main } from './main.js';
import { startHeartbeat, supervise, wantsSupervisor } from './supervise.js';

const argv = process.argv.slice(2);
const supervised = wantsSupervisor(argv);
if (!supervised) startHeartbeat();
const run = supervised ? supervise(argv) : main(argv);
run.then(
  (code) => {
    process.exitCode = code;
  },
  (err: unknown) => {
    console.error(err);
    process.exitCode = 1;
  },
);
