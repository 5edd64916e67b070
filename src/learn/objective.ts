/**
 * What the full-batch finish (polish.ts) minimizes: a smooth function of a coordinate
 * vector, the regularized mean training loss of a model. The optimizer reaches the rows
 * only through this interface, so where the sums are computed (over rows held in memory,
 * cached-objective.ts, or by the database) is the implementation's choice.
 */
export interface Objective {
  /** Objective evaluations so far (each a pass over the training rows). */
  readonly evaluations: number;
  /** Distinct training rows the objective sums over. */
  readonly distinctRows: number;
  /** The model's real weights (index·K + k, the K biases at dimension·K) as coordinates. */
  fromModel(model: Float64Array): Float64Array;
  /** Coordinates back to real weights, laid out as `fromModel` reads them. */
  toModel(v: Float64Array): Float64Array;
  /** The objective at `v`, its gradient written to `gradient`. */
  evaluate(v: Float64Array, gradient: Float64Array): Promise<number>;
  /** The inverse of the Hessian's diagonal at `v` (the optimizer's preconditioner), into `out`. */
  inverseDiagonal(v: Float64Array, out: Float64Array): Promise<void>;
  /** The importance-weighted mean loss on the validation rows at `v`; null without validation rows. */
  validationLoss(v: Float64Array): Promise<number | null>;
}
