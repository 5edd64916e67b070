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
  const tally = new BinaryTally(threshold);
  for (let i = 0; i < count; i++) tally.add(binaryLabelAt(labels, i), scoreAt(scores, i));
  return tally.metrics(exactAuc(labels, scores, count, sorted));
}

/**
 * The threshold figures and the log loss of a binary evaluation, tallied one row at a
 * time in the rows' order (so the log loss is the same sum whether the rows are held or
 * streamed past); the AUC, which needs every score, comes from elsewhere.
 */
export class BinaryTally {
  readonly threshold: number;
  #tp = 0;
  #fp = 0;
  #tn = 0;
  #fn = 0;
  #lossSum = 0;
  #rows = 0;

  constructor(threshold: number) {
    if (Number.isNaN(threshold)) {
      throw new SqlmlError('bad_option', 'option threshold must be a number, not NaN.');
    }
    this.threshold = threshold;
  }

  get rows(): number {
    return this.#rows;
  }

  /** One row: its label and its score, a number (not NaN). */
  add(positive: boolean, score: number): void {
    this.#rows++;
    if (score >= this.threshold) {
      if (positive) this.#tp++;
      else this.#fp++;
    } else if (positive) this.#fn++;
    else this.#tn++;
    // Clip the probability of the true label, not the score, as scikit-learn does: a
    // certain-but-wrong row then costs −ln(1e-15) whichever its class.
    this.#lossSum -= Math.log(clipProbability(positive ? score : 1 - score));
  }

  metrics(auc: number): BinaryMetrics {
    const tp = this.#tp;
    const fp = this.#fp;
    const tn = this.#tn;
    const fn = this.#fn;
    const count = this.#rows;
    const precision = safeRatio(tp, tp + fp);
    const recall = safeRatio(tp, tp + fn);
    return {
      auc,
      accuracy: (tp + tn) / count,
      precision,
      recall,
      f1: f1Score(precision, recall),
      logLoss: this.#lossSum / count,
      threshold: this.threshold,
      rows: count,
      tp,
      fp,
      tn,
      fn,
    };
  }
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
  const tally = new AucTally();
  forEachScoreRun(positives, negatives, (_score, p, n) => tally.add(p, n));
  return tally.auc;
}

/**
 * The exact AUC from the distinct scores in ascending order, each given as how many
 * positives and negatives hold it: every positive wins over the negatives below its
 * score and half of those at it. Every term is a multiple of ½ below 2^53, so the sum is
 * exact, and the same number whichever way the rows were grouped into runs.
 */
export class AucTally {
  #negativesBelow = 0;
  #positives = 0;
  #wins = 0;
  /** How many distinct scores were added. */
  distinct = 0;

  add(positives: number, negatives: number): void {
    if (positives > 0) this.#wins += positives * (this.#negativesBelow + 0.5 * negatives);
    this.#negativesBelow += negatives;
    this.#positives += positives;
    this.distinct++;
  }

  get positives(): number {
    return this.#positives;
  }

  get negatives(): number {
    return this.#negativesBelow;
  }

  get auc(): number {
    const negatives = this.#negativesBelow;
    const positives = this.#positives;
    return positives === 0 || negatives === 0 ? NaN : this.#wins / (positives * negatives);
  }
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
  checkMaxPoints(maxPoints);
  const { positives, negatives } = sorted ?? sortedScoresByClass(labels, scores, count);
  let distinct = 0;
  forEachScoreRun(positives, negatives, () => distinct++);
  const tally = new RocTally(distinct, positives.length, negatives.length, maxPoints);
  forEachScoreRun(positives, negatives, (score, p, n) => tally.add(score, p, n));
  return tally.curve();
}

function checkMaxPoints(maxPoints: number): void {
  if (!Number.isInteger(maxPoints) || maxPoints < 2) {
    throw new SqlmlError('bad_option', `option maxPoints must be an integer of at least 2, not ${maxPoints}.`);
  }
}

/**
 * The ROC curve from the distinct scores in ascending order (each with its positives and
 * negatives), once their number and the class sizes are known. Point k is the curve after
 * the k highest distinct scores; the kept ones are k = round(step·m) for m = 1, 2, …,
 * step = distinct / (points − 1), taken in the same order and with the same arithmetic as
 * a walk down from the highest score, so the points are the same numbers.
 */
export class RocTally {
  readonly #distinct: number;
  readonly #positives: number;
  readonly #negatives: number;
  /** The kept point numbers, ascending. */
  readonly #kept: number[] = [];
  /** The next kept point to meet walking up: an index into #kept, from its end. */
  #next: number;
  #seen = 0;
  #positivesBelow = 0;
  #negativesBelow = 0;
  readonly #fpr: number[] = [];
  readonly #tpr: number[] = [];
  readonly #thresholds: number[] = [];

  constructor(distinct: number, positives: number, negatives: number, maxPoints: number) {
    checkMaxPoints(maxPoints);
    this.#distinct = distinct;
    this.#positives = positives;
    this.#negatives = negatives;
    const pointCount = Math.min(distinct + 1, maxPoints);
    const step = pointCount > 1 ? distinct / (pointCount - 1) : 0;
    // A walk down keeps point round(step·m) when it gets there, then looks for m + 1: a
    // number not above the one just kept would never be met again, and ends the list.
    for (let m = 1, last = 0; ; m++) {
      const point = Math.round(step * m);
      if (point <= last || point > distinct) break;
      this.#kept.push(point);
      last = point;
    }
    this.#next = this.#kept.length - 1;
  }

