/**
 * The finish's objective over rows held in memory: the training rows read once from the
 * example cache, identical rows folded into one weighted row, and every evaluation a
 * pass over them. The per-row maths is the loss's (loss.ts); this module owns the
 * coordinates, the row storage and the sums.
 */

import { setImmediate as yieldToEventLoop } from 'node:timers/promises';
import { SqlmlError } from '../errors.js';
import { logisticLoss, softmaxCrossEntropy, squaredLoss, type Loss } from './loss.js';
import { ObjectiveCoordinates } from './coordinates.js';
import { assignFolds } from './folds.js';
import { pairedDifference, type FoldedObjective, type PairedDifference } from './l2-path.js';
import type { Objective } from './objective.js';
import type { OnlineLearner } from './sgd.js';
import { grownCopy } from './typed-arrays.js';
import type { ExampleBlock, Task } from './types.js';

/** A multiclass row's gradient factor below this share of its weight is not added (see scatterActive). */
const NEGLIGIBLE_SHARE = 1e-12;

/** Where the objective reads its rows: the training rows (any pass order) and the validation rows. */
export interface ObjectiveRows {
  trainingPass(pass: number): AsyncIterable<ExampleBlock>;
  validation(): AsyncIterable<ExampleBlock>;
}

export interface CachedObjectiveSpec {
  readonly task: Task;
  /** L2 per example on the real weights, as the learner's spec has it. */
  readonly l2: number;
  /** Per-class importance weights, or null. */
  readonly classWeights: Float64Array | null;
  /** The pass number whose block order the objective is summed in (any fixed number). */
  readonly pass: number;
  /** Budget of distinct (row, feature) entries held in memory. */
  readonly maxNnz: number;
}

/**
 * Rows held in memory for the finish, each distinct (label, features) row once with its
 * multiplicity: the objective is a sum over rows, so identical rows fold into one
 * weighted row exactly. Event and log data repeat rows a lot, and every L-BFGS
 * iteration reads them all.
 */
class RowSet {
  count = 0;
  nnz = 0;
  labels = new Float64Array(1024);
  multiplicity = new Float64Array(1024);
  offsets = new Uint32Array(1025);
  /** Compact coordinates (not feature indices). */
  positions = new Uint32Array(16_384);
  values = new Float32Array(16_384);
  private hashes = new Uint32Array(1024);
  /** Open-addressing table of row numbers + 1 (0 = empty), sized a power of two. */
  private table = new Int32Array(4096);

  constructor(private readonly maxNnz: number) {}

  /**
   * Adds the block's rows whose values are all finite, features without a coordinate
   * dropped (they add nothing to any margin). False once the distinct rows would pass
   * the memory budget.
   */
  add(block: ExampleBlock, position: Int32Array): boolean {
    const { labels, offsets, indices, values } = block;
    rows: for (let r = 0; r < block.count; r++) {
      const from = offsets[r]!;
      const to = offsets[r + 1]!;
      if (this.nnz + (to - from) > this.maxNnz) return false;
      this.reserve(this.count + 1, this.nnz + (to - from));
      // Append tentatively; a duplicate is rolled back.
      let at = this.nnz;
      for (let j = from; j < to; j++) {
        const x = values[j]!;
        if (!(x - x === 0)) continue rows;
        const p = position[indices[j]!]!;
        if (p < 0 || x === 0) continue;
        this.positions[at] = p;
        this.values[at] = x;
        at++;
      }
      const y = labels[r]!;
      const hash = this.hashRow(y, this.nnz, at);
      const mask = this.table.length - 1;
      let slot = hash & mask;
      for (;;) {
        const entry = this.table[slot]!;
        if (entry === 0) break;
        const other = entry - 1;
        if (this.hashes[other] === hash && this.sameRow(other, y, this.nnz, at)) {
          this.multiplicity[other] = this.multiplicity[other]! + 1;
          continue rows;
        }
        slot = (slot + 1) & mask;
      }
      const row = this.count++;
      this.table[slot] = row + 1;
      this.hashes[row] = hash;
      this.labels[row] = y;
      this.multiplicity[row] = 1;
      this.nnz = at;
      this.offsets[row + 1] = at;
      if (this.count * 2 > this.table.length) this.rehash();
    }
    return true;
  }

