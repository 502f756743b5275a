/**
 * Reverse-mode engine: orders the recorded graph topologically (iteratively, so deep graphs do not overflow the stack),
 * runs each node's backward once with its summed incoming gradient, and accumulates into `.grad` of leaves.
 * Intermediate gradients are dropped as soon as they are used, and the graph is released afterwards (like PyTorch
 * without retain_graph), so a training loop keeps no memory from the previous step. A consumed gradient buffer that
 * no backward handed on goes back to the buffer pool (memory/pool.ts) for the next allocation: the engine alone owns
 * gradients between backwards (see GradNode), while op outputs, which users may hold, are never released here.
 */
import { fmtShape, ShapeError, ValueError } from '../errors.js';
import { releaseFloat32 } from '../memory/pool.js';
import { installTensorHooks, Tensor } from '../tensor.js';
import { addInto } from './accumulate.js';

function topoOrder(root: Tensor): Tensor[] {
  const order: Tensor[] = [];
  const visited = new Set<Tensor>();
  const stack: [Tensor, number][] = [[root, 0]];
  visited.add(root);
  while (stack.length) {
    const top = stack[stack.length - 1];
    const [t, i] = top;
    const inputs = t.gradNode?.inputs ?? [];
    if (i < inputs.length) {
      top[1]++;
      const next = inputs[i];
      if (next.requiresGrad && !visited.has(next)) {
        visited.add(next);
        stack.push([next, 0]);
      }
    } else {
      stack.pop();
      order.push(t);
    }
  }
  return order.reverse();
}

export function backward(root: Tensor, gradient?: Tensor, opts: { retainGraph?: boolean } = {}): void {
  if (!root.requiresGrad) {
    throw new ValueError('backward: tensor does not require grad (no parameter with requiresGrad took part in it)');
  }
  let seed: Float32Array;
  if (gradient) {
    if (gradient.shape.join() !== root.shape.join()) {
      throw new ShapeError(
        `backward: gradient shape ${fmtShape(gradient.shape)} does not match tensor shape ${fmtShape(root.shape)}`,
      );
    }
    seed = gradient.toFloat32Array();
  } else {
    if (root.numel !== 1) {
      throw new ValueError(`backward: implicit gradient needs a scalar, got shape ${fmtShape(root.shape)}`);
    }
    seed = Float32Array.of(1);
  }
  const grads = new Map<Tensor, Float32Array>([[root, seed]]);
  // Buffers (by ArrayBuffer) of the gradients now waiting in `grads`. A backward may hand back its incoming buffer
  // or the same buffer for two inputs; one already waiting is copied before it is stored, so accumulation into one
  // gradient never changes another.
  const held = new Set<ArrayBufferLike>([seed.buffer]);
  const own = (g: Float32Array): Float32Array => {
    const mine = held.has(g.buffer) ? g.slice() : g;
    held.add(mine.buffer);
    return mine;
  };
  for (const t of topoOrder(root)) {
    const g = grads.get(t);
    if (!g) continue;
    grads.delete(t);
    held.delete(g.buffer);
    const node = t.gradNode;
    if (!node) {
      if (t.grad) {
        addInto(t.grad.values(), g);
        releaseFloat32(g);
      } else t.grad = new Tensor(g === seed ? g.slice() : g, t.shape); // the leaf now owns g
      continue;
    }
    const inputGrads = node.backward(g);
    // Gradients folded into one already waiting are consumed here; with g they go back to the pool unless a
    // backward returned them (or a view of them) to be stored, e.g. reshape's and contiguous' identity gradients.
    const consumed: Float32Array[] = [g];
    node.inputs.forEach((input, k) => {
      const gi = inputGrads[k];
      if (!gi || !input.requiresGrad) return;
      const existing = grads.get(input);
      if (existing) {
        addInto(existing, gi);
        consumed.push(gi);
      } else grads.set(input, own(gi));
    });
    for (const c of consumed) if (!held.has(c.buffer)) releaseFloat32(c);
    if (!opts.retainGraph) t.gradNode = null;
  }
}

installTensorHooks({ backward: (root, gradient) => backward(root, gradient) });
