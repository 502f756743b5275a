/** The typed errors live in @aha/errors (no native code, so @aha/rewards can use them without the addon). */
export { AhaError, type AhaErrorCode, DTypeError, fmtShape, IndexError, ShapeError, ValueError } from '@aha/errors';
