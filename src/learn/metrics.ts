/**
 * Evaluation metrics for the three tasks: what EVALUATE MODEL reports and DESCRIBE MODEL
 * and the evaluation pages show. Pure functions over typed arrays, no I/O.
 *
 * Conventions follow scikit-learn so every figure can be checked against it: precision
 * is 0 when nothing is predicted positive, F1 is 0 when precision + recall is 0, log loss
 * clips probabilities to [1e-15, 1 - 1e-15], R² is measured around the evaluation set's
 * own mean, and a score at or above the threshold counts as positive. A figure that is
 * undefined for the input (AUC with one class absent, anything over zero rows) is NaN.
 */
import { SqlmlError } from '../errors.js';

/** Probabilities are clipped to [ε, 1 − ε] before the log, as scikit-learn's `log_loss`. */
const PROBABILITY_EPSILON = 1e-15;

/** Binary classification figures at one threshold, plus the threshold-free AUC and log loss. */
export interface BinaryMetrics {
  /** Area under the ROC curve, exact, ties counted half; NaN when one class is absent. */
  readonly auc: number;
  readonly accuracy: number;
  /** tp / (tp + fp); 0 when nothing is predicted positive. */
  readonly precision: number;
  /** tp / (tp + fn); 0 when no label is positive. */
  readonly recall: number;
  /** Harmonic mean of precision and recall; 0 when both are 0. */
  readonly f1: number;
  /** Mean negative log-likelihood of the labels, probabilities clipped to [1e-15, 1 - 1e-15]. */
  readonly logLoss: number;
  /** The cut-off used: a score ≥ threshold is predicted positive. */
  readonly threshold: number;
  readonly rows: number;
  /** True positives at the threshold. */
  readonly tp: number;
  /** False positives at the threshold. */
  readonly fp: number;
  /** True negatives at the threshold. */
  readonly tn: number;
  /** False negatives at the threshold. */
  readonly fn: number;
}

/** Per-class figures of a multiclass evaluation, one-vs-rest. */
export interface ClassMetrics {
  /** Of the rows predicted as this class, the share that are; 0 when none is predicted. */
  readonly precision: number;
  /** Of the rows of this class, the share predicted as it; 0 when the class has no rows. */
  readonly recall: number;
  readonly f1: number;
  /** How many rows carry this class as their label. */
  readonly support: number;
}

/** Multiclass figures; the predicted class of a row is its most probable one (first on ties). */
export interface MulticlassMetrics {
  readonly accuracy: number;
  /** Mean F1 over the classes present in the labels or the predictions. */
  readonly macroF1: number;
  /** Mean −log p(true class), p clipped to [1e-15, 1 - 1e-15]. */
  readonly logLoss: number;
  readonly rows: number;
  /** Row counts indexed `[actual][predicted]`, `classes × classes`. */
  readonly confusion: number[][];
  /** One entry per class index, classes absent from the data included (all zero). */
  readonly perClass: ClassMetrics[];
}

/** Regression figures, with the baseline a model has to beat. */
export interface RegressionMetrics {
  readonly rmse: number;
  readonly mae: number;
  /** 1 − SSE/SST, SST around the evaluation rows' own mean (as scikit-learn's `r2_score`). */
  readonly r2: number;
  /** RMSE of always predicting the training mean: the figure `rmse` has to beat. */
  readonly baselineRmse: number;
  readonly rows: number;
}

/** A receiver operating characteristic curve, points ordered by decreasing threshold. */
export interface RocCurve {
  readonly fpr: number[];
  readonly tpr: number[];
  /** The score cut-off of each point; the first is +Infinity (nothing predicted positive). */
  readonly thresholds: number[];
}

/**
 * Binary metrics of `count` rows: labels are 0/1, scores are P(positive).
 * Throws when a label is not 0/1 or a score is NaN.
 */
export function binaryMetrics(
  labels: ArrayLike<number>,
  scores: ArrayLike<number>,
  count: number,
  threshold: number,
  sorted?: ScoresByClass,
): BinaryMetrics {
  checkRows('binary', count, labels, scores);
  if (Number.isNaN(threshold)) {
    throw new SqlmlError('bad_option', 'option threshold must be a number, not NaN.');
  }
  let tp = 0;
  let fp = 0;
  let tn = 0;
  let fn = 0;
  let lossSum = 0;
  for (let i = 0; i < count; i++) {
    const positive = binaryLabelAt(labels, i);
    const score = scoreAt(scores, i);
    if (score >= threshold) {
      if (positive) tp++;
      else fp++;
    } else if (positive) fn++;
    else tn++;
    // Clip the probability of the true label, not the score, as scikit-learn does: a
    // certain-but-wrong row then costs −ln(1e-15) whichever its class.
    lossSum -= Math.log(clipProbability(positive ? score : 1 - score));
  }
  const precision = safeRatio(tp, tp + fp);
  const recall = safeRatio(tp, tp + fn);
  return {
    auc: exactAuc(labels, scores, count, sorted),
    accuracy: (tp + tn) / count,
    precision,
    recall,
    f1: f1Score(precision, recall),
    logLoss: lossSum / count,
    threshold,
    rows: count,
    tp,
    fp,
    tn,
    fn,
  };
}