  private hashRow(y: number, from: number, to: number): number {
    let h = Math.imul((y * 2654435761) | 0, 0x9e3779b1) ^ (to - from);
    for (let j = from; j < to; j++) {
      h = Math.imul(h ^ this.positions[j]!, 0x85ebca6b);
      h = Math.imul(h ^ floatBits(this.values[j]!), 0xc2b2ae35);
      h ^= h >>> 15;
    }
    return h >>> 0;
  }

  private sameRow(row: number, y: number, from: number, to: number): boolean {
    const start = this.offsets[row]!;
    if (this.labels[row] !== y || this.offsets[row + 1]! - start !== to - from) return false;
    for (let j = 0; j < to - from; j++) {
      if (this.positions[start + j] !== this.positions[from + j] || this.values[start + j] !== this.values[from + j]) return false;
    }
    return true;
  }

  private rehash(): void {
    this.table = new Int32Array(this.table.length * 2);
    const mask = this.table.length - 1;
    for (let row = 0; row < this.count; row++) {
      let slot = this.hashes[row]! & mask;
      while (this.table[slot] !== 0) slot = (slot + 1) & mask;
      this.table[slot] = row + 1;
    }
  }

  private reserve(rows: number, nnz: number): void {
    if (rows > this.labels.length) {
      const capacity = this.labels.length * 2;
      this.labels = grownCopy(this.labels, new Float64Array(capacity));
      this.multiplicity = grownCopy(this.multiplicity, new Float64Array(capacity));
      this.hashes = grownCopy(this.hashes, new Uint32Array(capacity));
      this.offsets = grownCopy(this.offsets, new Uint32Array(capacity + 1));
    }
    if (nnz > this.positions.length) {
      const capacity = Math.max(nnz, this.positions.length * 2);
      this.positions = grownCopy(this.positions, new Uint32Array(capacity));
      this.values = grownCopy(this.values, new Float32Array(capacity));
    }
  }
}


const bitsView = new DataView(new ArrayBuffer(4));
function floatBits(x: number): number {
  bitsView.setFloat32(0, x);
  return bitsView.getUint32(0);
}

/**
 * The objective in compact normalized coordinates: coordinate `p·K + k` is the weight
 * of the feature at position p for output k times its scale, and the K biases come last.
 */
export class CachedObjective implements Objective, FoldedObjective {
  readonly K: number;
  evaluations = 0;
  readonly live: number;
  readonly position: Int32Array;
  /** The coordinates' layout, scaling and L2 penalty (shared with the database's objective). */
  private readonly coordinates: ObjectiveCoordinates;
  private readonly inverseScale: Float64Array;
  private readonly margins: Float64Array;
  private readonly probabilities: Float64Array;
  private readonly factors: Float64Array;
  /** The single-output loss; null for multiclass, which uses softmax cross-entropy. */
  private readonly single: Loss | null;
  /** The classes scatterActive adds for the current row. */
  private readonly activeClasses: Int32Array;
  private training: RowSet | null = null;
  private validationRows: RowSet | null = null;
  /** Whether evaluate() and inverseDiagonal() sum over the validation rows too (fitValidationToo). */
  private fitsValidation = false;
  /** Each training and validation row's fold (assignFolds), or null before folds are assigned. */
  private trainingFolds: Uint8Array | null = null;
  private validationFolds: Uint8Array | null = null;
  /** The fold held out (holdOut): evaluate() sums over every other fold of both row sets; −1: none. */
  private held = -1;

  /**
   * The objective of `learner`'s model over `source`'s rows, read into memory; null when
   * there are no training rows or their distinct rows pass `spec.maxNnz`.
   */
  static async load(
    learner: OnlineLearner,
    source: ObjectiveRows,
    spec: CachedObjectiveSpec,
    signal: AbortSignal | undefined,
  ): Promise<CachedObjective | null> {
    const objective = new CachedObjective(learner, spec, signal);
    return (await objective.read(source)) ? objective : null;
  }

  private constructor(
    learner: OnlineLearner,
    private readonly spec: CachedObjectiveSpec,
    private readonly signal: AbortSignal | undefined,
  ) {
    this.single = spec.task === 'binary' ? logisticLoss : spec.task === 'regression' ? squaredLoss : null;
    this.coordinates = new ObjectiveCoordinates(learner, spec.l2);
    this.K = this.coordinates.K;
    this.live = this.coordinates.live;
    this.position = this.coordinates.position;
    this.inverseScale = this.coordinates.inverseScale;
    this.margins = new Float64Array(this.K);
    this.probabilities = new Float64Array(this.K);
    this.factors = new Float64Array(this.K);
    this.activeClasses = new Int32Array(this.K);
  }

