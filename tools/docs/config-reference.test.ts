/** docs/config.md is exactly what tools/docs/config-reference.ts generates from the schemas: it cannot drift. */
import { readFileSync } from 'node:fs';
import { TrainConfigBaseSchema } from '@aha/core';
import { GrpoConfigSchema } from '@aha/grpo';
import { describe, expect, it } from 'vitest';
import { CONFIG_DOC, configReference } from './config-reference.js';

describe('docs/config.md', () => {
  it('lists every training and GRPO key exactly once', () => {
    const doc = configReference();
    for (const key of [...Object.keys(TrainConfigBaseSchema.shape), ...Object.keys(GrpoConfigSchema.shape)]) {
      if (key === 'seed' || key === 'outputDir') continue; // top-level keys of a file, listed there
      expect(doc.match(new RegExp(`^\\| \`${key}\` \\|`, 'gm'))?.length, key).toBe(1);
    }
  });

  it('is up to date (regenerate with `npm run docs:config`)', () => {
    expect(readFileSync(CONFIG_DOC, 'utf8'), 'docs/config.md is stale: run `npm run docs:config`').toBe(
      configReference(),
    );
  });
});
