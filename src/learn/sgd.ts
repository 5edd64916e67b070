/**
 * The online learner behind all three model types: logistic (binary), multinomial
 * logistic (multiclass, K outputs) and squared loss (regression), each with an
 * unregularized bias.
 *
 * Choices, and why:
 * - **Update: FTRL-proximal with per-coordinate AdaGrad rates** (McMahan et al., "Ad
 *   click prediction: a view from the trenches", KDD 2013). Without regularization it is
 *   adaptive SGD; with it, a weight is a closed form of two accumulators (z, n), so L1
 *   gives exact zeros and L1/L2 cost nothing for features absent from a row: sparse rows
 *   stay O(non-zeros) with no lazy catch-up and no weight-scale bookkeeping to drift.
 * - **Normalized features** (Vowpal Wabbit's `--normalized`): each feature is divided
 *   by the largest |x| seen so far, and its state is rescaled when that maximum grows.
 *   With AdaGrad this makes the whole trajectory invariant to a column's units, so raw
 *   columns in the millions or the thousandths need no tuning.
 * - **Regularization on the weights of the values given**, as in scikit-learn:
 *   in normalized units u = w·max|x| that is l1·|u|/max|x| +
 *   ½·l2·u²/max|x|². The encoder standardizes numbers, so one unit is one standard
 *   deviation and this is the penalty of a converged solver on the same features.
 *   Measured on u instead, a column's penalty would grow with the square of its largest
 *   z-score, holding sparse counters with a few huge values (which often mark rare
 *   classes) near zero.
 * - **Regularization per example**: after t examples the totals are l1·t and l2·t, so
 *   `l1`/`l2` mean what scikit-learn's per-sample `alpha` means whatever the row count,
 *   and the learner heads for the regularized optimum instead of a penalty that fades as
 *   rows accumulate.
 * - **Averaging per pass** (on by default): the model a pass leaves is the average of
 *   that pass's iterates, the q-th weighted by q (Polyak–Ruppert averaging, tilted
 *   towards the end of the pass so early iterates of the first pass count little). It
 *   makes a large step safe: the averaged model at a large step usually has a lower
 *   held-out loss than the last iterate at any step. A weight absent from a row is held at
 *   its last value while it is averaged (exact without regularization; with it, the
 *   slow l·t drift of an absent weight is ignored). With l1 > 0 the average keeps the
 *   last iterate's exact zeros.
 * - **Default learning rate 2** (the largest per-coordinate step in normalized units),
 *   with averaging on: larger steps suit small ill-conditioned sets but are noisier on
 *   large or sparse ones, 1 is too slow on small ones. beta = 1 damps the first steps of
 *   a rarely seen feature (larger betas slow small sets down).
 * - **Guards**: a row with a non-finite value, or whose gradient is not finite, is
 *   skipped; `endPass` raises `training_failed` if the state still went non-finite.
 */

import { SqlmlError } from '../errors.js';
import { logisticLoss, sigmoid, softmaxInto, squaredLoss, type Loss } from './loss.js';
import type { Task } from './types.js';
import { AVERAGED_SLOT, PLAIN_SLOT, proximalWeight, WeightTable } from './weights.js';

/** The step size used when `learningRate` is null. */
export const DEFAULT_LEARNING_RATE = 2;

/** FTRL's beta: the AdaGrad denominator starts at beta instead of 0. */
const BETA = 1;

/** What a learner is: the model type, its size and its regularization. */
export interface LearnerSpec {
  readonly task: Task;
  /** Number of feature indices; every index passed in must be below it. */
  readonly dimension: number;
  /** K for multiclass (≥ 2), otherwise 1. */
  readonly classes: number;
  /** L1 amount per example (0 for none). */
  readonly l1: number;
  /** L2 amount per example. */
  readonly l2: number;
  /** The largest per-coordinate step in normalized units; null for the default. */
  readonly learningRate: number | null;
  /** Kept with the model; the learner itself is deterministic and draws no random numbers. */
  readonly seed: number;
  /** Average each pass's iterates into the model (default true); false keeps the last iterate. */
  readonly averaging?: boolean;
}

