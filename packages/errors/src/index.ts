/**
 * @aha/errors — the typed error classes every aha package throws. A leaf package with no dependencies and no native
 * code, so `@aha/rewards` (all a reward plugin needs) installs without compiling or loading the C++ addon, while
 * `@aha/core` and the rest throw the same classes.
 */
export { AhaError, type AhaErrorCode, DTypeError, fmtShape, IndexError, ShapeError, ValueError } from './errors.js';