  /**
   * Reads the training and validation rows into memory, duplicates folded; false when
   * there are no training rows or their distinct rows pass the budget.
   */
  private async read(source: ObjectiveRows): Promise<boolean> {
    const maxNnz = this.spec.maxNnz;
    const training = new RowSet(maxNnz);
    for await (const block of source.trainingPass(this.spec.pass)) {
      checkCancelled(this.signal);
      if (!training.add(block, this.position)) return false;
      await yieldToEventLoop();
    }
    const validation = new RowSet(maxNnz - training.nnz);
    for await (const block of source.validation()) {
      checkCancelled(this.signal);
      if (!validation.add(block, this.position)) return false;
      await yieldToEventLoop();
    }
    this.training = training;
    this.validationRows = validation;
    return training.count > 0;
  }

  /**
   * From now on the objective sums over the validation rows too (the regularization
   * path's refit, l2-path.ts): once they have chosen the L2 amount, they are training
   * rows like the others. Their validation losses stay readable, but no longer measure
   * anything unseen.
   */
  fitValidationToo(): void {
    this.fitsValidation = true;
  }

  /** Changes the L2 amount (per example, on the real weights) the objective penalizes: the regularization path's step. */
  setL2(l2: number): void {
    this.coordinates.setL2(l2);
  }

  /** Distinct validation rows held (after folding duplicates). */
  get validationRowCount(): number {
    return this.validationRows?.count ?? 0;
  }

  /**
   * Deals the training and validation rows together into `folds` folds (folds.ts),
   * stratified by class for classification; false when there are fewer than two rows per
   * fold.
   */
  assignFolds(folds: number, seed: number): boolean {
    const training = this.training!;
    const validation = this.validationRows!;
    const count = training.count + validation.count;
    if (count < 2 * folds) return false;
    const labels = new Float64Array(count);
    labels.set(training.labels.subarray(0, training.count));
    labels.set(validation.labels.subarray(0, validation.count), training.count);
    const fold = assignFolds(labels, count, folds, seed, this.spec.task !== 'regression');
    this.trainingFolds = fold.subarray(0, training.count);
    this.validationFolds = fold.subarray(training.count);
    return true;
  }

  /** From now on evaluate() and inverseDiagonal() sum over every fold but `fold`, of both row sets; −1: back to the training rows. */
  holdOut(fold: number): void {
    if (fold >= 0 && this.trainingFolds === null) throw new Error('holdOut before assignFolds');
    this.held = fold;
  }

  /** Σ weight·loss and Σ weight over the held-out fold's rows, of both row sets, at `v`. */
  heldOutLoss(v: Float64Array): { loss: number; weight: number } {
    const a = this.score(v, this.training!, null, this.trainingFolds, true);
    const b = this.score(v, this.validationRows!, null, this.validationFolds, true);
    return { loss: a.loss + b.loss, weight: a.weight + b.weight };
  }

  /** Distinct training rows held (after folding duplicates). */
  get distinctRows(): number {
    return this.training?.count ?? 0;
  }

  /** Real weights (index·K + k, biases at dimension·K) to coordinates. */
  fromModel(model: Float64Array): Float64Array {
    return this.coordinates.fromModel(model);
  }

  /** Coordinates back to real weights; features without a coordinate keep weight 0. */
  toModel(v: Float64Array): Float64Array {
    return this.coordinates.toModel(v);
  }

  /** The regularized mean training loss at `v`, its gradient into `gradient`. */
  async evaluate(v: Float64Array, gradient: Float64Array): Promise<number> {
    this.evaluations++;
    checkCancelled(this.signal);
    gradient.fill(0);
    const folded = this.held >= 0;
    let { loss, weight } = this.score(v, this.training!, gradient, folded ? this.trainingFolds : null, false);
    if (this.fitsValidation || folded) {
      const more = this.score(v, this.validationRows!, gradient, folded ? this.validationFolds : null, false);
      loss += more.loss;
      weight += more.weight;
    }
    await yieldToEventLoop();
    return this.coordinates.regularized(v, loss, weight, gradient);
  }

