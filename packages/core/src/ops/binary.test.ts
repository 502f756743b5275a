import { describe, expect, it } from 'vitest';
import { ShapeError } from '../errors.js';
import { type Tensor, tensor } from '../tensor.js';
import { checkOp, type RefInput, randTensor } from '../testing/gradcheck.js';
import { add, div, maximum, minimum, mul, sub } from './binary.js';
import { narrow, transpose } from './view.js';

// Reference: broadcast by explicit index arithmetic in float64.
function refBinary(f: (x: number, y: number) => number) {
  return (a: RefInput, b: RefInput): Float64Array => {
    const n = Math.max(a.shape.length, b.shape.length);
    const pad = (s: number[]) => [...new Array(n - s.length).fill(1), ...s];
    const as = pad(a.shape);
    const bs = pad(b.shape);
    const shape = as.map((x, i) => Math.max(x, bs[i]));
    const total = shape.reduce((p, q) => p * q, 1);
    const out = new Float64Array(total);
    const flat = (s: number[], idx: number[]) => idx.reduce((acc, v, i) => acc * s[i] + (s[i] === 1 ? 0 : v), 0);
    for (let i = 0; i < total; i++) {
      const idx: number[] = [];
      let r = i;
      for (let d = n - 1; d >= 0; d--) {
        idx[d] = r % shape[d];
        r = Math.floor(r / shape[d]);
      }
      out[i] = f(a.values[flat(as, idx)], b.values[flat(bs, idx)]);
    }
    return out;
  };
}

const cases: [string, (a: never, b: never) => never, (x: number, y: number) => number][] = [
  ['add', add as never, (x, y) => x + y],
  ['sub', sub as never, (x, y) => x - y],
  ['mul', mul as never, (x, y) => x * y],
  ['div', div as never, (x, y) => x / y],
  ['maximum', maximum as never, Math.max],
  ['minimum', minimum as never, Math.min],
];

describe.each(cases)('%s', (_name, op, f) => {
  const forward = op as unknown as (a: ReturnType<typeof randTensor>, b: ReturnType<typeof randTensor>) => never;
  it('same shapes', () => {
    checkOp({ inputs: [randTensor([3, 4], 1), randTensor([3, 4], 2, 0.5, 2)], forward, reference: refBinary(f) });
  });
  it('broadcasts a row, a column and a scalar-like tensor', () => {
    checkOp({ inputs: [randTensor([2, 3, 4], 3), randTensor([4], 4, 0.5, 2)], forward, reference: refBinary(f) });
    checkOp({ inputs: [randTensor([3, 1], 5), randTensor([1, 4], 6, 0.5, 2)], forward, reference: refBinary(f) });
    checkOp({ inputs: [randTensor([2, 5], 7), randTensor([], 8, 0.5, 2)], forward, reference: refBinary(f) });
  });
  it('reads non-contiguous views (a transpose) without copying them first', () => {
    const a = randTensor([4, 3], 9);
    const b = randTensor([3, 4], 10, 0.5, 2);
    checkOp({
      inputs: [a, b],
      forward: (x, y) => forward(transpose(x, 0, 1) as never, y as never),
      reference: (x, y) =>
        refBinary(f)(
          {
            shape: [3, 4],
            values: Float64Array.from({ length: 12 }, (_, i) => x.values[(i % 4) * 3 + Math.floor(i / 4)]),
          },
          y,
        ),
    });
  });
});

describe('binary op errors', () => {
  it('names both shapes when they cannot broadcast', () => {
    const a = tensor(new Float32Array(6), [2, 3]);
    const b = tensor(new Float32Array(8), [2, 4]);
    expect(() => add(a, b)).toThrow(ShapeError);
    expect(() => add(a, b)).toThrow('add: shapes [2, 3] and [2, 4] cannot be broadcast together');
  });
  it('handles empty tensors', () => {
    const a = tensor(new Float32Array(0), [0, 3]);
    expect(add(a, a).shape).toEqual([0, 3]);
  });
  it('propagates NaN rather than hiding it', () => {
    const a = tensor(Float32Array.of(Number.NaN, 1), [2]);
    expect(Array.from(mul(a, 2).toFloat32Array())).toEqual([Number.NaN, 2]);
  });
});

