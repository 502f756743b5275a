/**
 * Typed errors. Each carries a stable `code` and a marker symbol so callers can test for them across package copies
 * (`AhaError.is(err, 'shape')`) where `instanceof` breaks with duplicated installs.
 */
const marker = Symbol.for('aha.error');

export type AhaErrorCode = 'shape' | 'dtype' | 'index' | 'value' | 'config' | 'io' | 'state';

export class AhaError extends Error {
  readonly [marker] = true;
  constructor(
    readonly code: AhaErrorCode,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = `AhaError[${code}]`;
  }

  /** True when `err` is an aha error (of `code`, when given), whichever copy of the package threw it. */
  static is(err: unknown, code?: AhaErrorCode): err is AhaError {
    return (
      typeof err === 'object' &&
      err !== null &&
      (err as Record<symbol, unknown>)[marker] === true &&
      (code === undefined || (err as AhaError).code === code)
    );
  }
}

/** Shapes that do not fit together: the message names the op, the arguments and both shapes. */
export class ShapeError extends AhaError {
  constructor(message: string) {
    super('shape', message);
  }
}

/** An index outside its range (token id, gather index, dim). */
export class IndexError extends AhaError {
  constructor(message: string) {
    super('index', message);
  }
}

/** Wrong data type (e.g. a Float64Array where a Float32Array is needed). */
export class DTypeError extends AhaError {
  constructor(message: string) {
    super('dtype', message);
  }
}

/** A value that is not allowed (NaN where finite is needed, negative size, empty tensor where one is needed). */
export class ValueError extends AhaError {
  constructor(message: string) {
    super('value', message);
  }
}

export const fmtShape = (shape: readonly number[]): string => `[${shape.join(', ')}]`;
