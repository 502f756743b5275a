#!/usr/bin/env node
// Builds the addon when it is missing or older than any C++ source, so `npm install`, `npm test` and `npm start`
// always run the kernels that are in the tree. Runs node-gyp against this Node's own headers (no download).
// Usage: node native/tools/ensure-built.cjs [--force]
'use strict';
const fs = require('node:fs');
const path = require('node:path');
const { spawnSync } = require('node:child_process');

const root = path.join(__dirname, '..');
const addon = path.join(root, 'build', 'Release', 'aha_native.node');

function newestSource() {
  let newest = 0;
  const walk = (dir) => {
    for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
      const p = path.join(dir, entry.name);
      if (entry.isDirectory()) walk(p);
      else if (/\.(cc|h|cu|cuh)$/.test(entry.name)) newest = Math.max(newest, fs.statSync(p).mtimeMs);
    }
  };
  walk(path.join(root, 'src'));
  newest = Math.max(newest, fs.statSync(path.join(root, 'binding.gyp')).mtimeMs);
  return newest;
}

function findNodeGyp() {
  if (process.env.npm_config_node_gyp && fs.existsSync(process.env.npm_config_node_gyp)) {
    return process.env.npm_config_node_gyp;
  }
  try {
    return require.resolve('node-gyp/bin/node-gyp.js', { paths: [root, process.cwd()] });
  } catch {
    // npm ships node-gyp; find it next to the npm that runs this Node.
    const guess = path.join(path.dirname(process.execPath), '..', 'lib', 'node_modules', 'npm', 'node_modules');
    return path.join(guess, 'node-gyp', 'bin', 'node-gyp.js');
  }
}

// `node-gyp build` reuses the generated Makefile, whose source list is fixed at configure time: a new op file needs
// a full rebuild, so the list the Makefile was generated from is kept beside it and compared.
const sourcesStamp = path.join(root, 'build', 'sources.txt');
const sources = require('./sources.cjs');
const sourcesChanged = !fs.existsSync(sourcesStamp) || fs.readFileSync(sourcesStamp, 'utf8') !== sources;
const force = process.argv.includes('--force') || sourcesChanged;
const stale = !fs.existsSync(addon) || fs.statSync(addon).mtimeMs < newestSource();
if (!force && !stale) process.exit(0);

const nodedir = process.env.npm_config_nodedir || path.join(path.dirname(process.execPath), '..');
const jobs = String(Math.max(1, require('node:os').availableParallelism?.() ?? 2));
const args = [findNodeGyp(), fs.existsSync(path.join(root, 'build', 'Makefile')) && !force ? 'build' : 'rebuild'];
args.push('-j', jobs, `--nodedir=${nodedir}`);
process.stderr.write(`@aha/native: building the addon (${args[1]})...\n`);
const result = spawnSync(process.execPath, args, { cwd: root, stdio: ['ignore', 'inherit', 'inherit'] });
if (result.status !== 0) {
  process.stderr.write('@aha/native: build failed; see the compiler output above.\n');
  process.exit(result.status ?? 1);
}
fs.writeFileSync(sourcesStamp, sources);
