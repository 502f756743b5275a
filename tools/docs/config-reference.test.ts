/** docs/config.md is exactly what tools/docs/config-reference.ts generates from the schemas: it cannot drift. */
import { readFileSync } from 'node:fs';
import { TrainConfigBaseSchema } from '@aha/core';
import { GrpoConfigSchema } from '@aha/grpo';
import { describe, expect, it } from 'vitest';
import { CONFIG_DOC, configReference } from './config-reference.js';

describe('docs/config.md', () => {
  it('lists the shared training keys once in the whole page, and every GRPO key in its table', () => {
    const doc = configReference();
    const rows = (text: string, key: string) => text.match(new RegExp(`^\\| \`${key}\` \\|`, 'gm'))?.length ?? 0;
    for (const key of Object.keys(TrainConfigBaseSchema.shape)) {
      // seed and outputDir are also top-level keys of a config file, listed there.
      expect(rows(doc, key), key).toBe(key === 'seed' || key === 'outputDir' ? 2 : 1);
    }
    const grpo = doc.slice(doc.indexOf('## GRPO'), doc.indexOf('\n## ', doc.indexOf('## GRPO') + 1));
    for (const key of Object.keys(GrpoConfigSchema.shape)) {
      if (key in TrainConfigBaseSchema.shape) continue;
      expect(rows(grpo, key), key).toBe(1);
    }
  });

  it('is up to date (regenerate with `npm run docs:config`)', () => {
    expect(readFileSync(CONFIG_DOC, 'utf8'), 'docs/config.md is stale: run `npm run docs:config`').toBe(
      configReference(),
    );
  });
});
