import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AhaError } from '../errors.js';
import { bf16ToF32, f16ToF32, f32ToBf16, f32ToF16 } from './half.js';
import {
  INDEX_FILE,
  parseSafetensorsHeader,
  readSafetensors,
  readSafetensorsIndex,
  SafetensorsCheckpoint,
  SafetensorsError,
  SafetensorsFile,
  writeSafetensors,
  writeSafetensorsCheckpoint,
} from './safetensors.js';

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'aha-st-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** Builds a file by hand: u64 header length (or a lie), header JSON, data bytes. */
function craft(header: unknown, data: Uint8Array, lengthOverride?: bigint): Uint8Array {
  const json = Buffer.from(typeof header === 'string' ? header : JSON.stringify(header));
  const out = Buffer.alloc(8 + json.length + data.length);
  out.writeBigUInt64LE(lengthOverride ?? BigInt(json.length));
  json.copy(out, 8);
  Buffer.from(data).copy(out, 8 + json.length);
  return out;
}

async function openBytes(bytes: Uint8Array, name: string): Promise<SafetensorsFile> {
  const p = join(dir, name);
  await writeFile(p, bytes);
  return SafetensorsFile.open(p);
}

async function reasonOf(p: Promise<unknown>): Promise<string> {
  try {
    const f = await p;
    await (f as SafetensorsFile).close?.();
  } catch (err) {
    expect(AhaError.is(err, 'io')).toBe(true);
    return (err as SafetensorsError).reason;
  }
  throw new Error('expected a SafetensorsError');
}

const rand = (n: number, seed: number) => {
  let s = seed;
  return Float32Array.from({ length: n }, () => {
    s = (s * 1664525 + 1013904223) >>> 0;
    return (s / 2 ** 32 - 0.5) * 8;
  });
};

describe('half conversions', () => {
  it('bf16 and f16 widen exactly and narrow with round-to-nearest-even', () => {
    const x = new Float32Array([1, -2.5, 65504, 65520, 1e-8, 6.1035e-5, 5.96e-8, Infinity, -Infinity, 1 + 2 ** -8]);
    const h = f16ToF32(f32ToF16(x));
    expect(Array.from(h.slice(0, 3))).toEqual([1, -2.5, 65504]);
    expect(h[3]).toBe(Infinity); // 65520 rounds up past the largest half
    expect(h[4]).toBe(0); // underflow
    expect(h[6]).toBeCloseTo(2 ** -24, 30); // smallest subnormal
    expect(h[7]).toBe(Infinity);
    expect(h[8]).toBe(-Infinity);
    const b = bf16ToF32(f32ToBf16(x));
    expect(b[0]).toBe(1);
    expect(b[9]).toBe(1); // 1 + 2^-8 is a tie between 1 and 1 + 2^-7: even mantissa wins
    expect(bf16ToF32(f32ToBf16(new Float32Array([1 + 3 * 2 ** -9])))[0]).toBe(1 + 2 ** -7);
    expect(Number.isNaN(bf16ToF32(f32ToBf16(new Float32Array([Number.NaN])))[0])).toBe(true);
    expect(Number.isNaN(f16ToF32(f32ToF16(new Float32Array([Number.NaN])))[0])).toBe(true);
    // every f16 word survives f16 → f32 → f16 (NaNs aside)
    const all = Uint16Array.from({ length: 65536 }, (_, i) => i).filter((w) => (w & 0x7c00) !== 0x7c00 || !(w & 0x3ff));
    expect(f32ToF16(f16ToF32(all))).toEqual(all);
  });
});

