/**
 * The three losses of sqlml's models, as functions of the model's raw output (the
 * margin p) and the label y, with the derivatives the online learner (sgd.ts) and the
 * full-batch finish (polish.ts) need. Each is written so that no intermediate
 * overflows: a margin of ±1000 must give a finite loss and a derivative in [-1, 1].
 *
 * The weighted forms take the row's importance weight w as an argument because where w
 * multiplies decides the last bits of the sums, and the same seed must give the same
 * model bytes.
 */

/** A loss for a single-output model: `loss` and its derivatives with respect to the margin. */
export interface Loss {
  readonly name: 'logistic' | 'squared';
  /** The loss of margin `p` for label `y`. */
  loss(p: number, y: number): number;
  /** d loss / d p at margin `p` for label `y`. */
  dloss(p: number, y: number): number;
  /** `loss(p, y)`, with `dloss(p, y)` written to `slope[0]`: the same numbers, from one exponential where there is one. */
  lossAndSlope(p: number, y: number, slope: Float64Array): number;
  /** w·loss(p, y), with w·dloss(p, y) written to `slope[0]`. */
  weightedLossAndSlope(p: number, y: number, w: number, slope: Float64Array): number;
  /** w·d²loss / dp² at margin `p` (the curvature; it does not depend on y for these losses). */
  weightedCurvature(p: number, y: number, w: number): number;
}

/** log(1 + e^a), without overflow for large a and without losing tiny values for very negative a. */
export function softplus(a: number): number {
  return a > 0 ? a + Math.log1p(Math.exp(-a)) : Math.log1p(Math.exp(a));
}

/** 1 / (1 + e^-p), evaluated on the side where the exponential cannot overflow. */
export function sigmoid(p: number): number {
  if (p >= 0) return 1 / (1 + Math.exp(-p));
  const e = Math.exp(p);
  return e / (1 + e);
}

/**
 * Logistic loss for a binary label y ∈ {0, 1} and margin p (the log-odds of y = 1):
 * log(1 + e^-p) when y = 1, log(1 + e^p) when y = 0. Its derivative is sigmoid(p) - y,
 * computed as -sigmoid(-p) for y = 1 so that a confidently right margin still gives a
 * tiny gradient instead of 1 - 1 = 0.
 */
export const logisticLoss: Loss = {
  name: 'logistic',
  loss(p: number, y: number): number {
    return softplus(y > 0.5 ? -p : p);
  },
  dloss(p: number, y: number): number {
    return y > 0.5 ? -sigmoid(-p) : sigmoid(p);
  },
  lossAndSlope(p: number, y: number, slope: Float64Array): number {
    // a is the margin on the wrong side; softplus(a) and sigmoid(a) share e^-|a|.
    const a = y > 0.5 ? -p : p;
    const e = Math.exp(a > 0 ? -a : a);
    const s = a >= 0 ? 1 / (1 + e) : e / (1 + e);
    slope[0] = y > 0.5 ? -s : s;
    return a > 0 ? a + Math.log1p(e) : Math.log1p(e);
  },
  weightedLossAndSlope(p: number, y: number, w: number, slope: Float64Array): number {
    slope[0] = w * (y > 0.5 ? -sigmoid(-p) : sigmoid(p));
    return w * softplus(y > 0.5 ? -p : p);
  },
  /** w·σ(p)(1 − σ(p)). */
  weightedCurvature(p: number, _y: number, w: number): number {
    const q = sigmoid(p);
    return w * q * (1 - q);
  },
};

/**
 * Squared loss (p - y)² / 2 for regression. The half makes the derivative the residual
 * p - y, so a step size means the same thing as for the logistic loss.
 */
