/**
 * The `Tokenizer` contract of aha, and its implementation over a Hugging Face `tokenizer.json` (+ `tokenizer_config.json`).
 *
 * Encoding/decoding is done by `@huggingface/tokenizers` (HF's JS port of the `tokenizers` pipeline: normalizer,
 * pre-tokenizer, BPE/WordPiece/Unigram model, post-processor, decoder; added tokens matched atomically), chat templates
 * by `@huggingface/jinja`, both offline from local files. Semantics follow transformers' `PreTrainedTokenizerFast`:
 * `apply_chat_template` renders `chat_template` with `messages`, `add_generation_prompt` and the special tokens, and the
 * rendered text is encoded *without* adding special tokens again (the template writes them). Classes that transformers
 * builds as `LlamaTokenizerFast` (DeepSeek-V3/R1 among them) get its BOS/EOS post-processor from `add_bos_token` /
 * `add_eos_token`, as transformers does, instead of the one in tokenizer.json.
 *
 * Leaves out: pairs of texts, truncation/padding (callers pad with `padTokenId`), offsets, slow (Python-only) tokenizers,
 * tool-calling extras of chat templates beyond passing `tools` / extra variables through.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Template } from '@huggingface/jinja';
import { Tokenizer as HfTokenizerImpl } from '@huggingface/tokenizers';
import { AhaError, IndexError, ValueError } from '../errors.js';
import { writeTextAtomic } from '../io/atomic.js';
import { validateTokenizerJson } from './validate.js';

/** One chat turn. */
export interface ChatMessage {
  role: 'system' | 'user' | 'assistant' | (string & {});
  content: string;
}

/** Options of `applyChatTemplate`. */
export interface ChatTemplateOptions {
  /** Append the assistant's turn opener so the model continues as the assistant (HF `add_generation_prompt`). */
  addGenerationPrompt?: boolean;
  /**
   * Qwen3's switch (HF `enable_thinking` kwarg): `false` makes its template write an empty `<think>\n\n</think>\n\n`
   * after the generation prompt so the model answers without reasoning; `true` or unset leaves the reasoning to the
   * model. Templates that do not read `enable_thinking` (DeepSeek-R1's, Llama 3's) ignore it. Unset passes nothing.
   */
  enableThinking?: boolean;
  /** Extra template variables (HF `**kwargs` of `apply_chat_template`, e.g. `tools`). */
  variables?: Record<string, unknown>;
}

/** What every aha tokenizer offers. Ids are plain numbers; text is JS strings (UTF-16), bytes handled inside. */
export interface Tokenizer {
  /** Embedding rows a model needs: highest token id + 1 (added tokens included). */
  readonly vocabSize: number;
  readonly bosTokenId: number | null;
  readonly eosTokenId: number | null;
  readonly padTokenId: number | null;
  /** Text → ids; `addSpecialTokens` (default true) applies the post-processor (e.g. a leading BOS). */
  encode(text: string, options?: { addSpecialTokens?: boolean }): number[];
  /** Ids → text; `skipSpecialTokens` (default false) drops tokens marked special (BOS/EOS/PAD, not `<think>`). */
  decode(ids: readonly number[], options?: { skipSpecialTokens?: boolean }): string;
  /** Renders the chat template to text (special tokens included as text). */
  applyChatTemplate(messages: readonly ChatMessage[], options?: ChatTemplateOptions): string;
  /** Renders the chat template and encodes it (without adding special tokens a second time), as HF `tokenize=True`. */
  encodeChat(messages: readonly ChatMessage[], options?: ChatTemplateOptions): number[];
  tokenToId(token: string): number | undefined;
  idToToken(id: number): string | undefined;
}

type Json = Record<string, unknown>;

/** A special token in tokenizer_config.json is a string or an AddedToken object `{ content, ... }`. */
const tokenText = (v: unknown): string | null =>
  typeof v === 'string'
    ? v
    : v && typeof v === 'object' && typeof (v as Json).content === 'string'
      ? ((v as Json).content as string)
      : null;

/** Picks the template: a string, or the "default" entry of a named list (transformers' multi-template form). */
function pickTemplate(raw: unknown): string | null {
  if (typeof raw === 'string') return raw;
  if (Array.isArray(raw)) {
    const named = raw as { name?: string; template?: string }[];
    return (named.find((t) => t.name === 'default') ?? named[0])?.template ?? null;
  }
  return null;
}

/** The tokenizer classes whose fast tokenizer rewrites the post-processor from `add_bos_token` / `add_eos_token`. */
const LLAMA_STYLE_CLASSES = new Set([
  'LlamaTokenizer',
  'LlamaTokenizerFast',
  'CodeLlamaTokenizer',
  'CodeLlamaTokenizerFast',
  'GemmaTokenizer',
  'GemmaTokenizerFast',
]);

