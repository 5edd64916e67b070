import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { SqlmlError } from '../../src/errors.js';
import {
  binaryMetrics,
  exactAuc,
  multiclassMetrics,
  multiclassMetricsFromConfusion,
  regressionMetrics,
  rocCurve,
} from '../../src/learn/metrics.js';

/** The definition: over every (positive, negative) pair, 1 for a win, ½ for a tie. */
function bruteForceAuc(labels: readonly number[], scores: readonly number[]): number {
  let wins = 0;
  let pairs = 0;
  for (let i = 0; i < labels.length; i++) {
    if (labels[i] !== 1) continue;
    for (let j = 0; j < labels.length; j++) {
      if (labels[j] !== 0) continue;
      pairs++;
      if (scores[i]! > scores[j]!) wins += 1;
      else if (scores[i] === scores[j]) wins += 0.5;
    }
  }
  return pairs === 0 ? NaN : wins / pairs;
}

/** Trapezoidal area under a curve given as parallel x/y arrays. */
function trapezoidArea(x: readonly number[], y: readonly number[]): number {
  let area = 0;
  for (let i = 1; i < x.length; i++) area += ((x[i]! - x[i - 1]!) * (y[i]! + y[i - 1]!)) / 2;
  return area;
}

/** Labels with scores drawn from a few values so that ties are common. */
const labelledScores = fc
  .array(fc.tuple(fc.integer({ min: 0, max: 1 }), fc.integer({ min: 0, max: 6 })), { minLength: 0, maxLength: 40 })
  .map((pairs) => ({ labels: pairs.map(([label]) => label), scores: pairs.map(([, score]) => score / 6) }));

function expectSqlmlError(run: () => unknown, code: string, fragment: string): void {
  try {
    run();
  } catch (error) {
    expect(error).toBeInstanceOf(SqlmlError);
    expect((error as SqlmlError).code).toBe(code);
    expect((error as SqlmlError).message).toContain(fragment);
    return;
  }
  throw new Error('expected an SqlmlError');
}

