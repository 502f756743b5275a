/** Math answer verification: extraction, parsing, equivalence, and the bounded worker-pool front end. */
export { EXTRACTION_TARGETS, type ExtractionTarget, extractAnswer, extractGold } from './extract.js';
export { MathPoolError } from './pool.js';
export {
  createMathVerifier,
  type MathVerifier,
  type MathVerifierOptions,
  mathVerifierOptionsSchema,
  type VerifyMathOptions,
  verifyMath,
  verifyMathOptionsSchema,
} from './verify.js';
export { type MathVerdict, type MathVerification, type VerifyCoreOptions, verifyMathSync } from './verify-core.js';