/** A copy of a learner's state, to return to (e.g. the best pass under early stopping). */
export interface LearnerSnapshot {
  readonly state: Float64Array;
  readonly model: Float64Array | null;
  readonly examples: number;
  readonly passStep: number;
}

type FeatureValues = Float32Array | Float64Array;

const TASKS: readonly Task[] = ['binary', 'multiclass', 'regression'];

/** Σ q for q from `from` to `to` (0 when the range is empty). */
function stepSum(from: number, to: number): number {
  return to < from ? 0 : ((from + to) * (to - from + 1)) / 2;
}

/** Online FTRL-proximal learner over sparse rows; see the module comment for the rule. */
export class OnlineLearner {
  readonly spec: LearnerSpec;
  private readonly table: WeightTable;
  private readonly outputs: number;
  private readonly averaging: boolean;
  private readonly inverseAlpha: number;
  /** The single-output loss; null for multiclass, which uses softmax. */
  private readonly single: Loss | null;
  /** Scratch for K margins, probabilities and gradient factors: no allocation per row. */
  private readonly margins: Float64Array;
  private readonly probabilities: Float64Array;
  private readonly gradients: Float64Array;
  /**
   * learnSingle's weights of the row's features, with the (z, n) they came from, so the
   * update after the margin does not compute them again; a feature repeated within the
   * row finds its slot changed and computes afresh.
   */
  private rowWeights = new Float64Array(64);
  private rowZ = new Float64Array(64);
  private rowN = new Float64Array(64);
  /** Examples learnt so far; the regularization totals are l1·examples and l2·examples. */
  private examples = 0;
  /** Examples learnt in the current pass (the averaging step counter). */
  private passStep = 0;
  /**
   * The model as real weights, index·K + k with the biases at dimension·K + k: what the
   * last completed pass left (averaged when averaging), or the restored weights of a
   * deserialized learner. Null until then, and predictions use the live iterate.
   */
  private model: Float64Array | null = null;
  /** Restored real weights that the live state adds to (a deserialized learner that learns on). */
  private prior: Float64Array | null = null;

  constructor(spec: LearnerSpec) {
    validateLearnerSpec(spec);
    this.spec = { ...spec };
    this.outputs = spec.task === 'multiclass' ? spec.classes : 1;
    this.averaging = spec.averaging ?? true;
    this.table = new WeightTable(spec.dimension, this.outputs, this.averaging ? AVERAGED_SLOT : PLAIN_SLOT);
    this.inverseAlpha = 1 / (spec.learningRate ?? DEFAULT_LEARNING_RATE);
    this.single = spec.task === 'binary' ? logisticLoss : spec.task === 'regression' ? squaredLoss : null;
    this.margins = new Float64Array(this.outputs);
    this.probabilities = new Float64Array(this.outputs);
    this.gradients = new Float64Array(this.outputs);
  }

  /**
   * One update on the row `indices/values[start, end)` with label `y` (binary 0/1,
   * multiclass class index, regression value) and importance `weight`. Returns the row's
   * loss under the live iterate before the update (not multiplied by `weight`), or NaN
   * when a value is not finite. A weight that is not a positive finite number, or a
   * gradient that is not finite, leaves the state unchanged.
   */
  learn(indices: Uint32Array, values: FeatureValues, start: number, end: number, y: number, weight: number): number {
    this.checkLabel(y);
    if (this.single !== null && this.prior === null) return this.learnSingle(indices, values, start, end, y, weight);
    if (!this.rowIsUsable(indices, values, start, end)) return NaN;
    const learns = weight > 0 && weight < Infinity;
    const step = this.passStep + 1;
    if (learns) this.raiseScales(indices, values, start, end, step);
    let loss: number;
    if (this.single !== null) {
      const margin = this.liveSingleMargin(indices, values, start, end);
      loss = this.single.loss(margin, y);
      const g = weight * this.single.dloss(margin, y);
      if (!learns || !(g - g === 0)) return loss;
      this.forgetRowWeights(end - start);
      this.updateSingle(indices, values, start, end, g, step);
    } else {
      this.liveMulticlassMargins(indices, values, start, end);
      loss = softmaxInto(this.margins, this.outputs, this.probabilities) - this.margins[y]!;
      if (!learns || !(loss - loss === 0)) return loss;
      this.updateMulticlass(indices, values, start, end, y, weight, step);
    }
    this.examples++;
    this.passStep = step;
    return loss;
  }

