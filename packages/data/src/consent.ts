/**
 * Consent: records of users who opted out of training are dropped, and the user-id column of the rest is replaced
 * by a keyed hash (HMAC-SHA-256 with a secret the operator supplies, truncated to 128 bits, hex) so records of one
 * user stay linkable without the id. The secret is read from an environment variable, never from the config file,
 * so configs can be shared. Opt-out ids are compared as strings, trimmed. Leaves out: opting out by other keys
 * (e-mail, device id): run the step again with another `column`.
 */
import { createHmac } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { z } from 'zod';
import { DataConfigError } from './errors.js';
import { type DataRecord, drop, EDIT, KEEP, type StepOutcome, type SyncStep } from './record.js';

export const ConsentStepSchema = z
  .strictObject({
    type: z.literal('consent'),
    name: z.string().default('consent').describe('Step name in the stats.'),
    column: z.string().min(1).default('user_id').describe('Column holding the user id.'),
    optOut: z.array(z.string()).default([]).describe('User ids that opted out (inline); combine with optOutFile.'),
    optOutFile: z
      .string()
      .optional()
      .describe(
        'File with one opted-out user id per line (relative to the config file); blank lines and # comments skipped.',
      ),
    missing: z
      .enum(['keep', 'drop'])
      .default('keep')
      .describe('Records without the column: keep (not user data) or drop (consent unknown).'),
    pseudonymise: z
      .union([
        z.strictObject({ secretEnv: z.string().min(1).describe('Environment variable holding the HMAC key.') }),
        z.literal(false),
      ])
      .default(false)
      .describe('Replace kept user ids by HMAC-SHA-256(secret, id), or false to leave them.'),
  })
  .describe('Drop opted-out users; pseudonymise user ids.');
export type ConsentStepConfig = z.input<typeof ConsentStepSchema>;

/** HMAC-SHA-256 of `id` under `secret`, first 32 hex digits. */
export function pseudonymiseId(id: string, secret: string): string {
  return createHmac('sha256', secret).update(id).digest('hex').slice(0, 32);
}

/** Reads an opt-out list file. */
export async function readOptOutFile(path: string): Promise<string[]> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    throw new DataConfigError(`consent.optOutFile: cannot read ${path}: ${(err as Error).message}`, { cause: err });
  }
  return text
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l && !l.startsWith('#'));
}

/**
 * The consent step. `env` is where `pseudonymise.secretEnv` is looked up (the process environment by default);
 * an `optOutFile` must already be read into `optOut` (see `readOptOutFile`; the pipeline does it).
 */
export function consentStep(
  config: Omit<ConsentStepConfig, 'type' | 'optOutFile'>,
  env: Record<string, string | undefined> = process.env,
): SyncStep {
  const c = ConsentStepSchema.omit({ optOutFile: true }).parse({ ...config, type: 'consent' });
  const optOut = new Set(c.optOut.map((s) => s.trim()));
  let secret: string | undefined;
  if (c.pseudonymise) {
    secret = env[c.pseudonymise.secretEnv];
    if (!secret)
      throw new DataConfigError(
        `${c.name}.pseudonymise.secretEnv: environment variable ${c.pseudonymise.secretEnv} is not set (it holds the HMAC key)`,
      );
    if (secret.length < 16)
      throw new DataConfigError(
        `${c.name}.pseudonymise: the key in ${c.pseudonymise.secretEnv} is ${secret.length} characters; use at least 16`,
      );
  }
  if (optOut.size === 0 && !secret)
    throw new DataConfigError(`${c.name}: no opt-out ids and no pseudonymisation — the step would do nothing`);
  return {
    name: c.name,
    process(record: DataRecord): StepOutcome {
      const raw = record.fields[c.column];
      if (raw === undefined || raw === null || raw === '')
        return c.missing === 'drop' ? drop('consent:no-user-id') : KEEP;
      const id = String(raw).trim();
      if (optOut.has(id)) return drop('consent:opted-out');
      if (!secret) return KEEP;
      record.fields[c.column] = pseudonymiseId(id, secret);
      return EDIT;
    },
  };
}
