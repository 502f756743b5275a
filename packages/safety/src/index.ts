/** @aha/safety — Safety: risk control (keyword filter, model review), safety evaluation, reflection-word analysis, AI-content labelling. */
export {};
