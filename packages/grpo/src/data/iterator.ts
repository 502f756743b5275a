/** The data stream is @aha/core's (one seeded, resumable stream for every trainer); re-exported for GRPO users. */
export { DataIterator, type DataIteratorOptions, type DataPosition, type ServedRow } from '@aha/core';