  /** The next distinct score up, with how many positives and negatives hold it. */
  add(score: number, positives: number, negatives: number): void {
    const point = this.#distinct - this.#seen;
    if (this.#next >= 0 && this.#kept[this.#next] === point) {
      this.#fpr.push((this.#negatives - this.#negativesBelow) / this.#negatives);
      this.#tpr.push((this.#positives - this.#positivesBelow) / this.#positives);
      this.#thresholds.push(score);
      this.#next--;
    }
    this.#seen++;
    this.#positivesBelow += positives;
    this.#negativesBelow += negatives;
  }

  curve(): RocCurve {
    if (this.#seen !== this.#distinct) {
      throw new SqlmlError('internal', `the ROC curve was told of ${this.#distinct} distinct scores but given ${this.#seen}.`);
    }
    const curve: RocCurve = {
      fpr: [this.#negatives === 0 ? NaN : 0, ...this.#fpr.reverse()],
      tpr: [this.#positives === 0 ? NaN : 0, ...this.#tpr.reverse()],
      thresholds: [Infinity, ...this.#thresholds.reverse()],
    };
    return curve;
  }
}

/**
 * Calls `visit` once per distinct score of two ascending arrays, lowest first, with how
 * many of each hold it. The score given is the larger of the two classes' largest at it
 * (−0 and +0 are one score; a walk down from the top meets that one first).
 */
export function forEachScoreRun(
  positives: SortedScores,
  negatives: SortedScores,
  visit: (score: number, positives: number, negatives: number) => void,
): void {
  const positiveCount = positives.length;
  const negativeCount = negatives.length;
  let p = 0;
  let n = 0;
  while (p < positiveCount || n < negativeCount) {
    const score = Math.min(p < positiveCount ? positives[p]! : Infinity, n < negativeCount ? negatives[n]! : Infinity);
    const p0 = p;
    const n0 = n;
    while (p < positiveCount && positives[p]! <= score) p++;
    while (n < negativeCount && negatives[n]! <= score) n++;
    visit(Math.max(p > p0 ? positives[p - 1]! : -Infinity, n > n0 ? negatives[n - 1]! : -Infinity), p - p0, n - n0);
  }
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
  const tally = new RegressionTally(trainingMean);
  for (let i = 0; i < count; i++) tally.add(actual[i]!, predicted[i]!);
  // A second pass around the exact mean: Σy² − n·mean² cancels badly for large targets.
  for (let i = 0; i < count; i++) tally.addSpread(actual[i]!);
  return tally.metrics();
}

/**
 * Regression figures tallied one row at a time, in two passes over the rows in the same
 * order: `add` every row, then `addSpread` every actual value again (the squares around
 * the mean, which is known only after the first pass). The same sums as over arrays,
 * whether the rows are held or read back from disk.
 */
export class RegressionTally {
  readonly #trainingMean: number;
  #rows = 0;
  #actualSum = 0;
  #squaredError = 0;
  #absoluteError = 0;
  #baselineSquaredError = 0;
  #totalSquares = 0;
  #mean: number | undefined;

  constructor(trainingMean: number) {
    this.#trainingMean = trainingMean;
  }

  get rows(): number {
    return this.#rows;
  }

  /** The evaluation rows' own mean (after every `add`). */
  get mean(): number {
    return this.#actualSum / this.#rows;
  }

  add(y: number, prediction: number): void {
    if (Number.isNaN(y)) {
      throw new SqlmlError('internal', `regression metrics need a number for every actual value, but index ${this.#rows} is NaN.`);
    }
    if (Number.isNaN(prediction)) {
      throw new SqlmlError('training_failed', `the model gave no prediction (NaN) at row ${this.#rows}.`);
    }
    this.#rows++;
    const error = y - prediction;
    this.#squaredError += error * error;
    this.#absoluteError += Math.abs(error);
    const baselineError = y - this.#trainingMean;
    this.#baselineSquaredError += baselineError * baselineError;
    this.#actualSum += y;
  }

  /** The second pass: an actual value again, in the first pass's order. */
  addSpread(y: number): void {
    const deviation = y - (this.#mean ??= this.mean);
    this.#totalSquares += deviation * deviation;
  }

  metrics(): RegressionMetrics {
    const count = this.#rows;
    const squaredError = this.#squaredError;
    const totalSquares = this.#totalSquares;
    let r2: number;
    if (count < 2) r2 = NaN;
    else if (totalSquares === 0) r2 = squaredError === 0 ? 1 : 0;
    else r2 = 1 - squaredError / totalSquares;
    return {
      rmse: Math.sqrt(squaredError / count),
      mae: this.#absoluteError / count,
      r2,
      baselineRmse: Math.sqrt(this.#baselineSquaredError / count),
      rows: count,
    };
  }
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

export type SortedScores = Float32Array | Float64Array;

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
