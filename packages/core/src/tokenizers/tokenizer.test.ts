import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { AhaError } from '../errors.js';
import { BYTE_LEVEL_ADDED_TOKENS, byteToUnicode, createByteLevelTokenizer } from './byte-level.js';
import { HfTokenizer, loadTokenizer } from './tokenizer.js';

const FIXTURE = join(import.meta.dirname, '__fixtures__', 'tiny-bpe');
const tmp = await mkdtemp(join(tmpdir(), 'aha-tok-'));
afterAll(() => rm(tmp, { recursive: true, force: true }));

const texts = [
  'hello the world',
  '<think>2 + 2 = 4, wait, check: yes</think> <answer>4</answer>',
  'héllo 🙂 日本語 — ünïcödé',
  '  two  spaces\n\ttab\r\n',
  '',
  '<think',
  'x</answer>y<answer>',
];

describe('HF tokenizer.json (tiny DeepSeek-style BPE fixture)', async () => {
  const tok = await loadTokenizer(FIXTURE);

  it('applies merges by rank and the BOS template (ids worked out by hand)', () => {
    // "hello" → h e l l o → he l l o → he ll o → he llo; " the" → Ġ t h e → Ġ t he → Ġt he → Ġthe
    expect(tok.encode('hello the')).toEqual([262, 256, 260, 258]);
    expect(tok.encode('hello the', { addSpecialTokens: false })).toEqual([256, 260, 258]);
    expect(tok.encode('ab')).toEqual([262, 97, 98]);
    // digits split in runs of ≤ 3 before merging: "123" | "45", so the "3 4" merge cannot apply across the cut
    expect(tok.encode('12345', { addSpecialTokens: false })).toEqual([49, 50, 51, 52, 53]);
    expect(tok.encode('345', { addSpecialTokens: false })).toEqual([261, 53]);
    expect(tok.bosTokenId).toBe(262);
    expect(tok.eosTokenId).toBe(263);
    expect(tok.padTokenId).toBeNull();
    expect(tok.vocabSize).toBe(268);
    expect(tok.tokenToId('<think>')).toBe(266);
    expect(tok.idToToken(258)).toBe('Ġthe');
  });

  it('matches added tokens atomically and decodes back to the text', () => {
    expect(tok.encode('<think>he</think>', { addSpecialTokens: false })).toEqual([266, 256, 267]);
    for (const t of texts) expect(tok.decode(tok.encode(t, { addSpecialTokens: false }))).toBe(t);
    expect(tok.decode(tok.encode('hello'), { skipSpecialTokens: true })).toBe('hello');
    expect(tok.decode(tok.encode('hello'))).toBe('<｜begin▁of▁sentence｜>hello');
    expect(tok.decode([266, 256, 263], { skipSpecialTokens: true })).toBe('<think>he'); // <think> is not special
  });

  it('renders the chat template with the generation prompt and encodes it without a second BOS', () => {
    const messages = [
      { role: 'system', content: 'Be brief.' },
      { role: 'user', content: 'hello' },
      { role: 'assistant', content: 'the' },
      { role: 'user', content: 'hello' },
    ];
    expect(tok.applyChatTemplate(messages, { addGenerationPrompt: true })).toBe(
      '<｜begin▁of▁sentence｜>Be brief.<｜User｜>hello<｜Assistant｜>the<｜end▁of▁sentence｜><｜User｜>hello<｜Assistant｜><think>\n',
    );
    expect(tok.applyChatTemplate(messages.slice(1, 2))).toBe('<｜begin▁of▁sentence｜><｜User｜>hello');
    const ids = tok.encodeChat(messages.slice(1, 2), { addGenerationPrompt: true });
    expect(ids).toEqual([262, 264, 256, 260, 265, 266, 10]);
  });

  it('refuses ids outside the vocabulary and bad messages with typed errors', () => {
    expect(() => tok.decode([1, 268])).toThrow(/ids\[1\] = 268 is outside the vocabulary \[0, 268\)/);
    expect(() => tok.decode([1.5])).toThrow(AhaError);
    expect(() => tok.applyChatTemplate([{ role: 'user' } as never])).toThrow(/messages\[0\]/);
  });
});

