#!/usr/bin/env node
// Repository checks run by `npm run lint` (and so by `npm test` and CI):
//   1. dependency direction: @aha/* imports follow the arrows in DESIGN.md;
//   2. no circular imports inside a package (madge);
//   3. package shape: package.json exports with types, tsup.config.ts, src/index.ts, README.md;
//   4. file-size budget for source files;
//   5. C++ formatting (clang-format from the npm package, so no system install is needed).
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import madge from 'madge';

const root = new URL('..', import.meta.url).pathname;
const problems = [];

// Left may import right (DESIGN.md "Packages").
const allowed = {
  errors: [],
  core: ['errors'],
  rewards: ['errors'],
  'reward-models': ['errors', 'core', 'rewards'],
  grpo: ['errors', 'core', 'rewards'],
  distill: ['errors', 'core', 'rewards'],
  safety: ['errors', 'core'],
  data: ['errors', 'core'],
  pipeline: ['errors', 'core', 'rewards', 'reward-models', 'grpo', 'distill', 'safety', 'data'],
};

function walk(dir, filter, out = []) {
  if (!existsSync(dir)) return out;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    if (entry.name === 'node_modules' || entry.name === 'dist' || entry.name === 'build') continue;
    const p = join(dir, entry.name);
    if (entry.isDirectory()) walk(p, filter, out);
    else if (filter(p)) out.push(p);
  }
  return out;
}

const FILE_BUDGET = 1000; // lines per non-test source file: split a module before it grows past this
for (const pkg of readdirSync(join(root, 'packages'))) {
  const dir = join(root, 'packages', pkg);
  if (!statSync(dir).isDirectory()) continue;
  if (!(pkg in allowed)) problems.push(`packages/${pkg}: not a package of DESIGN.md; add it to tools/repo-check.mjs`);
  const manifest = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8'));
  if (!manifest.exports?.['.']?.types) problems.push(`packages/${pkg}/package.json: exports["."] needs "types"`);
  for (const f of ['tsup.config.ts', 'src/index.ts', 'README.md']) {
    if (!existsSync(join(dir, f))) problems.push(`packages/${pkg}: missing ${f}`);
  }
  const ok = new Set(allowed[pkg] ?? []);
  for (const dep of Object.keys({ ...manifest.dependencies, ...manifest.peerDependencies })) {
    const m = dep.match(/^@aha\/(.+)$/);
    if (m && m[1] !== 'native' && !ok.has(m[1])) problems.push(`packages/${pkg}/package.json depends on ${dep}`);
  }
  for (const file of walk(join(dir, 'src'), (p) => p.endsWith('.ts'))) {
    const text = readFileSync(file, 'utf8');
    for (const m of text.matchAll(/(?:from|import)\s*\(?\s*['"]@aha\/([\w-]+)/g)) {
      if (m[1] !== pkg && m[1] !== 'native' && !ok.has(m[1])) {
        problems.push(
          `${relative(root, file)} imports @aha/${m[1]}: ${pkg} may import only ${[...ok].join(', ') || 'native'}`,
        );
      }
    }
    const lines = text.split('\n').length;
    if (!file.endsWith('.test.ts') && lines > FILE_BUDGET) {
      problems.push(`${relative(root, file)}: ${lines} lines, over the ${FILE_BUDGET}-line budget`);
    }
  }
  const graph = await madge(join(dir, 'src'), {
    fileExtensions: ['ts'],
    tsConfig: join(root, 'tsconfig.json'),
    detectiveOptions: { ts: { skipTypeImports: true } },
  });
  for (const cycle of graph.circular()) problems.push(`packages/${pkg}: circular import ${cycle.join(' -> ')}`);
}

const cpp = walk(join(root, 'native'), (p) => /\.(cc|h|cu|cuh)$/.test(p));
if (cpp.length) {
  const clangFormat = join(root, 'node_modules', '.bin', 'clang-format');
  try {
    execFileSync(clangFormat, ['--dry-run', '-Werror', '--style=file', ...cpp], { cwd: root, stdio: 'pipe' });
  } catch (err) {
    const out = `${err.stdout ?? ''}${err.stderr ?? ''}`.split('\n').filter((l) => l.includes('error:'));
    problems.push(`C++ formatting (run: npm run format:cpp):\n  ${out.slice(0, 10).join('\n  ')}`);
  }
}

if (problems.length) {
  console.error(`repo-check: ${problems.length} problem(s)\n- ${problems.join('\n- ')}`);
  process.exit(1);
}
console.error('repo-check: ok');
