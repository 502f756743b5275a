// Regenerates schema/aha-config.schema.json from the zod config schema: `npm run schema -w @aha/pipeline`.
import { CONFIG_SCHEMA_FILE, writeConfigSchemaFile } from '../src/config/schema-file.js';

process.stdout.write(`${writeConfigSchemaFile() ? 'wrote' : 'unchanged'}: ${CONFIG_SCHEMA_FILE}\n`);
