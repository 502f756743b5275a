/**
 * The error class of @aha/safety: an `AhaError` with a stable `reason` and a marker symbol, so callers can test for it
 * across package copies (`SafetyError.isSafetyError(err, 'timeout')`) where `instanceof` breaks.
 */
import { AhaError, type AhaErrorCode } from '@aha/core';

/** Why a safety operation failed. */
export type SafetyErrorReason =
  /** A judge's reply held no label we could read. */
  | 'unparseable'
  /** An HTTP judge got no reply in time. */
  | 'timeout'
  /** An HTTP judge could not connect. */
  | 'connection'
  /** An HTTP judge got a non-2xx status. */
  | 'http'
  /** A reply or a file did not match its schema. */
  | 'malformed'
  /** The caller's AbortSignal fired. */
  | 'aborted'
  /** A keyword list, template or label that is not valid. */
  | 'invalid';

const marker = Symbol.for('aha.safety.error');

const CODE: Record<SafetyErrorReason, AhaErrorCode> = {
  unparseable: 'value',
  timeout: 'io',
  connection: 'io',
  http: 'io',
  malformed: 'io',
  aborted: 'io',
  invalid: 'value',
};

/** A failed safety operation: `reason`, and for HTTP failures the `status` and the number of `attempts`. */
export class SafetyError extends AhaError {
  readonly [marker] = true;
  constructor(
    readonly reason: SafetyErrorReason,
    message: string,
    readonly details: { attempts?: number; status?: number; raw?: string } = {},
    options?: { cause?: unknown },
  ) {
    super(CODE[reason], message, options);
    this.name = `SafetyError[${reason}]`;
  }

  /** True when `err` is a SafetyError (of `reason`, when given), whichever copy of the package threw it. */
  static isSafetyError(err: unknown, reason?: SafetyErrorReason): err is SafetyError {
    return (
      AhaError.is(err) &&
      (err as unknown as Record<symbol, unknown>)[marker] === true &&
      (reason === undefined || (err as SafetyError).reason === reason)
    );
  }
}
