import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ValueError } from '../errors.js';
import {
  allocFloat32,
  bufferPoolStats,
  clearBufferPool,
  releaseFloat32,
  resetBufferPoolStats,
  setBufferPoolOptions,
} from './pool.js';

const defaults = setBufferPoolOptions({}); // as the environment set them
beforeEach(() => {
  setBufferPoolOptions({ enabled: true, minLength: 1 }); // small lengths keep the arithmetic readable
});
afterEach(() => {
  setBufferPoolOptions(defaults);
  clearBufferPool();
});

describe('buffer pool', () => {
  it('reuses a released buffer of the same length, zeroed unless asked not to', () => {
    clearBufferPool();
    resetBufferPoolStats();
    const a = allocFloat32(1000);
    a.fill(7);
    expect(releaseFloat32(a)).toBe(true);
    expect(bufferPoolStats().bytesHeld).toBe(4000);
    const b = allocFloat32(1000);
    expect(b).toBe(a);
    expect(b.every((v) => v === 0)).toBe(true);
    b.fill(3);
    releaseFloat32(b);
    const c = allocFloat32(1000, { zero: false });
    expect(c).toBe(a);
    expect(c[0]).toBe(3);
    expect(allocFloat32(999)).not.toBe(a); // exact lengths only
    const s = bufferPoolStats();
    expect(s.hits).toBe(2);
    expect(s.misses).toBe(2);
    expect(s.missBytes).toBe(4 * 1999);
  });

  it('never hands out one buffer twice: a second release is ignored', () => {
    clearBufferPool();
    const a = allocFloat32(256);
    expect(releaseFloat32(a)).toBe(true);
    expect(releaseFloat32(a)).toBe(false);
    const x = allocFloat32(256);
    const y = allocFloat32(256);
    expect(x).toBe(a);
    expect(y).not.toBe(a);
    // Released again after reuse: still only one copy in the free list.
    releaseFloat32(x);
    releaseFloat32(x);
    const held = new Set([allocFloat32(256), allocFloat32(256), allocFloat32(256)]);
    expect(held.size).toBe(3);
  });

  it('refuses buffers it did not hand out and views', () => {
    clearBufferPool();
    const foreign = new Float32Array(128);
    expect(releaseFloat32(foreign)).toBe(false);
    expect(allocFloat32(128)).not.toBe(foreign);
    const whole = allocFloat32(64);
    const view = whole.subarray(0, 32);
    expect(releaseFloat32(view)).toBe(false);
    expect(bufferPoolStats().bytesHeld).toBe(0);
  });

  it('keeps at most maxBytes, dropping the least recently used lengths first', () => {
    clearBufferPool();
    setBufferPoolOptions({ maxBytes: 10_000 });
    const a = allocFloat32(1000); // 4000 bytes
    const b = allocFloat32(500); // 2000 bytes
    const c = allocFloat32(1000);
    releaseFloat32(a);
    releaseFloat32(b);
    releaseFloat32(c); // 10000 held
    expect(bufferPoolStats().bytesHeld).toBe(10_000);
    // 3000 more bytes: length 500 (used least recently: length 1000 was released after it) goes first, then one
    // 1000-length buffer.
    const d = allocFloat32(750);
    releaseFloat32(d);
    expect(bufferPoolStats().bytesHeld).toBe(7000);
    expect(allocFloat32(750)).toBe(d);
    expect([a, c]).toContain(allocFloat32(1000));
    expect(allocFloat32(500)).not.toBe(b);
    const big = allocFloat32(5000); // larger than the cap: dropped
    expect(releaseFloat32(big)).toBe(false);
    expect(() => setBufferPoolOptions({ maxBytes: -1 })).toThrow(ValueError);
    expect(() => setBufferPoolOptions({ minLength: 0.5 })).toThrow(ValueError);
  });

  it('leaves lengths under minLength to the garbage collector', () => {
    setBufferPoolOptions({ minLength: 64 });
    const small = allocFloat32(63);
    expect(releaseFloat32(small)).toBe(false);
    const large = allocFloat32(64);
    expect(releaseFloat32(large)).toBe(true);
    expect(allocFloat32(64)).toBe(large);
  });

  it('is a plain allocator when disabled', () => {
    setBufferPoolOptions({ enabled: false });
    const a = allocFloat32(100);
    expect(releaseFloat32(a)).toBe(false);
    expect(allocFloat32(100)).not.toBe(a);
    expect(bufferPoolStats()).toMatchObject({ enabled: false, bytesHeld: 0 });
  });
});
