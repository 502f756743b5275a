// Writes tiny-bpe/ (see README.md). Run from the repo root: node packages/core/src/tokenizers/__fixtures__/make-tiny-bpe.mjs
import { writeFileSync } from 'node:fs';
const printable = [];
for (let b = 0x21; b <= 0x7e; b++) printable.push(b);
for (let b = 0xa1; b <= 0xac; b++) printable.push(b);
for (let b = 0xae; b <= 0xff; b++) printable.push(b);
const sym = new Array(256);
for (const b of printable) sym[b] = String.fromCodePoint(b);
let n = 0;
for (let b = 0; b < 256; b++) if (sym[b] === undefined) sym[b] = String.fromCodePoint(256 + n++);
const vocab = {};
sym.forEach((s, b) => { vocab[s] = b; });
const merges = ['h e', 'Ġ t', 'Ġt he', 'l l', 'll o', '3 4'];
['he', 'Ġt', 'Ġthe', 'll', 'llo', '34'].forEach((t, i) => { vocab[t] = 256 + i; });
const addedSpec = [['<｜begin▁of▁sentence｜>', true], ['<｜end▁of▁sentence｜>', true], ['<｜User｜>', false], ['<｜Assistant｜>', false], ['<think>', false], ['</think>', false]];
const added = addedSpec.map(([content, special], i) => ({ id: 262 + i, content, single_word: false, lstrip: false, rstrip: false, normalized: special ? false : true, special }));
for (const a of added) vocab[a.content] = a.id;
const bos = { SpecialToken: { id: '<｜begin▁of▁sentence｜>', type_id: 0 } };
const tj = {
  version: '1.0', truncation: null, padding: null, added_tokens: added, normalizer: null,
  pre_tokenizer: { type: 'Sequence', pretokenizers: [
    { type: 'Split', pattern: { Regex: '\\p{N}{1,3}' }, behavior: 'Isolated', invert: false },
    { type: 'Split', pattern: { Regex: "[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}{1,3}| ?[^\\s\\p{L}\\p{N}]+[\\r\\n]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+" }, behavior: 'Isolated', invert: false },
    { type: 'ByteLevel', add_prefix_space: false, trim_offsets: true, use_regex: false },
  ] },
  post_processor: { type: 'TemplateProcessing', single: [bos, { Sequence: { id: 'A', type_id: 0 } }], pair: [bos, { Sequence: { id: 'A', type_id: 0 } }, bos, { Sequence: { id: 'B', type_id: 1 } }], special_tokens: { '<｜begin▁of▁sentence｜>': { id: '<｜begin▁of▁sentence｜>', ids: [262], tokens: ['<｜begin▁of▁sentence｜>'] } } },
  decoder: { type: 'ByteLevel', add_prefix_space: true, trim_offsets: true, use_regex: true },
  model: { type: 'BPE', dropout: null, unk_token: null, continuing_subword_prefix: null, end_of_word_suffix: null, fuse_unk: false, byte_fallback: false, ignore_merges: false, vocab, merges },
};
const template = "{{ bos_token }}{% if messages[0]['role'] == 'system' %}{{ messages[0]['content'] }}{% endif %}{% for message in messages %}{% if message['role'] == 'user' %}{{ '<｜User｜>' + message['content'] }}{% elif message['role'] == 'assistant' %}{{ '<｜Assistant｜>' + message['content'] + eos_token }}{% endif %}{% endfor %}{% if add_generation_prompt %}{{ '<｜Assistant｜><think>\\n' }}{% endif %}";
const cfg = { tokenizer_class: 'LlamaTokenizerFast', add_bos_token: true, add_eos_token: false, bos_token: { __type: 'AddedToken', content: '<｜begin▁of▁sentence｜>', lstrip: false, normalized: true, rstrip: false, single_word: false }, eos_token: { __type: 'AddedToken', content: '<｜end▁of▁sentence｜>', lstrip: false, normalized: true, rstrip: false, single_word: false }, pad_token: null, clean_up_tokenization_spaces: false, model_max_length: 16384, legacy: true, chat_template: template };
const dir = 'packages/core/src/tokenizers/__fixtures__/tiny-bpe';
writeFileSync(`${dir}/tokenizer.json`, JSON.stringify(tj, null, 2) + '\n');
writeFileSync(`${dir}/tokenizer_config.json`, JSON.stringify(cfg, null, 2) + '\n');