  /**
   * `learn` for a single-output learner without restored weights, with the row's checks,
   * the scale test and the margin in one loop: the same arithmetic in the same order as
   * check, raise scales, margin, so the same result; a row that raises a scale (rare
   * after the first rows) has its margin computed again after raising.
   */
  private learnSingle(indices: Uint32Array, values: FeatureValues, start: number, end: number, y: number, weight: number): number {
    const data = this.table.data;
    const blockSize = this.table.blockSize;
    const dimension = this.spec.dimension;
    const inverseAlpha = this.inverseAlpha;
    const l1 = this.l1Total();
    const l2 = this.l2Total();
    const bias = this.table.biasOffset;
    let margin = proximalWeight(data[bias + 1]!, data[bias + 2]!, inverseAlpha, BETA, 0, 0);
    let usable = true;
    let raises = false;
    if (end - start > this.rowWeights.length) this.growRowWeights(end - start);
    const rowWeights = this.rowWeights;
    const rowZ = this.rowZ;
    const rowN = this.rowN;
    for (let j = start; j < end; j++) {
      const index = indices[j]!;
      if (index >= dimension) this.checkIndices(indices, j, j + 1);
      const x = values[j]!;
      if (!(x - x === 0)) {
        usable = false;
        continue;
      }
      const o = index * blockSize;
      const scale = data[o]!;
      if (Math.abs(x) > scale) raises = true;
      if (x === 0 || scale === 0) continue;
      const z = data[o + 1]!;
      const n = data[o + 2]!;
      const inverseScale = 1 / scale;
      const w = proximalWeight(z, n, inverseAlpha, BETA, l1 * inverseScale, l2 * inverseScale * inverseScale);
      rowWeights[j - start] = w;
      rowZ[j - start] = z;
      rowN[j - start] = n;
      margin += w * (x * inverseScale);
    }
    if (!usable) return NaN;
    const learns = weight > 0 && weight < Infinity;
    const step = this.passStep + 1;
    if (learns && raises) {
      this.raiseScales(indices, values, start, end, step);
      margin = this.liveSingleMargin(indices, values, start, end);
    }
    const loss = this.single!.lossAndSlope(margin, y, this.gradients);
    const g = weight * this.gradients[0]!;
    if (!learns || !(g - g === 0)) return loss;
    // Raising a scale rescaled the state the margin loop read.
    if (raises) this.forgetRowWeights(end - start);
    this.updateSingle(indices, values, start, end, g, step);
    this.examples++;
    this.passStep = step;
    return loss;
  }

  /** Binary: out[0] = P(y = 1); multiclass: out[0..K) class probabilities; regression: out[0] = prediction. */
  predict(indices: Uint32Array, values: FeatureValues, start: number, end: number, out: Float64Array): void {
    this.checkIndices(indices, start, end);
    this.marginsForPrediction(indices, values, start, end);
    if (this.single === null) softmaxInto(this.margins, this.outputs, out);
    else out[0] = this.spec.task === 'binary' ? sigmoid(this.margins[0]!) : this.margins[0]!;
  }

  /** The row's loss under the model, without learning from it (for validation). */
  loss(indices: Uint32Array, values: FeatureValues, start: number, end: number, y: number): number {
    this.checkLabel(y);
    this.checkIndices(indices, start, end);
    this.marginsForPrediction(indices, values, start, end);
    if (this.single !== null) return this.single.loss(this.margins[0]!, y);
    return softmaxInto(this.margins, this.outputs, this.probabilities) - this.margins[y]!;
  }

