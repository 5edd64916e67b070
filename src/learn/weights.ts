/**
 * The learner's whole state in one Float64Array, and the closed form that turns a
 * weight's state into the weight.
 *
 * Layout: one block per feature index, then one block for the bias, each
 * `[scale, slot₀, slot₁, …, slot₍K₋₁₎]` for K outputs, a slot being `[z, n]` or, with
 * averaging, `[z, n, sum, since]`:
 * - `scale` is the largest |x| seen for the feature (0 before it is seen; 1 for the bias).
 *   The learner works on x / scale, so its steps do not depend on a column's units.
 * - `z` is FTRL-proximal's running sum of gradients minus proximal corrections, `n` the
 *   root of the sum of squared gradients (AdaGrad's accumulator, kept as its square
 *   root: every weight read needs √Σg², and a step then takes one square root, not three),
 *   both in the normalized units.
 * - `sum` is Σ q·w_q over the pass's steps q up to `since`, the step at which the weight
 *   last changed (the learner's per-pass averaging, folded in lazily).
 * A feature's K outputs share a block, so a multiclass update touches one cache line run.
 */

import { SqlmlError } from '../errors.js';

/** Doubles per (feature, output) slot without averaging: z and n (= √Σg²). */
export const PLAIN_SLOT = 2;
/** Doubles per slot with averaging: z, n, the weighted sum of past weights, and the step it runs to. */
export const AVERAGED_SLOT = 4;

/**
 * FTRL-proximal's weight in normalized units for state (z, n = √Σg²): the minimizer of
 * z·w + ½·((beta + n)/alpha)·w² + l1·|w| + ½·l2·w², which is exactly 0 when |z| ≤ l1.
 * `l1`, `l2` are the regularization totals so far (per-example amount × examples seen).
 */
export function proximalWeight(
  z: number,
  n: number,
  inverseAlpha: number,
  beta: number,
  l1: number,
  l2: number,
): number {
  if (z <= l1 && z >= -l1) return 0;
  const shrunk = z > 0 ? z - l1 : z + l1;
  return -shrunk / ((beta + n) * inverseAlpha + l2);
}

/** The strided table of per-feature scales and per-(feature, output) FTRL state. */
export class WeightTable {
  /** Number of feature indices (the bias block comes after them). */
  readonly dimension: number;
  /** K: 1 for binary and regression, the number of classes for multiclass. */
  readonly outputs: number;
  /** Doubles per (feature, output) slot: PLAIN_SLOT or AVERAGED_SLOT. */
  readonly slotSize: number;
  /** Doubles per feature block: 1 (scale) + K × slotSize. */
  readonly blockSize: number;
  /** Offset of the bias block. */
  readonly biasOffset: number;
  /** The state itself; the learner reads and writes it in place. */
  readonly data: Float64Array;

  constructor(dimension: number, outputs: number, slotSize: number) {
    this.dimension = dimension;
    this.outputs = outputs;
    this.slotSize = slotSize;
    this.blockSize = 1 + outputs * slotSize;
    this.biasOffset = dimension * this.blockSize;
    this.data = new Float64Array((dimension + 1) * this.blockSize);
    this.data[this.biasOffset] = 1;
  }

  /** Offset of feature `index`'s block; its scale is at the offset, output k's slot at offset + 1 + k·slotSize. */
  blockOffset(index: number): number {
    return index * this.blockSize;
  }

  /**
   * Records |x| = `magnitude` as the new largest value of the feature at `offset`.
   * The state is rescaled as if every earlier value had been normalized by the new
   * scale (Vowpal Wabbit's normalized update): the past normalized gradients shrink by
   * old/new, and so does the root of the sum of their squares, so a weight learnt from a few small early
   * values does not turn into a huge real weight once larger values show up. An
   * averaging learner must fold the slots' running sums first (the real weight changes).
   */
  raiseScale(offset: number, magnitude: number): void {
    const data = this.data;
    const old = data[offset]!;
    if (old > 0) {
      const ratio = old / magnitude;
      const end = offset + this.blockSize;
      for (let o = offset + 1; o < end; o += this.slotSize) {
        data[o] = data[o]! * ratio;
        data[o + 1] = data[o + 1]! * ratio;
      }
    }
    data[offset] = magnitude;
  }

  /** Copies the whole state into `target` when it has the right length, else into a new array. */
  copyState(target?: Float64Array): Float64Array {
    const copy = target !== undefined && target.length === this.data.length ? target : new Float64Array(this.data.length);
    copy.set(this.data);
    return copy;
  }

  /** Puts back a state taken from a table of the same shape. */
  restoreState(state: Float64Array): void {
    if (state.length !== this.data.length) {
      throw new SqlmlError(
        'internal',
        `weight snapshot has ${state.length} values but the learner's table has ${this.data.length}`,
      );
    }
    this.data.set(state);
  }

  /** False when any scale, z or n is NaN or infinite. */
  allFinite(): boolean {
    const data = this.data;
    for (let o = 0; o < data.length; o++) {
      // x - x is 0 for every finite x and NaN for NaN and ±Infinity.
      if (data[o]! - data[o]! !== 0) return false;
    }
    return true;
  }
}
