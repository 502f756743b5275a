// Source entry of the `aha` binary (bin/aha.js runs this through tsx when there is no build).
import { main } from './main.js';

process.exitCode = await main();