/**
 * Exact area under the ROC curve: the probability that a random positive outscores a
 * random negative, ties counted half (the Mann-Whitney U statistic with average ranks,
 * divided by positives × negatives). NaN when either class is absent.
 * O(n log n): each class's scores are copied into a typed array of the scores' own width and sorted natively (once, when the caller passes `sorted`).
 */
export function exactAuc(labels: ArrayLike<number>, scores: ArrayLike<number>, count: number, sorted?: ScoresByClass): number {
  checkRows('binary', count, labels, scores);
  const { positives, negatives } = sorted ?? sortedScoresByClass(labels, scores, count);
  const positiveCount = positives.length;
  const negativeCount = negatives.length;
  if (positiveCount === 0 || negativeCount === 0) return NaN;
  // Both sides ascending, so the negatives below / at-or-below a positive only move forward.
  let below = 0;
  let atOrBelow = 0;
  let wins = 0;
  for (let i = 0; i < positiveCount; i++) {
    const score = positives[i]!;
    while (below < negativeCount && negatives[below]! < score) below++;
    if (atOrBelow < below) atOrBelow = below;
    while (atOrBelow < negativeCount && negatives[atOrBelow]! <= score) atOrBelow++;
    wins += below + 0.5 * (atOrBelow - below);
  }
  return wins / (positiveCount * negativeCount);
}

/**
 * The ROC curve: one point per distinct score (as scikit-learn's `roc_curve` with
 * `drop_intermediate=False`), starting at (0, 0) with threshold +Infinity and ending at
 * (1, 1). When there are more than `maxPoints` points, evenly spaced ones are kept, the
 * first and last always among them. With one class absent its rate is NaN throughout.
 */
export function rocCurve(
  labels: ArrayLike<number>,
  scores: ArrayLike<number>,
  count: number,
  maxPoints = 200,
  sorted?: ScoresByClass,
): RocCurve {
  checkRows('binary', count, labels, scores);
  if (!Number.isInteger(maxPoints) || maxPoints < 2) {
    throw new SqlmlError('bad_option', `option maxPoints must be an integer of at least 2, not ${maxPoints}.`);
  }
  const { positives, negatives } = sorted ?? sortedScoresByClass(labels, scores, count);
  const distinct = countDistinctScores(positives, negatives);
  const curve: RocCurve = { fpr: [0], tpr: [0], thresholds: [Infinity] };
  const pointCount = Math.min(distinct + 1, maxPoints);
  // Point k (k = 0 .. distinct) is the curve after the k highest distinct scores.
  const step = pointCount > 1 ? distinct / (pointCount - 1) : 0;
  let nextKept = 1;
  let nextPoint = Math.round(step * nextKept);
  let point = 0;
  let truePositives = 0;
  let falsePositives = 0;
  let p = positives.length - 1;
  let n = negatives.length - 1;
  while (p >= 0 || n >= 0) {
    const threshold = Math.max(p >= 0 ? positives[p]! : -Infinity, n >= 0 ? negatives[n]! : -Infinity);
    while (p >= 0 && positives[p]! >= threshold) {
      truePositives++;
      p--;
    }
    while (n >= 0 && negatives[n]! >= threshold) {
      falsePositives++;
      n--;
    }
    point++;
    if (point === nextPoint) {
      curve.fpr.push(falsePositives / negatives.length);
      curve.tpr.push(truePositives / positives.length);
      curve.thresholds.push(threshold);
      nextKept++;
      nextPoint = Math.round(step * nextKept);
    }
  }
  // Every later point divides by the class size; the first point agrees with them.
  if (negatives.length === 0) curve.fpr[0] = NaN;
  if (positives.length === 0) curve.tpr[0] = NaN;
  return curve;
}

/**
 * Multiclass metrics of `count` rows: `labels[i]` is the class index in [0, classes),
 * `probabilities` holds `classes` probabilities per row, row-major.
 * Throws when a label is out of range or a probability is NaN.
 */