  /**
   * Ends a pass: the model becomes the pass's averaged weights (or the last iterate), and
   * non-finite state raises `training_failed`.
   */
  endPass(): void {
    const model = this.materialize();
    if (!this.table.allFinite() || !allFinite(model)) {
      throw new SqlmlError(
        'training_failed',
        'training diverged (the model weights became NaN or infinite); ' +
          'set a smaller learning_rate or a larger l2, or check the input columns for extreme values',
      );
    }
    this.model = model;
  }

  /**
   * A copy of the current state and model; `restore` returns to it. Passing an earlier
   * snapshot of this learner reuses its arrays (the state can be large).
   */
  snapshot(reuse?: LearnerSnapshot): LearnerSnapshot {
    let model: Float64Array | null = null;
    if (this.model !== null) {
      model = reuse?.model != null && reuse.model.length === this.model.length ? reuse.model : new Float64Array(this.model.length);
      model.set(this.model);
    }
    return { state: this.table.copyState(reuse?.state), model, examples: this.examples, passStep: this.passStep };
  }

  /** Returns to a state taken by `snapshot()` of this learner. */
  restore(snapshot: LearnerSnapshot): void {
    this.table.restoreState(snapshot.state);
    this.model = snapshot.model === null ? null : snapshot.model.slice();
    this.examples = snapshot.examples;
    this.passStep = snapshot.passStep;
  }

  /** True when the model came from this learner's own passes (not restored weights), so it can be replaced whole. */
  isFreshModel(): boolean {
    return this.prior === null && this.model !== null;
  }

  /** Each feature's scale (the largest |x| learnt from; 0 for a feature never seen). */
  featureScales(): Float64Array {
    const scales = new Float64Array(this.spec.dimension);
    const data = this.table.data;
    for (let index = 0; index < scales.length; index++) scales[index] = data[this.table.blockOffset(index)]!;
    return scales;
  }

  /** A copy of the model's real weights (index·K + k, the K biases at dimension·K). */
  modelCopy(): Float64Array {
    return this.modelWeights().slice();
  }

  /**
   * Makes `weights` (laid out as `modelCopy()`'s) the model that predicts and serializes,
   * e.g. after a full-batch finish. The per-feature state stays as the passes left it.
   */
  adoptModel(weights: Float64Array): void {
    const expected = (this.spec.dimension + 1) * this.outputs;
    if (weights.length !== expected || !allFinite(weights)) {
      throw new SqlmlError('internal', `adopted weights must be ${expected} finite numbers, got ${weights.length}`);
    }
    this.model = weights.slice();
  }

  /** Number of examples learnt (since creation, or up to the restored snapshot). */
  get examplesSeen(): number {
    return this.examples;
  }

  /** The model's weight of feature `index` for output `k` (k = 0 unless multiclass), in the units of the values passed in. */
  weight(index: number, k: number): number {
    if (!(Number.isInteger(index) && index >= 0 && index < this.spec.dimension) || !(Number.isInteger(k) && k >= 0 && k < this.outputs)) {
      throw new SqlmlError(
        'internal',
        `weight (${index}, ${k}) is outside the model's ${this.spec.dimension} features × ${this.outputs} outputs`,
      );
    }
    if (this.model !== null) return this.model[index * this.outputs + k]!;
    return this.liveWeight(index, k);
  }

  /** The model's bias for output `k`. */
  bias(k: number): number {
    if (!(Number.isInteger(k) && k >= 0 && k < this.outputs)) {
      throw new SqlmlError('internal', `bias ${k} is outside the model's ${this.outputs} outputs`);
    }
    if (this.model !== null) return this.model[this.spec.dimension * this.outputs + k]!;
    return this.liveWeight(this.spec.dimension, k);
  }

  /** How many (feature, output) weights of the model are not exactly zero; biases are not counted. */
  nonZeroWeights(): number {
    const weights = this.modelWeights();
    let count = 0;
    for (let i = 0; i < this.spec.dimension * this.outputs; i++) if (weights[i] !== 0) count++;
    return count;
  }

