/** @aha/rewards — The reward contract (defineReward), combinators and rule rewards: accuracy (math, code), format, language consistency, and the usual extras. */
export {
  createMathVerifier,
  extractAnswer,
  extractGold,
  MathPoolError,
  type MathVerdict,
  type MathVerification,
  type MathVerifier,
  type MathVerifierOptions,
  mathVerifierOptionsSchema,
  type VerifyMathOptions,
  verifyMath,
  verifyMathOptionsSchema,
  verifyMathSync,
} from './math/index.js';