/**
 * transformers' `LlamaTokenizerFast` (and its Code Llama / Gemma kin) does not use the post-processor in tokenizer.json:
 * its `update_post_processor` replaces it with a TemplateProcessing built from tokenizer_config's `add_bos_token`
 * (default true) and `add_eos_token` (default false). DeepSeek-V3/R1 ship a ByteLevel post-processor with
 * `add_bos_token: true` under that class, so without this their `encode` would lack the BOS that transformers prepends.
 * Returns `json` itself for any other class; never edits it (the original is what `save` writes).
 */
function withLlamaSpecialTokens(json: Json, config: Json): Json {
  if (typeof config.tokenizer_class !== 'string' || !LLAMA_STYLE_CLASSES.has(config.tokenizer_class)) return json;
  const addBos = config.add_bos_token ?? true;
  const addEos = config.add_eos_token ?? false;
  if (typeof addBos !== 'boolean' || typeof addEos !== 'boolean')
    throw new AhaError(
      'config',
      `tokenizer_config add_bos_token / add_eos_token must be booleans, got ${addBos} / ${addEos}`,
    );
  const special: Json = {};
  const edge = (key: 'bos_token' | 'eos_token', add: boolean, typeId: number): Json[] => {
    if (!add) return [];
    const text = tokenText(config[key]);
    if (text === null) throw new AhaError('config', `tokenizer_config add_${key} is true but ${key} is not set`);
    const id = tokenIdIn(json, text);
    if (id === undefined)
      throw new AhaError('config', `tokenizer_config ${key} ${JSON.stringify(text)} is not in the vocabulary`);
    special[text] = { id: text, ids: [id], tokens: [text] };
    return [{ SpecialToken: { id: text, type_id: typeId } }];
  };
  const part = (sequence: 'A' | 'B', typeId: number): Json[] => [
    ...edge('bos_token', addBos, typeId),
    { Sequence: { id: sequence, type_id: typeId } },
    ...edge('eos_token', addEos, typeId),
  ];
  const single = part('A', 0);
  const post = { type: 'TemplateProcessing', single, pair: [...single, ...part('B', 1)], special_tokens: special };
  return { ...json, post_processor: post };
}

/** The id of `token` among the added tokens or the model's vocab of a (validated) tokenizer.json. */
function tokenIdIn(json: Json, token: string): number | undefined {
  const added = (json.added_tokens ?? []) as { id: number; content: string }[];
  const hit = added.find((t) => t.content === token);
  if (hit) return hit.id;
  const vocab = (json.model as Json).vocab;
  if (Array.isArray(vocab)) {
    const at = vocab.findIndex((entry) => Array.isArray(entry) && entry[0] === token);
    return at < 0 ? undefined : at;
  }
  const id = (vocab as Record<string, number>)[token];
  return typeof id === 'number' && Object.hasOwn(vocab as object, token) ? id : undefined;
}

/** A tokenizer read from HF files. Keeps both JSON objects so `save` writes them back unchanged. */
export class HfTokenizer implements Tokenizer {
  readonly vocabSize: number;
  readonly bosTokenId: number | null;
  readonly eosTokenId: number | null;
  readonly padTokenId: number | null;
  private readonly impl: HfTokenizerImpl;
  private readonly template: Template | null;
  private readonly specialText: Record<string, string | null>;

  /**
   * `file` names the tokenizer.json in errors. Throws `TokenizerFileError` for a file that is valid JSON but not a
   * usable tokenizer (see validate.ts), before the library could build something that drops text at encode time.
   */
  constructor(
    readonly tokenizerJson: Json,
    readonly tokenizerConfig: Json = {},
    file = 'tokenizer.json',
  ) {
    validateTokenizerJson(tokenizerJson, file);
    try {
      this.impl = new HfTokenizerImpl(withLlamaSpecialTokens(tokenizerJson, tokenizerConfig), tokenizerConfig);
    } catch (err) {
      throw new AhaError('config', `tokenizer.json could not be built: ${(err as Error).message}`, { cause: err });
    }
    let maxId = -1;
    for (const id of this.impl.get_vocab(true).values()) maxId = Math.max(maxId, id);
    this.vocabSize = maxId + 1;
    this.specialText = {};
    for (const key of ['bos_token', 'eos_token', 'pad_token', 'unk_token']) {
      this.specialText[key] = tokenText(tokenizerConfig[key]);
    }
    const idOf = (key: string): number | null => {
      const text = this.specialText[key];
      if (text === null) return null;
      const id = this.impl.token_to_id(text);
      if (id === undefined)
        throw new AhaError('config', `tokenizer_config ${key} ${JSON.stringify(text)} is not in the vocabulary`);
      return id;
    };
    this.bosTokenId = idOf('bos_token');
    this.eosTokenId = idOf('eos_token');
    this.padTokenId = idOf('pad_token');
    const source = pickTemplate(tokenizerConfig.chat_template);
    try {
      this.template = source === null ? null : new Template(source);
    } catch (err) {
      throw new AhaError('config', `chat_template does not parse: ${(err as Error).message}`, { cause: err });
    }
  }

