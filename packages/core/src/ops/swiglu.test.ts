import { createRequire } from 'node:module';
import { afterAll, describe, expect, it } from 'vitest';
import { DTypeError, ShapeError } from '../errors.js';
import { getNumThreads, kernel, setNumThreads } from '../native.js';
import { type Tensor, tensor } from '../tensor.js';
import { checkOp, maxRelError, type RefInput, randTensor } from '../testing/gradcheck.js';
import { runWithPortableKernels, runWithSimdLevel, simdLevelsToTest } from '../testing/portable.js';
import { mul } from './binary.js';
import { swiglu } from './swiglu.js';
import { silu } from './unary.js';
import { transpose } from './view.js';

const refSwiglu = (g: RefInput, u: RefInput): Float64Array =>
  g.values.map((v, i) => (v / (1 + Math.exp(-v))) * u.values[i]);

type Buf = Float32Array;
const fwd = kernel<(g: Buf, u: Buf, n: number, out: Buf, path: number) => void>('swigluForward');
const bwd =
  kernel<(dy: Buf, g: Buf, u: Buf, n: number, gg: Buf | null, gu: Buf | null, path: number) => void>('swigluBackward');

// Forward and both gradients of one call of the raw kernels, on the AVX2 (0) or portable (1) path.
function raw(g: Buf, u: Buf, dy: Buf, path: number): Buf[] {
  const n = g.length;
  const out = new Float32Array(n);
  const gg = new Float32Array(n);
  const gu = new Float32Array(n);
  fwd(g, u, n, out, path);
  bwd(dy, g, u, n, gg, gu, path);
  return [out, gg, gu];
}

