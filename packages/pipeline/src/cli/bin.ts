// Source entry of the `aha` binary (bin/aha.js runs this through tsx when there is no build). No top-level await:
// the same file is built to CommonJS too.
import { main } from './main.js';

main().then(
  (code) => {
    process.exitCode = code;
  },
  (err: unknown) => {
    console.error(err);
    process.exitCode = 1;
  },
);
