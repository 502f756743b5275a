/**
 * The one data stream of aha's trainers: deterministic, resumable iteration over a dataset. Epoch e visits the rows
 * in a permutation drawn from (seed, e) with the seeded PRNG, so the whole future order is a function of
 * `{ epoch, index }` alone. Saving that pair in a checkpoint (the task's `stateDict`) and passing it back resumes the
 * exact sequence — no RNG state, no replay. GRPO takes prompts across epoch boundaries (`take`); SFT, KD and reward
 * models take micro-batches that end at an epoch's end (`batch`), as PyTorch's DataLoader does.
 * Leaves out: streaming datasets larger than memory (rows are an array), weighted sampling.
 */
import { ValueError } from '../errors.js';
import { createRng, mixSeed, permutation } from '../random.js';

/** Where the iterator is: the next row served is row `order(epoch)[index]`. JSON-serialisable. */
export interface DataPosition {
  epoch: number;
  index: number;
}

/** Options for {@link DataIterator}. */
export interface DataIteratorOptions {
  /** Seed of the shuffle; the same seed and dataset give the same order. */
  seed: number;
  /** Shuffle each epoch (default true); false serves rows in file order every epoch. */
  shuffle?: boolean;
  /** Resume here (from {@link DataIterator.position} of an earlier run). */
  position?: DataPosition;
  /** Stop after this many epochs (default: never — GRPO counts steps, not epochs). */
  maxEpochs?: number;
}

/** One served row and the position it was served at. */
export interface ServedRow<R> {
  row: R;
  /** Index of the row in the dataset. */
  rowIndex: number;
  /** Position of this row (resuming from `position` serves this row again). */
  position: DataPosition;
}

/** A seeded, resumable iterator over rows, cycling epochs. */
export class DataIterator<R> implements IterableIterator<ServedRow<R>> {
  readonly #rows: readonly R[];
  readonly #seed: number;
  readonly #shuffle: boolean;
  readonly #maxEpochs: number;
  #epoch: number;
  #index: number;
  #orderEpoch = -1;
  #order: number[] = [];

  constructor(rows: readonly R[], opts: DataIteratorOptions) {
    if (rows.length === 0) throw new ValueError('DataIterator: the dataset is empty');
    if (!Number.isInteger(opts.seed)) throw new ValueError(`DataIterator: seed must be an integer, got ${opts.seed}`);
    this.#rows = rows;
    this.#seed = opts.seed;
    this.#shuffle = opts.shuffle ?? true;
    this.#maxEpochs = opts.maxEpochs ?? Number.POSITIVE_INFINITY;
    const { epoch, index } = opts.position ?? { epoch: 0, index: 0 };
    if (!Number.isInteger(epoch) || epoch < 0 || !Number.isInteger(index) || index < 0 || index > rows.length) {
      throw new ValueError(
        `DataIterator: position {epoch: ${epoch}, index: ${index}} is not valid for a dataset of ${rows.length} ` +
          'rows (need integers, epoch >= 0, 0 <= index <= rows)',
      );
    }
    this.#epoch = epoch;
    this.#index = index;
    this.#normalise();
  }

  /** The position of the next row to be served (save it to resume). */
  get position(): DataPosition {
    return { epoch: this.#epoch, index: this.#index };
  }

  /** Whether `maxEpochs` is used up. */
  get done(): boolean {
    return this.#epoch >= this.#maxEpochs;
  }

  /** Row indices in the order epoch `epoch` visits them. */
  order(epoch: number): readonly number[] {
    if (epoch !== this.#orderEpoch) {
      this.#order = this.#shuffle
        ? permutation(this.#rows.length, createRng(mixSeed(this.#seed, epoch)))
        : Array.from({ length: this.#rows.length }, (_, i) => i);
      this.#orderEpoch = epoch;
    }
    return this.#order;
  }

  next(): IteratorResult<ServedRow<R>> {
    if (this.done) return { done: true, value: undefined };
    const position = this.position;
    const rowIndex = this.order(this.#epoch)[this.#index];
    this.#index++;
    this.#normalise();
    return { done: false, value: { row: this.#rows[rowIndex], rowIndex, position } };
  }

  /** The next `n` rows (fewer only when `maxEpochs` runs out), crossing epoch boundaries. */
  take(n: number): ServedRow<R>[] {
    if (!Number.isInteger(n) || n < 0) throw new ValueError(`DataIterator.take: n must be an integer >= 0, got ${n}`);
    const out: ServedRow<R>[] = [];
    while (out.length < n) {
      const r = this.next();
      if (r.done) break;
      out.push(r.value);
    }
    return out;
  }

  /**
   * The next micro-batch: up to `size` rows, ending at the epoch's end (the last batch of an epoch may be smaller).
   * `epoch` is the epoch the rows belong to.
   */
  batch(size: number): { rows: R[]; epoch: number } {
    if (!Number.isInteger(size) || size < 1) {
      throw new ValueError(`DataIterator.batch: size must be an integer >= 1, got ${size}`);
    }
    const epoch = this.#epoch;
    const n = Math.min(size, this.#rows.length - this.#index);
    return { rows: this.take(n).map((r) => r.row), epoch };
  }

  /** Rows per epoch. */
  get length(): number {
    return this.#rows.length;
  }

  [Symbol.iterator](): IterableIterator<ServedRow<R>> {
    return this;
  }

  #normalise(): void {
    if (this.#index >= this.#rows.length) {
      this.#epoch++;
      this.#index = 0;
    }
  }
}