describe('swiglu', () => {
  it('matches silu(gate) · up with gradients to both, on odd sizes and the SIMD tail', () => {
    for (const [shape, seed] of [
      [[1], 1],
      [[17], 2],
      [[2, 3, 5], 3],
      [[4, 33], 4],
    ] as [number[], number][]) {
      checkOp({
        inputs: [randTensor(shape, seed, -4, 4), randTensor(shape, seed + 10)],
        forward: (g, u) => swiglu(g, u),
        reference: refSwiglu,
      });
    }
  });

  it('reads transposed views', () => {
    checkOp({
      inputs: [randTensor([5, 3], 5, -3, 3), randTensor([3, 5], 6)],
      forward: (g, u) => swiglu(transpose(g, 0, 1), u),
      reference: (g, u) => {
        const t = new Float64Array(15);
        for (let i = 0; i < 5; i++) for (let j = 0; j < 3; j++) t[j * 5 + i] = g.values[i * 3 + j];
        return refSwiglu({ values: t, shape: [3, 5] }, u);
      },
    });
  });

  it('equals the unfused silu then mul, forward and backward, on the portable path bit for bit', () => {
    const g = randTensor([1000], 7, -20, 20).values();
    const u = randTensor([1000], 8).values();
    const dy = randTensor([1000], 9).values();
    const [out, gg, gu] = raw(g, u, dy, 1);
    const G = tensor(g.slice(), [1000]).requiresGrad_();
    const U = tensor(u.slice(), [1000]).requiresGrad_();
    const y = mul(silu(G), U);
    y.backward(tensor(dy, [1000]));
    expect(Buffer.from(out.buffer).equals(Buffer.from(y.toFloat32Array().buffer))).toBe(true);
    expect(Buffer.from(gg.buffer).equals(Buffer.from(G.grad!.toFloat32Array().buffer))).toBe(true);
    expect(Buffer.from(gu.buffer).equals(Buffer.from(U.grad!.toFloat32Array().buffer))).toBe(true);
  });

  it('gives the same values on the AVX2 and the portable path, extreme gates included', () => {
    const g = randTensor([4099], 10, -100, 100).values();
    g.set([0, -0, 88, -88, 89, -89, 1e-8, -1e-8], 0);
    const u = randTensor([4099], 11).values();
    const dy = randTensor([4099], 12).values();
    const simd = raw(g, u, dy, 0);
    const portable = raw(g, u, dy, 1);
    for (let i = 0; i < 3; i++) expect(maxRelError(simd[i], portable[i], 1e-30), `output ${i}`).toBeLessThan(1e-6);
  });

  it('takes the portable path under AHA_DISABLE_SIMD=1 (read once per process, so in a child process)', () => {
    const g = randTensor([77], 16, -30, 30).values();
    const u = randTensor([77], 17).values();
    const addon = createRequire(import.meta.url).resolve('@aha/native');
    const script = `const t = require(${JSON.stringify(addon)});
      const g = Float32Array.from(${JSON.stringify(Array.from(g))}), u = Float32Array.from(${JSON.stringify(Array.from(u))});
      const out = new Float32Array(g.length);
      t.swigluForward(g, u, g.length, out, 0);
      process.stdout.write(JSON.stringify({ simd: t.simdLevel(), out: Array.from(out) }));`;
    const { simd, out } = runWithPortableKernels<{ simd: string; out: number[] }>({ code: script });
    expect(simd).toBe('portable');
    const [portable] = raw(g, u, new Float32Array(77), 1);
    expect(out).toEqual(Array.from(portable));
  });

  // Each SIMD level in its own process (fixed at load) on 1533 = 95·16 + 13 elements: the 16-lane body, the 8-lane
  // step and the scalar tail. exp512 is exp256 lane for lane, so avx512 must equal avx2 bit for bit.
  const levelScript = `const t = require(${JSON.stringify(createRequire(import.meta.url).resolve('@aha/native'))});
    let seed = 5;
    const r = () => ((seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648) * 2 - 1;
    const n = 1533, g = Float32Array.from({ length: n }, () => 100 * r()), u = Float32Array.from({ length: n }, r);
    const dy = Float32Array.from({ length: n }, r);
    g.set([0, -0, 88, -88, 89, -89, 1e-8, -1e-8, NaN, Infinity, -Infinity], 0);
    const out = new Float32Array(n), gg = new Float32Array(n), gu = new Float32Array(n);
    t.swigluForward(g, u, n, out, 0);
    t.swigluBackward(dy, g, u, n, gg, gu, 0);
    const p = [new Float32Array(n), new Float32Array(n), new Float32Array(n)];
    t.swigluForward(g, u, n, p[0], 1);
    t.swigluBackward(dy, g, u, n, p[1], p[2], 1);
    const bits = (a) => Array.from(new Uint32Array(a.buffer));
    process.stdout.write(JSON.stringify({ simd: t.simdLevel(), out: [out, gg, gu].map(bits), portable: p.map(bits) }));`;
  const byLevel = new Map<string, number[][]>();
  for (const [level, supported] of simdLevelsToTest()) {
    const name = `AHA_SIMD=${level} matches the portable path${level === 'avx512' ? ' and avx2 bit for bit' : ''}`;
    it.runIf(supported)(supported ? name : `${name} (skipped: this CPU lacks it)`, () => {
      type Out = { simd: string; out: number[][]; portable: number[][] };
      const child = runWithSimdLevel<Out>(level, { code: levelScript });
      expect(child.simd).toBe(level);
      const f32 = (bits: number[]) => new Float32Array(Uint32Array.from(bits).buffer);
      for (let i = 0; i < 3; i++) {
        const got = f32(child.out[i]);
        const want = f32(child.portable[i]);
        expect(Number.isNaN(got[8]), `output ${i}: NaN gate`).toBe(true);
        got[8] = want[8] = 0;
        expect(maxRelError(got, want, 1e-30), `output ${i}`).toBeLessThan(1e-6);
      }
      byLevel.set(level, child.out);
      if (level === 'avx512') {
        const avx2 = byLevel.get('avx2') ?? runWithSimdLevel<Out>('avx2', { code: levelScript }).out;
        expect(child.out).toEqual(avx2);
      }
    });
  }

  it('propagates NaN from the gate and keeps infinite gates finite where silu is', () => {
    for (const path of [0, 1]) {
      const g = Float32Array.from({ length: 16 }, (_, i) => (i === 3 ? Number.NaN : i === 11 ? Infinity : 1));
      const [out] = raw(g, new Float32Array(16).fill(2), new Float32Array(16).fill(1), path);
      expect(Number.isNaN(out[3]), `path ${path}`).toBe(true);
      expect(out[11]).toBe(Infinity);
      expect(out[0]).toBeCloseTo(2 / (1 + Math.exp(-1)), 6);
    }
  });

  describe('threads', () => {
    const before = getNumThreads();
    afterAll(() => setNumThreads(before));
    it('gives bit-identical results on 1 and 2 threads', () => {
      const run = (): Buf[] => {
        const g = randTensor([70000], 13, -6, 6);
        const u = randTensor([70000], 14);
        const y = swiglu(g, u);
        y.backward(randTensor([70000], 15).detach());
        return [y.toFloat32Array(), g.grad!.toFloat32Array(), u.grad!.toFloat32Array()];
      };
      setNumThreads(1);
      const one = run();
      setNumThreads(2);
      const two = run();
      for (let i = 0; i < 3; i++) expect(Buffer.from(two[i].buffer).equals(Buffer.from(one[i].buffer))).toBe(true);
    });
  });

  it('rejects mismatched shapes and non-tensors', () => {
    expect(() => swiglu(randTensor([2, 3], 1), randTensor([3, 2], 2))).toThrow(
      'swiglu: gate [2, 3] and up [3, 2] must have the same shape',
    );
    expect(() => swiglu(randTensor([2], 1), randTensor([2, 1], 2))).toThrow(ShapeError);
    expect(() => swiglu([1, 2] as unknown as Tensor, randTensor([2], 2))).toThrow(DTypeError);
    expect(swiglu(randTensor([0, 4], 1), randTensor([0, 4], 2)).shape).toEqual([0, 4]);
  });
});
