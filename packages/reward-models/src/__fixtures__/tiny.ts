/** The tests' reward-model backbone: the package's own tiny config (1 dense + 1 MoE layer, byte-level ids). */
export { tinyRewardModelConfig as TINY_RM_CONFIG } from '../tiny-config.js';
