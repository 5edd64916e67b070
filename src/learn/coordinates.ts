/**
 * The finish's coordinates (polish.ts): coordinate `p·K + k` is the weight of the live
 * feature at position p (a feature the learner has a scale for) for output k, times that
 * scale, and the K biases come last. Every Objective works in them, whether it sums over
 * rows in memory (cached-objective.ts) or in the database (src/engine/database-objective.ts);
 * this module owns the layout, the conversion to and from real weights, and the L2 penalty
 * (on the real weights, biases unpenalized).
 */
import type { OnlineLearner } from './sgd.js';

/** Smallest Hessian diagonal entry the preconditioner divides by. */
const MIN_CURVATURE = 1e-8;

export class ObjectiveCoordinates {
  /** Outputs per feature: the classes for multiclass, else 1. */
  readonly K: number;
  /** Live features (scale > 0). */
  readonly live: number;
  /** Feature index → live position, -1 for a feature without a coordinate. */
  readonly position: Int32Array;
  /** Per live position: 1 / the feature's scale. */
  readonly inverseScale: Float64Array;
  /** Each live position's L2 amount: the penalty is on the real weight v / scale (sgd.ts). */
  readonly l2: Float64Array;
  private readonly scales: Float64Array;
  /** The L2 amount per example the positions' amounts were derived from. */
  private l2Amount = NaN;

  constructor(learner: OnlineLearner, l2: number) {
    this.K = learner.spec.task === 'multiclass' ? learner.spec.classes : 1;
    this.scales = learner.featureScales();
    this.position = new Int32Array(this.scales.length).fill(-1);
    let live = 0;
    for (let i = 0; i < this.scales.length; i++) if (this.scales[i]! > 0) this.position[i] = live++;
    this.live = live;
    this.inverseScale = new Float64Array(live);
    for (let i = 0; i < this.scales.length; i++) if (this.position[i]! >= 0) this.inverseScale[this.position[i]!] = 1 / this.scales[i]!;
    this.l2 = new Float64Array(live);
    this.setL2(l2);
  }

  /** Coordinates in all: (live + 1)·K. */
  get size(): number {
    return (this.live + 1) * this.K;
  }

  /** Changes the L2 amount (per example, on the real weights) penalized: the regularization path's step. */
  setL2(l2: number): void {
    if (l2 === this.l2Amount) return;
    this.l2Amount = l2;
    for (let p = 0; p < this.live; p++) this.l2[p] = l2 * this.inverseScale[p]! * this.inverseScale[p]!;
  }

  /** Real weights (index·K + k, biases at dimension·K) to coordinates. */
  fromModel(model: Float64Array): Float64Array {
    const K = this.K;
    const v = new Float64Array((this.live + 1) * K);
    for (let i = 0; i < this.scales.length; i++) {
      const p = this.position[i]!;
      if (p < 0) continue;
      for (let k = 0; k < K; k++) v[p * K + k] = model[i * K + k]! * this.scales[i]!;
    }
    const biasAt = this.scales.length * K;
    for (let k = 0; k < K; k++) v[this.live * K + k] = model[biasAt + k]!;
    return v;
  }

  /** Coordinates back to real weights; features without a coordinate keep weight 0. */
  toModel(v: Float64Array): Float64Array {
    const K = this.K;
    const model = new Float64Array((this.scales.length + 1) * K);
    for (let i = 0; i < this.scales.length; i++) {
      const p = this.position[i]!;
      if (p < 0) continue;
      for (let k = 0; k < K; k++) model[i * K + k] = v[p * K + k]! * this.inverseScale[p]!;
    }
    const biasAt = this.scales.length * K;
    for (let k = 0; k < K; k++) model[biasAt + k] = v[this.live * K + k]!;
    return model;
  }

  /**
   * The regularized mean from the sums over the rows: `gradient` holds Σ w·∂loss/∂v on
   * entry and the objective's gradient on return; the objective is returned.
   */
  regularized(v: Float64Array, loss: number, weight: number, gradient: Float64Array): number {
    const K = this.K;
    const biasAt = this.live * K;
    let penalty = 0;
    for (let p = 0; p < this.live; p++) {
      const l2 = this.l2[p]!;
      for (let i = p * K; i < p * K + K; i++) {
        penalty += l2 * v[i]! * v[i]!;
        gradient[i] = gradient[i]! / weight + l2 * v[i]!;
      }
    }
    for (let i = biasAt; i < gradient.length; i++) gradient[i] = gradient[i]! / weight;
    return loss / weight + 0.5 * penalty;
  }

  /**
   * The inverse Hessian diagonal from Σ w·x²·c per coordinate (in `out` on entry) and
   * Σ w: each over Σ w, plus l2 on the features, floored at MIN_CURVATURE so that a
   * coordinate no row moves (or one the model is certain about) takes no unbounded step.
   */
  inverseDiagonal(out: Float64Array, weight: number): void {
    const K = this.K;
    const features = this.live * K;
    for (let i = 0; i < out.length; i++) {
      const curvature = out[i]! / weight + (i < features ? this.l2[Math.floor(i / K)]! : 0);
      out[i] = 1 / Math.max(curvature, MIN_CURVATURE);
    }
  }
}