export function multiclassMetrics(
  labels: ArrayLike<number>,
  probabilities: ArrayLike<number>,
  count: number,
  classes: number,
): MulticlassMetrics {
  if (!Number.isInteger(classes) || classes < 1) {
    throw new SqlmlError('internal', `multiclass metrics need a positive whole number of classes, not ${classes}.`);
  }
  checkCount('multiclass', count, labels.length, 'labels');
  checkCount('multiclass', count * classes, probabilities.length, 'probabilities');
  const confusion = new Float64Array(classes * classes);
  let lossSum = 0;
  for (let i = 0; i < count; i++) {
    const actual = labels[i]!;
    if (!Number.isInteger(actual) || actual < 0 || actual >= classes) {
      throw new SqlmlError(
        'internal',
        `multiclass metrics need class indexes in [0, ${classes}), but the label at index ${i} is ${actual}.`,
      );
    }
    const rowStart = i * classes;
    let predicted = 0;
    let best = -Infinity;
    for (let k = 0; k < classes; k++) {
      const p = probabilities[rowStart + k]!;
      if (Number.isNaN(p)) {
        throw new SqlmlError('training_failed', `the model gave no probability (NaN) for class ${k} at row ${i}.`);
      }
      if (p > best) {
        best = p;
        predicted = k;
      }
    }
    confusion[actual * classes + predicted]++;
    lossSum -= Math.log(clipProbability(probabilities[rowStart + actual]!));
  }

  const confusionRows: number[][] = [];
  for (let k = 0; k < classes; k++) {
    confusionRows.push(Array.from(confusion.subarray(k * classes, (k + 1) * classes)));
  }
  return multiclassMetricsFromConfusion(confusionRows, lossSum / count);
}

/**
 * Multiclass metrics from a confusion matrix `[actual][predicted]` of row counts and the
 * mean log loss, for callers that tally rows as they stream instead of keeping every
 * row's probabilities. `rows` is the matrix total. Throws when the matrix is not square
 * or holds a count that is not a non-negative whole number.
 */
export function multiclassMetricsFromConfusion(
  confusion: readonly (readonly number[])[],
  logLoss: number,
): MulticlassMetrics {
  const classes = confusion.length;
  confusion.forEach((row, actual) => {
    if (row.length !== classes) {
      throw new SqlmlError(
        'internal',
        `a confusion matrix of ${classes} classes needs ${classes} counts per row, ` +
          `but row ${actual} has ${row.length}.`,
      );
    }
    row.forEach((rowCount, predicted) => {
      if (!Number.isInteger(rowCount) || rowCount < 0) {
        throw new SqlmlError(
          'internal',
          `a confusion matrix holds whole row counts, but cell [${actual}][${predicted}] is ${rowCount}.`,
        );
      }
    });
  });
  let rows = 0;
  let correct = 0;
  let f1Sum = 0;
  let classesSeen = 0;
  const perClass: ClassMetrics[] = [];
  for (let k = 0; k < classes; k++) {
    let support = 0;
    let predictedAs = 0;
    for (let j = 0; j < classes; j++) {
      support += confusion[k]![j]!;
      predictedAs += confusion[j]![k]!;
    }
    const hits = confusion[k]![k]!;
    const precision = safeRatio(hits, predictedAs);
    const recall = safeRatio(hits, support);
    const f1 = f1Score(precision, recall);
    perClass.push({ precision, recall, f1, support });
    rows += support;
    correct += hits;
    if (support + predictedAs > 0) {
      f1Sum += f1;
      classesSeen++;
    }
  }
  return {
    accuracy: correct / rows,
    macroF1: f1Sum / classesSeen,
    logLoss,
    rows,
    confusion: confusion.map((row) => [...row]),
    perClass,
  };
}

/**
 * Regression metrics of `count` rows, with the RMSE of always predicting `trainingMean`
 * as the baseline. R² follows scikit-learn: NaN under two rows, and when the actual
 * values are all equal, 1 for a perfect prediction and 0 otherwise.
 * Throws when a value is NaN.
 */
