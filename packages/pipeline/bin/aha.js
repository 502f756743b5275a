#!/usr/bin/env node
// Launcher of the `aha` CLI. Installed from npm (under node_modules) it runs the build, dist/cli/bin.js. In an aha
// checkout (or a project linked to one by `aha init`) it runs the TypeScript source through tsx with the "source"
// export condition, so every @aha/* package loads from src/ and an edit needs no rebuild — the dist/ that `npm
// install` builds would otherwise go stale under a developer. AHA_CLI_DIST=1 / AHA_CLI_SOURCE=1 force one or the
// other; without tsx the build runs.
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const here = fileURLToPath(import.meta.url);
const dist = new URL('../dist/cli/bin.js', import.meta.url);
const inCheckout =
  !here.split(/[\\/]/).includes('node_modules') &&
  existsSync(fileURLToPath(new URL('../src/cli/bin.ts', import.meta.url)));
const wantSource =
  process.env.AHA_CLI_SOURCE === '1' || (inCheckout && process.env.AHA_CLI_DIST !== '1' && resolves('tsx'));
let ran = false;
if (existsSync(fileURLToPath(dist)) && !wantSource) {
  try {
    await import(dist.href);
    ran = true;
  } catch (err) {
    // A dependency's build is missing (e.g. @aha/core/dist in a half-built repo): fall back to the source.
    if (err?.code !== 'ERR_MODULE_NOT_FOUND') throw err;
  }
}

function resolves(specifier) {
  try {
    import.meta.resolve(specifier);
    return true;
  } catch {
    return false;
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
