/**
 * Turns a stream of (label, prediction) pairs into the stored evaluation of a model:
 * the metrics of statements.md plus what DESCRIBE and the evaluation page show (ROC
 * points, score histogram, per-threshold counts, confusion matrix, per-class figures,
 * residual histogram and a predicted-vs-actual sample).
 */
import { SqlmlError } from '../errors.js';
import type { LabelSpec } from '../learn/label.js';
import { AucTally, BinaryTally, RegressionTally, RocTally, multiclassMetricsFromConfusion } from '../learn/metrics.js';
import type { Task } from '../learn/types.js';
import type { CacheDir } from './cache-dir.js';
import { HELD_OUT_PAIRS_IN_MEMORY, HeldOutPairs } from './held-out-pairs.js';
import { HELD_OUT_SCORES_IN_MEMORY, HeldOutScores } from './held-out-scores.js';

/** Metrics as stored and shown: snake_case keys as in statements.md, figures only. */
export interface Evaluation {
  readonly task: Task;
  /** The headline metrics in the spec's column order. */
  readonly metrics: Record<string, number>;
  readonly details: Record<string, unknown>;
}

/** The result columns of EVALUATE MODEL per task, in the spec's order. */
export const METRIC_COLUMNS: Record<Task, readonly string[]> = {
  binary: ['auc', 'accuracy', 'precision', 'recall', 'f1', 'log_loss', 'threshold', 'rows'],
  multiclass: ['accuracy', 'macro_f1', 'log_loss', 'rows'],
  regression: ['rmse', 'mae', 'r2', 'baseline_rmse', 'rows'],
};

const HISTOGRAM_BINS = 20;
const PROBABILITY_FLOOR = 1e-15;
/**
 * The evaluation page's threshold control moves in steps of 1/THRESHOLD_STEPS; counting
 * the held-out rows per step lets it show exact figures at every step without the rows.
 */
export const THRESHOLD_STEPS = 1000;
const RESIDUAL_BINS = 40;
/** Enough points for a readable scatter while the stored JSON stays a few kilobytes. */
export const REGRESSION_SAMPLE_POINTS = 1000;
const SAMPLE_DIGITS = 6;

export interface CollectorOptions {
  /** The rows to come, when known: sizes the per-row arrays exactly (no doubling past the end). */
  readonly expectedRows?: number | undefined;
  /**
   * The cache folder a binary evaluation's scores go to past `rowsInMemory` rows
   * (held-out-scores.ts), so its memory does not grow with the rows; null holds them all.
   */
  readonly spill?: CacheDir | null;
  readonly rowsInMemory?: number;
}

export class EvaluationCollector {
  readonly #task: Task;
  readonly #label: LabelSpec;
  /** Regression: the sums as the rows pass, the residuals' range, and the rows for the second pass. */
  readonly #regression: RegressionTally | null;
  readonly #pairs: HeldOutPairs | null;
  #residualMin = Infinity;
  #residualMax = -Infinity;
  /** Binary: the threshold figures and log loss as the rows pass; the scores for the AUC and ROC curve; the page's counts. */
  readonly #binary: BinaryTally | null;
  readonly #scores: HeldOutScores | null;
  readonly #histogram: { positive: Float64Array; negative: Float64Array };
  readonly #thresholdCounts: { positive: Float64Array; negative: Float64Array };
  readonly #confusion: Float64Array;
  readonly #classes: number;
  /** Multiclass, one-vs-rest: per class c, rows at threshold step k of P(c) whose actual class is c (positive) or not. */
  readonly #ovrPositive: Float64Array;
  readonly #ovrNegative: Float64Array;
  #logLossSum = 0;
  #rows = 0;

  constructor(task: Task, label: LabelSpec, threshold: number, options: CollectorOptions = {}) {
    const { expectedRows = 1024, spill = null, rowsInMemory } = options;
    this.#task = task;
    this.#label = label;
    this.#classes = task === 'multiclass' ? label.classes.length : 0;
    this.#confusion = new Float64Array(this.#classes * this.#classes);
    this.#ovrPositive = new Float64Array(this.#classes * (THRESHOLD_STEPS + 1));
    this.#ovrNegative = new Float64Array(this.#classes * (THRESHOLD_STEPS + 1));
    const binary = task === 'binary';
    const regression = task === 'regression';
    this.#regression = regression ? new RegressionTally(label.mean) : null;
    this.#pairs = regression ? new HeldOutPairs(spill, expectedRows, rowsInMemory === undefined ? HELD_OUT_PAIRS_IN_MEMORY : rowsInMemory) : null;
    this.#binary = binary ? new BinaryTally(threshold) : null;
    this.#scores = binary ? new HeldOutScores(spill, expectedRows, rowsInMemory ?? HELD_OUT_SCORES_IN_MEMORY) : null;
    const bins = binary ? HISTOGRAM_BINS : 0;
    const steps = binary ? THRESHOLD_STEPS + 1 : 0;
    this.#histogram = { positive: new Float64Array(bins), negative: new Float64Array(bins) };
    this.#thresholdCounts = { positive: new Float64Array(steps), negative: new Float64Array(steps) };
  }

