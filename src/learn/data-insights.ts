/**
 * DESCRIBE DATA's statistics and alerts, in one streaming pass with memory bounded by the
 * number of columns: the profiler's per-column statistics (count, NULLs, min/max, mean,
 * variance, exact distinct counts up to a cap then a HyperLogLog estimate), plus one
 * seeded reservoir sample of whole rows (SAMPLE_ROWS) from which each column's
 * univariate strength against the target is measured:
 *  - binary target, number column: the exact AUC of the value itself (either direction);
 *  - otherwise the column is binned (20 quantile bins of the sample for numbers, the
 *    value itself for text; NULL is a bin) and each bin's target rate / mean is learnt on
 *    one half of the sample and scored on the other (cross-fitted, so an identifier's
 *    one-row bins predict nothing): AUC for binary, R² for regression, and for multiclass
 *    the one-vs-rest AUC averaged over the (up to 20 most frequent) classes by prevalence.
 * Alerts are decided from those figures (thresholds below, documented in docs/monitoring.md).
 */
import { isNumberType, type Column, type RowBatch } from '../data.js';
import { inferLabel, labelKey } from './label.js';
import { exactAuc } from './metrics.js';
import { DEFAULT_OPTIONS } from './options.js';
import { Profiler, sampleQuantile, type ColumnProfile } from './profile.js';
import { mulberry32 } from './random.js';
import type { Task } from './types.js';

/** Rows kept in the reservoir that the univariate strengths are measured on. */
export const SAMPLE_ROWS = 20_000;
/** A column with at least this share of NULLs is "mostly NULL". */
export const MOSTLY_NULL_SHARE = 0.5;
/** A text or whole-number column whose distinct values are at least this share of its non-NULL rows is identifier-like. */
export const IDENTIFIER_DISTINCT_SHARE = 0.95;
/** Fewer non-NULL rows than this are too few to call a column identifier-like. */
const IDENTIFIER_MIN_ROWS = 50;
/** A column that alone reaches this AUC (binary, multiclass) or R² (regression) is flagged as likely leakage. */
export const LEAKAGE_STRENGTH = 0.8;
/** Quantile bins of a number column when it is binned. */
const STRENGTH_BINS = 20;
/** Classes a multiclass strength is averaged over (the most frequent). */
const STRENGTH_CLASSES = 20;
/** How many of the most frequent values `topValues` lists. */
const TOP_VALUES = 5;

export type StrengthMetric = 'auc' | 'r2' | 'macro_auc';

export interface ColumnInsight {
  readonly profile: ColumnProfile;
  /** The univariate strength against the target; null without a target, for the target itself, or with too few rows. */
  readonly strength: number | null;
  /** The most frequent values with their counts; empty once the column has more distinct values than the profiler counts exactly. */
  readonly topValues: readonly { readonly value: string; readonly count: number }[];
  readonly alerts: readonly string[];
  /** Whether this column is the target. */
  readonly isTarget: boolean;
}

export interface DataInsights {
  readonly rows: number;
  /** The target's task as inferred for training; null without a target (or one that cannot be a target). */
  readonly task: Task | null;
  readonly metric: StrengthMetric | null;
  /** Why the target cannot be learnt, when it cannot (the same message CREATE MODEL would give). */
  readonly targetProblem: string | null;
  readonly columns: readonly ColumnInsight[];
}

/** Feed `add` every batch of a stream, then `finish` once. */
export class InsightCollector {
  readonly #columns: readonly Column[];
  readonly #targetIndex: number;
  readonly #profiler: Profiler;
  readonly #random: () => number;
  /** Per column: the sampled values (NaN = NULL) for number columns, texts for the others. */
  readonly #numbers: (Float64Array | null)[];
  readonly #texts: ((string | null)[] | null)[];
  /** The sampled rows' target keys (the label's canonical text), when there is a target. */
  readonly #targetKeys: (string | null)[];
  #seen = 0;