export function regressionMetrics(
  actual: ArrayLike<number>,
  predicted: ArrayLike<number>,
  count: number,
  trainingMean: number,
): RegressionMetrics {
  checkCount('regression', count, actual.length, 'actual values');
  checkCount('regression', count, predicted.length, 'predictions');
  let actualSum = 0;
  let squaredError = 0;
  let absoluteError = 0;
  let baselineSquaredError = 0;
  for (let i = 0; i < count; i++) {
    const y = actual[i]!;
    const prediction = predicted[i]!;
    if (Number.isNaN(y)) {
      throw new SqlmlError('internal', `regression metrics need a number for every actual value, but index ${i} is NaN.`);
    }
    if (Number.isNaN(prediction)) {
      throw new SqlmlError('training_failed', `the model gave no prediction (NaN) at row ${i}.`);
    }
    const error = y - prediction;
    squaredError += error * error;
    absoluteError += Math.abs(error);
    const baselineError = y - trainingMean;
    baselineSquaredError += baselineError * baselineError;
    actualSum += y;
  }
  // A second pass around the exact mean: Σy² − n·mean² cancels badly for large targets.
  const mean = actualSum / count;
  let totalSquares = 0;
  for (let i = 0; i < count; i++) {
    const deviation = actual[i]! - mean;
    totalSquares += deviation * deviation;
  }
  let r2: number;
  if (count < 2) r2 = NaN;
  else if (totalSquares === 0) r2 = squaredError === 0 ? 1 : 0;
  else r2 = 1 - squaredError / totalSquares;
  return {
    rmse: Math.sqrt(squaredError / count),
    mae: absoluteError / count,
    r2,
    baselineRmse: Math.sqrt(baselineSquaredError / count),
    rows: count,
  };
}

/** A binary held-out set's scores split by label and sorted ascending: what AUC and the ROC curve both walk. */
export interface ScoresByClass {
  readonly positives: SortedScores;
  readonly negatives: SortedScores;
}

/**
 * Sorts once for `binaryMetrics` and `rocCurve` (their optional `sorted` argument) on
 * the same labels and scores: on a large held-out set the sort is most of their work.
 */
export function sortedScoresByClass(labels: ArrayLike<number>, scores: ArrayLike<number>, count: number): ScoresByClass {
  let positiveCount = 0;
  for (let i = 0; i < count; i++) {
    if (binaryLabelAt(labels, i)) positiveCount++;
  }
  // Float32 scores (the engine's evaluation keeps them so) are sorted as float32: the
  // same order and ties, in half the memory of a held-out set's worth of copies.
  const Sorted = scores instanceof Float32Array ? Float32Array : Float64Array;
  const positives = new Sorted(positiveCount);
  const negatives = new Sorted(count - positiveCount);
  let p = 0;
  let n = 0;
  for (let i = 0; i < count; i++) {
    const score = scoreAt(scores, i);
    if (labels[i] === 1) positives[p++] = score;
    else negatives[n++] = score;
  }
  // Typed-array sort is numeric and native: no comparator call per pair.
  positives.sort();
  negatives.sort();
  return { positives, negatives };
}

type SortedScores = Float32Array | Float64Array;

function countDistinctScores(positives: SortedScores, negatives: SortedScores): number {
  let distinct = 0;
  let p = 0;
  let n = 0;
  while (p < positives.length || n < negatives.length) {
    const score = Math.min(
      p < positives.length ? positives[p]! : Infinity,
      n < negatives.length ? negatives[n]! : Infinity,
    );
    while (p < positives.length && positives[p]! <= score) p++;
    while (n < negatives.length && negatives[n]! <= score) n++;
    distinct++;
  }
  return distinct;
}

function binaryLabelAt(labels: ArrayLike<number>, index: number): boolean {
  const label = labels[index];
  if (label === 1) return true;
  if (label === 0) return false;
  throw new SqlmlError('internal', `binary metrics need labels 0 or 1, but the label at index ${index} is ${label}.`);
}

function scoreAt(scores: ArrayLike<number>, index: number): number {
  const score = scores[index]!;
  if (Number.isNaN(score)) {
    throw new SqlmlError('training_failed', `the model gave no score (NaN) at row ${index}.`);
  }
  return score;
}

function checkRows(task: string, count: number, labels: ArrayLike<number>, scores: ArrayLike<number>): void {
  checkCount(task, count, labels.length, 'labels');
  checkCount(task, count, scores.length, 'scores');
}

function checkCount(task: string, needed: number, available: number, what: string): void {
  if (!Number.isInteger(needed) || needed < 0) {
    throw new SqlmlError('internal', `${task} metrics need a whole row count, not ${needed}.`);
  }
  if (needed > available) {
    throw new SqlmlError('internal', `${task} metrics need ${needed} ${what} but were given ${available}.`);
  }
}

function clipProbability(p: number): number {
  return Math.min(Math.max(p, PROBABILITY_EPSILON), 1 - PROBABILITY_EPSILON);
}

function safeRatio(numerator: number, denominator: number): number {
  return denominator === 0 ? 0 : numerator / denominator;
}

function f1Score(precision: number, recall: number): number {
  const sum = precision + recall;
  return sum === 0 ? 0 : (2 * precision * recall) / sum;
}