  get rows(): number {
    return this.#rows;
  }

  /**
   * `y` is the encoded label (0/1, class index, standardized value); `out` is the
   * learner's prediction for the row (probability, class probabilities, standardized value).
   */
  add(y: number, out: Float64Array): void {
    this.#rows++;
    if (this.#task === 'binary') {
      // Scores are kept as float32 (as they always were for the AUC): every figure is of that number.
      const score = Math.fround(out[0]!) + 0;
      if (Number.isNaN(score)) {
        throw new SqlmlError('training_failed', `the model gave no score (NaN) at row ${this.#rows - 1}.`);
      }
      const positive = y === 1;
      this.#binary!.add(positive, score);
      this.#scores!.add(positive, score);
      const counts = positive ? 'positive' : 'negative';
      this.#histogram[counts][Math.min(HISTOGRAM_BINS - 1, Math.floor(score * HISTOGRAM_BINS))]! += 1;
      this.#thresholdCounts[counts][thresholdStep(score, THRESHOLD_STEPS)]! += 1;
    } else if (this.#task === 'regression') {
      const actual = y * this.#label.std + this.#label.mean;
      const predicted = out[0]! * this.#label.std + this.#label.mean;
      this.#regression!.add(actual, predicted);
      this.#pairs!.add(actual, predicted);
      const residual = actual - predicted;
      if (residual < this.#residualMin) this.#residualMin = residual;
      if (residual > this.#residualMax) this.#residualMax = residual;
    } else {
      let best = 0;
      for (let k = 1; k < this.#classes; k++) if (out[k]! > out[best]!) best = k;
      this.#confusion[y * this.#classes + best]! += 1;
      for (let c = 0; c < this.#classes; c++) {
        const at = c * (THRESHOLD_STEPS + 1) + thresholdStep(out[c]!, THRESHOLD_STEPS);
        if (c === y) this.#ovrPositive[at]! += 1;
        else this.#ovrNegative[at]! += 1;
      }
      this.#logLossSum -= Math.log(Math.min(1 - PROBABILITY_FLOOR, Math.max(PROBABILITY_FLOOR, out[y]!)));
    }
  }

  /** Removes what the evaluation spilled to disk; finish() does it too. For an evaluation that ends without finishing. */
  close(): void {
    this.#scores?.close();
    this.#pairs?.close();
  }

  finish(): Evaluation {
    const n = this.#rows;
    if (this.#task === 'binary') {
      const scores = this.#scores!;
      const auc = new AucTally();
      scores.forEachRun((_score, positives, negatives) => auc.add(positives, negatives));
      const roc = new RocTally(auc.distinct, auc.positives, auc.negatives, 101);
      scores.forEachRun((score, positives, negatives) => roc.add(score, positives, negatives));
      scores.close();
      const curve = roc.curve();
      const m = this.#binary!.metrics(auc.auc);
      return {
        task: 'binary',
        metrics: {
          auc: m.auc,
          accuracy: m.accuracy,
          precision: m.precision,
          recall: m.recall,
          f1: m.f1,
          log_loss: m.logLoss,
          threshold: m.threshold,
          rows: m.rows,
        },
        details: {
          confusion: { tp: m.tp, fp: m.fp, tn: m.tn, fn: m.fn },
          roc: { fpr: curve.fpr, tpr: curve.tpr, thresholds: curve.thresholds },
          histogram: { bins: HISTOGRAM_BINS, positive: Array.from(this.#histogram.positive), negative: Array.from(this.#histogram.negative) },
          threshold_table: {
            steps: THRESHOLD_STEPS,
            positive: Array.from(this.#thresholdCounts.positive),
            negative: Array.from(this.#thresholdCounts.negative),
          } satisfies ThresholdTable,
        },
      };
    }
    if (this.#task === 'regression') {
      const tally = this.#regression!;
      const pairs = this.#pairs!;
      // The second pass over the rows in their order: the squares around the mean, the residuals' bins, the sample.
      const residuals = new ResidualBins(this.#residualMin, this.#residualMax, n);
      const sample = new EvenSample(n);
      pairs.forEach((actual, predicted, row) => {
        tally.addSpread(actual);
        residuals.add(actual - predicted);
        sample.offer(actual, predicted, row);
      });
      pairs.close();
      const m = tally.metrics();
      return {
        task: 'regression',
        metrics: { rmse: m.rmse, mae: m.mae, r2: m.r2, baseline_rmse: m.baselineRmse, rows: m.rows },
        details: { residuals: residuals.result(), sample: sample.result() },
      };
    }
    const k = this.#classes;
    const confusion: number[][] = [];
    for (let a = 0; a < k; a++) confusion.push(Array.from(this.#confusion.subarray(a * k, (a + 1) * k)));
    const m = multiclassMetricsFromConfusion(confusion, n > 0 ? this.#logLossSum / n : NaN);
    return {
      task: 'multiclass',
      metrics: { accuracy: m.accuracy, macro_f1: m.macroF1, log_loss: m.logLoss, rows: m.rows },
      details: {
        classes: this.#label.classes,
        confusion,
        per_class: m.perClass.map((c, i) => ({ label: this.#label.classes[i], ...c })),
        one_vs_rest: this.#label.classes.map((_, c): ThresholdTable => {
          const from = c * (THRESHOLD_STEPS + 1);
          const to = from + THRESHOLD_STEPS + 1;
          return { steps: THRESHOLD_STEPS, positive: Array.from(this.#ovrPositive.subarray(from, to)), negative: Array.from(this.#ovrNegative.subarray(from, to)) };
        }),
      },
    };
  }
}

/**
 * Held-out counts per threshold step: `positive[k]` / `negative[k]` count the rows whose
 * score s is in [k/steps, (k+1)/steps), the last step holding s ≥ 1. At threshold
 * t = k/steps the rows predicted positive (s ≥ t, as binaryMetrics decides) are exactly
 * those of steps k and above, so the page's figures equal a re-scoring at t.
 */
export interface ThresholdTable {
  readonly steps: number;
  readonly positive: number[];
  readonly negative: number[];
}

/**
 * The largest k with score ≥ k/steps. floor(score·steps) can be off by one where the
 * product rounds across an integer, so it is checked against the very comparison the
 * threshold makes (k/steps as a double is the same number as the decimal the page uses).
 */
export function thresholdStep(score: number, steps: number): number {
  if (!(score >= 1 / steps)) return 0;
  let k = Math.min(steps, Math.floor(score * steps));
  if (k < steps && score >= (k + 1) / steps) k++;
  if (k > 0 && score < k / steps) k--;
  return k;
}

/** Residual = actual − predicted, in equal-width bins over the residuals' range (known from the first pass). */
class ResidualBins {
  readonly #low: number;
  readonly #width: number;
  readonly #counts: number[];

  constructor(min: number, max: number, rows: number) {
    // All residuals equal: one bin around the value rather than zero-width bins.
    const bins = rows === 0 ? 0 : max > min ? RESIDUAL_BINS : 1;
    this.#width = max > min ? (max - min) / bins : 1;
    this.#low = max > min ? min : min - 0.5;
    this.#counts = new Array<number>(bins).fill(0);
  }

  add(residual: number): void {
    const bins = this.#counts.length;
    this.#counts[Math.min(bins - 1, Math.max(0, Math.floor((residual - this.#low) / this.#width)))]!++;
  }

  result(): { edges: number[]; counts: number[] } {
    const bins = this.#counts.length;
    const edges = bins === 0 ? [] : Array.from({ length: bins + 1 }, (_, b) => this.#low + b * this.#width);
    return { edges, counts: this.#counts };
  }
}

/**
 * At most REGRESSION_SAMPLE_POINTS (actual, predicted) pairs at evenly spaced row
 * positions: deterministic for a given evaluation order, and spread over the whole
 * split rather than its first rows. Rounded to 6 significant digits, which a scatter
 * cannot tell apart, to keep the stored document small.
 */
class EvenSample {
  readonly #rows: number;
  readonly #points: number;
  #next = 0;
  readonly #actual: number[] = [];
  readonly #predicted: number[] = [];

  constructor(rows: number) {
    this.#rows = rows;
    this.#points = Math.min(rows, REGRESSION_SAMPLE_POINTS);
  }

  /** Row `row` (rows come in order): kept when it is the next evenly spaced position. */
  offer(actual: number, predicted: number, row: number): void {
    while (this.#next < this.#points && Math.floor((this.#next * this.#rows) / this.#points) === row) {
      this.#actual.push(Number(actual.toPrecision(SAMPLE_DIGITS)));
      this.#predicted.push(Number(predicted.toPrecision(SAMPLE_DIGITS)));
      this.#next++;
    }
  }

  result(): { rows: number; actual: number[]; predicted: number[] } {
    return { rows: this.#rows, actual: this.#actual, predicted: this.#predicted };
  }
}
