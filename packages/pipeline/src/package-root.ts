/**
 * The @aha/pipeline package folder (where package.json, assets/ and schema/ live), found by walking up from this
 * module: the same code runs from src/<dir>/ and from a dist/ chunk bundled to another depth, so a path written
 * relative to `import.meta.url` (`../../../assets`) is right in one of them only. Leaves out: caching across
 * processes (one walk per process).
 */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

let root: string | undefined;

/** Absolute path of the @aha/pipeline package folder. */
export function pipelineRoot(): string {
  if (root) return root;
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    const file = join(dir, 'package.json');
    if (existsSync(file) && (JSON.parse(readFileSync(file, 'utf8')) as { name?: string }).name === '@aha/pipeline') {
      root = dir;
      return dir;
    }
    const up = dirname(dir);
    if (up === dir)
      throw new Error(`@aha/pipeline: no package.json of @aha/pipeline above ${fileURLToPath(import.meta.url)}`);
    dir = up;
  }
}

/** A path inside the package folder (`packagePath('assets', 'r1-zero-base')`). */
export const packagePath = (...parts: string[]) => join(pipelineRoot(), ...parts);
