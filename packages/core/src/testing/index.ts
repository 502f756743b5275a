/**
 * @aha/core/testing — helpers for testing ops, models and trainers built on aha: float64 reference checks with
 * finite-difference gradients (`checkOp`), a seeded PRNG and random tensors. Imports vitest: test code only.
 */

export { byteLevelQwen2Config } from './dense.js';
export { checkOp, maxRelError, type OpCheck, type RefInput, randTensor, rng } from './gradcheck.js';