  encode(text: string, options: { addSpecialTokens?: boolean } = {}): number[] {
    if (typeof text !== 'string') throw new ValueError(`encode: text must be a string, got ${typeof text}`);
    return this.impl.encode(text, { add_special_tokens: options.addSpecialTokens ?? true }).ids;
  }

  decode(ids: readonly number[], options: { skipSpecialTokens?: boolean } = {}): string {
    for (let i = 0; i < ids.length; i++) {
      const id = ids[i];
      if (!Number.isInteger(id) || id < 0 || id >= this.vocabSize) {
        throw new IndexError(`decode: ids[${i}] = ${id} is outside the vocabulary [0, ${this.vocabSize})`);
      }
    }
    if (ids.length === 0) return ''; // the library refuses an empty list
    return this.impl.decode([...ids], {
      skip_special_tokens: options.skipSpecialTokens ?? false,
      clean_up_tokenization_spaces: false,
    });
  }

  applyChatTemplate(messages: readonly ChatMessage[], options: ChatTemplateOptions = {}): string {
    if (this.template === null) {
      throw new AhaError('config', 'applyChatTemplate: tokenizer_config.json has no chat_template');
    }
    messages.forEach((m, i) => {
      if (typeof m?.role !== 'string' || typeof m.content !== 'string') {
        throw new ValueError(`applyChatTemplate: messages[${i}] needs string role and content`);
      }
    });
    const variables = { ...options.variables };
    if (options.enableThinking !== undefined) {
      if ('enable_thinking' in variables && variables.enable_thinking !== options.enableThinking) {
        throw new ValueError(
          `applyChatTemplate: enableThinking ${options.enableThinking} contradicts variables.enable_thinking ${String(variables.enable_thinking)}`,
        );
      }
      variables.enable_thinking = options.enableThinking;
    }
    return this.template.render({
      ...variables,
      messages: messages.map((m) => ({ ...m })),
      add_generation_prompt: options.addGenerationPrompt ?? false,
      bos_token: this.specialText.bos_token ?? '',
      eos_token: this.specialText.eos_token ?? '',
      pad_token: this.specialText.pad_token ?? '',
      unk_token: this.specialText.unk_token ?? '',
    });
  }

  encodeChat(messages: readonly ChatMessage[], options: ChatTemplateOptions = {}): number[] {
    return this.encode(this.applyChatTemplate(messages, options), { addSpecialTokens: false });
  }

  tokenToId(token: string): number | undefined {
    return this.impl.token_to_id(token);
  }

  idToToken(id: number): string | undefined {
    return this.impl.id_to_token(id);
  }

  /** Writes `tokenizer.json` and `tokenizer_config.json` into `dir` (atomically, each). */
  async save(dir: string): Promise<void> {
    await writeTextAtomic(join(dir, 'tokenizer.json'), `${JSON.stringify(this.tokenizerJson, null, 2)}\n`);
    await writeTextAtomic(join(dir, 'tokenizer_config.json'), `${JSON.stringify(this.tokenizerConfig, null, 2)}\n`);
  }
}

async function readJson(path: string, required: boolean): Promise<Json | null> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    if (!required && (err as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw new AhaError('io', `cannot read ${path}: ${(err as Error).message}`, { cause: err });
  }
  try {
    return JSON.parse(text) as Json;
  } catch (err) {
    throw new AhaError('config', `${path} is not valid JSON: ${(err as Error).message}`);
  }
}

/** Loads `dir/tokenizer.json` and, when present, `dir/tokenizer_config.json` (special tokens, chat_template). */
export async function loadTokenizer(dir: string): Promise<HfTokenizer> {
  const path = join(dir, 'tokenizer.json');
  const tokenizerJson = (await readJson(path, true)) as Json;
  const tokenizerConfig = (await readJson(join(dir, 'tokenizer_config.json'), false)) ?? {};
  return new HfTokenizer(tokenizerJson, tokenizerConfig, path);
}
