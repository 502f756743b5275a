/** @aha/rewards — The reward contract (defineReward), combinators and rule rewards: accuracy (math, code), format, language consistency, and the usual extras. */
export {};
