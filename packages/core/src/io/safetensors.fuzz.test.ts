/**
 * Fuzz tests of the safetensors reader (fast-check, fixed seed, a few seconds each): random bytes, random headers
 * built from hostile values (huge / negative / fractional sizes and offsets, unknown dtypes, wrong types), and a valid
 * file with bits flipped or cut short. Property: opening and reading every tensor either succeeds or throws a typed
 * AhaError; nothing else is thrown, nothing crashes or hangs, and a successful read returns exactly the header's
 * element count. Failures found by fuzzing are kept below as explicit regression cases.
 * Leaves out: sharded indexes (their JSON is validated by readSafetensorsIndex, covered in safetensors.test.ts).
 */
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AhaError } from '../errors.js';
import { parseSafetensorsHeader, SafetensorsFile, writeSafetensors } from './safetensors.js';

const SEED = 20261207;
const LIMIT_MS = 3000; // each property stops after this long (coverage then depends on machine speed, never the result)
const runs = (numRuns: number) => ({ seed: SEED, numRuns, interruptAfterTimeLimit: LIMIT_MS });

let dir: string;
let valid: Uint8Array;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'aha-st-fuzz-'));
  const p = join(dir, 'valid.safetensors');
  await writeSafetensors(p, {
    a: { data: Float32Array.from({ length: 6 }, (_, i) => i), shape: [2, 3] },
    b: { data: Float32Array.of(1, 2), shape: [2] },
  });
  valid = new Uint8Array(await readFile(p));
});
afterAll(() => rm(dir, { recursive: true, force: true }));

let counter = 0;
/** Writes `bytes` to a file, opens it and reads every tensor. Returns the outcome; rethrows anything untyped. */
async function openAndReadAll(bytes: Uint8Array): Promise<'ok' | 'typed-error'> {
  const p = join(dir, `f${counter++}.safetensors`);
  await writeFile(p, bytes);
  let f: SafetensorsFile | undefined;
  try {
    f = await SafetensorsFile.open(p);
    for (const name of f.names()) {
      const info = f.info(name);
      if (!['F32', 'BF16', 'F16'].includes(info.dtype)) continue;
      const { data, shape } = await f.read(name);
      expect(data.length).toBe(shape.reduce((a, b) => a * b, 1));
    }
    return 'ok';
  } catch (err) {
    if (AhaError.is(err)) return 'typed-error';
    throw err;
  } finally {
    await f?.close();
    await rm(p, { force: true });
  }
}

/** A header length prefix + `json` text + `data`. */
function withHeader(json: string, data: Uint8Array, length?: bigint): Uint8Array {
  const text = Buffer.from(json);
  const out = Buffer.alloc(8 + text.length + data.length);
  out.writeBigUInt64LE(length ?? BigInt(text.length));
  text.copy(out, 8);
  Buffer.from(data).copy(out, 8 + text.length);
  return out;
}

// Hostile numbers: the edges where arithmetic on sizes and offsets goes wrong.
const hostileNumber = fc.oneof(
  fc.integer({ min: 0, max: 16 }),
  fc.constantFrom(-1, 0.5, 2 ** 31, 2 ** 32, 2 ** 53, 2 ** 53 + 2, 2 ** 64, 1e300, Number.MAX_SAFE_INTEGER),
  fc.double(),
);
const hostileValue = fc.oneof(hostileNumber, fc.string(), fc.constant(null), fc.boolean(), fc.array(hostileNumber));
const entry = fc.record(
  {
    dtype: fc.oneof(fc.constantFrom('F32', 'BF16', 'F16', 'I64', 'U8', 'F64', 'BOOL', 'X'), hostileValue),
    shape: fc.oneof(fc.array(hostileNumber, { maxLength: 4 }), hostileValue),
    data_offsets: fc.oneof(fc.tuple(hostileNumber, hostileNumber), hostileValue),
  },
  { requiredKeys: [] },
);
const header = fc.dictionary(
  fc.oneof(fc.string({ maxLength: 8 }), fc.constantFrom('__metadata__', '__proto__', 'constructor')),
  fc.oneof(entry, hostileValue, fc.dictionary(fc.string({ maxLength: 4 }), fc.oneof(fc.string(), hostileNumber))),
  { maxKeys: 5 },
);

describe('safetensors reader under fuzzing: typed errors only', () => {
  it('random bytes', async () => {
    await fc.assert(
      fc.asyncProperty(fc.uint8Array({ maxLength: 256 }), async (bytes) => {
        await openAndReadAll(bytes);
      }),
      runs(1000),
    );
  });

  it('random headers (hostile sizes, offsets, dtypes and types) over random data', async () => {
    await fc.assert(
      fc.asyncProperty(header, fc.uint8Array({ maxLength: 64 }), async (h, data) => {
        await openAndReadAll(withHeader(JSON.stringify(h), data));
      }),
      runs(1500),
    );
  });

  it('a valid file with bits flipped', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 7 })), { minLength: 1, maxLength: 4 }),
        async (flips) => {
          const bytes = valid.slice();
          for (const [at, bit] of flips) bytes[at % bytes.length] ^= 1 << bit;
          await openAndReadAll(bytes);
        },
      ),
      runs(1000),
    );
  });

  it('a valid file cut short or extended, and a lying header length', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.nat({ max: valid.length + 16 }),
        fc.bigInt({ min: 0n, max: 2n ** 64n - 1n }),
        async (cut, length) => {
          const bytes = new Uint8Array(cut);
          bytes.set(valid.subarray(0, Math.min(cut, valid.length)));
          expect(await openAndReadAll(bytes)).toBe(cut === valid.length ? 'ok' : 'typed-error');
          const lying = valid.slice();
          new DataView(lying.buffer).setBigUint64(0, length, true);
          await openAndReadAll(lying);
        },
      ),
      runs(1000),
    );
  });

  it('parseSafetensorsHeader on random JSON values never throws anything untyped', () => {
    fc.assert(
      fc.property(fc.jsonValue(), fc.nat({ max: 1 << 20 }), (json, size) => {
        try {
          parseSafetensorsHeader(Buffer.from(JSON.stringify(json) ?? ''), size);
        } catch (err) {
          if (!AhaError.is(err)) throw err;
        }
      }),
      runs(5000),
    );
  });
});

// Explicit cases from the edges above, kept so they run every time whatever the fuzzer draws.
describe('safetensors regression cases', () => {
  const cases: [string, Uint8Array][] = [
    ['empty file', new Uint8Array(0)],
    ['header length 2^64 − 1', withHeader('{}', new Uint8Array(0), 2n ** 64n - 1n)],
    [
      'shape whose element count is beyond 2^53',
      withHeader('{"t":{"dtype":"F32","shape":[4294967296,4294967296],"data_offsets":[0,0]}}', new Uint8Array(0)),
    ],
    [
      'offsets past 2^53',
      withHeader(
        '{"t":{"dtype":"U8","shape":[1],"data_offsets":[9007199254740993,9007199254740994]}}',
        new Uint8Array(0),
      ),
    ],
    ['a 10,000-deep JSON header', withHeader(`${'['.repeat(10000)}${']'.repeat(10000)}`, new Uint8Array(0))],
    [
      '__proto__ as a tensor name',
      withHeader('{"__proto__":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}}', new Uint8Array(4)),
    ],
  ];
  it.each(cases)('%s', async (_what, bytes) => {
    const outcome = await openAndReadAll(bytes);
    expect(['ok', 'typed-error']).toContain(outcome);
  });
});