  /**
   * The inverse of the objective's Hessian diagonal at `v`, into `out`: for coordinate
   * (p, k), Σ w·x²·c_k over the rows (c_k the loss's curvature in margin k), over Σ w,
   * plus l2 on the features. This is what makes a rare class
   * cheap to fit: its probabilities are near 0 on most rows, so its curvature is tiny and
   * a step scaled by the whole problem's curvature would barely move it.
   */
  async inverseDiagonal(v: Float64Array, out: Float64Array): Promise<void> {
    out.fill(0);
    const folded = this.held >= 0;
    let weight = this.addCurvature(v, this.training!, out, folded ? this.trainingFolds : null);
    if (this.fitsValidation || folded) weight += this.addCurvature(v, this.validationRows!, out, folded ? this.validationFolds : null);
    this.coordinates.inverseDiagonal(out, weight);
  }

  /** Adds Σ w·x²·c_k over `rows` (those outside the held-out fold, given `folds`) into `out` (see inverseDiagonal); returns Σ w. */
  private addCurvature(v: Float64Array, rows: RowSet, out: Float64Array, folds: Uint8Array | null): number {
    const { labels, multiplicity } = rows;
    const K = this.K;
    const margins = this.margins;
    const probabilities = this.probabilities;
    const factors = this.factors;
    const classWeights = this.spec.classWeights;
    const single = this.single;
    const held = this.held;
    let weight = 0;
    for (let r = 0; r < rows.count; r++) {
      if (folds !== null && folds[r] === held) continue;
      const y = labels[r]!;
      const w = (classWeights === null ? 1 : classWeights[y]!) * multiplicity[r]!;
      weight += w;
      this.rowMargins(v, rows, r);
      if (single !== null) factors[0] = single.weightedCurvature(margins[0]!, y, w);
      else softmaxCrossEntropy.weightedCurvature(margins, K, w, probabilities, factors);
      this.scatter(out, rows, r, true);
    }
    return weight;
  }

  /**
   * Adds `this.factors[k]` times row `r`'s normalized values (their squares when
   * `squared`) into `target`'s coordinates, and the factors themselves into the biases.
   */
  private scatter(target: Float64Array, rows: RowSet, r: number, squared: boolean): void {
    const { offsets, positions, values } = rows;
    const K = this.K;
    const inverseScale = this.inverseScale;
    const factors = this.factors;
    const biasAt = this.live * K;
    for (let k = 0; k < K; k++) target[biasAt + k] = target[biasAt + k]! + factors[k]!;
    for (let j = offsets[r]!; j < offsets[r + 1]!; j++) {
      const p = positions[j]!;
      const normalized = values[j]! * inverseScale[p]!;
      const x = squared ? normalized * normalized : normalized;
      const at = p * K;
      for (let k = 0; k < K; k++) target[at + k] = target[at + k]! + factors[k]! * x;
    }
  }

  /** Row `r`'s K margins at `v`, into `this.margins`. */
  private rowMargins(v: Float64Array, rows: RowSet, r: number): void {
    const { offsets, positions, values } = rows;
    const K = this.K;
    const inverseScale = this.inverseScale;
    const margins = this.margins;
    const biasAt = this.live * K;
    for (let k = 0; k < K; k++) margins[k] = v[biasAt + k]!;
    for (let j = offsets[r]!; j < offsets[r + 1]!; j++) {
      const p = positions[j]!;
      const normalized = values[j]! * inverseScale[p]!;
      const at = p * K;
      for (let k = 0; k < K; k++) margins[k] = margins[k]! + v[at + k]! * normalized;
    }
  }

  /** Importance-weighted mean validation loss at `v`; null when there are no validation rows. */
  async validationLoss(v: Float64Array): Promise<number | null> {
    const { loss, weight } = this.score(v, this.validationRows!, null, null, false);
    return weight > 0 ? loss / weight : null;
  }

  /** The paired difference of the validation rows' losses at `fit` and at `start` (l2-path.ts). */
  async pairedValidation(start: Float64Array, fit: Float64Array): Promise<PairedDifference | null> {
    return pairedDifference(this.validationRowLosses(start), this.validationRowLosses(fit));
  }