describe('safetensors writer + reader', () => {
  it.each(['F32', 'BF16', 'F16'] as const)('round-trips %s values and is byte-identical on rewrite', async (dtype) => {
    const tensors = {
      'model.norm.weight': { data: rand(6, 1), shape: [6] },
      'a.weight': { data: rand(12, 2), shape: [3, 4] },
      'z.scalar': { data: new Float32Array([3.25]), shape: [] },
      'empty.weight': { data: new Float32Array(0), shape: [0, 5] },
    };
    const p1 = join(dir, `rt-${dtype}.safetensors`);
    await writeSafetensors(p1, tensors, { dtype });
    const back = await readSafetensors(p1);
    expect([...back.keys()].sort()).toEqual(Object.keys(tensors).sort());
    for (const [name, t] of Object.entries(tensors)) {
      const got = back.get(name)!;
      expect(got.shape).toEqual(t.shape);
      const tol = dtype === 'F32' ? 0 : dtype === 'BF16' ? 2 ** -8 : 2 ** -11;
      got.data.forEach((v, i) => {
        expect(Math.abs(v - t.data[i])).toBeLessThanOrEqual(Math.abs(t.data[i]) * tol);
      });
    }
    const p2 = join(dir, `rt2-${dtype}.safetensors`);
    await writeSafetensors(p2, back, { dtype });
    expect(Buffer.compare(await readFile(p1), await readFile(p2))).toBe(0);
  });

  it('writes a deterministic, 8-aligned header with sorted names and format pt', async () => {
    const p = join(dir, 'hdr.safetensors');
    await writeSafetensors(
      p,
      new Map([
        ['b', { data: new Float32Array(3), shape: [3] }],
        ['a', { data: new Float32Array(1), shape: [1] }],
      ]),
    );
    const bytes = await readFile(p);
    const n = Number(bytes.readBigUInt64LE(0));
    expect((8 + n) % 8).toBe(0);
    const header = bytes.subarray(8, 8 + n).toString('utf8');
    expect(header.trimEnd()).toBe(
      '{"__metadata__":{"format":"pt"},"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]},"b":{"dtype":"F32","shape":[3],"data_offsets":[4,16]}}',
    );
    const f = await SafetensorsFile.open(p);
    expect(f.header.metadata).toEqual({ format: 'pt' });
    expect(f.names()).toEqual(['a', 'b']);
    await f.close();
  });

  it('leaves no temp file behind and replaces an existing file atomically', async () => {
    const sub = join(dir, 'atomic');
    await writeSafetensors(join(sub, 'x.safetensors'), { t: { data: new Float32Array([1]), shape: [1] } });
    await writeSafetensors(join(sub, 'x.safetensors'), { t: { data: new Float32Array([2]), shape: [1] } });
    expect(await readdir(sub)).toEqual(['x.safetensors']);
    expect((await readSafetensors(join(sub, 'x.safetensors'))).get('t')!.data[0]).toBe(2);
  });

  it('refuses a shape that does not match the data', async () => {
    await expect(
      writeSafetensors(join(dir, 'bad.safetensors'), { t: { data: new Float32Array(5), shape: [2, 3] } }),
    ).rejects.toThrow(/shape \[2, 3\] holds 6 values but data has 5/);
  });
});