describe('binaryMetrics', () => {
  // Positives score 0.9, 0.6, 0.3; negatives 0.8, 0.6, 0.1 (one tie across classes).
  const labels = new Float64Array([1, 0, 1, 0, 1, 0]);
  const scores = new Float64Array([0.9, 0.8, 0.6, 0.6, 0.3, 0.1]);

  it('counts the confusion at the threshold, a score equal to it counting as positive', () => {
    // ≥ 0.5: 0.9 (pos, tp), 0.8 (neg, fp), 0.6 (pos, tp), 0.6 (neg, fp); below: 0.3 (pos, fn), 0.1 (neg, tn).
    const metrics = binaryMetrics(labels, scores, 6, 0.5);
    expect([metrics.tp, metrics.fp, metrics.tn, metrics.fn]).toEqual([2, 2, 1, 1]);
    expect(metrics.rows).toBe(6);
    expect(metrics.threshold).toBe(0.5);
    expect(metrics.accuracy).toBe(3 / 6);
    expect(metrics.precision).toBe(2 / 4);
    expect(metrics.recall).toBe(2 / 3);
    // F1 = 2·½·⅔ / (½ + ⅔) = (2/3) / (7/6) = 4/7.
    expect(metrics.f1).toBeCloseTo(4 / 7, 15);

    const atTie = binaryMetrics(labels, scores, 6, 0.6);
    expect([atTie.tp, atTie.fp, atTie.tn, atTie.fn]).toEqual([2, 2, 1, 1]);
    const aboveTie = binaryMetrics(labels, scores, 6, 0.61);
    expect([aboveTie.tp, aboveTie.fp, aboveTie.tn, aboveTie.fn]).toEqual([1, 1, 2, 2]);
  });

  it('computes AUC with half credit for the tied pair', () => {
    // 0.9 beats all 3 negatives: 3; 0.6 loses to 0.8, ties 0.6, beats 0.1: 1.5; 0.3 beats 0.1 only: 1.
    // (3 + 1.5 + 1) / (3 · 3) = 5.5 / 9.
    expect(binaryMetrics(labels, scores, 6, 0.5).auc).toBeCloseTo(5.5 / 9, 15);
  });

  it('computes log loss as the mean negative log-likelihood', () => {
    // Positives contribute −ln 0.9, −ln 0.6, −ln 0.3; negatives −ln(1−0.8), −ln(1−0.6), −ln(1−0.1).
    // (0.1053605 + 0.5108256 + 1.2039728 + 1.6094379 + 0.9162907 + 0.1053605) / 6 = 0.7418747.
    const expected = -(2 * Math.log(0.9) + Math.log(0.6) + Math.log(0.3) + Math.log(0.2) + Math.log(0.4)) / 6;
    expect(binaryMetrics(labels, scores, 6, 0.5).logLoss).toBeCloseTo(expected, 14);
    expect(binaryMetrics(labels, scores, 6, 0.5).logLoss).toBeCloseTo(0.7418747, 7);
  });

  it('clips certain-but-wrong probabilities to 1e-15 instead of giving Infinity', () => {
    // Both rows certain and wrong: each contributes −ln(1e-15) = 34.538776 (for the negative,
    // 1 − 1 = 0 is clipped, as scikit-learn clips the probability of each label).
    const metrics = binaryMetrics([1, 0], [0, 1], 2, 0.5);
    expect(metrics.logLoss).toBeCloseTo(-Math.log(1e-15), 3);
    expect(metrics.logLoss).toBeCloseTo(34.538776, 5);
    expect(Number.isFinite(binaryMetrics([1, 0], [1, 0], 2, 0.5).logLoss)).toBe(true);
  });

  it('scores a perfect classifier 1 and an inverted one 0', () => {
    const perfect = binaryMetrics([0, 0, 1, 1], [0.1, 0.2, 0.8, 0.9], 4, 0.5);
    expect(perfect).toMatchObject({ auc: 1, accuracy: 1, precision: 1, recall: 1, f1: 1 });
    const inverted = binaryMetrics([1, 1, 0, 0], [0.1, 0.2, 0.8, 0.9], 4, 0.5);
    expect(inverted).toMatchObject({ auc: 0, accuracy: 0, precision: 0, recall: 0, f1: 0 });
  });

  it('reports precision and F1 as 0 when nothing is predicted positive', () => {
    const metrics = binaryMetrics([1, 0, 1], [0.2, 0.1, 0.3], 3, 0.5);
    expect(metrics).toMatchObject({ tp: 0, fp: 0, tn: 1, fn: 2, precision: 0, recall: 0, f1: 0 });
    expect(metrics.accuracy).toBe(1 / 3);
  });

  it('only reads the first count rows of reused buffers', () => {
    const metrics = binaryMetrics(new Float64Array([1, 0, 0, 0]), new Float64Array([0.9, 0.1, 0.99, 0.99]), 2, 0.5);
    expect(metrics).toMatchObject({ rows: 2, auc: 1, accuracy: 1, fp: 0 });
  });

  it('gives NaN rather than a number for figures undefined on zero rows', () => {
    const metrics = binaryMetrics([], [], 0, 0.5);
    expect(metrics.auc).toBeNaN();
    expect(metrics.accuracy).toBeNaN();
    expect(metrics.logLoss).toBeNaN();
    expect(metrics.rows).toBe(0);
  });

  it('rejects a label other than 0/1 and a NaN score, naming the index', () => {
    expectSqlmlError(() => binaryMetrics([0, 2], [0.1, 0.2], 2, 0.5), 'internal', 'label at index 1 is 2');
    expectSqlmlError(() => binaryMetrics([0, 1], [0.1, NaN], 2, 0.5), 'training_failed', 'row 1');
    expectSqlmlError(() => binaryMetrics([0, 1], [0.1, 0.2], 3, 0.5), 'internal', 'need 3 labels but were given 2');
    expectSqlmlError(() => binaryMetrics([0, 1], [0.1, 0.2], 2, NaN), 'bad_option', 'threshold');
  });
});

describe('exactAuc', () => {
  it('is 0.5 when every score is equal', () => {
    expect(exactAuc([1, 0, 1, 0, 0], [0.3, 0.3, 0.3, 0.3, 0.3], 5)).toBe(0.5);
  });

  it('is NaN when one class is absent', () => {
    expect(exactAuc([1, 1, 1], [0.1, 0.5, 0.9], 3)).toBeNaN();
    expect(exactAuc([0, 0], [0.1, 0.5], 2)).toBeNaN();
  });

  it('handles runs of ties on both sides', () => {
    // Positives 0.5, 0.5, 0.7; negatives 0.5, 0.5, 0.2.
    // Each 0.5 positive: beats 0.2 (1) + ties two 0.5s (1) = 2; 0.7 beats all three: 3. (2 + 2 + 3) / 9.
    expect(exactAuc([1, 1, 1, 0, 0, 0], [0.5, 0.5, 0.7, 0.5, 0.5, 0.2], 6)).toBeCloseTo(7 / 9, 15);
  });

  it('treats -0 and +0 as the same score', () => {
    expect(exactAuc([1, 0], [-0, 0], 2)).toBe(0.5);
  });

  it('equals the pairwise definition on random inputs with ties', () => {
    fc.assert(
      fc.property(labelledScores, ({ labels, scores }) => {
        const expected = bruteForceAuc(labels, scores);
        const actual = exactAuc(labels, scores, labels.length);
        if (Number.isNaN(expected)) expect(actual).toBeNaN();
        else expect(actual).toBeCloseTo(expected, 12);
      }),
      { numRuns: 300 },
    );
  });

  it('does not change under a strictly increasing transform of the scores', () => {
    const transforms: ((score: number) => number)[] = [
      (s) => Math.exp(3 * s) - 10,
      (s) => s * s * s * 1000,
      (s) => Math.log(s + 0.001),
    ];
    fc.assert(
      fc.property(labelledScores, fc.integer({ min: 0, max: transforms.length - 1 }), ({ labels, scores }, which) => {
        const transformed = scores.map(transforms[which]!);
        const original = exactAuc(labels, scores, labels.length);
        const after = exactAuc(labels, transformed, labels.length);
        if (Number.isNaN(original)) expect(after).toBeNaN();
        else expect(after).toBe(original);
      }),
      { numRuns: 200 },
    );
  });
});

