/**
 * Pretraining data: documents (texts) → one token stream with EOS after each document → fixed-length sequences
 * (concatenate-and-chunk, as GPT-2/Megatron pretraining does). Consecutive sequences overlap by one token, so every
 * token of the stream after the first is a next-token target exactly once (Megatron samples seq_length + 1 tokens
 * the same way). Attention is not masked between the documents of a sequence; DeepSeek-V3 (§4.1) packs documents
 * without cross-sample masking too. The last sequence of the stream may be shorter; the batch pads it on the right and
 * masks the padding out of attention and loss.
 * Leaves out: streaming corpora larger than memory (the sequences are an array), best-fit packing that keeps documents
 * whole (Ding et al. 2024, which V3 cites), a BOS token at document starts.
 */
import { type Tokenizer, ValueError } from '@aha/core';

/** The packed corpus. */
export interface PackedCorpus {
  /** Token sequences of `seqLength` tokens (the last may be shorter, ≥ 2); sequence k+1 starts with k's last token. */
  sequences: number[][];
  /** Documents read (empty texts included: they add only their EOS). */
  documents: number;
  /** Tokens in the stream (EOS tokens included). */
  tokens: number;
}

type PackTokenizer = Pick<Tokenizer, 'encode' | 'eosTokenId'>;
type PackOptions = { seqLength: number; eosId?: number };

/** Accumulates documents into the EOS-separated stream, then cuts it (shared by the sync and async entry points). */
class Packer {
  readonly stream: number[] = [];
  documents = 0;
  readonly #eos: number;

  constructor(
    private readonly tokenizer: PackTokenizer,
    private readonly options: PackOptions,
  ) {
    const { seqLength } = options;
    if (!Number.isInteger(seqLength) || seqLength < 2) {
      throw new ValueError(`packDocuments: seqLength must be an integer >= 2, got ${seqLength}`);
    }
    const eos = options.eosId ?? tokenizer.eosTokenId;
    if (eos === null || eos === undefined) {
      throw new ValueError('packDocuments: the tokenizer has no EOS token; pass eosId to separate documents');
    }
    this.#eos = eos;
  }

  add(text: unknown): void {
    if (typeof text !== 'string') {
      throw new ValueError(`packDocuments: document ${this.documents} is ${typeof text}, expected a string`);
    }
    for (const id of this.tokenizer.encode(text, { addSpecialTokens: false })) this.stream.push(id);
    this.stream.push(this.#eos);
    this.documents++;
  }

  finish(): PackedCorpus {
    const { stream } = this;
    if (stream.length < 2) throw new ValueError('packDocuments: the corpus has no document (need at least 2 tokens)');
    const sequences: number[][] = [];
    const { seqLength } = this.options;
    const stride = seqLength - 1;
    for (let start = 0; start + 1 < stream.length; start += stride) {
      sequences.push(stream.slice(start, Math.min(start + seqLength, stream.length)));
    }
    return { sequences, documents: this.documents, tokens: stream.length };
  }
}

/**
 * Tokenizes `texts` (no special tokens added by the tokenizer), appends `eosId` (default: the tokenizer's EOS) to
 * each and cuts the stream into windows of `seqLength` tokens with stride `seqLength − 1`.
 */
export function packDocuments(texts: Iterable<string>, tokenizer: PackTokenizer, options: PackOptions): PackedCorpus {
  const packer = new Packer(tokenizer, options);
  for (const text of texts) packer.add(text);
  return packer.finish();
}

/** {@link packDocuments} over a sync or async iterable (e.g. texts streamed from a cleaned JSONL file). */
export async function packDocumentsAsync(
  texts: Iterable<string> | AsyncIterable<string>,
  tokenizer: PackTokenizer,
  options: PackOptions,
): Promise<PackedCorpus> {
  const packer = new Packer(tokenizer, options);
  for await (const text of texts) packer.add(text);
  return packer.finish();
}

/** The token stream back from its sequences (drops the token each sequence shares with the previous one). */
export function unpackSequences(sequences: readonly (readonly number[])[]): number[] {
  return sequences.flatMap((s, k) => (k === 0 ? [...s] : s.slice(1)));
}

/** A micro-batch of packed sequences: right-padded rows, a mask only when some row is padded, target count. */
export interface PretrainBatch {
  tokens: number[][];
  attentionMask?: number[][];
  /** Next-token targets in the batch (real positions after the first of each row). */
  targets: number;
}

/** Right-pads `rows` with `padId` to the longest one; padding is masked out (0) of attention and loss. */
export function collateSequences(rows: readonly (readonly number[])[], padId: number): PretrainBatch {
  const T = Math.max(...rows.map((r) => r.length));
  const padded = rows.some((r) => r.length < T);
  return {
    tokens: rows.map((r) => [...r, ...new Array<number>(T - r.length).fill(padId)]),
    attentionMask: padded ? rows.map((r) => Array.from({ length: T }, (_, i) => (i < r.length ? 1 : 0))) : undefined,
    targets: rows.reduce((s, r) => s + r.length - 1, 0),
  };
}
