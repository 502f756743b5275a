/**
 * Tokenizer files that are valid JSON but wrong fail at load with a TokenizerFileError naming the file, the key and
 * the value (issue 12), each case a mutation of the tiny DeepSeek-style BPE fixture. Leaves out random mutations
 * (tokenizer.fuzz.test.ts) and the valid fixtures' behaviour (tokenizer.test.ts).
 */
import { readFileSync } from 'node:fs';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { AhaError } from '../errors.js';
import { createByteLevelTokenizer } from './byte-level.js';
import { HfTokenizer, loadTokenizer } from './tokenizer.js';
import { TokenizerFileError } from './validate.js';

// biome-ignore lint/suspicious/noExplicitAny: the tests edit parsed JSON freely
type Json = Record<string, any>;
const FIXTURE = join(import.meta.dirname, '__fixtures__', 'tiny-bpe');
const tinyBpe = JSON.parse(readFileSync(join(FIXTURE, 'tokenizer.json'), 'utf8')) as Json;
const tmp = await mkdtemp(join(tmpdir(), 'aha-tokval-'));
afterAll(() => rm(tmp, { recursive: true, force: true }));

/** A copy of the fixture changed by `edit`. */
const mutate = (edit: (j: Json) => void, base: Json = tinyBpe): Json => {
  const j = structuredClone(base);
  edit(j);
  return j;
};

// name, edit, the key the error names, the value it names
const cases: [string, (j: Json) => void, string, unknown][] = [
  ['a vocab id beyond the range', (j) => (j.model.vocab.llo = 1_000_000), 'model.vocab["llo"]', 1_000_000],
  ['a negative vocab id', (j) => (j.model.vocab.llo = -1), 'model.vocab["llo"]', -1],
  ['a fractional vocab id', (j) => (j.model.vocab.llo = 1.5), 'model.vocab["llo"]', 1.5],
  ['two vocab tokens with one id', (j) => (j.model.vocab.llo = 259), 'model.vocab["llo"]', 259],
  ['a negative added-token id', (j) => (j.added_tokens[4].id = -3), 'added_tokens[4].id', -3],
  ['a duplicate added-token id', (j) => (j.added_tokens[5].id = 266), 'added_tokens[5].id', 266],
  [
    'an added-token id beyond the range',
    (j) => {
      delete j.model.vocab['</think>']; // the fixture lists added tokens in the vocab too
      j.added_tokens[5].id = 9999;
    },
    'added_tokens[5].id',
    9999,
  ],
  [
    'an added-token id that collides with a vocab token',
    (j) => {
      delete j.model.vocab['</think>'];
      j.added_tokens[5].id = 97;
    },
    'added_tokens[5].id',
    97,
  ],
  [
    'an added token whose content has another id',
    (j) => {
      delete j.model.vocab['</think>'];
      j.added_tokens[5].content = 'he';
    },
    'added_tokens[5].content',
    'he',
  ],
  ['an empty added-token content', (j) => (j.added_tokens[5].content = ''), 'added_tokens[5].content', ''],
  ['an unsupported model type', (j) => (j.model.type = 'WordLevel'), 'model.type', 'WordLevel'],
  ['a missing model type', (j) => delete j.model.type, 'model.type', undefined],
  ['a merge of an unknown token', (j) => (j.model.merges[1] = 'Ġ zz'), 'model.merges[1]', 'Ġ zz'],
  ['a merge whose result is not a token', (j) => (j.model.merges[0] = 'h l'), 'model.merges[0]', 'h l'],
  ['a merge that is not a pair', (j) => (j.model.merges[0] = 'h e l'), 'model.merges[0]', 'h e l'],
  [
    'a byte-level vocab without a byte symbol',
    (j) => {
      j.model.vocab.zz = j.model.vocab.Ġ;
      delete j.model.vocab.Ġ;
      j.model.merges = [];
    },
    'model.vocab',
    ['Ġ'],
  ],
  ['an unknown unk_token', (j) => (j.model.unk_token = '<unk>'), 'model.unk_token', '<unk>'],
  [
    'a template special token with an unknown id',
    (j) => (j.post_processor.special_tokens['<｜begin▁of▁sentence｜>'].ids = [4000]),
    'post_processor.special_tokens["<｜begin▁of▁sentence｜>"].ids[0]',
    4000,
  ],
  // found by tokenizer.fuzz.test.ts: each loaded, then dropped or garbled text at encode time
  ['a WordPiece model without an unknown token', (j) => (j.model.type = 'WordPiece'), 'model.unk_token', null],
  ['an end-of-word suffix the vocab lacks', (j) => (j.model.end_of_word_suffix = ' '), 'model.end_of_word_suffix', ' '],
  ['merges in two formats', (j) => (j.model.merges[2] = ['Ġt', 'he']), 'model.merges[2]', ['Ġt', 'he']],
  ['a suffix that is not a string', (j) => (j.model.end_of_word_suffix = 3), 'model.end_of_word_suffix', 3],
  ['a vocab that is not an object', (j) => (j.model.vocab = [['a', 0]]), 'model.vocab', [['a', 0]]],
  ['added_tokens that is not an array', (j) => (j.added_tokens = {}), 'added_tokens', {}],
];

