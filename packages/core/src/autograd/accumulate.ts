/** In-place gradient accumulation (native, multithreaded). */
import { kernel } from '../native.js';

const addIntoKernel = kernel<(dst: Float32Array, src: Float32Array, n: number) => void>('addInto');

export function addInto(dst: Float32Array, src: Float32Array): void {
  addIntoKernel(dst, src, Math.min(dst.length, src.length));
}