  /**
   * Each distinct validation row's loss at `v` into `losses` and its weight (importance ×
   * multiplicity) into `weights`, both resized to the rows: for paired comparisons of two
   * models on the same rows (l2-path.ts).
   */
  validationRowLosses(v: Float64Array): { losses: Float64Array; weights: Float64Array } {
    const rows = this.validationRows!;
    const { labels, multiplicity } = rows;
    const losses = new Float64Array(rows.count);
    const weights = new Float64Array(rows.count);
    const classWeights = this.spec.classWeights;
    for (let r = 0; r < rows.count; r++) {
      this.rowMargins(v, rows, r);
      const y = labels[r]!;
      const w = (classWeights === null ? 1 : classWeights[y]!) * multiplicity[r]!;
      losses[r] = this.single !== null
        ? this.single.weightedLossAndSlope(this.margins[0]!, y, 1, this.factors)
        : softmaxCrossEntropy.weightedLossAndGradient(this.margins, this.K, y, 1, this.probabilities, this.factors);
      weights[r] = w;
    }
    return { losses, weights };
  }

  /**
   * Σ weight·loss and Σ weight over the rows, adding the loss gradient (unnormalized) when
   * given. With `folds`, only the rows of the held-out fold (`heldOnly`) or only the others.
   */
  private score(v: Float64Array, rows: RowSet, gradient: Float64Array | null, folds: Uint8Array | null, heldOnly: boolean): { loss: number; weight: number } {
    const { labels, multiplicity } = rows;
    const K = this.K;
    const margins = this.margins;
    const probabilities = this.probabilities;
    const factors = this.factors;
    const classWeights = this.spec.classWeights;
    const single = this.single;
    const held = this.held;
    let loss = 0;
    let weight = 0;
    for (let r = 0; r < rows.count; r++) {
      if (folds !== null && (folds[r] === held) !== heldOnly) continue;
      this.rowMargins(v, rows, r);
      const y = labels[r]!;
      const w = (classWeights === null ? 1 : classWeights[y]!) * multiplicity[r]!;
      if (single !== null) loss += single.weightedLossAndSlope(margins[0]!, y, w, factors);
      else loss += softmaxCrossEntropy.weightedLossAndGradient(margins, K, y, w, probabilities, factors);
      weight += w;
      if (gradient === null) continue;
      if (single === null) this.scatterActive(gradient, rows, r, w);
      else this.scatter(gradient, rows, r, false);
    }
    return { loss, weight };
  }

  /**
   * `scatter` of a multiclass row's gradient, skipping the classes whose factor is below
   * NEGLIGIBLE_SHARE of the row's weight; rows with more than half the classes left take
   * the plain loop, so it pays only on rows whose probabilities are that certain. The
   * share is not larger because a rare class's gradient is exactly the sum of those tiny
   * probabilities over the many rows of other classes. The skipped terms (normalized
   * values are at most 1) move each coordinate of the mean gradient by at most
   * NEGLIGIBLE_SHARE, far below what an L-BFGS iteration resolves.
   */
  private scatterActive(target: Float64Array, rows: RowSet, r: number, w: number): void {
    const { offsets, positions, values } = rows;
    const K = this.K;
    const inverseScale = this.inverseScale;
    const factors = this.factors;
    const active = this.activeClasses;
    const threshold = NEGLIGIBLE_SHARE * w;
    let count = 0;
    for (let k = 0; k < K; k++) {
      const f = factors[k]!;
      if (f > threshold || f < -threshold) active[count++] = k;
    }
    if (count * 2 > K) {
      this.scatter(target, rows, r, false);
      return;
    }
    const biasAt = this.live * K;
    for (let c = 0; c < count; c++) {
      const k = active[c]!;
      target[biasAt + k] = target[biasAt + k]! + factors[k]!;
    }
    for (let j = offsets[r]!; j < offsets[r + 1]!; j++) {
      const p = positions[j]!;
      const x = values[j]! * inverseScale[p]!;
      const at = p * K;
      for (let c = 0; c < count; c++) {
        const k = active[c]!;
        target[at + k] = target[at + k]! + factors[k]! * x;
      }
    }
  }
}


function checkCancelled(signal: AbortSignal | undefined): void {
  if (signal?.aborted) throw new SqlmlError('cancelled', 'training was cancelled');
}
