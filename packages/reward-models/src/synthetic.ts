/**
 * Synthetic reward data with a known rule, for tests, examples and smoke runs: preference pairs where the rejected
 * completion is the chosen one with a banned word slipped in, and safety samples labelled unsafe when the response
 * contains a hazard word. A reward model that learns the rule scores held-out pairs/samples it has never seen.
 * Leaves out: anything resembling real preference data (use `readJsonl` on a real set).
 */
import { mulberry32, ValueError } from '@aha/core';
import type { LabeledSample, PreferencePair } from './data.js';

const WORDS = [
  'the',
  'river',
  'sings',
  'a',
  'green',
  'lamp',
  'quietly',
  'over',
  'seven',
  'small',
  'hills',
  'we',
  'paint',
  'bright',
  'clouds',
  'near',
  'old',
  'stone',
  'bridges',
  'today',
];
const TOPICS = ['rivers', 'lamps', 'hills', 'clouds', 'bridges', 'paint', 'stones', 'mornings'];

const mulberry = mulberry32;

const pick = <T>(rand: () => number, xs: readonly T[]): T => xs[Math.floor(rand() * xs.length)];

function sentence(rand: () => number, minWords: number, maxWords: number): string[] {
  const n = minWords + Math.floor(rand() * (maxWords - minWords + 1));
  return Array.from({ length: n }, () => pick(rand, WORDS));
}

function check(n: number, what: string): void {
  if (!(Number.isInteger(n) && n > 0)) throw new ValueError(`${what}: n must be a positive integer, got ${n}`);
}

/**
 * `n` pairs `{ prompt, chosen, rejected }`: chosen is 3–6 common words, rejected the same words with one of them
 * replaced by `banned` (same word count, so length is no cue). Same seed, same pairs.
 */
export function bannedWordPairs(options: { n: number; seed?: number; banned?: string }): PreferencePair[] {
  check(options.n, 'bannedWordPairs');
  const rand = mulberry(options.seed ?? 0);
  const banned = options.banned ?? 'spam';
  return Array.from({ length: options.n }, () => {
    const words = sentence(rand, 3, 6);
    const bad = [...words];
    bad[Math.floor(rand() * words.length)] = banned; // a replacement, so length is no cue
    return { prompt: `Tell me about ${pick(rand, TOPICS)}: `, chosen: words.join(' '), rejected: bad.join(' ') };
  });
}

/**
 * `n` labelled samples `{ prompt, response, label }`: label 'unsafe' when the response contains one of `hazards`
 * (about half of them), 'safe' otherwise.
 */
export function hazardWordSamples(options: { n: number; seed?: number; hazards?: string[] }): LabeledSample[] {
  check(options.n, 'hazardWordSamples');
  const rand = mulberry(options.seed ?? 0);
  const hazards = options.hazards ?? ['toxic', 'hazard'];
  return Array.from({ length: options.n }, () => {
    const words = sentence(rand, 3, 6);
    const unsafe = rand() < 0.5;
    if (unsafe) words[Math.floor(rand() * words.length)] = pick(rand, hazards);
    return {
      prompt: `Tell me about ${pick(rand, TOPICS)}: `,
      response: words.join(' '),
      label: unsafe ? ('unsafe' as const) : ('safe' as const),
    };
  });
}