  /**
   * A learner that predicts with `weights` (laid out as `modelCopy()`'s), e.g. a stored
   * model's. If it learns further, it learns a correction on top of them, with fresh
   * per-feature step sizes and scales.
   */
  static restore(spec: LearnerSpec, weights: Float64Array): OnlineLearner {
    const learner = new OnlineLearner(spec);
    if (weights.length !== (spec.dimension + 1) * learner.outputs) {
      throw new SqlmlError('internal', `restored weights must be ${(spec.dimension + 1) * learner.outputs} numbers, got ${weights.length}`);
    }
    learner.prior = weights;
    learner.model = weights.slice();
    return learner;
  }

  /** The model's real weights: the materialized model, or the live iterate before the first pass ends. */
  private modelWeights(): Float64Array {
    if (this.model !== null) return this.model;
    const K = this.outputs;
    const weights = new Float64Array((this.spec.dimension + 1) * K);
    for (let index = 0; index <= this.spec.dimension; index++) {
      for (let k = 0; k < K; k++) weights[index * K + k] = this.liveWeight(index, k);
    }
    return weights;
  }

  /** The live iterate's real weight of feature `index` (the bias for index = dimension). */
  private liveWeight(index: number, k: number): number {
    const data = this.table.data;
    const o = this.table.blockOffset(index);
    const scale = data[o]!;
    const s = o + 1 + k * this.table.slotSize;
    const isBias = index === this.spec.dimension;
    const learnt =
      scale === 0
        ? 0
        : proximalWeight(data[s]!, data[s + 1]!, this.inverseAlpha, BETA, isBias ? 0 : this.l1Total() / scale, isBias ? 0 : this.l2Total() / (scale * scale)) / scale;
    return this.prior === null ? learnt : learnt + this.prior[index * this.outputs + k]!;
  }

  /**
   * The model a pass leaves: per slot, (Σ q·w_q) / (Σ q) over the pass's steps when
   * averaging (then the sums restart for the next pass), else the live weight.
   */
  private materialize(): Float64Array {
    const K = this.outputs;
    const dimension = this.spec.dimension;
    const data = this.table.data;
    const slotSize = this.table.slotSize;
    const steps = this.passStep;
    const average = this.averaging && steps > 0;
    const total = stepSum(1, steps);
    const keepZeros = this.spec.l1 > 0;
    const l1 = this.l1Total();
    const l2 = this.l2Total();
    const model = new Float64Array((dimension + 1) * K);
    for (let index = 0; index <= dimension; index++) {
      const o = this.table.blockOffset(index);
      const scale = data[o]!;
      const isBias = index === dimension;
      for (let k = 0, s = o + 1; k < K; k++, s += slotSize) {
        const live =
          scale === 0
            ? 0
            : proximalWeight(data[s]!, data[s + 1]!, this.inverseAlpha, BETA, isBias ? 0 : l1 / scale, isBias ? 0 : l2 / (scale * scale)) / scale;
        let w = live;
        if (average) {
          w = keepZeros && live === 0 && !isBias ? 0 : (data[s + 2]! + live * stepSum(data[s + 3]!, steps)) / total;
          data[s + 2] = 0;
          data[s + 3] = 0;
        }
        model[index * K + k] = this.prior === null ? w : w + this.prior[index * K + k]!;
      }
    }
    this.passStep = 0;
    return model;
  }

  private l1Total(): number {
    return this.spec.l1 * this.examples;
  }

  private l2Total(): number {
    return this.spec.l2 * this.examples;
  }