describe('safetensors reader refuses corrupt files', () => {
  const good = { t: { dtype: 'F32', shape: [2], data_offsets: [0, 8] } };
  const eight = new Uint8Array(8);

  it('accepts the hand-made good file', async () => {
    const f = await openBytes(craft(good, eight), 'good.safetensors');
    expect((await f.read('t')).data).toEqual(new Float32Array(2));
    await f.close();
  });

  it.each([
    ['a file shorter than 8 bytes', () => new Uint8Array(5), 'truncated'],
    ['a truncated data region', () => craft(good, new Uint8Array(4)), 'truncated'],
    ['a header length past the end of the file', () => craft(good, eight, 10_000n), 'truncated'],
    ['a huge header length', () => craft(good, eight, 2n ** 63n), 'header-too-large'],
    ['a header that is not JSON', () => craft('{"t": [', eight), 'header-json'],
    ['a header that is a JSON array', () => craft('[1, 2]', eight), 'header-json'],
    ['an unknown dtype', () => craft({ t: { ...good.t, dtype: 'F33' } }, eight), 'dtype'],
    ['a shape that lies about the byte length', () => craft({ t: { ...good.t, shape: [3] } }, eight), 'size-mismatch'],
    ['a negative dim', () => craft({ t: { ...good.t, shape: [-2] } }, eight), 'header-entry'],
    ['offsets that run backwards', () => craft({ t: { ...good.t, data_offsets: [8, 0] } }, eight), 'offsets'],
    [
      'offsets past the data region',
      () => craft({ t: { dtype: 'F32', shape: [4], data_offsets: [0, 16] } }, eight),
      'truncated',
    ],
    [
      'overlapping tensors',
      () =>
        craft(
          {
            a: { dtype: 'F32', shape: [2], data_offsets: [0, 8] },
            b: { dtype: 'F32', shape: [2], data_offsets: [4, 12] },
          },
          new Uint8Array(12),
        ),
      'overlap',
    ],
    ['a gap in the data region', () => craft({ t: { dtype: 'F32', shape: [1], data_offsets: [4, 8] } }, eight), 'gap'],
    ['bytes after the last tensor', () => craft(good, new Uint8Array(12)), 'trailing-bytes'],
    ['non-string metadata', () => craft({ ...good, __metadata__: { format: 1 } }, eight), 'header-entry'],
  ])('%s', async (_what, make, reason) => {
    expect(await reasonOf(openBytes(make(), `bad-${reason}-${Math.random()}.safetensors`))).toBe(reason);
  });

  it('reads only F32 / BF16 / F16 as float32 and names a missing tensor', async () => {
    const f = await openBytes(
      craft({ t: { dtype: 'I64', shape: [1], data_offsets: [0, 8] } }, eight),
      'i64.safetensors',
    );
    await expect(f.read('t')).rejects.toThrow(/I64; only F32, BF16 and F16/);
    expect(() => f.info('nope')).toThrow(/no tensor named "nope"/);
    expect((await f.readBytes('t')).length).toBe(8);
    await f.close();
  });

  it('validates headers without a file', () => {
    const header = Buffer.from(JSON.stringify(good));
    expect(parseSafetensorsHeader(header, 8 + header.length + 8).tensors.get('t')?.shape).toEqual([2]);
    expect(() => parseSafetensorsHeader(header, 8 + header.length + 4)).toThrow(SafetensorsError);
  });
});

describe('sharded checkpoints', () => {
  const tensors = Object.fromEntries(
    Array.from({ length: 5 }, (_, i) => [`layer.${i}.weight`, { data: rand(10, i + 10), shape: [2, 5] }]),
  );

  it('writes one file when it fits and shards + index when it does not, both read back the same', async () => {
    const one = join(dir, 'ckpt-one');
    expect(await writeSafetensorsCheckpoint(one, tensors)).toEqual(['model.safetensors']);
    const many = join(dir, 'ckpt-many');
    const files = await writeSafetensorsCheckpoint(many, tensors, { maxShardBytes: 100 }); // 40 bytes each → 2 per shard
    expect(files).toEqual([
      'model-00001-of-00003.safetensors',
      'model-00002-of-00003.safetensors',
      'model-00003-of-00003.safetensors',
      INDEX_FILE,
    ]);
    const index = JSON.parse(await readFile(join(many, INDEX_FILE), 'utf8'));
    expect(index.metadata.total_size).toBe(200);
    expect(index.weight_map['layer.4.weight']).toBe('model-00003-of-00003.safetensors');
    for (const d of [one, many]) {
      const ck = await SafetensorsCheckpoint.open(d);
      expect(ck.names()).toEqual(Object.keys(tensors).sort());
      for (const [name, t] of Object.entries(tensors)) expect((await ck.read(name)).data).toEqual(t.data);
      await ck.close();
    }
  });

  it('refuses an index that points outside the folder or at a shard lacking the tensor', async () => {
    const d = join(dir, 'ckpt-bad');
    await writeSafetensorsCheckpoint(d, tensors, { maxShardBytes: 100 });
    await writeFile(join(d, INDEX_FILE), JSON.stringify({ weight_map: { x: '../evil.safetensors' } }));
    await expect(readSafetensorsIndex(join(d, INDEX_FILE))).rejects.toThrow(/not a plain file name/);
    await writeFile(
      join(d, INDEX_FILE),
      JSON.stringify({ weight_map: { 'layer.0.weight': 'model-00002-of-00003.safetensors' } }),
    );
    expect(await reasonOf(SafetensorsCheckpoint.open(d))).toBe('missing-tensor');
    expect(await reasonOf(SafetensorsCheckpoint.open(join(dir, 'nowhere')))).toBe('missing-tensor');
  });
});
