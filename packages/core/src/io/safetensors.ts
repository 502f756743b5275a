/**
 * safetensors reader and writer, plus sharded checkpoints (`model.safetensors.index.json`), as Hugging Face writes them.
 *
 * Format (huggingface/safetensors `docs` + the Rust crate's `validate`): u64 little-endian header length N, N bytes of
 * JSON `{ name: { dtype, shape, data_offsets: [begin, end] }, __metadata__?: { string: string } }`, then the data
 * region. Offsets are relative to the data region; sorted by begin they must tile it exactly (start at 0, no gap, no
 * overlap, end at the end of the file), and each byte length must equal numel × dtype size. Everything is checked before
 * any tensor is read, and every failure is a `SafetensorsError` with a stable `reason`.
 *
 * Reading streams one tensor at a time with positioned `fs` reads into the destination Float32Array (F32 straight in,
 * BF16/F16 through one 16-bit buffer of that tensor), so a checkpoint is never held twice in memory. Writing is
 * deterministic (`__metadata__: { format: 'pt' }` first, then tensors sorted by name, data in that order, header padded
 * with spaces to 8 bytes) and atomic (`writeFileAtomic`: a temp file in the same folder, fsync, rename).
 *
 * Leaves out: reading dtypes other than F32/BF16/F16 (the header still validates them), memory-mapping, big-endian hosts.
 */
import { type FileHandle, open, readFile, rm, stat } from 'node:fs/promises';
import { endianness } from 'node:os';
import { basename, join } from 'node:path';
import { AhaError, DTypeError } from '../errors.js';
import { writeFileAtomic } from './atomic.js';
import { bf16ToF32, f16ToF32, f32ToBf16, f32ToF16 } from './half.js';

/** Why a safetensors file or index was refused. */
export type SafetensorsErrorReason =
  | 'truncated'
  | 'header-too-large'
  | 'header-json'
  | 'header-entry'
  | 'dtype'
  | 'size-mismatch'
  | 'offsets'
  | 'overlap'
  | 'gap'
  | 'trailing-bytes'
  | 'missing-tensor'
  | 'unexpected-tensor'
  | 'index';

/** A corrupt, truncated or inconsistent safetensors file or index; `reason` is stable, the message names file + tensor. */
export class SafetensorsError extends AhaError {
  constructor(
    readonly reason: SafetensorsErrorReason,
    message: string,
  ) {
    super('io', message);
  }
}

/** Largest header accepted: HF's own limit is 100 MB; real headers are well under 1 MB. */
export const MAX_HEADER_BYTES = 100_000_000;

const DTYPE_SIZES: Record<string, number> = {
  BOOL: 1,
  U8: 1,
  I8: 1,
  F8_E5M2: 1,
  F8_E4M3: 1,
  I16: 2,
  U16: 2,
  F16: 2,
  BF16: 2,
  I32: 4,
  U32: 4,
  F32: 4,
  F64: 8,
  I64: 8,
  U64: 8,
};

/** dtypes this module converts to and from float32. */
export type FloatDType = 'F32' | 'BF16' | 'F16';
const FLOAT_DTYPES: readonly string[] = ['F32', 'BF16', 'F16'];

/** One tensor's header entry; `begin`/`end` are byte offsets into the data region. */
export interface TensorInfo {
  name: string;
  dtype: string;
  shape: number[];
  begin: number;
  end: number;
}

/** The parsed, validated header of one file. */
export interface SafetensorsHeader {
  tensors: Map<string, TensorInfo>;
  metadata: Record<string, string> | null;
  /** Byte offset of the data region in the file (8 + header length). */
  dataStart: number;
}

const numelOf = (shape: number[]) => shape.reduce((a, b) => a * b, 1);

/**
 * Validates a header's JSON bytes against the file size. Pure: used by `SafetensorsFile.open` and by tests.
 * @param file a name for messages.
 */