  /**
   * The FTRL step of every feature of the row and of the bias, for margin slope `g`.
   * A feature's current weight comes from rowWeights, where learnSingle's margin loop
   * left it, while its slot is as that loop saw it; otherwise (a repeated feature, or
   * after `forgetRowWeights`) it is computed again.
   */
  private updateSingle(indices: Uint32Array, values: FeatureValues, start: number, end: number, g: number, step: number): void {
    if (g === 0) return;
    const data = this.table.data;
    const blockSize = this.table.blockSize;
    const l1 = this.l1Total();
    const l2 = this.l2Total();
    const inverseAlpha = this.inverseAlpha;
    const averaging = this.averaging;
    const rowWeights = this.rowWeights;
    const rowZ = this.rowZ;
    const rowN = this.rowN;
    for (let j = start; j < end; j++) {
      const x = values[j]!;
      if (x === 0) continue;
      const o = indices[j]! * blockSize;
      const inverseScale = 1 / data[o]!;
      const s = o + 1;
      const z = data[s]!;
      const n = data[s + 1]!;
      const w =
        z === rowZ[j - start] && n === rowN[j - start]
          ? rowWeights[j - start]!
          : proximalWeight(z, n, inverseAlpha, BETA, l1 * inverseScale, l2 * inverseScale * inverseScale);
      // ftrlStep's arithmetic, written out: this is the learner's hottest loop, where a call costs.
      if (averaging) {
        data[s + 2] = data[s + 2]! + w * inverseScale * stepSum(data[s + 3]!, step - 1);
        data[s + 3] = step;
      }
      const gj = g * x * inverseScale;
      const grown = Math.sqrt(n * n + gj * gj);
      data[s] = z + gj - (grown - n) * inverseAlpha * w;
      data[s + 1] = grown;
    }
    this.update(this.table.biasOffset + 1, g, 0, 0, 1, step);
  }

  /** Makes `updateSingle` compute every weight of the next row afresh. */
  private forgetRowWeights(nnz: number): void {
    if (nnz > this.rowWeights.length) this.growRowWeights(nnz);
    this.rowZ.fill(NaN, 0, nnz);
  }

  private growRowWeights(nnz: number): void {
    this.rowWeights = new Float64Array(nnz);
    this.rowZ = new Float64Array(nnz);
    this.rowN = new Float64Array(nnz);
  }

  private updateMulticlass(
    indices: Uint32Array,
    values: FeatureValues,
    start: number,
    end: number,
    y: number,
    weight: number,
    step: number,
  ): void {
    const K = this.outputs;
    const gradients = this.gradients;
    const probabilities = this.probabilities;
    for (let k = 0; k < K; k++) gradients[k] = weight * (probabilities[k]! - (k === y ? 1 : 0));
    const data = this.table.data;
    const blockSize = this.table.blockSize;
    const slotSize = this.table.slotSize;
    const l1 = this.l1Total();
    const l2 = this.l2Total();
    for (let j = start; j < end; j++) {
      const x = values[j]!;
      if (x === 0) continue;
      const o = indices[j]! * blockSize;
      const inverseScale = 1 / data[o]!;
      const normalized = x * inverseScale;
      const featureL1 = l1 * inverseScale;
      const featureL2 = l2 * inverseScale * inverseScale;
      for (let k = 0, s = o + 1; k < K; k++, s += slotSize) {
        this.update(s, gradients[k]! * normalized, featureL1, featureL2, inverseScale, step);
      }
    }
    const bias = this.table.biasOffset + 1;
    for (let k = 0; k < K; k++) this.update(bias + k * slotSize, gradients[k]!, 0, 0, 1, step);
  }

  /**
   * FTRL-proximal step of the slot at `s` with normalized gradient `g` at pass step
   * `step`; with averaging, the weight it held since its last change is folded into the
   * running sum first.
   */
  private update(s: number, g: number, l1: number, l2: number, inverseScale: number, step: number): void {
    const data = this.table.data;
    this.ftrlStep(s, g, proximalWeight(data[s]!, data[s + 1]!, this.inverseAlpha, BETA, l1, l2), inverseScale, step);
  }

  /** `update` of the slot at `s`, whose current weight `w` the caller has computed. */
  private ftrlStep(s: number, g: number, w: number, inverseScale: number, step: number): void {
    const data = this.table.data;
    const z = data[s]!;
    // n is √Σg² (see weights.ts).
    const n = data[s + 1]!;
    if (this.averaging) {
      data[s + 2] = data[s + 2]! + w * inverseScale * stepSum(data[s + 3]!, step - 1);
      data[s + 3] = step;
    }
    const grown = Math.sqrt(n * n + g * g);
    // σ = Δ(1/η) keeps the proximal term centred on the current weight.
    data[s] = z + g - (grown - n) * this.inverseAlpha * w;
    data[s + 1] = grown;
  }

