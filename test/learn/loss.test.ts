import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import {
  logisticLoss,
  logSumExp,
  sigmoid,
  softmaxInto,
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
