/**
 * Checks of a Hugging Face `tokenizer.json` before it is built. The JS library accepts files that are valid JSON but
 * wrong and then drops or garbles text at encode time: an unknown model type silently becomes a "legacy" word-level
 * model, a merge of tokens that are not in the vocabulary yields tokens without an id, a vocab id far past the others
 * makes the model's embedding table that large, two tokens sharing an id decode to the wrong text. Each problem
 * raises a `TokenizerFileError` naming the file, the key and the value.
 *
 * Checked: `model.type` (BPE, WordPiece, Unigram); vocab ids (non-negative integers, one token per id, no gaps: the
 * highest id is below the number of tokens); `added_tokens` (non-negative integer ids, no id twice, non-empty
 * contents, agreeing with the vocab where they share a token or an id); BPE merges (two vocab tokens whose join is a
 * vocab token, all merges in one format); `unk_token` / `unk_id` (required for WordPiece); a byte-level BPE (ByteLevel pre-tokenizer) has all
 * 256 byte symbols, also with its end-of-word and continuing-subword suffixes; TemplateProcessing's special-token ids
 * exist. Leaves out: normalizer, pre-tokenizer and decoder options
 * (the library checks what it builds), Unigram scores beyond being finite numbers.
 */
import { AhaError } from '../errors.js';
import { byteToUnicode } from './byte-map.js';

/** A tokenizer file that is valid JSON but not a usable tokenizer: which file, which key, which value. */
export class TokenizerFileError extends AhaError {
  constructor(
    readonly file: string,
    readonly key: string,
    readonly value: unknown,
    problem: string,
  ) {
    super('config', `${file}: ${key} = ${show(value)} ${problem}`);
  }
}

/** The model types the tokenizer library implements (anything else would silently become a word-level model). */
export const SUPPORTED_TOKENIZER_MODELS = ['BPE', 'WordPiece', 'Unigram'] as const;

function show(value: unknown): string {
  let text: string;
  try {
    text = JSON.stringify(value) ?? String(value);
  } catch {
    text = String(value);
  }
  return text.length > 120 ? `${text.slice(0, 117)}...` : text;
}

type Json = Record<string, unknown>;
const isObject = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);
const isId = (v: unknown): v is number => Number.isSafeInteger(v) && (v as number) >= 0;

/** True when a pre-tokenizer (or one inside a Sequence) is ByteLevel. */
function hasByteLevel(pre: unknown, depth = 0): boolean {
  if (!isObject(pre) || depth > 64) return false;
  if (pre.type === 'ByteLevel') return true;
  return Array.isArray(pre.pretokenizers) && pre.pretokenizers.some((p) => hasByteLevel(p, depth + 1));
}

