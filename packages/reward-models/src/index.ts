/** @aha/reward-models — Neural reward models on the core model: pairwise (Bradley-Terry) helpfulness and point-wise safety, exposed as rewards. */
export {};
