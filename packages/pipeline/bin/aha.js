#!/usr/bin/env node
// Launcher of the `aha` CLI. Runs the build (dist/cli/bin.js) when there is one; inside the repo, without a build,
// runs the TypeScript source through tsx with the "source" export condition so workspace packages load from src/.
// AHA_CLI_SOURCE=1 forces the source path (e.g. to avoid a stale build while developing).
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const dist = new URL('../dist/cli/bin.js', import.meta.url);
if (existsSync(fileURLToPath(dist)) && process.env.AHA_CLI_SOURCE !== '1') {
  await import(dist.href);
} else {
  let tsx;
  try {
    tsx = import.meta.resolve('tsx');
  } catch {
    console.error('aha: no build found (dist/) and tsx is not installed; run `npm run build -w @aha/pipeline`');
    process.exit(1);
  }
  const source = fileURLToPath(new URL('../src/cli/bin.ts', import.meta.url));
  const child = spawnSync(
    process.execPath,
    ['--conditions=source', '--import', tsx, source, ...process.argv.slice(2)],
    { stdio: 'inherit' },
  );
  process.exit(child.status ?? 1);
}
