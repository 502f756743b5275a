import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  allocFloat32,
  bufferPoolStats,
  clearBufferPool,
  poisonBufferPool,
  setBufferPoolOptions,
} from '../memory/pool.js';
import { add, mul } from '../ops/binary.js';
import { contiguous } from '../ops/copy.js';
import { sum } from '../ops/reduce.js';
import { scatterAdd } from '../ops/scatter-add.js';
import { reshape, transpose } from '../ops/view.js';
import { AdamW } from '../optim/adamw.js';
import { Tensor } from '../tensor.js';
import { randTensor } from '../testing/gradcheck.js';
import { backward } from './engine.js';
import { record } from './node.js';

const defaults = setBufferPoolOptions({}); // as the environment set them
beforeEach(() => {
  setBufferPoolOptions({ enabled: true, minLength: 1 }); // pool the small test tensors too
});
afterEach(() => {
  setBufferPoolOptions(defaults);
  clearBufferPool();
});

// A graph whose backwards hand their incoming gradient straight back (reshape, contiguous, scatterAdd's x) and
// fan out (x used three times), so stored gradients alias what the engine just consumed.
function passThroughGraph(x: Tensor, w: Tensor): { loss: Tensor; y: Tensor } {
  const y = mul(x, w); // [4, 6]
  const r = reshape(y, [6, 4]);
  const c = contiguous(transpose(r, 0, 1)); // [4, 6] copy
  const s = scatterAdd(
    c,
    1,
    Int32Array.from({ length: 24 }, (_, i) => (i * 5) % 6),
    [4, 6],
    y,
  );
  const loss = sum(mul(add(add(s, x), reshape(x, [4, 6])), w));
  return { loss, y };
}

function grads(pool: boolean): { gx: Float32Array; gw: Float32Array } {
  setBufferPoolOptions({ enabled: pool });
  const x = randTensor([4, 6], 1);
  const w = randTensor([4, 6], 2);
  backward(passThroughGraph(x, w).loss);
  poisonBufferPool();
  return { gx: x.grad!.toFloat32Array(), gw: w.grad!.toFloat32Array() };
}

describe('backward with the buffer pool', () => {
  it('gives the same gradients as without the pool when backwards return their incoming gradient', () => {
    const off = grads(false);
    const on = grads(true);
    expect(bufferPoolStats().released).toBeGreaterThan(0);
    expect(on.gx).toEqual(off.gx);
    expect(on.gw).toEqual(off.gw);
    expect(on.gx.every(Number.isFinite)).toBe(true);
  });

  it('does not recycle a gradient that a backward returned for two inputs', () => {
    clearBufferPool();
    const a = randTensor([3, 5], 3);
    const b = randTensor([3, 5], 4);
    // add-like node that hands the very same buffer to both inputs
    const out = record(new Tensor(allocFloat32(15), [3, 5]), 'dup', [a, b], (g) => [g, g]);
    const loss = sum(mul(out, randTensor([3, 5], 5).detach()));
    backward(loss);
    poisonBufferPool();
    expect(a.grad!.storage.buffer).not.toBe(b.grad!.storage.buffer);
    expect(a.grad!.toFloat32Array()).toEqual(b.grad!.toFloat32Array());
    expect(a.grad!.toFloat32Array().every(Number.isFinite)).toBe(true);
    // Churn through the pool: nothing handed out may alias a live gradient.
    for (let i = 0; i < 8; i++) allocFloat32(15).fill(Number.NaN);
    expect(a.grad!.toFloat32Array().every(Number.isFinite)).toBe(true);
    expect(b.grad!.toFloat32Array().every(Number.isFinite)).toBe(true);
  });

  it('keeps user-held forward outputs and leaf gradients intact across training steps', () => {
    clearBufferPool();
    const x = randTensor([4, 6], 6);
    const w = randTensor([4, 6], 7);
    const opt = new AdamW([x, w], { lr: 1e-2 });
    const kept: { y: Tensor; values: Float32Array }[] = [];
    for (let step = 0; step < 5; step++) {
      const { loss, y } = passThroughGraph(x, w);
      kept.push({ y, values: y.toFloat32Array() });
      backward(loss);
      const gx = x.grad!;
      const before = gx.toFloat32Array();
      poisonBufferPool();
      expect(gx.toFloat32Array()).toEqual(before);
      opt.step();
      opt.zeroGrad(step % 2 === 0); // both ways of clearing
    }
    expect(bufferPoolStats().hits).toBeGreaterThan(0);
    poisonBufferPool();
    for (const k of kept) expect(k.y.toFloat32Array()).toEqual(k.values);
  });

  it('zeroGrad with release hands whole gradient buffers back to the pool, never a view or a held seed', () => {
    clearBufferPool();
    const x = randTensor([32, 64], 11); // 2048 floats: pooled sizes
    const opt = new AdamW([x], { lr: 1e-2 });
    backward(sum(mul(x, x)));
    const buf = x.grad!.storage;
    opt.step();
    opt.zeroGrad(true, { release: true });
    expect(x.grad).toBeNull();
    expect(allocFloat32(2048, { zero: false })).toBe(buf);

    const handSet = new Float32Array(4096);
    x.grad = new Tensor(handSet.subarray(0, 2048), [32, 64]); // a view the pool never issued
    const released = bufferPoolStats().released;
    opt.zeroGrad(true, { release: true });
    expect(bufferPoolStats().released).toBe(released);
    expect(allocFloat32(2048, { zero: false }).buffer).not.toBe(handSet.buffer);
  });

  it('accumulates into gradients zeroed in place and recycles the incoming buffer', () => {
    clearBufferPool();
    const x = randTensor([8], 8);
    backward(sum(mul(x, x)));
    const buf = x.grad!.storage;
    x.grad!.values().fill(0); // zeroGrad(false)
    backward(sum(mul(x, x)));
    expect(x.grad!.storage).toBe(buf);
    const xv = x.toFloat32Array();
    expect(Array.from(x.grad!.toFloat32Array())).toEqual(Array.from(xv, (v) => Math.fround(2 * v)));
  });

  it('keeps a retained graph usable and the seed gradient of the caller untouched', () => {
    clearBufferPool();
    const x = randTensor([4, 6], 9);
    const w = randTensor([4, 6], 10);
    const y = mul(reshape(mul(x, w), [24]), 3); // [24]
    const seed = new Tensor(
      Float32Array.from({ length: 24 }, (_, i) => i / 10),
      [24],
    );
    const seedCopy = seed.toFloat32Array();
    backward(y, seed, { retainGraph: true });
    const once = x.grad!.toFloat32Array();
    poisonBufferPool();
    backward(y, seed, { retainGraph: true });
    poisonBufferPool();
    expect(seed.toFloat32Array()).toEqual(seedCopy);
    expect(Array.from(x.grad!.toFloat32Array())).toEqual(Array.from(once, (v) => Math.fround(2 * v)));
    expect(once.every(Number.isFinite)).toBe(true);
  });
});
