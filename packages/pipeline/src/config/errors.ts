/**
 * The pipeline's config error: a file or command line that cannot be used as given. It is an `AhaError` with code
 * `'config'` (so `AhaError.is(err, 'config')` works across package copies) and keeps one line per problem, each
 * naming the key and what is wrong, so the CLI can print them and exit with the usage code 2.
 */
import { AhaError } from '@aha/core';

export class ConfigError extends AhaError {
  /**
   * @param source where the config came from (a file path, `--flag`, `recipe`)
   * @param problems one line per problem, `<key path>: <problem>`
   */
  constructor(
    readonly source: string,
    readonly problems: readonly string[],
  ) {
    super('config', problems.map((p) => `${source}: ${p}`).join('\n'));
  }
}
