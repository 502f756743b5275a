#!/usr/bin/env node
// Launcher of the `aha` CLI. Runs the build (dist/cli/bin.js) when there is one and it loads; otherwise (inside the
// repo, where workspace packages may be unbuilt) runs the TypeScript source through tsx with the "source" export
// condition, so every @aha/* package loads from src/. AHA_CLI_SOURCE=1 forces the source path (no stale builds).
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const dist = new URL('../dist/cli/bin.js', import.meta.url);
let ran = false;
if (existsSync(fileURLToPath(dist)) && process.env.AHA_CLI_SOURCE !== '1') {
  try {
    await import(dist.href);
    ran = true;
  } catch (err) {
    // A dependency's build is missing (e.g. @aha/core/dist in a half-built repo): fall back to the source.
    if (err?.code !== 'ERR_MODULE_NOT_FOUND') throw err;
  }
}
if (!ran) {
  let tsx;
  try {
    tsx = import.meta.resolve('tsx');
  } catch {
    console.error('aha: no usable build (dist/) and tsx is not installed; run `npm run build` first');
    process.exit(1);
  }
  const source = fileURLToPath(new URL('../src/cli/bin.ts', import.meta.url));
  // Not spawnSync: this process must stay able to pass Ctrl-C / SIGTERM on (a blocked parent would die on SIGINT and
  // leave the run orphaned). The CLI counts a forwarded copy of a terminal's SIGINT once.
  const child = spawn(process.execPath, ['--conditions=source', '--import', tsx, source, ...process.argv.slice(2)], {
    stdio: 'inherit',
  });
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP']) process.on(signal, () => child.kill(signal));
  process.on('exit', () => child.kill('SIGKILL'));
  child.on('exit', (code, signal) => {
    process.exitCode = code ?? (signal === 'SIGINT' ? 130 : 1);
  });
}
