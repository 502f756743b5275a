/** @aha/pipeline — Recipes (R1-Zero, R1 four stages, distillation) as composable stages, the aha CLI, configs, progress and the HTML report. */
export {};
