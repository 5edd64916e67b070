/**
 * The one yardstick `USING tune = N` compares its trials by, on the validation rows: the
 * unweighted mean validation loss, or the `tune_metric` the user named. Every trial —
 * with class weights or without, whatever its bin counts — is scored from its
 * predictions on the same rows by the same function, so no trial is judged on a scale
 * the others are not.
 *
 * Also the test that decides whether the best trial really beats the untuned model: a
 * seeded paired bootstrap over the validation rows. Tuning keeps the untuned model
 * unless the best trial beats it by more than one standard error of the difference, as
 * picking the best of N on a few thousand rows otherwise keeps noise as often as signal.
 * Pure and I/O-free.
 */
import { binaryMetrics, multiclassMetrics, regressionMetrics } from './metrics.js';
import type { TuneMetric } from './options.js';
import { mulberry32 } from './random.js';
import type { Task } from './types.js';

/** A trial's predictions on the validation rows: what every yardstick is computed from. */
export interface ValidationPredictions {
  readonly count: number;
  /** Per row: 0/1 (binary), the class index (multiclass), the target value (regression, in its own units). */
  readonly labels: Float64Array;
  /** `width` values per row: P(positive), the class probabilities, or the predicted value (target units). */
  readonly outputs: Float64Array;
  readonly width: number;
  /** False when some output is NaN (a diverged trial): every metric then reads NaN, ranking it last. */
  readonly finite: boolean;
  /** Per row: the learner's own unweighted loss (log loss, or squared error of the standardized target); NaN where undefined. */
  readonly losses: Float64Array;
}

/** What trials are compared by. */
export type YardstickName = 'validation_loss' | TuneMetric;

const HIGHER_IS_BETTER: ReadonlySet<YardstickName> = new Set<YardstickName>(['auc', 'f1', 'accuracy', 'macro_f1', 'r2']);

/** Resamples of the bootstrap: its standard error is then good to about 7%, plenty for a one-SE rule. */
export const BOOTSTRAP_RESAMPLES = 100;

export class Yardstick {
  readonly name: YardstickName;
  readonly higherIsBetter: boolean;
  readonly #task: Task;
  readonly #threshold: number;
  readonly #trainingMean: number;
  // Scratch for a resample's rows, reused across resamples (no allocation per row).
  #labels = new Float64Array(0);
  #outputs = new Float64Array(0);

  /** `threshold`: the binary cut-off for f1 and accuracy; `trainingMean`: regression's baseline (unused by the ranking). */
  constructor(name: YardstickName, task: Task, threshold: number, trainingMean: number) {
    this.name = name;
    this.higherIsBetter = HIGHER_IS_BETTER.has(name);
    this.#task = task;
    this.#threshold = threshold;
    this.#trainingMean = trainingMean;
  }

  /** The yardstick over every validation row, or over `rows` (a resample: indices, repeats allowed). */
  value(p: ValidationPredictions, rows: Uint32Array | null = null): number {
    const n = rows === null ? p.count : rows.length;
    if (n === 0) return NaN;
    if (this.name === 'validation_loss') {
      let sum = 0;
      let counted = 0;
      for (let i = 0; i < n; i++) {
        const loss = p.losses[rows === null ? i : rows[i]!]!;
        if (loss === loss) {
          sum += loss;
          counted++;
        }
      }
      return counted > 0 ? sum / counted : NaN;
    }
    if (!p.finite) return NaN;
    let labels = p.labels;
    let outputs = p.outputs;
    if (rows !== null) {
      ({ labels, outputs } = this.#gather(p, rows));
    }
    switch (this.#task) {
      case 'binary': {
        const m = binaryMetrics(labels, outputs, n, this.#threshold);
        return this.name === 'auc' ? m.auc : this.name === 'f1' ? m.f1 : this.name === 'accuracy' ? m.accuracy : m.logLoss;
      }
      case 'multiclass': {
        const m = multiclassMetrics(labels, outputs, n, p.width);
        return this.name === 'accuracy' ? m.accuracy : this.name === 'macro_f1' ? m.macroF1 : m.logLoss;
      }
      case 'regression': {
        const m = regressionMetrics(labels, outputs, n, this.#trainingMean);
        return this.name === 'rmse' ? m.rmse : this.name === 'mae' ? m.mae : m.r2;
      }
    }
  }

  /** A value's place in a ranking, lower first: the better value sorts first, NaN last. */
  rankKey(value: number): number {
    if (Number.isNaN(value)) return Infinity;
    return this.higherIsBetter ? -value : value;
  }

  /**
   * How much better `candidate` is than `baseline` on the validation rows (positive: better),
   * and the standard error of that gain over `resamples` paired bootstrap resamples of the
   * rows, drawn from `seed` (the same seed, the same resamples).
   */
  gain(candidate: ValidationPredictions, baseline: ValidationPredictions, seed: number, resamples = BOOTSTRAP_RESAMPLES): { gain: number; standardError: number } {
    const sign = this.higherIsBetter ? 1 : -1;
    const difference = sign * (this.value(candidate) - this.value(baseline));
    // No -0 for a lower-is-better tie: a gain of nothing reads 0.
    const gain = difference === 0 ? 0 : difference;
    const n = baseline.count;
    const random = mulberry32(seed);
    const rows = new Uint32Array(n);
    let sum = 0;
    let squares = 0;
    let counted = 0;
    for (let b = 0; b < resamples; b++) {
      for (let i = 0; i < n; i++) rows[i] = Math.floor(random() * n);
      const g = sign * (this.value(candidate, rows) - this.value(baseline, rows));
      if (g === g) {
        sum += g;
        squares += g * g;
        counted++;
      }
    }
    const mean = counted > 0 ? sum / counted : NaN;
    const variance = counted > 1 ? Math.max(0, (squares - counted * mean * mean) / (counted - 1)) : NaN;
    return { gain, standardError: Math.sqrt(variance) };
  }

  #gather(p: ValidationPredictions, rows: Uint32Array): { labels: Float64Array; outputs: Float64Array } {
    const n = rows.length;
    const width = p.width;
    if (this.#labels.length < n) this.#labels = new Float64Array(n);
    if (this.#outputs.length < n * width) this.#outputs = new Float64Array(n * width);
    const labels = this.#labels;
    const outputs = this.#outputs;
    for (let i = 0; i < n; i++) {
      const row = rows[i]!;
      labels[i] = p.labels[row]!;
      for (let k = 0; k < width; k++) outputs[i * width + k] = p.outputs[row * width + k]!;
    }
    return { labels: labels.subarray(0, n), outputs: outputs.subarray(0, n * width) };
  }
}