export function parseSafetensorsHeader(
  headerBytes: Uint8Array,
  fileSize: number,
  file = '<buffer>',
): SafetensorsHeader {
  const dataStart = 8 + headerBytes.length;
  let json: unknown;
  try {
    json = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(headerBytes));
  } catch (err) {
    throw new SafetensorsError('header-json', `${file}: header is not valid UTF-8 JSON (${(err as Error).message})`);
  }
  if (typeof json !== 'object' || json === null || Array.isArray(json)) {
    throw new SafetensorsError('header-json', `${file}: header must be a JSON object`);
  }
  const dataSize = fileSize - dataStart;
  const tensors = new Map<string, TensorInfo>();
  let metadata: Record<string, string> | null = null;
  for (const [name, raw] of Object.entries(json as Record<string, unknown>)) {
    if (name === '__metadata__') {
      if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) {
        throw new SafetensorsError('header-entry', `${file}: __metadata__ must be an object of strings`);
      }
      for (const [k, v] of Object.entries(raw)) {
        if (typeof v !== 'string') {
          throw new SafetensorsError('header-entry', `${file}: __metadata__.${k} must be a string, got ${typeof v}`);
        }
      }
      metadata = raw as Record<string, string>;
      continue;
    }
    const e = raw as { dtype?: unknown; shape?: unknown; data_offsets?: unknown };
    if (typeof e !== 'object' || e === null) {
      throw new SafetensorsError('header-entry', `${file}: entry "${name}" must be an object`);
    }
    if (typeof e.dtype !== 'string' || !(e.dtype in DTYPE_SIZES)) {
      throw new SafetensorsError('dtype', `${file}: tensor "${name}" has unknown dtype ${JSON.stringify(e.dtype)}`);
    }
    if (!Array.isArray(e.shape) || !e.shape.every((d) => Number.isSafeInteger(d) && d >= 0)) {
      throw new SafetensorsError(
        'header-entry',
        `${file}: tensor "${name}" shape must be non-negative integers, got ${JSON.stringify(e.shape)}`,
      );
    }
    const off = e.data_offsets;
    if (!Array.isArray(off) || off.length !== 2 || !off.every((d) => Number.isSafeInteger(d) && d >= 0)) {
      throw new SafetensorsError(
        'offsets',
        `${file}: tensor "${name}" data_offsets must be [begin, end] non-negative integers, got ${JSON.stringify(off)}`,
      );
    }
    const [begin, end] = off as [number, number];
    if (begin > end) {
      throw new SafetensorsError('offsets', `${file}: tensor "${name}" data_offsets [${begin}, ${end}] run backwards`);
    }
    if (end > dataSize) {
      throw new SafetensorsError(
        'truncated',
        `${file}: tensor "${name}" ends at data byte ${end} but the file holds only ${dataSize} data bytes`,
      );
    }
    const shape = e.shape as number[];
    const want = numelOf(shape) * DTYPE_SIZES[e.dtype];
    if (want !== end - begin) {
      throw new SafetensorsError(
        'size-mismatch',
        `${file}: tensor "${name}" ${e.dtype} [${shape.join(', ')}] needs ${want} bytes but data_offsets span ${end - begin}`,
      );
    }
    tensors.set(name, { name, dtype: e.dtype, shape, begin, end });
  }
  const sorted = [...tensors.values()].sort((a, b) => a.begin - b.begin || a.end - b.end);
  let cursor = 0;
  let prev = '';
  for (const t of sorted) {
    if (t.begin < cursor) {
      throw new SafetensorsError(
        'overlap',
        `${file}: tensor "${t.name}" [${t.begin}, ${t.end}) overlaps "${prev}" which ends at ${cursor}`,
      );
    }
    if (t.begin > cursor) {
      throw new SafetensorsError('gap', `${file}: unused data bytes [${cursor}, ${t.begin}) before tensor "${t.name}"`);
    }
    cursor = t.end;
    prev = t.name;
  }
  if (cursor !== dataSize) {
    throw new SafetensorsError(
      'trailing-bytes',
      `${file}: tensors cover ${cursor} data bytes but the file has ${dataSize} after the header`,
    );
  }
  return { tensors, metadata, dataStart };
}

async function readExactly(fh: FileHandle, into: Uint8Array, position: number, file: string): Promise<void> {
  const CHUNK = 1 << 30; // fs reads are capped near 2 GiB
  let done = 0;
  while (done < into.length) {
    const len = Math.min(CHUNK, into.length - done);
    const { bytesRead } = await fh.read(into, done, len, position + done);
    if (bytesRead === 0) {
      throw new SafetensorsError('truncated', `${file}: unexpected end of file at byte ${position + done}`);
    }
    done += bytesRead;
  }
}

