import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import {
  logisticLoss,
  logSumExp,
  sigmoid,
  softmaxInto,
  softmaxCrossEntropy,
  softmaxLoss,
  softplus,
  squaredLoss,
} from '../../src/learn/loss.js';

describe('logistic loss', () => {
  it('is ln 2 at margin 0 for either label, with derivative -0.5 for y=1 and 0.5 for y=0', () => {
    expect(logisticLoss.loss(0, 1)).toBeCloseTo(Math.LN2, 15);
    expect(logisticLoss.loss(0, 0)).toBeCloseTo(Math.LN2, 15);
    expect(logisticLoss.dloss(0, 1)).toBe(-0.5);
    expect(logisticLoss.dloss(0, 0)).toBe(0.5);
  });

  it('matches hand-computed values at margin 2', () => {
    // log(1 + e^-2) = 0.1269280110429725, sigmoid(2) = 0.8807970779778823
    expect(logisticLoss.loss(2, 1)).toBeCloseTo(0.1269280110429725, 14);
    expect(logisticLoss.loss(2, 0)).toBeCloseTo(2.1269280110429727, 14);
    expect(logisticLoss.dloss(2, 1)).toBeCloseTo(0.8807970779778823 - 1, 14);
    expect(logisticLoss.dloss(2, 0)).toBeCloseTo(0.8807970779778823, 14);
  });

  it('keeps tiny losses exact and large ones finite at |margin| = 50', () => {
    // log1p(e^-50) = 1.9287498479639178e-22: a naive log(1 + e^-50) would give 0.
    expect(logisticLoss.loss(50, 1) / 1.9287498479639178e-22).toBeCloseTo(1, 12);
    expect(logisticLoss.loss(-50, 1)).toBeCloseTo(50, 12);
    expect(logisticLoss.loss(50, 0)).toBeCloseTo(50, 12);
    expect(logisticLoss.dloss(50, 1)).toBeCloseTo(-1.9287498479639178e-22, 30);
    expect(logisticLoss.dloss(-50, 1)).toBeCloseTo(-1, 15);
  });

  it('does not overflow at |margin| = 1000', () => {
    expect(logisticLoss.loss(1000, 1)).toBe(0);
    expect(logisticLoss.loss(-1000, 1)).toBe(1000);
    expect(logisticLoss.loss(1000, 0)).toBe(1000);
    expect(logisticLoss.loss(-1000, 0)).toBe(0);
    expect(Math.abs(logisticLoss.dloss(1000, 1))).toBe(0);
    expect(logisticLoss.dloss(-1000, 1)).toBe(-1);
    expect(logisticLoss.dloss(1000, 0)).toBe(1);
    expect(logisticLoss.dloss(-1000, 0)).toBe(0);
  });

  it('has sigmoid and softplus finite and exact in the tails', () => {
    expect(sigmoid(800)).toBe(1);
    expect(sigmoid(-800)).toBe(0);
    expect(sigmoid(-30)).toBeCloseTo(9.357622968839299e-14, 25);
    expect(softplus(800)).toBe(800);
    expect(softplus(-800)).toBe(0);
  });
});

describe('squared loss', () => {
  it('is half the squared residual, with the residual as derivative', () => {
    expect(squaredLoss.loss(3, 1)).toBe(2);
    expect(squaredLoss.dloss(3, 1)).toBe(2);
    expect(squaredLoss.loss(-1, 2)).toBe(4.5);
    expect(squaredLoss.dloss(-1, 2)).toBe(-3);
    expect(squaredLoss.loss(0.25, 0.25)).toBe(0);
  });
});