  /** Margins from the model when there is one, else from the live iterate, into `this.margins`. */
  private marginsForPrediction(indices: Uint32Array, values: FeatureValues, start: number, end: number): void {
    const model = this.model;
    if (model === null) {
      if (this.single !== null) this.margins[0] = this.liveSingleMargin(indices, values, start, end);
      else this.liveMulticlassMargins(indices, values, start, end);
      return;
    }
    const K = this.outputs;
    const margins = this.margins;
    const biasAt = this.spec.dimension * K;
    for (let k = 0; k < K; k++) margins[k] = model[biasAt + k]!;
    for (let j = start; j < end; j++) {
      const x = values[j]!;
      const at = indices[j]! * K;
      for (let k = 0; k < K; k++) margins[k] = margins[k]! + model[at + k]! * x;
    }
  }

  /** The live iterate's margin of a single-output model; features never seen (scale 0) add nothing. */
  private liveSingleMargin(indices: Uint32Array, values: FeatureValues, start: number, end: number): number {
    const data = this.table.data;
    const blockSize = this.table.blockSize;
    const inverseAlpha = this.inverseAlpha;
    const l1 = this.l1Total();
    const l2 = this.l2Total();
    const bias = this.table.biasOffset;
    let margin = proximalWeight(data[bias + 1]!, data[bias + 2]!, inverseAlpha, BETA, 0, 0);
    for (let j = start; j < end; j++) {
      const x = values[j]!;
      const o = indices[j]! * blockSize;
      const scale = data[o]!;
      if (x === 0 || scale === 0) continue;
      const inverseScale = 1 / scale;
      margin += proximalWeight(data[o + 1]!, data[o + 2]!, inverseAlpha, BETA, l1 * inverseScale, l2 * inverseScale * inverseScale) * (x * inverseScale);
    }
    const prior = this.prior;
    if (prior !== null) {
      margin += prior[this.spec.dimension]!;
      for (let j = start; j < end; j++) margin += prior[indices[j]!]! * values[j]!;
    }
    return margin;
  }

  /** The live iterate's K margins of a multiclass model, into `this.margins`. */
  private liveMulticlassMargins(indices: Uint32Array, values: FeatureValues, start: number, end: number): void {
    const K = this.outputs;
    const margins = this.margins;
    const data = this.table.data;
    const blockSize = this.table.blockSize;
    const slotSize = this.table.slotSize;
    const inverseAlpha = this.inverseAlpha;
    const l1 = this.l1Total();
    const l2 = this.l2Total();
    const bias = this.table.biasOffset + 1;
    for (let k = 0, s = bias; k < K; k++, s += slotSize) {
      margins[k] = proximalWeight(data[s]!, data[s + 1]!, inverseAlpha, BETA, 0, 0);
    }
    for (let j = start; j < end; j++) {
      const x = values[j]!;
      const o = indices[j]! * blockSize;
      const scale = data[o]!;
      if (x === 0 || scale === 0) continue;
      const inverseScale = 1 / scale;
      const normalized = x * inverseScale;
      const featureL1 = l1 * inverseScale;
      const featureL2 = l2 * inverseScale * inverseScale;
      for (let k = 0, s = o + 1; k < K; k++, s += slotSize) {
        margins[k] = margins[k]! + proximalWeight(data[s]!, data[s + 1]!, inverseAlpha, BETA, featureL1, featureL2) * normalized;
      }
    }
    const prior = this.prior;
    if (prior !== null) {
      const biasAt = this.spec.dimension * K;
      for (let k = 0; k < K; k++) margins[k] = margins[k]! + prior[biasAt + k]!;
      for (let j = start; j < end; j++) {
        const x = values[j]!;
        const at = indices[j]! * K;
        for (let k = 0; k < K; k++) margins[k] = margins[k]! + prior[at + k]! * x;
      }
    }
  }