/** One open safetensors file: a validated header, tensors read on demand. Call `close()` when done. */
export class SafetensorsFile {
  private constructor(
    readonly path: string,
    private readonly fh: FileHandle,
    readonly header: SafetensorsHeader,
  ) {}

  /** Opens `path` and validates its header (reads only the header). */
  static async open(path: string): Promise<SafetensorsFile> {
    if (endianness() !== 'LE') throw new AhaError('io', 'safetensors: big-endian hosts are not supported');
    const fh = await open(path, 'r');
    try {
      const size = (await fh.stat()).size;
      if (size < 8)
        throw new SafetensorsError('truncated', `${path}: ${size} bytes, shorter than the 8-byte header length`);
      const lenBuf = new Uint8Array(8);
      await readExactly(fh, lenBuf, 0, path);
      const n = new DataView(lenBuf.buffer).getBigUint64(0, true);
      if (n > BigInt(MAX_HEADER_BYTES)) {
        throw new SafetensorsError('header-too-large', `${path}: header length ${n} exceeds ${MAX_HEADER_BYTES} bytes`);
      }
      if (8n + n > BigInt(size)) {
        throw new SafetensorsError(
          'truncated',
          `${path}: header length ${n} runs past the end of the ${size}-byte file`,
        );
      }
      const headerBytes = new Uint8Array(Number(n));
      await readExactly(fh, headerBytes, 8, path);
      return new SafetensorsFile(path, fh, parseSafetensorsHeader(headerBytes, size, path));
    } catch (err) {
      await fh.close();
      throw err;
    }
  }

  /** Tensor names in file order (by data offset). */
  names(): string[] {
    return [...this.header.tensors.values()].sort((a, b) => a.begin - b.begin).map((t) => t.name);
  }

  /** The header entry of `name`. */
  info(name: string): TensorInfo {
    const t = this.header.tensors.get(name);
    if (!t) throw new SafetensorsError('missing-tensor', `${this.path}: no tensor named "${name}"`);
    return t;
  }

  /** The raw little-endian bytes of `name`. */
  async readBytes(name: string): Promise<Uint8Array> {
    const t = this.info(name);
    const out = new Uint8Array(t.end - t.begin);
    await readExactly(this.fh, out, this.header.dataStart + t.begin, this.path);
    return out;
  }

  /** Reads `name` as float32 (F32 as is, BF16 / F16 widened exactly). */
  async read(name: string): Promise<{ data: Float32Array; shape: number[]; dtype: FloatDType }> {
    const t = this.info(name);
    const numel = numelOf(t.shape);
    const data = new Float32Array(numel);
    const at = this.header.dataStart + t.begin;
    if (t.dtype === 'F32') {
      await readExactly(this.fh, new Uint8Array(data.buffer), at, this.path);
    } else if (t.dtype === 'BF16' || t.dtype === 'F16') {
      const words = new Uint16Array(numel);
      await readExactly(this.fh, new Uint8Array(words.buffer), at, this.path);
      if (t.dtype === 'BF16') bf16ToF32(words, data);
      else f16ToF32(words, data);
    } else {
      throw new DTypeError(
        `${this.path}: tensor "${name}" is ${t.dtype}; only F32, BF16 and F16 can be read as float32`,
      );
    }
    return { data, shape: [...t.shape], dtype: t.dtype };
  }

  async close(): Promise<void> {
    await this.fh.close();
  }
}

/** A tensor to write: float32 values and a shape. */
export interface TensorToWrite {
  data: Float32Array;
  shape: readonly number[];
}
type TensorSource = Map<string, TensorToWrite> | Record<string, TensorToWrite>;

const entriesOf = (tensors: TensorSource): [string, TensorToWrite][] =>
  (tensors instanceof Map ? [...tensors.entries()] : Object.entries(tensors)).sort(([a], [b]) =>
    a < b ? -1 : a > b ? 1 : 0,
  );

function encode(t: TensorToWrite, dtype: FloatDType): Uint8Array {
  if (dtype === 'F32') return new Uint8Array(t.data.buffer, t.data.byteOffset, t.data.byteLength);
  const words = dtype === 'BF16' ? f32ToBf16(t.data) : f32ToF16(t.data);
  return new Uint8Array(words.buffer);
}

/**
 * Writes one safetensors file: `__metadata__` first, tensors sorted by name, data in that order, stored as `dtype`.
 * @param options.dtype storage dtype (default F32); BF16/F16 round to nearest even.
 * @param options.metadata extra string metadata (`format: 'pt'` is always set, as HF expects).
 */