describe('softmax (multinomial logistic) loss', () => {
  it('is ln K for equal scores, with uniform probabilities', () => {
    const scores = new Float64Array([0, 0, 0]);
    expect(softmaxLoss(scores, 3, 1)).toBeCloseTo(Math.log(3), 15);
    const out = new Float64Array(3);
    softmaxInto(scores, 3, out);
    for (const p of out) expect(p).toBeCloseTo(1 / 3, 15);
  });

  it('matches hand-computed values for scores 1, 2, 3', () => {
    // lse = 3 + ln(1 + e^-1 + e^-2) = 3.40760596444438
    const scores = new Float64Array([1, 2, 3]);
    expect(logSumExp(scores, 3)).toBeCloseTo(3.40760596444438, 13);
    expect(softmaxLoss(scores, 3, 2)).toBeCloseTo(0.40760596444438, 13);
    expect(softmaxLoss(scores, 3, 0)).toBeCloseTo(2.40760596444438, 13);
    const out = new Float64Array(3);
    const lse = softmaxInto(scores, 3, out);
    expect(lse).toBeCloseTo(3.40760596444438, 13);
    expect(out[0]).toBeCloseTo(0.09003057317038046, 14);
    expect(out[1]).toBeCloseTo(0.24472847105479767, 14);
    expect(out[2]).toBeCloseTo(0.6652409557748219, 14);
  });

  it('stays finite for scores of ±1000 and can write the probabilities in place', () => {
    const scores = new Float64Array([1000, 0, -1000]);
    expect(softmaxLoss(scores, 3, 0)).toBe(0);
    expect(softmaxLoss(scores, 3, 1)).toBe(1000);
    expect(softmaxLoss(scores, 3, 2)).toBe(2000);
    softmaxInto(scores, 3, scores);
    expect([...scores]).toEqual([1, 0, 0]);
  });

  it('only reads the first k scores', () => {
    const scores = new Float64Array([0, Math.log(3), 1e9]);
    expect(softmaxLoss(scores, 2, 1)).toBeCloseTo(Math.log(4 / 3), 15);
  });
});

describe('lossAndSlope', () => {
  it('gives exactly loss and dloss, for both single-output losses, at any margin and label', () => {
    const slope = new Float64Array(1);
    fc.assert(
      fc.property(fc.double({ noNaN: true, min: -1e6, max: 1e6 }), fc.constantFrom(0, 1), (p, y) => {
        for (const loss of [logisticLoss, squaredLoss]) {
          expect(loss.lossAndSlope(p, y, slope)).toBe(loss.loss(p, y));
          expect(slope[0]).toBe(loss.dloss(p, y));
        }
      }),
    );
    // The branch points of the logistic loss.
    for (const p of [0, -0, 1e-300, -1e-300, 745, -745, 1000, -1000]) {
      for (const y of [0, 1]) {
        expect(logisticLoss.lossAndSlope(p, y, slope)).toBe(logisticLoss.loss(p, y));
        expect(slope[0]).toBe(logisticLoss.dloss(p, y));
      }
    }
  });
});

/** Central difference of f at x, with a step scaled to x. */
function derivative(f: (x: number) => number, x: number): number {
  const h = 1e-5 * Math.max(1, Math.abs(x));
  return (f(x + h) - f(x - h)) / (2 * h);
}

const moderateMargin = fc.double({ noNaN: true, min: -30, max: 30 });
const anyMargin = fc.double({ noNaN: true, noDefaultInfinity: true, min: -1e6, max: 1e6 });
const rowWeight = fc.double({ noNaN: true, min: 0.01, max: 100 });

describe('the weighted forms the full-batch finish sums', () => {
  it('are w times the loss and its derivative, for both single-output losses', () => {
    const slope = new Float64Array(1);
    fc.assert(
      fc.property(anyMargin, fc.constantFrom(0, 1), rowWeight, (p, y, w) => {
        for (const loss of [logisticLoss, squaredLoss]) {
          const value = loss.weightedLossAndSlope(p, y, w, slope);
          expect(value).toBeCloseTo(w * loss.loss(p, y), 6 - Math.ceil(Math.log10(Math.max(1, w * loss.loss(p, y)))));
          expect(Math.abs(slope[0]! - w * loss.dloss(p, y))).toBeLessThanOrEqual(1e-12 * Math.max(1, Math.abs(w * loss.dloss(p, y))));
        }
      }),
    );
  });

  it('give a curvature that is the derivative of the slope (finite differences)', () => {
    fc.assert(
      fc.property(moderateMargin, fc.constantFrom(0, 1), rowWeight, (p, y, w) => {
        for (const loss of [logisticLoss, squaredLoss]) {
          const numeric = derivative((x) => w * loss.dloss(x, y), p);
          expect(Math.abs(loss.weightedCurvature(p, y, w) - numeric)).toBeLessThanOrEqual(1e-6 * w);
        }
      }),
    );
  });

  it('keep the logistic curvature finite and within [0, w/4] at any margin, and 0 where it underflows', () => {
    fc.assert(
      fc.property(anyMargin, rowWeight, (p, w) => {
        const curvature = logisticLoss.weightedCurvature(p, 1, w);
        expect(Number.isFinite(curvature)).toBe(true);
        expect(curvature).toBeGreaterThanOrEqual(0);
        expect(curvature).toBeLessThanOrEqual((w / 4) * (1 + 1e-12));
      }),
    );
    expect(logisticLoss.weightedCurvature(0, 0, 2)).toBe(0.5);
    expect(logisticLoss.weightedCurvature(1000, 1, 1)).toBe(0);
    expect(logisticLoss.weightedCurvature(-1000, 0, 1)).toBe(0);
    expect(squaredLoss.weightedCurvature(1e9, 3, 2.5)).toBe(2.5);
  });
});