describe("LlamaTokenizerFast's add_bos_token / add_eos_token (DeepSeek-V3/R1 ship a ByteLevel post-processor)", async () => {
  const json = JSON.parse(await readFile(join(FIXTURE, 'tokenizer.json'), 'utf8'));
  const config = JSON.parse(await readFile(join(FIXTURE, 'tokenizer_config.json'), 'utf8'));
  // The post-processor of DeepSeek-V3's own tokenizer.json: offsets only, no BOS.
  const byteLevelPost = { type: 'ByteLevel', add_prefix_space: true, trim_offsets: false, use_regex: true };
  const deepseekLike = { ...json, post_processor: byteLevelPost };
  const ab = [97, 98];

  it("replaces the file's post-processor as transformers does, and saves the file unchanged", async () => {
    expect(new HfTokenizer(deepseekLike, config).encode('ab')).toEqual([262, ...ab]);
    expect(new HfTokenizer(deepseekLike, { ...config, add_bos_token: undefined }).encode('ab')).toEqual([262, ...ab]);
    expect(new HfTokenizer(json, { ...config, add_bos_token: false }).encode('ab')).toEqual(ab);
    expect(new HfTokenizer(deepseekLike, { ...config, add_eos_token: true }).encode('ab')).toEqual([262, ...ab, 263]);
    const tok = new HfTokenizer(deepseekLike, config);
    expect(tok.encode('ab', { addSpecialTokens: false })).toEqual(ab);
    const dir = join(tmp, 'llama-class');
    await tok.save(dir);
    expect(JSON.parse(await readFile(join(dir, 'tokenizer.json'), 'utf8')).post_processor).toEqual(byteLevelPost);
  });

  it("keeps the file's post-processor for other classes (Qwen2Tokenizer, PreTrainedTokenizerFast)", () => {
    for (const tokenizer_class of ['Qwen2Tokenizer', 'PreTrainedTokenizerFast', undefined]) {
      expect(new HfTokenizer(deepseekLike, { ...config, tokenizer_class }).encode('ab')).toEqual(ab);
      expect(new HfTokenizer(json, { ...config, tokenizer_class, add_bos_token: false }).encode('ab')).toEqual([
        262,
        ...ab,
      ]);
    }
  });

  it('refuses add_bos_token without a BOS in the vocabulary', () => {
    expect(() => new HfTokenizer(deepseekLike, { ...config, bos_token: null })).toThrow(/add_bos_token is true/);
    expect(() => new HfTokenizer(deepseekLike, { ...config, add_eos_token: 'yes' })).toThrow(/must be booleans/);
  });
});

describe('byte-level tokenizer', () => {
  const tok = createByteLevelTokenizer();

  it('encodes UTF-8 bytes as ids 0..255 and the tags as single tokens', () => {
    const enc = new TextEncoder();
    for (const t of ['plain ascii', 'héllo 🙂 日本', '\u0000\u007f\n']) {
      expect(tok.encode(t, { addSpecialTokens: false })).toEqual([...enc.encode(t)]);
      expect(tok.encode(t)).toEqual([256, ...enc.encode(t)]);
    }
    const ids = BYTE_LEVEL_ADDED_TOKENS.map((t) => tok.tokenToId(t.content));
    expect(ids).toEqual([256, 257, 258, 259, 260, 261, 262]);
    expect(tok.encode('<think>a</think><answer>b</answer>', { addSpecialTokens: false })).toEqual([
      259, 97, 260, 261, 98, 262,
    ]);
    expect([tok.bosTokenId, tok.eosTokenId, tok.padTokenId, tok.vocabSize]).toEqual([256, 257, 258, 263]);
    expect(new Set(byteToUnicode()).size).toBe(256);
  });

  it('decodes every text back, keeps the R1 tags and drops only bos/eos/pad when asked', () => {
    for (const t of texts) expect(tok.decode(tok.encode(t))).toBe(`<|bos|>${t}`);
    for (const t of texts) expect(tok.decode(tok.encode(t), { skipSpecialTokens: true })).toBe(t);
    expect(tok.decode([256, 259, 104, 105, 260, 257, 258], { skipSpecialTokens: true })).toBe('<think>hi</think>');
  });

  it('has a chat template for the R1-Zero plain layout', () => {
    const text = tok.applyChatTemplate(
      [
        { role: 'system', content: 'Think first.' },
        { role: 'user', content: '1+1?' },
      ],
      { addGenerationPrompt: true },
    );
    expect(text).toBe('<|bos|>Think first.\nUser: 1+1?\nAssistant:');
    expect(() => tok.applyChatTemplate([{ role: 'tool', content: 'x' }])).toThrow(/unknown chat role: tool/);
  });

  it('saves a tokenizer.json that the HF library loads back identically', async () => {
    await tok.save(tmp);
    const back = await loadTokenizer(tmp);
    const json = JSON.parse(await readFile(join(tmp, 'tokenizer.json'), 'utf8'));
    expect(json).toEqual(tok.tokenizerJson);
    expect(json.model.type).toBe('BPE');
    expect(Object.keys(json.model.vocab).length).toBe(263);
    for (const t of [...texts, 'a<|eos|>b']) {
      expect(back.encode(t)).toEqual(tok.encode(t));
      expect(back.decode(back.encode(t))).toBe(`<|bos|>${t}`);
    }
    expect(back.encode('a<|eos|>b', { addSpecialTokens: false })).toEqual([97, 257, 98]); // as HF: specials in text match
    for (let id = 0; id < tok.vocabSize; id++) expect(back.idToToken(id)).toBe(tok.idToToken(id));
    expect([back.bosTokenId, back.eosTokenId, back.padTokenId, back.vocabSize]).toEqual([256, 257, 258, 263]);
    expect(back.applyChatTemplate([{ role: 'user', content: 'q' }])).toBe(
      tok.applyChatTemplate([{ role: 'user', content: 'q' }]),
    );
  });

  it('reports missing files, bad JSON and unknown special tokens clearly', async () => {
    await expect(loadTokenizer(join(tmp, 'nowhere'))).rejects.toThrow(/cannot read .*tokenizer.json/);
    const bad = join(tmp, 'bad');
    await tok.save(bad);
    await writeFile(join(bad, 'tokenizer_config.json'), '{ nope');
    await expect(loadTokenizer(bad)).rejects.toThrow(/not valid JSON/);
    expect(() => new HfTokenizer(tok.tokenizerJson, { eos_token: '<|nope|>' })).toThrow(
      /eos_token "<\|nope\|>" is not in the vocabulary/,
    );
    expect(() => new HfTokenizer(tok.tokenizerJson, {}).applyChatTemplate([])).toThrow(/no chat_template/);
  });
});