export async function writeSafetensors(
  path: string,
  tensors: TensorSource,
  options: { dtype?: FloatDType; metadata?: Record<string, string> } = {},
): Promise<void> {
  const dtype = options.dtype ?? 'F32';
  if (!FLOAT_DTYPES.includes(dtype))
    throw new DTypeError(`writeSafetensors: dtype must be F32, BF16 or F16, got ${dtype}`);
  const entries = entriesOf(tensors);
  const header: Record<string, unknown> = { __metadata__: { ...options.metadata, format: 'pt' } };
  let offset = 0;
  for (const [name, t] of entries) {
    if (name === '__metadata__') throw new AhaError('value', 'writeSafetensors: "__metadata__" is not a tensor name');
    const numel = numelOf([...t.shape]);
    if (numel !== t.data.length) {
      throw new AhaError(
        'shape',
        `writeSafetensors: tensor "${name}" shape [${t.shape.join(', ')}] holds ${numel} values but data has ${t.data.length}`,
      );
    }
    const bytes = numel * DTYPE_SIZES[dtype];
    header[name] = { dtype, shape: [...t.shape], data_offsets: [offset, offset + bytes] };
    offset += bytes;
  }
  let json = JSON.stringify(header);
  json += ' '.repeat((8 - ((Buffer.byteLength(json) + 8) % 8)) % 8); // pad so the data region starts 8-aligned
  const headerBytes = Buffer.from(json, 'utf8');
  const prefix = Buffer.alloc(8);
  prefix.writeBigUInt64LE(BigInt(headerBytes.length));
  await writeFileAtomic(path, async (fh) => {
    await fh.write(prefix);
    await fh.write(headerBytes);
    for (const [, t] of entries) {
      const bytes = encode(t, dtype); // one tensor's bytes at a time
      if (bytes.length > 0) await fh.write(bytes);
    }
  });
}

/** Reads every tensor of a file as float32 (a convenience for small files and tests). */
export async function readSafetensors(path: string): Promise<Map<string, { data: Float32Array; shape: number[] }>> {
  const f = await SafetensorsFile.open(path);
  try {
    const out = new Map<string, { data: Float32Array; shape: number[] }>();
    for (const name of f.names()) {
      const { data, shape } = await f.read(name);
      out.set(name, { data, shape });
    }
    return out;
  } finally {
    await f.close();
  }
}

// ---------------------------------------------------------------------------------------------------------------
// Sharded checkpoints (HF `model.safetensors.index.json`)

export const SINGLE_FILE = 'model.safetensors';
export const INDEX_FILE = 'model.safetensors.index.json';

const exists = (p: string) =>
  stat(p).then(
    () => true,
    () => false,
  );

/**
 * A checkpoint folder: one `model.safetensors` or shards listed by `model.safetensors.index.json`. Every shard's
 * header is validated on open; each tensor is read on demand from its shard.
 */
export class SafetensorsCheckpoint {
  private constructor(
    readonly dir: string,
    private readonly files: Map<string, SafetensorsFile>,
    private readonly where: Map<string, SafetensorsFile>,
  ) {}

  static async open(dir: string): Promise<SafetensorsCheckpoint> {
    const files = new Map<string, SafetensorsFile>();
    const where = new Map<string, SafetensorsFile>();
    try {
      const indexPath = join(dir, INDEX_FILE);
      if (await exists(indexPath)) {
        const weightMap = await readSafetensorsIndex(indexPath);
        for (const shard of new Set(weightMap.values())) files.set(shard, await SafetensorsFile.open(join(dir, shard)));
        for (const [name, shard] of weightMap) {
          const f = files.get(shard)!;
          if (!f.header.tensors.has(name)) {
            throw new SafetensorsError(
              'missing-tensor',
              `${indexPath}: "${name}" is mapped to ${shard}, which lacks it`,
            );
          }
          where.set(name, f);
        }
      } else if (await exists(join(dir, SINGLE_FILE))) {
        const f = await SafetensorsFile.open(join(dir, SINGLE_FILE));
        files.set(SINGLE_FILE, f);
        for (const name of f.header.tensors.keys()) where.set(name, f);
      } else {
        throw new SafetensorsError('missing-tensor', `${dir}: neither ${SINGLE_FILE} nor ${INDEX_FILE} found`);
      }
    } catch (err) {
      await Promise.all([...files.values()].map((f) => f.close()));
      throw err;
    }
    return new SafetensorsCheckpoint(dir, files, where);
  }