describe('maximum / minimum', () => {
  it('send the gradient to a on ties and to the larger (smaller) side otherwise', () => {
    const a = tensor(Float32Array.of(1, 2, 3), [3]).requiresGrad_();
    const b = tensor(Float32Array.of(1, 5, 0), [3]).requiresGrad_();
    maximum(a, b).backward(tensor(Float32Array.of(1, 1, 1), [3]));
    expect(Array.from(a.grad!.toFloat32Array())).toEqual([1, 0, 1]);
    expect(Array.from(b.grad!.toFloat32Array())).toEqual([0, 1, 0]);
    a.grad = null;
    b.grad = null;
    minimum(a, b).backward(tensor(Float32Array.of(1, 1, 1), [3]));
    expect(Array.from(a.grad!.toFloat32Array())).toEqual([1, 1, 0]);
    expect(Array.from(b.grad!.toFloat32Array())).toEqual([0, 0, 1]);
  });
  it('propagate NaN from either side', () => {
    const a = tensor(Float32Array.of(Number.NaN, 1), [2]);
    const b = tensor(Float32Array.of(0, Number.NaN), [2]);
    expect(maximum(a, b).toFloat32Array().every(Number.isNaN)).toBe(true);
    expect(minimum(a, b).toFloat32Array().every(Number.isNaN)).toBe(true);
  });
  it('clamp from below with a number (leaky floor)', () => {
    const a = tensor(Float32Array.of(-2, 0.5), [2]);
    expect(Array.from(maximum(a, 0).toFloat32Array())).toEqual([0, 0.5]);
  });
});

describe('forward and backward on tensors large enough to run threaded (flat, offset, broadcast passes)', () => {
  // d/da and d/db of each op, applied to the upstream gradient g.
  const derivs: Record<string, (x: number, y: number, g: number) => [number, number]> = {
    add: (_x, _y, g) => [g, g],
    sub: (_x, _y, g) => [g, -g],
    mul: (x, y, g) => [g * y, g * x],
    div: (x, y, g) => [g / y, (-g * x) / (y * y)],
    maximum: (x, y, g) => (x >= y ? [g, 0] : [0, g]),
    minimum: (x, y, g) => (x <= y ? [g, 0] : [0, g]),
  };
  const R = 97;
  const C = 401; // R * C = 38897 elements: more than two 16384-element chunks
  it.each(cases)(
    '%s matches the analytic gradient (contiguous, narrowed view, broadcast column, scalar)',
    (name, op, f) => {
      const apply = op as unknown as (a: Tensor, b: Tensor) => Tensor;
      const d = derivs[name];
      const g = randTensor([R, C], 11);
      const gv = g.values();
      // 1. both contiguous; 2. a is a view at an offset into a bigger buffer; 3. b broadcast along the columns (one
      // value per row); 4. b a scalar.
      const bigA = randTensor([R + 3, C], 12);
      const layouts: [string, Tensor, Tensor][] = [
        ['flat', randTensor([R, C], 13), randTensor([R, C], 14, 0.5, 2)],
        ['offset', narrow(bigA.detach(), 0, 3, R).requiresGrad_(), randTensor([R, C], 15, 0.5, 2)],
        ['broadcast', randTensor([R, C], 16), randTensor([R, 1], 17, 0.5, 2)],
        ['scalar', randTensor([R, C], 18), randTensor([], 19, 0.5, 2)],
      ];
      for (const [layout, a, b] of layouts) {
        const out = apply(a, b);
        out.backward(g);
        const ov = out.values();
        const av = a.values();
        const bv = b.values();
        const ga = a.grad!.values();
        const gb = b.grad!.values();
        const expB = new Float64Array(b.numel);
        let worst = 0;
        for (let i = 0; i < R; i++)
          for (let j = 0; j < C; j++) {
            const bi = b.numel === 1 ? 0 : b.numel === R ? i : i * C + j;
            const [da, db] = d(av[i * C + j], bv[bi], gv[i * C + j]);
            if (ov[i * C + j] !== Math.fround(f(av[i * C + j], bv[bi]))) worst = Number.POSITIVE_INFINITY;
            worst = Math.max(worst, Math.abs(ga[i * C + j] - da));
            expB[bi] += db;
          }
        expect(worst, `${name} ${layout} grad a`).toBeLessThan(1e-5);
        // b's gradient sums up to R·C terms; the generic (serial) pass accumulates them in float32.
        let worstB = 0;
        for (let k = 0; k < b.numel; k++)
          worstB = Math.max(worstB, Math.abs(gb[k] - expB[k]) / (1 + Math.abs(expB[k])));
        expect(worstB, `${name} ${layout} grad b`).toBeLessThan(1e-3);
      }
    },
  );
});