describe('rocCurve', () => {
  // Distinct scores, highest first: 0.9 (pos), 0.8 (neg), 0.6 (pos + neg), 0.3 (pos), 0.1 (neg).
  const labels = [1, 0, 1, 0, 1, 0];
  const scores = [0.9, 0.8, 0.6, 0.6, 0.3, 0.1];

  it('has one point per distinct score, from (0,0) at +Infinity to (1,1)', () => {
    const curve = rocCurve(labels, scores, 6);
    expect(curve.thresholds).toEqual([Infinity, 0.9, 0.8, 0.6, 0.3, 0.1]);
    expect(curve.fpr).toEqual([0, 0, 1 / 3, 2 / 3, 2 / 3, 1]);
    expect(curve.tpr).toEqual([0, 1 / 3, 1 / 3, 2 / 3, 1, 1]);
  });

  it('keeps evenly spaced points, first and last included, when there are too many', () => {
    // 6 points (indexes 0..5), 3 kept: indexes 0, round(2.5) = 3, 5.
    const curve = rocCurve(labels, scores, 6, 3);
    expect(curve.thresholds).toEqual([Infinity, 0.6, 0.1]);
    expect(curve.fpr).toEqual([0, 2 / 3, 1]);
    expect(curve.tpr).toEqual([0, 2 / 3, 1]);
  });

  it('encloses the exact AUC under its trapezoids when no point is dropped', () => {
    fc.assert(
      fc.property(labelledScores, ({ labels: randomLabels, scores: randomScores }) => {
        const auc = exactAuc(randomLabels, randomScores, randomLabels.length);
        fc.pre(!Number.isNaN(auc));
        const curve = rocCurve(randomLabels, randomScores, randomLabels.length, 1000);
        expect(trapezoidArea(curve.fpr, curve.tpr)).toBeCloseTo(auc, 12);
        expect(curve.fpr.at(-1)).toBe(1);
        expect(curve.tpr.at(-1)).toBe(1);
      }),
      { numRuns: 200 },
    );
  });

  it('never returns more than maxPoints points', () => {
    const many = Array.from({ length: 1000 }, (_, i) => i / 1000);
    const manyLabels = many.map((_, i) => i % 2);
    const curve = rocCurve(manyLabels, many, 1000, 50);
    expect(curve.fpr).toHaveLength(50);
    expect(curve.thresholds[0]).toBe(Infinity);
    expect(curve.thresholds.at(-1)).toBe(0);
    expect(curve.thresholds.slice(1).every((t, i) => t < curve.thresholds[i]!)).toBe(true);
  });

  it('gives NaN rates for an absent class and rejects fewer than two points', () => {
    const curve = rocCurve([1, 1], [0.2, 0.7], 2);
    expect(curve.tpr).toEqual([0, 0.5, 1]);
    expect(curve.fpr.every(Number.isNaN)).toBe(true);
    expectSqlmlError(() => rocCurve(labels, scores, 6, 1), 'bad_option', 'maxPoints');
  });
});

