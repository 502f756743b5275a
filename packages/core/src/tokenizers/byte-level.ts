/**
 * A byte-level tokenizer for models trained from scratch: one token per UTF-8 byte (id = byte value, 0..255) plus
 * `<|bos|>` 256, `<|eos|>` 257, `<|pad|>` 258 (special: skipped by `decode(..., { skipSpecialTokens })`) and the R1
 * format tags `<think>` 259, `</think>` 260, `<answer>` 261, `</answer>` 262 (added tokens, not special: matched as
 * one token, kept in decoded text, as DeepSeek-R1's tokenizer marks `<think>`).
 *
 * Stored as a standard HF `tokenizer.json` (BPE model with the 256 GPT-2 byte-level symbols and no merges, ByteLevel
 * pre-tokenizer without regex split and ByteLevel decoder, TemplateProcessing that prepends `<|bos|>`) and a
 * `tokenizer_config.json` (special tokens, `PreTrainedTokenizerFast`, a plain-text chat template), so Hugging Face's
 * libraries load it as is. Leaves out: learned merges (a BPE trainer is a separate job).
 */
import { byteToUnicode } from './byte-map.js';
import { HfTokenizer } from './tokenizer.js';

export { byteToUnicode };

/** The added tokens of the byte-level vocabulary, in id order from 256. */
export const BYTE_LEVEL_ADDED_TOKENS = [
  { content: '<|bos|>', special: true },
  { content: '<|eos|>', special: true },
  { content: '<|pad|>', special: true },
  { content: '<think>', special: false },
  { content: '</think>', special: false },
  { content: '<answer>', special: false },
  { content: '</answer>', special: false },
] as const;

/**
 * Default chat template: the R1-Zero plain-text layout ("User: …\nAssistant: …"), system text first, each assistant
 * turn closed by EOS. Roles other than system/user/assistant raise.
 */
export const BYTE_LEVEL_CHAT_TEMPLATE =
  "{{ bos_token }}{% for message in messages %}{% if message['role'] == 'system' %}{{ message['content'] + '\\n' }}" +
  "{% elif message['role'] == 'user' %}{{ 'User: ' + message['content'] + '\\n' }}" +
  "{% elif message['role'] == 'assistant' %}{{ 'Assistant: ' + message['content'] + eos_token + '\\n' }}" +
  "{% else %}{{ raise_exception('unknown chat role: ' + message['role']) }}{% endif %}{% endfor %}" +
  "{% if add_generation_prompt %}{{ 'Assistant:' }}{% endif %}";

/** Builds the byte-level tokenizer (its `tokenizerJson` / `tokenizerConfig` are what `save` writes). */
export function createByteLevelTokenizer(
  options: { chatTemplate?: string; modelMaxLength?: number } = {},
): HfTokenizer {
  const symbols = byteToUnicode();
  const vocab: Record<string, number> = {};
  symbols.forEach((s, b) => {
    vocab[s] = b;
  });
  const added = BYTE_LEVEL_ADDED_TOKENS.map((t, i) => ({
    id: 256 + i,
    content: t.content,
    single_word: false,
    lstrip: false,
    rstrip: false,
    normalized: false,
    special: t.special,
  }));
  for (const a of added) vocab[a.content] = a.id;
  const byteLevel = { type: 'ByteLevel', add_prefix_space: false, trim_offsets: true, use_regex: false };
  const bos = { SpecialToken: { id: '<|bos|>', type_id: 0 } };
  const tokenizerJson = {
    version: '1.0',
    truncation: null,
    padding: null,
    added_tokens: added,
    normalizer: null,
    pre_tokenizer: byteLevel,
    post_processor: {
      type: 'TemplateProcessing',
      single: [bos, { Sequence: { id: 'A', type_id: 0 } }],
      pair: [bos, { Sequence: { id: 'A', type_id: 0 } }, { Sequence: { id: 'B', type_id: 1 } }],
      special_tokens: { '<|bos|>': { id: '<|bos|>', ids: [256], tokens: ['<|bos|>'] } },
    },
    decoder: byteLevel,
    model: {
      type: 'BPE',
      dropout: null,
      unk_token: null,
      continuing_subword_prefix: null,
      end_of_word_suffix: null,
      fuse_unk: false,
      byte_fallback: false,
      ignore_merges: false,
      vocab,
      merges: [],
    },
  };
  const tokenizerConfig = {
    tokenizer_class: 'PreTrainedTokenizerFast',
    bos_token: '<|bos|>',
    eos_token: '<|eos|>',
    pad_token: '<|pad|>',
    add_bos_token: true,
    clean_up_tokenization_spaces: false,
    model_max_length: options.modelMaxLength ?? 4096,
    added_tokens_decoder: Object.fromEntries(added.map(({ id, ...rest }) => [String(id), rest])),
    chat_template: options.chatTemplate ?? BYTE_LEVEL_CHAT_TEMPLATE,
  };
  return new HfTokenizer(tokenizerJson, tokenizerConfig);
}
