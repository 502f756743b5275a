/**
 * The float32 buffer pool: every op's output and gradient buffer comes from `allocFloat32`, and the autograd engine
 * hands back the gradient buffers it alone owns (consumed incoming gradients, see autograd/engine.ts) with
 * `releaseFloat32`, so the next backward (and the next step's forward) reuses them instead of allocating. Why: a
 * training step used to allocate hundreds of MB of fresh Float32Arrays, and V8 answers that external-memory pressure
 * with mark-compact collections (≈ 6 per step of the benchmark model) and a peak RSS far above the live data.
 *
 * Rules that make reuse safe:
 * - Only buffers this pool handed out can come back (a WeakSet of issued buffers); a release removes the buffer from
 *   that set, so a second release of the same buffer is ignored and a buffer can never sit in the free list twice,
 *   nor be handed out twice while live.
 * - Free lists are keyed by exact length (the shapes of a training step repeat every layer and every step), so a
 *   reused buffer is exactly the requested size and nothing else aliases it.
 * - Only whole buffers come back (offset 0, covering their ArrayBuffer): a subarray view could alias live data.
 * - Buffers under `minLength` values (default 1024 = 4 KiB) are not pooled: they cost V8 little (no external-memory pressure
 *   to speak of), and keeping many small arrays alive across scavenges only makes V8 grow its young generation.
 * - The free lists hold at most `maxBytes` (AHA_POOL_MAX_MB, default 32 MiB); past that the buffers of the lengths
 *   used least recently are dropped for the garbage collector, as before the pool existed.
 * `AHA_POOL=0` (or `setBufferPoolOptions({ enabled: false })`) turns reuse off for debugging: every allocation is
 * fresh and every release is dropped. Leaves out: size classes (a near-miss length allocates fresh), shrinking
 * on memory pressure (call `clearBufferPool()`), other dtypes.
 */
import { ValueError } from '../errors.js';

/** Counters of the buffer pool (cumulative since start or the last `resetBufferPoolStats()`). */
export interface BufferPoolStats {
  /** Whether reuse is on. */
  enabled: boolean;
  /** Allocations served from a free list. */
  hits: number;
  /** Allocations that created a fresh Float32Array. */
  misses: number;
  /** Bytes of those fresh Float32Arrays. */
  missBytes: number;
  /** Buffers taken back into a free list. */
  released: number;
  /** Releases dropped (pool off, not issued by the pool, a view, or larger than the byte cap). */
  dropped: number;
  /** Bytes now held in the free lists (idle, ready for reuse). */
  bytesHeld: number;
  /** The most bytes the free lists may hold. */
  maxBytes: number;
  /** Shortest length pooled (shorter buffers are plain allocations). */
  minLength: number;
}

const free = new Map<number, Float32Array[]>();
const issued = new WeakSet<Float32Array>();
let enabled = process.env.AHA_POOL !== '0';
let maxBytes = parseMaxBytes(process.env.AHA_POOL_MAX_MB);
let minLength = 1024;
let bytesHeld = 0;
let hits = 0;
let misses = 0;
let missBytes = 0;
let released = 0;
let dropped = 0;

function parseMaxBytes(mb: string | undefined): number {
  const v = Number(mb);
  return mb !== undefined && mb !== '' && Number.isFinite(v) && v >= 0 ? v * 2 ** 20 : 32 * 2 ** 20;
}

/**
 * A Float32Array of `n` values owned by the caller: reused from the free list when one of that length is idle, else
 * fresh. With `zero` (the default) every value is 0, as `new Float32Array(n)`; pass `zero: false` only when the
 * caller overwrites every value before reading any.
 */
export function allocFloat32(n: number, opts?: { zero?: boolean }): Float32Array {
  const pooled = enabled && n > 0 && n >= minLength;
  if (pooled) {
    const list = free.get(n);
    const buf = list?.pop();
    if (buf) {
      bytesHeld -= buf.byteLength;
      hits++;
      issued.add(buf);
      if (opts?.zero !== false) buf.fill(0);
      return buf;
    }
  }
  misses++;
  missBytes += n * 4;
  const buf = new Float32Array(n);
  if (pooled) issued.add(buf);
  return buf;
}

/**
 * Gives a buffer back for reuse. The caller promises that nothing reads or writes it afterwards (no tensor, view or
 * closure still holds it). Buffers the pool did not hand out, views, and releases over the byte cap are dropped.
 * Returns whether the buffer was taken.
 */
export function releaseFloat32(buf: Float32Array): boolean {
  if (!enabled || !issued.has(buf)) {
    dropped++;
    return false;
  }
  issued.delete(buf); // from here on, a second release of `buf` is a no-op
  if (buf.byteOffset !== 0 || buf.byteLength !== buf.buffer.byteLength || buf.byteLength > maxBytes) {
    dropped++;
    return false;
  }
  // Over the cap, the lengths used least recently go first (MoE expert batches make odd lengths that may not recur).
  for (const [n, list] of free) {
    if (bytesHeld + buf.byteLength <= maxBytes) break;
    while (list.length && bytesHeld + buf.byteLength > maxBytes) bytesHeld -= list.pop()!.byteLength;
    if (!list.length) free.delete(n);
  }
  const list = free.get(buf.length) ?? [];
  free.delete(buf.length); // re-inserted last: the most recently used length
  free.set(buf.length, list);
  list.push(buf);
  bytesHeld += buf.byteLength;
  released++;
  return true;
}

/** Current counters of the pool. */
export function bufferPoolStats(): BufferPoolStats {
  return { enabled, hits, misses, missBytes, released, dropped, bytesHeld, maxBytes, minLength };
}

/** Zeroes the counters (not the held buffers). */
export function resetBufferPoolStats(): void {
  hits = misses = missBytes = released = dropped = 0;
}

/**
 * Fills every idle buffer with NaN (tests): if a buffer that is still in use had wrongly been released, the values
 * read through it turn NaN, so a check that reads results after this fails loudly.
 */
export function poisonBufferPool(): void {
  for (const list of free.values()) for (const buf of list) buf.fill(Number.NaN);
}

/** Drops every idle buffer (the garbage collector reclaims them). */
export function clearBufferPool(): void {
  free.clear();
  bytesHeld = 0;
}

/**
 * Turns reuse on or off, sets the byte cap of the free lists and the shortest pooled length; returns the previous
 * settings (to restore them). Turning it off clears the pool.
 * @throws ValueError when maxBytes is negative or not finite, or minLength is not a non-negative integer.
 */
export function setBufferPoolOptions(options: { enabled?: boolean; maxBytes?: number; minLength?: number }): {
  enabled: boolean;
  maxBytes: number;
  minLength: number;
} {
  const previous = { enabled, maxBytes, minLength };
  if (options.maxBytes !== undefined && (!Number.isFinite(options.maxBytes) || options.maxBytes < 0)) {
    throw new ValueError(`setBufferPoolOptions: maxBytes must be a finite number >= 0, got ${options.maxBytes}`);
  }
  if (options.minLength !== undefined && (!Number.isInteger(options.minLength) || options.minLength < 0)) {
    throw new ValueError(`setBufferPoolOptions: minLength must be an integer >= 0, got ${options.minLength}`);
  }
  maxBytes = options.maxBytes ?? maxBytes;
  minLength = options.minLength ?? minLength;
  enabled = options.enabled ?? enabled;
  if (!enabled || bytesHeld > maxBytes) clearBufferPool();
  return previous;
}
