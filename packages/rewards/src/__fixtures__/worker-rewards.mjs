// Per-sample reward functions loaded by worker threads in runner.test.ts (plain JS so Node loads them as is).

/** 1 when the completion contains "yes"; an infinite loop when it says "loop"; throws when it says "throw". */
export function picky(sample) {
  if (sample.completion === 'loop') {
    // A synchronous runaway: never yields, only terminating the thread stops it.
    for (;;) {}
  }
  if (sample.completion === 'throw') throw new Error('picky cannot judge this');
  return sample.completion.includes('yes') ? 1 : 0;
}

export default function length(sample) {
  return sample.completion.length;
}

export const notAFunction = 42;

/** Allocates without bound when the completion says "hog"; 1 otherwise. */
export function hog(sample) {
  if (sample.completion === 'hog') {
    const keep = [];
    for (;;) keep.push(new Array(1e5).fill(keep.length));
  }
  return 1;
}
