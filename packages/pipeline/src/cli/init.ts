/**
 * `aha init <dir>`: scaffolds a project that trains with aha and runs as it is — package.json (with `train` and
 * `report` scripts), a run config checked by the JSON Schema, a custom reward that follows
 * docs/guides/writing-a-reward.md, a README and a .gitignore. The config reproduces R1-Zero's reward (accuracy +
 * format, equal weights) and adds the custom reward at a small weight, so the run's metrics show it.
 *
 * Until the @aha packages are on npm, the project depends on the aha checkout this CLI runs from (`file:` links to
 * its packages/pipeline and packages/rewards, so `npm install` needs no registry for them); the README and the init
 * output give the command that switches to the published packages. A CLI installed from npm writes version ranges.
 * Leaves out: installing dependencies (the user runs `npm install`).
 */
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { basename, dirname, join, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
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

/** Where each recipe writes the metrics.jsonl that `aha report` reads, inside its run folder. */
const METRICS_SUBDIR: Record<string, string> = { 'r1-zero': 'grpo', r1: '', distill: 'student-sft' };

/**
 * The aha checkout this code runs from (the folder holding packages/pipeline and packages/rewards), or undefined when
 * it runs from an installed package (node_modules).
 */
export function ahaCheckout(): string | undefined {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 5; i++) {
    const file = join(dir, 'package.json');
    if (existsSync(file) && (JSON.parse(readFileSync(file, 'utf8')) as { name?: string }).name === '@aha/pipeline') {
      const root = resolve(dir, '..', '..');
      const linked = !dir.split(sep).includes('node_modules') && existsSync(join(root, 'packages', 'rewards'));
      return linked ? root : undefined;
    }
    dir = dirname(dir);
  }
  return undefined;
}

/** The command that moves a linked project onto the published packages. */
export const SWITCH_TO_NPM = (version: string) => `npm install @aha/pipeline@^${version} @aha/rewards@^${version}`;

function files(
  name: string,
  version: string,
  recipe: string,
  checkout: string | undefined,
): Record<(typeof INIT_FILES)[number], string> {
  const outputDir = `runs/${recipe}`;
  const metricsDir = [outputDir, METRICS_SUBDIR[recipe] ?? ''].filter(Boolean).join('/');
  const dependency = (pkg: string) => (checkout ? `file:${join(checkout, 'packages', pkg)}` : `^${version}`);
  const pkg = {
    name,
    version: '0.1.0',
    private: true,
    type: 'module',
    scripts: {
      train: 'aha run aha.config.json',
      report: `aha report ${metricsDir} --out ${outputDir}/report.html`,
    },
    dependencies: { '@aha/pipeline': dependency('pipeline'), '@aha/rewards': dependency('rewards'), zod: '^4.1.0' },
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
      { module: './rewards/concise.ts', export: 'concise', options: { budget: 400 }, weight: 0.2 },
    ],
    grpo: {},
  };
  const reward = `/**
 * concise: prefer completions that get to the point. DeepSeek-R1 rewards only correctness and format; a small weight
 * on length (see aha.config.json) is a common extra. r = 1 for at most \`budget\` characters, then falls linearly to
 * 0 at twice the budget. Follows docs/guides/writing-a-reward.md: options in a zod object parsed once, text read
 * through textOf, a finite number per sample (null would mean "does not apply" and is skipped in the weighted sum).
 * Leaves out: counting tokens (characters are what a reader sees).
 */
import { defineReward, textOf } from '@aha/rewards';
import { z } from 'zod';

export const ConciseOptions = z.strictObject({
  name: z.string().default('concise').describe('Reward name: the metric key.'),
  budget: z.number().int().positive().default(800).describe('Characters of completion before the score falls.'),
});

/** Factory: \`{ "module": "./rewards/concise.ts", "export": "concise", "options": { "budget": 400 } }\` in a config. */
export function concise(options: z.input<typeof ConciseOptions> = {}) {
  const o = ConciseOptions.parse(options);
  return defineReward({
    name: o.name,
    async score(samples) {
      return samples.map((sample) => {
        const length = textOf(sample.completion).length;
        return length <= o.budget ? 1 : Math.max(0, 1 - (length - o.budget) / o.budget);
      });
    },
  });
}

/** The reward with its default options (what \`{ "module": "./rewards/concise.ts" }\` uses). */
export default concise();
`;
  const linkNote = checkout
    ? `
The aha packages are linked to the checkout at \`${checkout}\` (\`file:\` dependencies) until they are published;
then switch with \`${SWITCH_TO_NPM(version)}\`.
`
    : '';
  const readme = `# ${name}

Trains a model with aha — the DeepSeek-R1 recipe in TypeScript.

\`\`\`sh
npm install
npm run train     # aha run aha.config.json: ${recipe} from the "tiny" preset into ${outputDir}/
npm run report    # aha report ${metricsDir}: writes ${outputDir}/report.html
\`\`\`

- \`aha.config.json\` — the run: recipe, model, rewards and per-stage settings (your editor completes keys from the schema).
- \`rewards/concise.ts\` — a reward of your own, added to accuracy + format with weight 0.2 (see
  docs/guides/writing-a-reward.md in the aha repository for factories with options and the failure behaviour).
${linkNote}`;
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
 * @param options.version version range of the aha packages to depend on (when not linked to a checkout)
 * @param options.checkout aha checkout to link (`file:`); default the one this code runs from, null for none
 * @throws ConfigError when `dir` exists, is not empty and `force` is not set
 * @returns absolute paths of the files written
 */
export function initProject(
  dir: string,
  options: { force?: boolean; name?: string; recipe?: string; version?: string; checkout?: string | null } = {},
): string[] {
  const root = resolve(dir);
  if (existsSync(root) && readdirSync(root).length > 0 && !options.force) {
    throw new ConfigError(dir, ['folder is not empty (use --force to write into it anyway)']);
  }
  // null: write version ranges even from a checkout (the packages are on npm).
  const checkout = options.checkout === null ? undefined : (options.checkout ?? ahaCheckout());
  const content = files(
    options.name ?? packageName(root),
    options.version ?? '0.0.0',
    options.recipe ?? 'r1-zero',
    checkout,
  );
  const written: string[] = [];
  for (const rel of INIT_FILES) {
    const file = join(root, rel);
    mkdirSync(join(file, '..'), { recursive: true });
    writeFileSync(file, content[rel]);
    written.push(file);
  }
  return written;
}