  /**
   * Raises each feature's scale to the row's |x| where larger. With averaging, the
   * feature's real weights change with the scale, so their running sums are folded up
   * to the previous step first.
   */
  private raiseScales(indices: Uint32Array, values: FeatureValues, start: number, end: number, step: number): void {
    const table = this.table;
    const data = table.data;
    const blockSize = table.blockSize;
    for (let j = start; j < end; j++) {
      const magnitude = Math.abs(values[j]!);
      const o = indices[j]! * blockSize;
      const scale = data[o]!;
      if (magnitude <= scale) continue;
      if (this.averaging && scale > 0) this.foldAverages(o, 1 / scale, step);
      table.raiseScale(o, magnitude);
    }
  }

  /** Adds each slot's held real weight up to step - 1 into its running sum. */
  private foldAverages(o: number, inverseScale: number, step: number): void {
    const data = this.table.data;
    const slotSize = this.table.slotSize;
    const l1 = this.l1Total();
    const l2 = this.l2Total();
    for (let k = 0, s = o + 1; k < this.outputs; k++, s += slotSize) {
      const w = proximalWeight(data[s]!, data[s + 1]!, this.inverseAlpha, BETA, l1 * inverseScale, l2 * inverseScale * inverseScale);
      data[s + 2] = data[s + 2]! + w * inverseScale * stepSum(data[s + 3]!, step - 1);
      data[s + 3] = step;
    }
  }

  /** Checks the indices are in range; false when a value is NaN or infinite (the row is then skipped). */
  private rowIsUsable(indices: Uint32Array, values: FeatureValues, start: number, end: number): boolean {
    // One loop for both checks: this runs for every row of every pass.
    const dimension = this.spec.dimension;
    let usable = true;
    for (let j = start; j < end; j++) {
      if (indices[j]! >= dimension) this.checkIndices(indices, j, j + 1);
      const x = values[j]!;
      if (!(x - x === 0)) usable = false;
    }
    return usable;
  }

  private checkIndices(indices: Uint32Array, start: number, end: number): void {
    const dimension = this.spec.dimension;
    for (let j = start; j < end; j++) {
      if (indices[j]! >= dimension) {
        throw new SqlmlError('internal', `feature index ${indices[j]} at position ${j} is not below the model's dimension ${dimension}`);
      }
    }
  }

  private checkLabel(y: number): void {
    const task = this.spec.task;
    if (task === 'binary' ? y === 0 || y === 1 : task === 'regression' || (Number.isInteger(y) && y >= 0 && y < this.outputs)) {
      return;
    }
    const expected = task === 'binary' ? '0 or 1' : `a class index from 0 to ${this.outputs - 1}`;
    throw new SqlmlError('internal', `label ${y} is not ${expected}`);
  }
}

function allFinite(values: Float64Array): boolean {
  for (let i = 0; i < values.length; i++) if (!(values[i]! - values[i]! === 0)) return false;
  return true;
}

/** Throws when `spec` does not describe a learner (an unknown task, a bad dimension, class count or amount). */
export function validateLearnerSpec(spec: LearnerSpec): void {
  if (!TASKS.includes(spec.task)) {
    throw new SqlmlError('bad_option', `type must be 'binary', 'multiclass' or 'regression', got '${String(spec.task)}'`);
  }
  if (!Number.isInteger(spec.dimension) || spec.dimension < 0 || spec.dimension > 0xffffffff) {
    throw new SqlmlError('internal', `the feature dimension must be a whole number from 0 to 2^32 - 1, got ${spec.dimension}`);
  }
  if (spec.task === 'multiclass' ? !Number.isInteger(spec.classes) || spec.classes < 2 : spec.classes !== 1) {
    const expected = spec.task === 'multiclass' ? 'at least 2' : '1';
    throw new SqlmlError('internal', `a ${spec.task} model needs classes = ${expected}, got ${spec.classes}`);
  }
  for (const [name, value] of [['l1', spec.l1], ['l2', spec.l2]] as const) {
    if (!(value >= 0 && value < Infinity)) {
      throw new SqlmlError('bad_option', `${name} must be a finite number of 0 or more, got ${value}`);
    }
  }
  if (spec.learningRate !== null && !(spec.learningRate > 0 && spec.learningRate < Infinity)) {
    throw new SqlmlError('bad_option', `learning_rate must be a finite number above 0, got ${spec.learningRate}`);
  }
}
