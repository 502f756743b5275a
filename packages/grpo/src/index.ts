/** @aha/grpo — GRPO: rollouts (local or OpenAI-compatible server), group advantages, the GRPO loss family, reference model + KL, GrpoTrainer. */
export {};