  /** `targetIndex` -1: no target (no strengths, no leakage alerts). */
  constructor(columns: readonly Column[], targetIndex: number, seed = 1) {
    this.#columns = columns;
    this.#targetIndex = targetIndex;
    this.#profiler = new Profiler(columns, { seed });
    this.#random = mulberry32(seed ^ 0x1e5d);
    const sampled = targetIndex >= 0;
    this.#numbers = columns.map((c) => (sampled && isNumberType(c.type) ? new Float64Array(SAMPLE_ROWS) : null));
    this.#texts = columns.map((c) => (sampled && !isNumberType(c.type) ? new Array<string | null>(SAMPLE_ROWS).fill(null) : null));
    this.#targetKeys = sampled ? new Array<string | null>(SAMPLE_ROWS).fill(null) : [];
  }

  add(batch: RowBatch): void {
    this.#profiler.add(batch);
    if (this.#targetIndex < 0) return;
    const n = batch.rowCount;
    for (let row = 0; row < n; row++) {
      // Algorithm R: row t replaces a random slot with probability SAMPLE_ROWS / (t + 1).
      const t = this.#seen++;
      const slot = t < SAMPLE_ROWS ? t : Math.floor(this.#random() * (t + 1));
      if (slot < SAMPLE_ROWS) this.#keep(batch, row, slot);
    }
  }

  #keep(batch: RowBatch, row: number, slot: number): void {
    for (let c = 0; c < this.#columns.length; c++) {
      const data = batch.columns[c]!;
      if (data.kind === 'number') {
        const v = data.values[row]!;
        this.#numbers[c]![slot] = data.nulls[row] === 1 || !Number.isFinite(v) ? Number.NaN : v;
      } else {
        this.#texts[c]![slot] = data.values[row] ?? null;
      }
    }
    this.#targetKeys[slot] = labelKey(this.#columns[this.#targetIndex]!, batch.columns[this.#targetIndex]!, row);
  }

  finish(): DataInsights {
    const profile = this.#profiler.finish();
    const sampled = Math.min(this.#seen, SAMPLE_ROWS);
    let task: Task | null = null;
    let targetProblem: string | null = null;
    let y: Float64Array | null = null;
    let classes = 0;
    if (this.#targetIndex >= 0) {
      try {
        const label = inferLabel(profile.columns[this.#targetIndex]!, DEFAULT_OPTIONS);
        task = label.task;
        ({ y, classes } = targetValues(this.#targetKeys, sampled, task, label.positive, label.classes));
      } catch (error) {
        targetProblem = error instanceof Error ? error.message : String(error);
      }
    }
    const metric: StrengthMetric | null = task === null ? null : task === 'binary' ? 'auc' : task === 'regression' ? 'r2' : 'macro_auc';
    const columns = profile.columns.map((p, c): ColumnInsight => {
      const isTarget = c === this.#targetIndex;
      let strength: number | null = null;
      if (!isTarget && task !== null && y !== null) {
        strength = univariateStrength(task, classes, y, sampled, this.#numbers[c] ?? null, this.#texts[c] ?? null);
      }
      return { profile: p, strength, topValues: topValues(p), alerts: alertsOf(p, profile.rows, isTarget, strength, metric), isTarget };
    });
    return { rows: profile.rows, task, metric, targetProblem, columns };
  }
}

/** The target of each sampled row as the learner sees it: 0/1, a class index, or the value (NaN = unusable). */
function targetValues(
  keys: readonly (string | null)[],
  n: number,
  task: Task,
  positive: string | null,
  classList: readonly string[],
): { y: Float64Array; classes: number } {
  const y = new Float64Array(n);
  const classIndex = new Map(classList.map((label, i) => [label, i]));
  for (let i = 0; i < n; i++) {
    const key = keys[i] ?? null;
    if (key === null) y[i] = Number.NaN;
    else if (task === 'binary') y[i] = key === positive ? 1 : 0;
    else if (task === 'multiclass') y[i] = classIndex.get(key) ?? Number.NaN;
    else y[i] = Number(key);
  }
  return { y, classes: classList.length };
}

/** One column's univariate strength on the sample (see the module comment); null when it cannot be measured. */
export function univariateStrength(
  task: Task,
  classes: number,
  y: Float64Array,
  n: number,
  numbers: Float64Array | null,
  texts: readonly (string | null)[] | null,
): number | null {
  if (task === 'binary' && numbers !== null) {
    const labels: number[] = [];
    const scores: number[] = [];
    for (let i = 0; i < n; i++) {
      if (Number.isNaN(y[i]!) || Number.isNaN(numbers[i]!)) continue;
      labels.push(y[i]!);
      scores.push(numbers[i]!);
    }
    const auc = exactAuc(labels, scores, labels.length);
    return Number.isNaN(auc) ? null : Math.max(auc, 1 - auc);
  }
  const bins = binsOf(n, numbers, texts);
  if (task === 'regression') return crossFittedR2(y, n, bins);
  if (task === 'binary') return crossFittedAuc(y, n, bins, 1, (label) => (label === 1 ? 1 : 0));
  return macroAuc(y, n, bins, classes);
}

/** Each sampled row's bin: a number's quantile bin (NULL: -1), or the text's own value (NULL: -1). */
function binsOf(n: number, numbers: Float64Array | null, texts: readonly (string | null)[] | null): Int32Array {
  const bins = new Int32Array(n).fill(-1);
  if (numbers !== null) {
    const present = Float64Array.from(numbers.subarray(0, n).filter((v) => !Number.isNaN(v))).sort();
    if (present.length === 0) return bins;
    const cuts: number[] = [];
    for (let b = 1; b < STRENGTH_BINS; b++) {
      const cut = sampleQuantile(present, b / STRENGTH_BINS);
      if (cuts.length === 0 || cut > cuts[cuts.length - 1]!) cuts.push(cut);
    }
    for (let i = 0; i < n; i++) if (!Number.isNaN(numbers[i]!)) bins[i] = binOf(cuts, numbers[i]!);
    return bins;
  }
  const ids = new Map<string, number>();
  for (let i = 0; i < n; i++) {
    const text = texts![i];
    if (text === null || text === undefined) continue;
    let id = ids.get(text);
    if (id === undefined) ids.set(text, (id = ids.size));
    bins[i] = id;
  }
  return bins;
}

/** The bin of `value` for ascending `cuts`: how many cuts are ≤ it. */
export function binOf(cuts: readonly number[], value: number): number {
  let low = 0;
  let high = cuts.length;
  while (low < high) {
    const mid = (low + high) >>> 1;
    if (cuts[mid]! <= value) low = mid + 1;
    else high = mid;
  }
  return low;
}

/**
 * Per row, the mean of `target(y)` over its bin in the OTHER half of the sample (rows
 * alternate halves), shrunk towards that half's overall mean by one pseudo-row; rows
 * whose target is unusable are NaN.
 */
function crossFitted(y: Float64Array, n: number, bins: Int32Array, target: (label: number) => number): Float64Array {
  const sums = [new Map<number, number>(), new Map<number, number>()];
  const counts = [new Map<number, number>(), new Map<number, number>()];
  const totals = [0, 0];
  const rows = [0, 0];
  for (let i = 0; i < n; i++) {
    if (Number.isNaN(y[i]!)) continue;
    const half = i & 1;
    const v = target(y[i]!);
    sums[half]!.set(bins[i]!, (sums[half]!.get(bins[i]!) ?? 0) + v);
    counts[half]!.set(bins[i]!, (counts[half]!.get(bins[i]!) ?? 0) + 1);
    totals[half]! += v;
    rows[half]!++;
  }
  const out = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    if (Number.isNaN(y[i]!)) {
      out[i] = Number.NaN;
      continue;
    }
    const other = 1 - (i & 1);
    const prior = rows[other]! > 0 ? totals[other]! / rows[other]! : 0;
    out[i] = ((sums[other]!.get(bins[i]!) ?? 0) + prior) / ((counts[other]!.get(bins[i]!) ?? 0) + 1);
  }
  return out;
}

function crossFittedAuc(y: Float64Array, n: number, bins: Int32Array, _class: number, target: (label: number) => number): number | null {
  const scores = crossFitted(y, n, bins, target);
  const labels: number[] = [];
  const kept: number[] = [];
  for (let i = 0; i < n; i++) {
    if (Number.isNaN(scores[i]!)) continue;
    labels.push(target(y[i]!));
    kept.push(scores[i]!);
  }
  const auc = exactAuc(labels, kept, labels.length);
  return Number.isNaN(auc) ? null : auc;
}

function crossFittedR2(y: Float64Array, n: number, bins: Int32Array): number | null {
  const predicted = crossFitted(y, n, bins, (v) => v);
  let count = 0;
  let mean = 0;
  for (let i = 0; i < n; i++) {
    if (Number.isNaN(y[i]!)) continue;
    count++;
    mean += (y[i]! - mean) / count;
  }
  let sse = 0;
  let sst = 0;
  for (let i = 0; i < n; i++) {
    if (Number.isNaN(y[i]!)) continue;
    sse += (y[i]! - predicted[i]!) ** 2;
    sst += (y[i]! - mean) ** 2;
  }
  return count < 2 || sst === 0 ? null : 1 - sse / sst;
}

/** One-vs-rest AUC of each of the most frequent classes, averaged by prevalence. */
function macroAuc(y: Float64Array, n: number, bins: Int32Array, classes: number): number | null {
  const frequency = new Float64Array(classes);
  for (let i = 0; i < n; i++) if (!Number.isNaN(y[i]!)) frequency[y[i]!]!++;
  const order = Array.from({ length: classes }, (_, k) => k)
    .filter((k) => frequency[k]! > 0)
    .sort((a, b) => frequency[b]! - frequency[a]!)
    .slice(0, STRENGTH_CLASSES);
  let weighted = 0;
  let weight = 0;
  for (const k of order) {
    const auc = crossFittedAuc(y, n, bins, k, (label) => (label === k ? 1 : 0));
    if (auc === null) continue;
    weighted += auc * frequency[k]!;
    weight += frequency[k]!;
  }
  return weight > 0 ? weighted / weight : null;
}

function topValues(p: ColumnProfile): { value: string; count: number }[] {
  if (p.distinct === null) return [];
  return [...p.distinct.entries()]
    .sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1))
    .slice(0, TOP_VALUES)
    .map(([value, count]) => ({ value, count }));
}

/** The alerts of one column, as short sentences (the thresholds are this module's constants). */
export function alertsOf(p: ColumnProfile, rows: number, isTarget: boolean, strength: number | null, metric: StrengthMetric | null): string[] {
  const alerts: string[] = [];
  if (isTarget) return alerts;
  if (p.count === 0) return ['constant: every value is NULL'];
  if (p.distinctEstimate <= 1) alerts.push('constant: one value only');
  const nullShare = rows > 0 ? p.nulls / rows : 0;
  if (nullShare >= MOSTLY_NULL_SHARE) alerts.push(`mostly NULL (${Math.round(nullShare * 100)}% of rows)`);
  const wholeOrText = p.type === 'text' || ((p.type === 'integer' || p.type === 'bigint' || p.type === 'decimal') && p.integral);
  if (wholeOrText && p.count >= IDENTIFIER_MIN_ROWS && p.distinctEstimate >= IDENTIFIER_DISTINCT_SHARE * p.count) {
    alerts.push('identifier-like: nearly every value is distinct');
  }
  if (strength !== null && metric !== null && strength >= LEAKAGE_STRENGTH) {
    alerts.push(`likely leakage: alone reaches ${metric === 'r2' ? 'R²' : 'AUC'} ${strength.toFixed(3)} (is it known when predicting?)`);
  }
  return alerts;
}