describe('multiclassMetrics', () => {
  // Three classes, seven rows; predicted = most probable class, the first on ties (row 5).
  const labels = new Float64Array([0, 0, 1, 1, 2, 2, 2]);
  const probabilities = new Float64Array([
    0.7, 0.2, 0.1, // actual 0 → predicted 0
    0.3, 0.6, 0.1, // actual 0 → predicted 1
    0.2, 0.5, 0.3, // actual 1 → predicted 1
    0.1, 0.2, 0.7, // actual 1 → predicted 2
    0.1, 0.1, 0.8, // actual 2 → predicted 2
    0.4, 0.4, 0.2, // actual 2 → predicted 0 (tie between 0 and 1)
    0.2, 0.3, 0.5, // actual 2 → predicted 2
  ]);

  it('builds the confusion matrix as [actual][predicted]', () => {
    const metrics = multiclassMetrics(labels, probabilities, 7, 3);
    expect(metrics.confusion).toEqual([
      [1, 1, 0],
      [0, 1, 1],
      [1, 0, 2],
    ]);
    expect(metrics.rows).toBe(7);
    // Diagonal 1 + 1 + 2 = 4 of 7.
    expect(metrics.accuracy).toBe(4 / 7);
  });

  it('computes per-class precision, recall, F1 and support', () => {
    const { perClass } = multiclassMetrics(labels, probabilities, 7, 3);
    // Class 0: 1 hit of 2 predicted (column) and of 2 actual (row).
    expect(perClass[0]).toEqual({ precision: 0.5, recall: 0.5, f1: 0.5, support: 2 });
    // Class 1: 1 hit of 2 predicted and of 2 actual.
    expect(perClass[1]).toEqual({ precision: 0.5, recall: 0.5, f1: 0.5, support: 2 });
    // Class 2: 2 hits of 3 predicted and of 3 actual.
    expect(perClass[2]!.precision).toBe(2 / 3);
    expect(perClass[2]!.recall).toBe(2 / 3);
    expect(perClass[2]!.f1).toBeCloseTo(2 / 3, 15);
    expect(perClass[2]!.support).toBe(3);
  });

  it('averages macro-F1 over the classes present only', () => {
    // (0.5 + 0.5 + 2/3) / 3 = 5/9.
    expect(multiclassMetrics(labels, probabilities, 7, 3).macroF1).toBeCloseTo(5 / 9, 15);
    // A fourth class that no row has and no row is predicted as does not drag the mean down.
    const withAbsentClass = new Float64Array(7 * 4);
    for (let row = 0; row < 7; row++) withAbsentClass.set(probabilities.subarray(row * 3, row * 3 + 3), row * 4);
    const metrics = multiclassMetrics(labels, withAbsentClass, 7, 4);
    expect(metrics.macroF1).toBeCloseTo(5 / 9, 15);
    expect(metrics.perClass[3]).toEqual({ precision: 0, recall: 0, f1: 0, support: 0 });
    expect(metrics.confusion[3]).toEqual([0, 0, 0, 0]);
  });

  it('counts a class that is only predicted in macro-F1, with F1 0', () => {
    // Labels 0, 0; predictions 0, 1: class 0 F1 = 2·1·½/(1+½) = 2/3; class 1 F1 = 0. Mean over both = 1/3.
    const metrics = multiclassMetrics([0, 0], [0.9, 0.1, 0.2, 0.8], 2, 2);
    expect(metrics.macroF1).toBeCloseTo(1 / 3, 15);
  });

  it('computes log loss from the probability given to the true class', () => {
    // True-class probabilities: 0.7, 0.3, 0.5, 0.2, 0.8, 0.2, 0.5; −ln of each:
    // 0.3566749 + 1.2039728 + 0.6931472 + 1.6094379 + 0.2231436 + 1.6094379 + 0.6931472 = 6.3889615; / 7 = 0.9127088.
    const expected = -(Math.log(0.7) + Math.log(0.3) + 2 * Math.log(0.5) + 2 * Math.log(0.2) + Math.log(0.8)) / 7;
    const metrics = multiclassMetrics(labels, probabilities, 7, 3);
    expect(metrics.logLoss).toBeCloseTo(expected, 14);
    expect(metrics.logLoss).toBeCloseTo(0.9127088, 7);
  });

  it('rejects a label outside the classes and a NaN probability', () => {
    expectSqlmlError(() => multiclassMetrics([0, 3], [1, 0, 0, 0, 0, 1], 2, 3), 'internal', 'label at index 1 is 3');
    expectSqlmlError(() => multiclassMetrics([0, 1.5], [1, 0, 0, 0, 0, 1], 2, 3), 'internal', 'index 1 is 1.5');
    expectSqlmlError(() => multiclassMetrics([0], [1, NaN, 0], 1, 3), 'training_failed', 'class 1 at row 0');
    expectSqlmlError(() => multiclassMetrics([0, 1], [1, 0, 0], 2, 3), 'internal', 'need 6 probabilities');
  });
});