describe('softmax cross-entropy', () => {
  const classes = fc.integer({ min: 2, max: 6 });
  const marginsOf = (range: fc.Arbitrary<number>) =>
    classes.chain((k) => fc.tuple(fc.array(range, { minLength: k, maxLength: k }), fc.integer({ min: 0, max: k - 1 })));

  it('is w times softmaxLoss, with a gradient that sums to 0 and matches finite differences', () => {
    fc.assert(
      fc.property(marginsOf(moderateMargin), rowWeight, ([values, y], w) => {
        const k = values.length;
        const margins = Float64Array.from(values);
        const scratch = new Float64Array(k);
        const gradient = new Float64Array(k);
        const loss = softmaxCrossEntropy.weightedLossAndGradient(margins, k, y, w, scratch, gradient);
        expect(loss).toBeCloseTo(w * softmaxLoss(margins, k, y), 8);
        let sum = 0;
        for (let c = 0; c < k; c++) sum += gradient[c]!;
        expect(Math.abs(sum)).toBeLessThanOrEqual(1e-12 * w * k);
        for (let c = 0; c < k; c++) {
          const numeric = derivative((x) => {
            const moved = margins.slice();
            moved[c] = x;
            return w * softmaxLoss(moved, k, y);
          }, margins[c]!);
          expect(Math.abs(gradient[c]! - numeric)).toBeLessThanOrEqual(1e-6 * w);
        }
      }),
    );
  });

  it('gives the Hessian diagonal w·p(1 − p), the derivative of the gradient (finite differences)', () => {
    fc.assert(
      fc.property(marginsOf(moderateMargin), rowWeight, ([values, y], w) => {
        const k = values.length;
        const margins = Float64Array.from(values);
        const curvature = new Float64Array(k);
        softmaxCrossEntropy.weightedCurvature(margins, k, w, new Float64Array(k), curvature);
        for (let c = 0; c < k; c++) {
          const numeric = derivative((x) => {
            const moved = margins.slice();
            moved[c] = x;
            const gradient = new Float64Array(k);
            softmaxCrossEntropy.weightedLossAndGradient(moved, k, y, w, new Float64Array(k), gradient);
            return gradient[c]!;
          }, margins[c]!);
          expect(Math.abs(curvature[c]! - numeric)).toBeLessThanOrEqual(1e-6 * w);
        }
      }),
    );
  });

  it('stays finite at margins far past where exp overflows', () => {
    fc.assert(
      fc.property(marginsOf(anyMargin), rowWeight, ([values, y], w) => {
        const k = values.length;
        const margins = Float64Array.from(values);
        const gradient = new Float64Array(k);
        const curvature = new Float64Array(k);
        const loss = softmaxCrossEntropy.weightedLossAndGradient(margins, k, y, w, new Float64Array(k), gradient);
        softmaxCrossEntropy.weightedCurvature(margins, k, w, new Float64Array(k), curvature);
        expect(Number.isFinite(loss)).toBe(true);
        expect(loss).toBeGreaterThanOrEqual(0);
        for (let c = 0; c < k; c++) {
          expect(Math.abs(gradient[c]!)).toBeLessThanOrEqual(w * (1 + 1e-12));
          expect(curvature[c]).toBeGreaterThanOrEqual(0);
          expect(curvature[c]).toBeLessThanOrEqual((w / 4) * (1 + 1e-12));
        }
      }),
    );
    const margins = new Float64Array([1000, -1000, 0]);
    const gradient = new Float64Array(3);
    expect(softmaxCrossEntropy.weightedLossAndGradient(margins, 3, 1, 1, new Float64Array(3), gradient)).toBe(2000);
    expect([...gradient]).toEqual([1, -1, 0]);
  });
});
