/**
 * `aha init <dir>`: scaffolds a project that trains with aha — package.json (with `train` and `report` scripts), a
 * run config checked by the JSON Schema, a custom reward made with `defineReward`, a README and a .gitignore. The
 * config reproduces R1-Zero's reward (accuracy + format, equal weights) and adds the custom reward at a small weight
 * to show how. Leaves out: installing dependencies (the user runs `npm install`).
 */
import { existsSync, mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { basename, join, resolve } from 'node:path';
import { ConfigError } from '../config/errors.js';

/** Files written by {@link initProject}, relative to the project folder. */
export const INIT_FILES = ['package.json', 'aha.config.json', 'rewards/concise.ts', 'README.md', '.gitignore'] as const;

/** npm package names: lowercase, no spaces; derived from the folder name when not given. */
function packageName(dir: string): string {
  const name = basename(resolve(dir))
    .toLowerCase()
    .replace(/[^a-z0-9._-]+/g, '-')
    .replace(/^[._-]+|-+$/g, '');
  return name || 'aha-project';
}

function files(name: string, version: string, recipe: string): Record<(typeof INIT_FILES)[number], string> {
  const outputDir = `runs/${recipe}`;
  const pkg = {
    name,
    version: '0.1.0',
    private: true,
    type: 'module',
    scripts: { train: 'aha run aha.config.json', report: `aha report ${outputDir}` },
    dependencies: { '@aha/pipeline': `^${version}`, '@aha/rewards': `^${version}` },
    devDependencies: { tsx: '^4.20.0' },
  };
  const config = {
    $schema: './node_modules/@aha/pipeline/schema/aha-config.schema.json',
    recipe,
    model: 'tiny',
    outputDir,
    seed: 0,
    rewards: [
      { name: 'accuracy', weight: 1 },
      { name: 'format', weight: 1 },
      { module: './rewards/concise.ts', weight: 0.2 },
    ],
    grpo: {},
  };
  const reward = `// A custom reward: prefer answers that get to the point. DeepSeek-R1 rewards only correctness and format; a
// small weight on length (see aha.config.json) is a common extra. Scores are in [0, 1]; null would mean "does not
// apply to this sample" and is skipped in the weighted sum.
import { defineReward } from '@aha/rewards';

const BUDGET = 800; // characters of completion before the score starts to fall

export default defineReward({
  name: 'concise',
  async score(samples) {
    return samples.map((sample) => {
      const length = sample.completion.length;
      return length <= BUDGET ? 1 : Math.max(0, 1 - (length - BUDGET) / BUDGET);
    });
  },
});
`;
  const readme = `# ${name}

Trains a model with aha — the DeepSeek-R1 recipe in TypeScript.

\`\`\`sh
npm install
npm run train     # aha run aha.config.json: ${recipe} from the "tiny" preset into ${outputDir}/
npm run report    # aha report ${outputDir}: writes ${outputDir}/report.html
\`\`\`

- \`aha.config.json\` — the run: recipe, model, rewards and per-stage settings (your editor completes keys from the schema).
- \`rewards/concise.ts\` — a reward of your own, added to accuracy + format with weight 0.2.
`;
  return {
    'package.json': `${JSON.stringify(pkg, null, 2)}\n`,
    'aha.config.json': `${JSON.stringify(config, null, 2)}\n`,
    'rewards/concise.ts': reward,
    'README.md': readme,
    '.gitignore': 'node_modules/\nruns/\n',
  };
}

/**
 * Writes a new project into `dir` (created if missing).
 * @param options.force write into a non-empty folder, replacing files of the same names
 * @param options.version version range of the aha packages to depend on
 * @throws ConfigError when `dir` exists, is not empty and `force` is not set
 * @returns absolute paths of the files written
 */
export function initProject(
  dir: string,
  options: { force?: boolean; name?: string; recipe?: string; version?: string } = {},
): string[] {
  const root = resolve(dir);
  if (existsSync(root) && readdirSync(root).length > 0 && !options.force) {
    throw new ConfigError(dir, ['folder is not empty (use --force to write into it anyway)']);
  }
  const content = files(options.name ?? packageName(root), options.version ?? '0.0.0', options.recipe ?? 'r1-zero');
  const written: string[] = [];
  for (const rel of INIT_FILES) {
    const file = join(root, rel);
    mkdirSync(join(file, '..'), { recursive: true });
    writeFileSync(file, content[rel]);
    written.push(file);
  }
  return written;
}