describe('tokenizer.json validation', () => {
  it.each(cases)('%s fails at load, naming the file, key and value', async (name, edit, key, value) => {
    const dir = join(tmp, name.replace(/\W+/g, '-'));
    await mkdir(dir, { recursive: true });
    await writeFile(join(dir, 'tokenizer.json'), JSON.stringify(mutate(edit)));
    const err = await loadTokenizer(dir).then(
      () => null,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(TokenizerFileError);
    const e = err as TokenizerFileError;
    expect(AhaError.is(e, 'config')).toBe(true);
    expect(e.file).toBe(join(dir, 'tokenizer.json'));
    expect(e.key).toBe(key);
    expect(e.value).toEqual(value);
    expect(e.message).toContain(join(dir, 'tokenizer.json'));
    expect(e.message).toContain(key);
  });

  it('accepts the valid fixtures, merges in the array form and a Unigram vocab', () => {
    expect(() => new HfTokenizer(tinyBpe)).not.toThrow();
    const bytes = createByteLevelTokenizer().tokenizerJson;
    expect(() => new HfTokenizer(bytes)).not.toThrow();
    const arrays = mutate((j) => (j.model.merges = j.model.merges.map((m: string) => m.split(' '))));
    expect(new HfTokenizer(arrays).encode('hello the', { addSpecialTokens: false })).toEqual([256, 260, 258]);
    const unigram = {
      added_tokens: [{ id: 0, content: '<unk>', special: true }],
      normalizer: null,
      pre_tokenizer: { type: 'Metaspace', replacement: '▁', add_prefix_space: true },
      post_processor: null,
      decoder: { type: 'Metaspace', replacement: '▁', add_prefix_space: true },
      model: {
        type: 'Unigram',
        unk_id: 0,
        vocab: [
          ['<unk>', 0],
          ['▁a', -1],
          ['a', -2],
          ['▁', -3],
        ],
      },
    };
    expect(new HfTokenizer(unigram).decode(new HfTokenizer(unigram).encode('a a'))).toBe('a a');
    expect(() => new HfTokenizer(mutate((j) => (j.model.unk_id = 4), unigram))).toThrow(/model.unk_id = 4/);
    expect(() => new HfTokenizer(mutate((j) => (j.model.vocab[2] = ['▁a', -2]), unigram))).toThrow(
      /model.vocab\[2\] = \["▁a",-2\] repeats the token of model.vocab\[1\]/,
    );
  });

  it('names the file given to the constructor, tokenizer.json by default', () => {
    expect(() => new HfTokenizer(mutate((j) => (j.model.type = 'X')))).toThrow(/^tokenizer.json: model.type = "X"/);
    expect(
      () =>
        new HfTokenizer(
          mutate((j) => (j.model.type = 'X')),
          {},
          'my/tok.json',
        ),
    ).toThrow(/^my\/tok.json:/);
  });
});