/** Throws a `TokenizerFileError` for the first problem found in `json` (the parsed `file`). */
export function validateTokenizerJson(json: unknown, file = 'tokenizer.json'): void {
  // Typed as a const so calls narrow the checked values.
  const fail: (key: string, value: unknown, problem: string) => never = (key, value, problem) => {
    throw new TokenizerFileError(file, key, value, problem);
  };
  if (!isObject(json)) fail('(root)', json, 'must be an object');
  const model = json.model;
  if (!isObject(model)) fail('model', model, 'must be an object');
  const type = model.type;
  if (!(SUPPORTED_TOKENIZER_MODELS as readonly unknown[]).includes(type))
    fail('model.type', type, `is not a supported model type (${SUPPORTED_TOKENIZER_MODELS.join(', ')})`);

  // Every token and id, over the vocab and the added tokens, and the key that defined each id.
  const idOf = new Map<string, number>();
  const tokenOf = new Map<number, string>();
  const keyOf = new Map<number, string>();
  const vocabTokens = new Set<string>();
  if (type === 'Unigram') {
    if (!Array.isArray(model.vocab)) fail('model.vocab', model.vocab, 'must be an array of [token, score] pairs');
    (model.vocab as unknown[]).forEach((entry, id) => {
      const key = `model.vocab[${id}]`;
      if (
        !Array.isArray(entry) ||
        entry.length !== 2 ||
        typeof entry[0] !== 'string' ||
        typeof entry[1] !== 'number' ||
        !Number.isFinite(entry[1])
      )
        fail(key, entry, 'must be a [token, finite score] pair');
      const token = (entry as [string, number])[0];
      const before = idOf.get(token);
      if (before !== undefined) fail(key, entry, `repeats the token of model.vocab[${before}]`);
      idOf.set(token, id);
      tokenOf.set(id, token);
      keyOf.set(id, key);
      vocabTokens.add(token);
    });
    const unk = model.unk_id;
    if (unk !== undefined && unk !== null && !(isId(unk) && unk < (model.vocab as unknown[]).length))
      fail('model.unk_id', unk, `is not an id of model.vocab [0, ${(model.vocab as unknown[]).length})`);
  } else {
    if (!isObject(model.vocab)) fail('model.vocab', model.vocab, 'must be an object { token: id }');
    for (const [token, id] of Object.entries(model.vocab as Json)) {
      const key = `model.vocab[${JSON.stringify(token)}]`;
      if (!isId(id)) fail(key, id, 'must be a non-negative integer id');
      const other = tokenOf.get(id as number);
      if (other !== undefined) fail(key, id, `collides with ${keyOf.get(id as number)}, which has the same id`);
      idOf.set(token, id as number);
      tokenOf.set(id as number, token);
      keyOf.set(id as number, key);
      vocabTokens.add(token);
    }
  }

  const added = json.added_tokens ?? [];
  if (!Array.isArray(added)) fail('added_tokens', added, 'must be an array');
  const addedAt = new Map<number, number>();
  (added as unknown[]).forEach((t, i) => {
    const key = `added_tokens[${i}]`;
    if (!isObject(t)) fail(key, t, 'must be an object { id, content, ... }');
    if (!isId(t.id)) fail(`${key}.id`, t.id, 'must be a non-negative integer id');
    const id = t.id as number;
    if (typeof t.content !== 'string' || t.content === '')
      fail(`${key}.content`, t.content, 'must be a non-empty string');
    const content = t.content as string;
    const twin = addedAt.get(id);
    if (twin !== undefined) fail(`${key}.id`, id, `repeats added_tokens[${twin}].id`);
    addedAt.set(id, i);
    const holder = tokenOf.get(id);
    if (holder !== undefined && holder !== content)
      fail(`${key}.id`, id, `collides with ${keyOf.get(id)} (${JSON.stringify(holder)}), which has the same id`);
    const known = idOf.get(content);
    if (known !== undefined && known !== id)
      fail(`${key}.content`, content, `has id ${known} in ${keyOf.get(known)}, not ${id}`);
    idOf.set(content, id);
    tokenOf.set(id, content);
    if (!keyOf.has(id)) keyOf.set(id, `${key}.id`);
  });

  // No gaps: the embedding needs a row for every id up to the highest, so a stray large id would size it.
  const count = tokenOf.size;
  for (const [id, key] of keyOf) {
    if (id >= count)
      fail(key, id, `is beyond the range [0, ${count}) of the ${count} tokens (ids must be 0..${count - 1}, no gaps)`);
  }

  // WordPiece emits its unknown token for any word it cannot split: without one in the vocab that id is undefined.
  if (type === 'WordPiece' && (typeof model.unk_token !== 'string' || !vocabTokens.has(model.unk_token)))
    fail('model.unk_token', model.unk_token, 'must be a token of model.vocab for a WordPiece model');
  // The model looks its unknown token up in model.vocab only (added tokens are not seen there).
  if (type !== 'Unigram' && typeof model.unk_token === 'string' && !vocabTokens.has(model.unk_token))
    fail('model.unk_token', model.unk_token, 'is not a token of model.vocab');

  if (type === 'BPE') {
    const affix = (key: string): string => {
      const v = model[key];
      if (v !== undefined && v !== null && typeof v !== 'string') fail(`model.${key}`, v, 'must be a string or null');
      return (v as string | null | undefined) ?? '';
    };
    const prefix = affix('continuing_subword_prefix');
    const endSuffix = affix('end_of_word_suffix'); // appended to a word's last character
    const pieceSuffix = affix('continuing_subword_suffix'); // appended to every piece but a word's last
    const merges = model.merges ?? [];
    if (!Array.isArray(merges)) fail('model.merges', merges, 'must be an array');
    // The library picks one format from the first merge and would never apply merges written in the other.
    const pairs = Array.isArray((merges as unknown[])[0]);
    const joinedTokens: string[] = [];
    (merges as unknown[]).forEach((m, i) => {
      const key = `model.merges[${i}]`;
      const pair = typeof m === 'string' ? m.split(' ') : m;
      if (
        !Array.isArray(pair) ||
        pair.length !== 2 ||
        typeof pair[0] !== 'string' ||
        typeof pair[1] !== 'string' ||
        pair[0] === '' ||
        pair[1] === ''
      )
        fail(key, m, 'must be "left right" or ["left", "right"]');
      if (Array.isArray(m) !== pairs)
        fail(key, m, `is in the other format than model.merges[0] (${pairs ? '["left", "right"]' : '"left right"'})`);
      const [left, right] = pair as [string, string];
      for (const part of [left, right])
        if (!vocabTokens.has(part)) fail(key, m, `refers to ${JSON.stringify(part)}, which is not in model.vocab`);
      const joined = left + (prefix && right.startsWith(prefix) ? right.slice(prefix.length) : right);
      if (!vocabTokens.has(joined)) fail(key, m, `makes ${JSON.stringify(joined)}, which is not in model.vocab`);
      joinedTokens.push(joined);
    });
    if (pieceSuffix) {
      // A merged piece that is not a word's end is looked up with the suffix added.
      for (const t of joinedTokens)
        if (!(endSuffix && t.endsWith(endSuffix)) && !vocabTokens.has(t + pieceSuffix))
          fail(
            'model.continuing_subword_suffix',
            pieceSuffix,
            `makes ${JSON.stringify(t + pieceSuffix)}, which is not in model.vocab`,
          );
    }
    if (hasByteLevel(json.pre_tokenizer)) {
      // Every byte must be encodable at a word's end and before other pieces, or text would be dropped silently.
      const forms = (symbol: string) => [symbol, symbol + endSuffix, symbol + pieceSuffix];
      const missing = byteToUnicode()
        .map((symbol, byte) => ({ symbol, byte }))
        .filter(({ symbol }) => forms(symbol).some((f) => !vocabTokens.has(f)));
      if (missing.length > 0)
        fail(
          endSuffix ? 'model.end_of_word_suffix' : pieceSuffix ? 'model.continuing_subword_suffix' : 'model.vocab',
          endSuffix || pieceSuffix || missing.map((m) => m.symbol).slice(0, 8),
          `lacks the byte-level symbols of ${missing.length} byte(s) (${missing
            .slice(0, 8)
            .map((m) => `0x${m.byte.toString(16).padStart(2, '0')}`)
            .join(', ')}${missing.length > 8 ? ', ...' : ''}): text with those bytes could not be encoded`,
        );
    }
  }

  const post = json.post_processor;
  if (isObject(post) && post.type === 'TemplateProcessing' && post.special_tokens !== undefined) {
    if (!isObject(post.special_tokens)) fail('post_processor.special_tokens', post.special_tokens, 'must be an object');
    for (const [name, special] of Object.entries(post.special_tokens as Json)) {
      const key = `post_processor.special_tokens[${JSON.stringify(name)}]`;
      if (!isObject(special) || !Array.isArray(special.ids)) fail(key, special, 'must be { id, ids, tokens }');
      special.ids.forEach((id, k) => {
        if (!isId(id) || !tokenOf.has(id)) fail(`${key}.ids[${k}]`, id, 'is not a token id of this tokenizer');
      });
    }
  }
}