describe('multiclassMetricsFromConfusion', () => {
  it('gives the same figures as the row-level function for the same confusion matrix', () => {
    // The matrix of the multiclassMetrics example: 7 rows, diagonal 4.
    const metrics = multiclassMetricsFromConfusion(
      [
        [1, 1, 0],
        [0, 1, 1],
        [1, 0, 2],
      ],
      0.25,
    );
    expect(metrics.rows).toBe(7);
    expect(metrics.accuracy).toBe(4 / 7);
    expect(metrics.macroF1).toBeCloseTo(5 / 9, 15);
    expect(metrics.logLoss).toBe(0.25);
    expect(metrics.perClass.map((c) => c.support)).toEqual([2, 2, 3]);
  });

  it('copies the matrix rather than sharing it', () => {
    const confusion = [
      [2, 0],
      [1, 1],
    ];
    const metrics = multiclassMetricsFromConfusion(confusion, 0.1);
    confusion[0]![0] = 99;
    expect(metrics.confusion[0]).toEqual([2, 0]);
  });

  it('rejects a matrix that is not square or holds a fractional count', () => {
    expectSqlmlError(() => multiclassMetricsFromConfusion([[1, 2], [3]], 0), 'internal', 'row 1 has 1');
    expectSqlmlError(() => multiclassMetricsFromConfusion([[1, 0.5], [0, 1]], 0), 'internal', 'cell [0][1] is 0.5');
  });
});

describe('regressionMetrics', () => {
  // Actual 3, −0.5, 2, 7; predicted 2.5, 0, 2, 8 → errors 0.5, −0.5, 0, −1.
  const actual = new Float64Array([3, -0.5, 2, 7]);
  const predicted = new Float64Array([2.5, 0, 2, 8]);

  it('computes RMSE, MAE and R² by hand', () => {
    const metrics = regressionMetrics(actual, predicted, 4, 2);
    // SSE = 0.25 + 0.25 + 0 + 1 = 1.5; RMSE = √(1.5/4) = 0.6123724.
    expect(metrics.rmse).toBeCloseTo(Math.sqrt(0.375), 15);
    // MAE = (0.5 + 0.5 + 0 + 1) / 4 = 0.5.
    expect(metrics.mae).toBe(0.5);
    // Mean 2.875; SST = 0.125² + 3.375² + 0.875² + 4.125² = 29.1875; R² = 1 − 1.5/29.1875 = 0.9486081.
    expect(metrics.r2).toBeCloseTo(1 - 1.5 / 29.1875, 15);
    expect(metrics.r2).toBeCloseTo(0.9486081, 7);
    expect(metrics.rows).toBe(4);
  });

  it('measures the baseline against the training mean, not the evaluation mean', () => {
    // Training mean 2: errors 1, −2.5, 0, 5 → (1 + 6.25 + 0 + 25) / 4 = 8.0625; √ = 2.8394542.
    expect(regressionMetrics(actual, predicted, 4, 2).baselineRmse).toBeCloseTo(Math.sqrt(8.0625), 15);
    // At the evaluation mean (2.875) the baseline is √(SST/n) = √(29.1875/4).
    expect(regressionMetrics(actual, predicted, 4, 2.875).baselineRmse).toBeCloseTo(Math.sqrt(29.1875 / 4), 15);
  });

  it('follows scikit-learn for constant targets and too few rows', () => {
    expect(regressionMetrics([2, 2, 2], [2, 2, 2], 3, 0).r2).toBe(1);
    expect(regressionMetrics([2, 2, 2], [1, 2, 3], 3, 0).r2).toBe(0);
    expect(regressionMetrics([2], [1], 1, 0).r2).toBeNaN();
  });

  it('gives a negative R² to a model worse than the evaluation mean', () => {
    // Actual 1, 2, 3 (mean 2, SST 2); predicted 3, 2, 1: SSE 8; R² = 1 − 8/2 = −3.
    expect(regressionMetrics([1, 2, 3], [3, 2, 1], 3, 0).r2).toBe(-3);
  });

  it('keeps R² accurate for large targets with a small spread', () => {
    // Actual 1e9 + {0, 1, 2}: SST = 2 exactly; predicted 1e9 + 1 everywhere: SSE = 2 → R² = 0.
    expect(regressionMetrics([1e9, 1e9 + 1, 1e9 + 2], [1e9 + 1, 1e9 + 1, 1e9 + 1], 3, 0).r2).toBe(0);
  });

  it('rejects NaN in either input', () => {
    expectSqlmlError(() => regressionMetrics([1, NaN], [1, 2], 2, 0), 'internal', 'index 1 is NaN');
    expectSqlmlError(() => regressionMetrics([1, 2], [NaN, 2], 2, 0), 'training_failed', 'row 0');
  });
});
