/**
 * Fuzz test (fast-check, fixed seed, bounded runs and time) of tokenizer loading: random mutations of the tiny BPE
 * fixture's tokenizer.json (vocab ids and tokens, added tokens, merges, model options, template ids) either fail at
 * load with a typed error or give a tokenizer that encodes and decodes any ASCII text back unchanged, never a crash
 * at encode time or silently dropped text. Leaves out mutations of the normalizer, pre-tokenizer and decoder (a
 * Lowercase normalizer is a valid tokenizer that does not round-trip; the library checks what it builds there).
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { AhaError } from '../errors.js';
import { HfTokenizer } from './tokenizer.js';

// biome-ignore lint/suspicious/noExplicitAny: mutations edit parsed JSON freely
type Json = any;
const FIXTURE = join(import.meta.dirname, '__fixtures__', 'tiny-bpe');
const base: Json = JSON.parse(readFileSync(join(FIXTURE, 'tokenizer.json'), 'utf8'));
const config: Json = JSON.parse(readFileSync(join(FIXTURE, 'tokenizer_config.json'), 'utf8'));
const vocabKeys = Object.keys(base.model.vocab);

const RUN = { seed: 12, numRuns: 300, plugins: [fc.interruptAfterTimeLimit(6000)] };

const interesting = fc.oneof(
  fc.constantFrom(
    -1,
    0,
    1,
    97,
    255,
    256,
    261,
    262,
    267,
    268,
    269,
    1e9,
    1.5,
    Number.MAX_SAFE_INTEGER,
    Number.NaN,
    '',
    'he',
    'h',
    'Ġ',
    'zz',
    ' ',
    'BPE',
    'WordPiece',
    'Unigram',
    'WordLevel',
    '##',
    'h e',
    'x y',
    null,
    true,
    false,
    [],
    {},
    [0],
    ['h', 'e'],
  ),
  fc.jsonValue({ maxDepth: 2 }),
);
const token = fc.oneof(fc.constantFrom(...vocabKeys), fc.string({ maxLength: 3 }));
const mutation = fc.oneof(
  fc.record({ op: fc.constant('vocab id'), token, value: interesting }),
  fc.record({ op: fc.constant('rename vocab'), token, to: token }),
  fc.record({ op: fc.constant('delete vocab'), token }),
  fc.record({ op: fc.constant('swap vocab'), token, to: token }),
  fc.record({
    op: fc.constant('added'),
    index: fc.nat(6),
    field: fc.constantFrom('id', 'content', 'special'),
    value: fc.oneof(interesting, token),
  }),
  fc.record({ op: fc.constant('drop added'), index: fc.nat(5) }),
  fc.record({ op: fc.constant('merge'), index: fc.nat(6), value: fc.oneof(interesting, fc.tuple(token, token)) }),
  fc.record({
    op: fc.constant('model'),
    key: fc.constantFrom(
      'type',
      'unk_token',
      'merges',
      'vocab',
      'byte_fallback',
      'continuing_subword_prefix',
      'end_of_word_suffix',
      'fuse_unk',
      'ignore_merges',
    ),
    value: interesting,
  }),
  fc.record({ op: fc.constant('template ids'), value: interesting }),
);
type Mutation = { op: string; [k: string]: Json };

/** Applies one mutation; a mutation whose target an earlier one replaced (e.g. the vocab by a number) is skipped. */
function apply(j: Json, m: Mutation): void {
  const vocab = j.model.vocab;
  const hasVocab = typeof vocab === 'object' && vocab !== null;
  switch (m.op) {
    case 'vocab id':
      if (hasVocab) vocab[m.token] = m.value;
      break;
    case 'rename vocab':
      if (hasVocab && Object.hasOwn(vocab, m.token)) {
        const id = vocab[m.token];
        delete vocab[m.token];
        vocab[m.to] = id;
      }
      break;
    case 'delete vocab':
      if (hasVocab) delete vocab[m.token];
      break;
    case 'swap vocab':
      if (hasVocab) [vocab[m.token], vocab[m.to]] = [vocab[m.to], vocab[m.token]];
      break;
    case 'added':
      if (!Array.isArray(j.added_tokens)) break;
      j.added_tokens[m.index] ??= { ...j.added_tokens[0] };
      j.added_tokens[m.index][m.field] = m.value;
      break;
    case 'drop added':
      if (Array.isArray(j.added_tokens)) j.added_tokens.splice(m.index, 1);
      break;
    case 'merge':
      if (Array.isArray(j.model.merges)) j.model.merges[m.index] = m.value;
      break;
    case 'model':
      j.model[m.key] = m.value;
      break;
    case 'template ids':
      j.post_processor.special_tokens['<｜begin▁of▁sentence｜>'].ids = [m.value];
      break;
  }
}

describe('tokenizer loading (fuzz)', () => {
  it('a mutated tokenizer.json fails with a typed error or round-trips ASCII', () => {
    let loaded = 0; // mutations that still load: the round trip must be checked on some
    fc.assert(
      fc.property(
        fc.array(mutation, { minLength: 1, maxLength: 3 }),
        fc.array(fc.string({ unit: 'binary-ascii', maxLength: 40 }), { minLength: 1, maxLength: 4 }),
        (mutations, texts) => {
          const json = structuredClone(base);
          for (const m of mutations) apply(json, m);
          let tok: HfTokenizer;
          try {
            tok = new HfTokenizer(json, config);
          } catch (err) {
            if (!AhaError.is(err, 'config')) throw err;
            return;
          }
          loaded++;
          for (const t of [...texts, 'hello the world 12345 <think>']) {
            const ids = tok.encode(t, { addSpecialTokens: false });
            for (const id of ids) expect(Number.isInteger(id) && id >= 0 && id < tok.vocabSize).toBe(true);
            expect(tok.decode(ids)).toBe(t);
          }
        },
      ),
      RUN,
    );
    expect(loaded).toBeGreaterThan(20);
  });
});
