/** @aha/distill — Distillation: rejection sampling, the SFT trainer, logit distillation (forward/reverse KL, JSD). */
export {};