  /** All tensor names, sorted. */
  names(): string[] {
    return [...this.where.keys()].sort();
  }

  has(name: string): boolean {
    return this.where.has(name);
  }

  info(name: string): TensorInfo {
    return this.fileOf(name).info(name);
  }

  read(name: string): Promise<{ data: Float32Array; shape: number[]; dtype: FloatDType }> {
    return this.fileOf(name).read(name);
  }

  async close(): Promise<void> {
    await Promise.all([...this.files.values()].map((f) => f.close()));
  }

  private fileOf(name: string): SafetensorsFile {
    const f = this.where.get(name);
    if (!f) throw new SafetensorsError('missing-tensor', `${this.dir}: checkpoint has no tensor "${name}"`);
    return f;
  }
}

/** Reads an index's `weight_map` (tensor name → shard file name); shard names must be plain file names. */
export async function readSafetensorsIndex(path: string): Promise<Map<string, string>> {
  let json: { weight_map?: unknown };
  try {
    json = JSON.parse(await readFile(path, 'utf8'));
  } catch (err) {
    throw new SafetensorsError('index', `${path}: not a readable JSON index (${(err as Error).message})`);
  }
  const wm = json?.weight_map;
  if (typeof wm !== 'object' || wm === null || Array.isArray(wm)) {
    throw new SafetensorsError('index', `${path}: missing "weight_map" object`);
  }
  const out = new Map<string, string>();
  for (const [name, shard] of Object.entries(wm)) {
    if (typeof shard !== 'string' || shard === '' || shard !== basename(shard) || shard.startsWith('.')) {
      throw new SafetensorsError('index', `${path}: "${name}" maps to ${JSON.stringify(shard)}, not a plain file name`);
    }
    out.set(name, shard);
  }
  return out;
}

/** HF's default `max_shard_size` ("5GB"). */
export const DEFAULT_MAX_SHARD_BYTES = 5_000_000_000;

/**
 * Writes a checkpoint folder the way HF `save_pretrained` does: one `model.safetensors` when it fits `maxShardBytes`,
 * else `model-0000i-of-0000n.safetensors` shards (tensors in name order, a new shard when the next one would overflow)
 * plus `model.safetensors.index.json` (written last, so a complete index implies complete shards).
 * @returns the file names written.
 */
export async function writeSafetensorsCheckpoint(
  dir: string,
  tensors: TensorSource,
  options: { dtype?: FloatDType; maxShardBytes?: number; metadata?: Record<string, string> } = {},
): Promise<string[]> {
  const dtype = options.dtype ?? 'F32';
  const max = options.maxShardBytes ?? DEFAULT_MAX_SHARD_BYTES;
  const entries = entriesOf(tensors);
  const size = (t: TensorToWrite) => t.data.length * DTYPE_SIZES[dtype];
  const total = entries.reduce((s, [, t]) => s + size(t), 0);
  if (total <= max) {
    await writeSafetensors(join(dir, SINGLE_FILE), new Map(entries), options);
    await rm(join(dir, INDEX_FILE), { force: true });
    return [SINGLE_FILE];
  }
  const shards: [string, TensorToWrite][][] = [[]];
  let current = 0;
  for (const e of entries) {
    if (current > 0 && current + size(e[1]) > max) {
      shards.push([]);
      current = 0;
    }
    shards[shards.length - 1].push(e);
    current += size(e[1]);
  }
  const pad = (i: number) => String(i).padStart(5, '0');
  const names = shards.map((_, i) => `model-${pad(i + 1)}-of-${pad(shards.length)}.safetensors`);
  const weightMap: Record<string, string> = {};
  for (let i = 0; i < shards.length; i++) {
    await writeSafetensors(join(dir, names[i]), new Map(shards[i]), options);
    for (const [name] of shards[i]) weightMap[name] = names[i];
  }
  const index = { metadata: { total_size: total }, weight_map: weightMap };
  await writeFileAtomic(join(dir, INDEX_FILE), async (fh) => {
    await fh.write(`${JSON.stringify(index, null, 2)}\n`);
  });
  await rm(join(dir, SINGLE_FILE), { force: true });
  return [...names, INDEX_FILE];
}