export const squaredLoss: Loss = {
  name: 'squared',
  loss(p: number, y: number): number {
    const r = p - y;
    return 0.5 * r * r;
  },
  dloss(p: number, y: number): number {
    return p - y;
  },
  lossAndSlope(p: number, y: number, slope: Float64Array): number {
    const r = p - y;
    slope[0] = r;
    return 0.5 * r * r;
  },
  weightedLossAndSlope(p: number, y: number, w: number, slope: Float64Array): number {
    const r = p - y;
    slope[0] = w * r;
    return w * 0.5 * r * r;
  },
  /** w: the squared loss has curvature 1 everywhere. */
  weightedCurvature(_p: number, _y: number, w: number): number {
    return w;
  },
};

/** log Σ exp(scores[0..k)), shifted by the largest score so that no term overflows. */
export function logSumExp(scores: Float64Array, k: number): number {
  let max = -Infinity;
  for (let c = 0; c < k; c++) if (scores[c]! > max) max = scores[c]!;
  if (max === -Infinity || max === Infinity) return max;
  let sum = 0;
  for (let c = 0; c < k; c++) sum += Math.exp(scores[c]! - max);
  return max + Math.log(sum);
}

/**
 * Multinomial logistic (softmax cross-entropy) loss of class `y` given the K raw
 * scores: log Σ exp(scores) - scores[y]. Its gradient with respect to scores[c] is
 * softmax(scores)[c] - [c = y].
 */
export function softmaxLoss(scores: Float64Array, k: number, y: number): number {
  return logSumExp(scores, k) - scores[y]!;
}

/**
 * Writes softmax(scores[0..k)) into `out[0..k)` (which may be `scores` itself) and
 * returns log Σ exp(scores), so a caller gets the loss and the gradient from one pass.
 */
export function softmaxInto(scores: Float64Array, k: number, out: Float64Array): number {
  const lse = logSumExp(scores, k);
  for (let c = 0; c < k; c++) out[c] = Math.exp(scores[c]! - lse);
  return lse;
}

/** A loss for a K-output model (one margin per class), in the weighted forms the full-batch finish sums. */
export interface MulticlassLoss {
  readonly name: 'softmax';
  /**
   * w·loss of class `y` given `margins[0..k)`, with its gradient with respect to each
   * margin, times w, written to `gradient[0..k)`. `scratch` (k entries) is overwritten.
   */
  weightedLossAndGradient(margins: Float64Array, k: number, y: number, w: number, scratch: Float64Array, gradient: Float64Array): number;
  /** The Hessian's diagonal with respect to the margins, times w, into `curvature[0..k)`. `scratch` is overwritten. */
  weightedCurvature(margins: Float64Array, k: number, w: number, scratch: Float64Array, curvature: Float64Array): void;
}

/**
 * Softmax cross-entropy log Σ exp(margins) − margins[y]: its gradient is
 * softmax(margins)[c] − [c = y], its Hessian's diagonal p_c(1 − p_c). One exponential per
 * class (softmaxInto takes two), shifted by the largest margin so that none overflows.
 */
export const softmaxCrossEntropy: MulticlassLoss = {
  name: 'softmax',
  weightedLossAndGradient(margins, k, y, w, scratch, gradient) {
    const max = largest(margins, k);
    const sum = shiftedExponentials(margins, k, max, scratch);
    const share = w / sum;
    for (let c = 0; c < k; c++) gradient[c] = share * scratch[c]!;
    gradient[y] = gradient[y]! - w;
    return w * (max + Math.log(sum) - margins[y]!);
  },
  weightedCurvature(margins, k, w, scratch, curvature) {
    const sum = shiftedExponentials(margins, k, largest(margins, k), scratch);
    for (let c = 0; c < k; c++) {
      const q = scratch[c]! / sum;
      curvature[c] = w * q * (1 - q);
    }
  },
};

function largest(values: Float64Array, k: number): number {
  let max = values[0]!;
  for (let c = 1; c < k; c++) if (values[c]! > max) max = values[c]!;
  return max;
}

/** Writes exp(margins[c] − max) to `out[c]` and returns their sum. */
function shiftedExponentials(margins: Float64Array, k: number, max: number, out: Float64Array): number {
  let sum = 0;
  for (let c = 0; c < k; c++) sum += out[c] = Math.exp(margins[c]! - max);
  return sum;
}
