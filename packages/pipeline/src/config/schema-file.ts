/**
 * The JSON Schema file of the run config, `schema/aha-config.schema.json`, shipped in the package so editors
 * complete and check `aha.config.json` (`"$schema": "./node_modules/@aha/pipeline/schema/aha-config.schema.json"`).
 * Generated from the zod schema by `npm run schema -w @aha/pipeline`; a test fails when the file is stale.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { packagePath } from '../package-root.js';
import { fullConfigSchema } from './full-schema.js';
import { configJsonSchema } from './schema.js';

/** Absolute path of the committed schema file. */
export const CONFIG_SCHEMA_FILE = packagePath('schema', 'aha-config.schema.json'); // src/ and dist/ alike

/**
 * The file's expected contents: the JSON Schema with every recipe's and command's sections (their real schemas),
 * 2-space indented, trailing newline.
 */
export function configSchemaText(): string {
  return `${JSON.stringify(configJsonSchema(fullConfigSchema()), null, 2)}\n`;
}

/** Writes the schema file; returns true when it changed. */
export function writeConfigSchemaFile(file = CONFIG_SCHEMA_FILE): boolean {
  const text = configSchemaText();
  let old = '';
  try {
    old = readFileSync(file, 'utf8');
  } catch {}
  if (old === text) return false;
  writeFileSync(file, text);
  return true;
}
