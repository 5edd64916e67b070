/**
 * Streaming column statistics in one pass over `RowBatch`es, in memory bounded by the
 * number of columns (never by rows): counts and NULLs, Welford mean/variance, min/max,
 * exact distinct values with counts up to a cap, a HyperLogLog estimate beyond it, a
 * seeded reservoir sample for quantiles, words per text value, and calendar-part
 * statistics for dates. The recipe and the target's task are decided from these.
 */
import { isNumberType } from '../data.js';
import type { Column, ColumnType, RowBatch } from '../data.js';
import { SqlmlError } from '../errors.js';
import { hashCombine, hashNumber, hashString } from './hash.js';
import { countTokens } from './tokenize-text.js';

/** Distinct values are kept exactly up to this many per column, then the column is marked overflowed. */
export const DISTINCT_CAP = 1000;
/** Size of the reservoir sample behind quantile_bin cut points. */
export const SAMPLE_SIZE = 10_000;

/** Mean and population variance of a derived quantity (a date's year or hour). */
export interface MomentSummary {
  readonly mean: number;
  readonly variance: number;
}

export interface ColumnProfile {
  readonly name: string;
  readonly type: ColumnType;
  /** Non-NULL values. */
  readonly count: number;
  /** NULLs; NaN and ±Infinity in numeric columns count as NULL too. */
  readonly nulls: number;
  /** Numeric statistics over non-NULL values (dates: epoch ms, booleans: 0/1); NaN for text or no values. */
  readonly min: number;
  readonly max: number;
  readonly mean: number;
  /** Population variance (divides by `count`), as used to standardize. */
  readonly variance: number;
  /** Every non-NULL value is a whole number (false for text). */
  readonly integral: boolean;
  /**
   * Distinct non-NULL values → occurrences, keyed by canonical text (numbers `String(v)`,
   * booleans 'true'/'false', dates 'YYYY-MM-DD', timestamps ISO-8601); null once more than
   * DISTINCT_CAP distinct values were seen.
   */
  readonly distinct: ReadonlyMap<string, number> | null;
  readonly distinctOverflow: boolean;
  /** Number of distinct values: exact while `distinct` is kept, a HyperLogLog estimate (±3%) after. */
  readonly distinctEstimate: number;
  /** Average whitespace-separated tokens per non-NULL text value (0 for numbers): the free-text signal. */
  readonly meanTokens: number;
  /** Average length of non-NULL text values in UTF-16 code units (0 for numbers). */
  readonly meanLength: number;
  /** A sorted uniform sample of the non-NULL numeric values (all of them up to SAMPLE_SIZE); null for text. */
  readonly sample: Float64Array | null;
  /** Dates and timestamps: statistics of the year and the hour of day (UTC); null otherwise. */
  readonly year: MomentSummary | null;
  readonly hour: MomentSummary | null;
}

export interface Profile {
  readonly rows: number;
  readonly columns: readonly ColumnProfile[];
}

export interface ProfilerOptions {
  /** Seed of the reservoir sampling (per column, so batch sizes do not change the sample). */
  readonly seed?: number;
  readonly distinctCap?: number;
  readonly sampleSize?: number;
}

/** Collects a `Profile` from the batches of one stream; `add` each batch, then `finish` once. */
export class Profiler {
  private readonly accumulators: ColumnAccumulator[];
  private rows = 0;

  constructor(columns: readonly Column[], options: ProfilerOptions = {}) {
    const seed = options.seed ?? 1;
    const cap = options.distinctCap ?? DISTINCT_CAP;
    const sampleSize = options.sampleSize ?? SAMPLE_SIZE;
    this.accumulators = columns.map((column, index) =>
      isNumberType(column.type)
        ? new NumberAccumulator(column, cap, sampleSize, hashCombine(seed, index))
        : new TextAccumulator(column, cap),
    );
  }

  add(batch: RowBatch): void {
    if (batch.columns.length !== this.accumulators.length) {
      throw new SqlmlError(
        'internal',
        `a batch has ${batch.columns.length} columns but the profiler expects ${this.accumulators.length}`,
      );
    }
    for (let c = 0; c < this.accumulators.length; c++) {
      this.accumulators[c]!.add(batch, c);
    }
    this.rows += batch.rowCount;
  }

  finish(): Profile {
    return { rows: this.rows, columns: this.accumulators.map((a) => a.finish()) };
  }
}

/**
 * The n-1 cut points of `bins` equal-frequency bins from the column's sample (linear
 * interpolation between order statistics), without duplicates: heavily tied columns get
 * fewer bins. A value v falls in bin `#cuts ≤ v`.
 */
export function quantileCuts(profile: ColumnProfile, bins: number): number[] {
  const sample = profile.sample;
  if (sample === null || sample.length === 0) return [];
  const cuts: number[] = [];
  const last = sample.length - 1;
  for (let i = 1; i < bins; i++) {
    const position = (i / bins) * last;
    const below = Math.floor(position);
    const fraction = position - below;
    const low = sample[below]!;
    const high = sample[Math.min(below + 1, last)]!;
    const cut = fraction === 0 ? low : low + (high - low) * fraction;
    // A cut at the minimum would leave its lower bin empty.
    if (cut > sample[0]! && (cuts.length === 0 || cut > cuts[cuts.length - 1]!)) cuts.push(cut);
  }
  return cuts;
}

/** The canonical text of a number-typed value, as distinct keys and target labels use it. */
export function valueKey(type: ColumnType, value: number): string {
  switch (type) {
    case 'boolean':
      return value !== 0 ? 'true' : 'false';
    case 'date':
      return isoDate(value);
    case 'timestamp':
      return isoTimestamp(value);
    default:
      return String(value);
  }
}

// ---- calendar parts (UTC), arithmetic only so encoding a date allocates nothing ----

export const MS_PER_DAY = 86_400_000;
const MS_PER_HOUR = 3_600_000;

/** Whole days since 1970-01-01 (negative before). */
export function epochDay(ms: number): number {
  return Math.floor(ms / MS_PER_DAY);
}

/** Civil year and month of a day number (H. Hinnant's days→civil algorithm), packed as year*16 + month. */
function civil(days: number): number {
  const z = days + 719_468;
  const era = Math.floor(z / 146_097);
  const doe = z - era * 146_097;
  const yoe = Math.floor((doe - Math.floor(doe / 1460) + Math.floor(doe / 36_524) - Math.floor(doe / 146_096)) / 365);
  const doy = doe - (365 * yoe + Math.floor(yoe / 4) - Math.floor(yoe / 100));
  const mp = Math.floor((5 * doy + 2) / 153);
  const month = mp < 10 ? mp + 3 : mp - 9;
  const year = yoe + era * 400 + (month <= 2 ? 1 : 0);
  return year * 16 + month;
}

/** UTC calendar year of epoch milliseconds. */
export function yearOf(ms: number): number {
  return Math.floor(civil(epochDay(ms)) / 16);
}

/** UTC month 1..12 of epoch milliseconds. */
export function monthOf(ms: number): number {
  const packed = civil(epochDay(ms));
  return packed - Math.floor(packed / 16) * 16;
}

/** UTC day of week, 0 = Monday … 6 = Sunday (1970-01-01 was a Thursday). */
export function dayOfWeekOf(ms: number): number {
  return (((epochDay(ms) + 3) % 7) + 7) % 7;
}

/** UTC hour of day 0..23. */
export function hourOf(ms: number): number {
  return Math.floor((ms - epochDay(ms) * MS_PER_DAY) / MS_PER_HOUR);
}

function isoDate(ms: number): string {
  return isoTimestamp(ms).slice(0, 10);
}

function isoTimestamp(ms: number): string {
  const date = new Date(ms);
  return Number.isNaN(date.getTime()) ? String(ms) : date.toISOString();
}

// ---- accumulators ----

interface ColumnAccumulator {
  add(batch: RowBatch, columnIndex: number): void;
  finish(): ColumnProfile;
}

/** Welford's online mean and sum of squared deviations. */
class Moments {
  count = 0;
  mean = 0;
  m2 = 0;

  add(value: number): void {
    this.count++;
    const delta = value - this.mean;
    this.mean += delta / this.count;
    this.m2 += delta * (value - this.mean);
  }

  variance(): number {
    return this.count > 0 ? Math.max(0, this.m2 / this.count) : Number.NaN;
  }

  summary(): MomentSummary {
    return { mean: this.count > 0 ? this.mean : Number.NaN, variance: this.variance() };
  }
}

/** HyperLogLog with 2^10 registers (≈3% standard error), fed 32-bit hashes. */
class DistinctSketch {
  private readonly registers = new Uint8Array(1024);

  add(hash: number): void {
    const index = hash >>> 22;
    const rank = Math.min(Math.clz32((hash << 10) | 0x200) + 1, 23);
    if (rank > this.registers[index]!) this.registers[index] = rank;
  }

  estimate(): number {
    const m = this.registers.length;
    let sum = 0;
    let zeros = 0;
    for (let i = 0; i < m; i++) {
      const r = this.registers[i]!;
      sum += 2 ** -r;
      if (r === 0) zeros++;
    }
    const raw = ((0.7213 / (1 + 1.079 / m)) * m * m) / sum;
    // Small-range correction (linear counting), as in Flajolet et al.
    if (raw <= 2.5 * m && zeros > 0) return Math.round(m * Math.log(m / zeros));
    return Math.round(raw);
  }
}

/** mulberry32: a tiny, fast, seedable 32-bit PRNG; enough for reservoir sampling. */
function nextRandom(state: Uint32Array): number {
  state[0] = (state[0]! + 0x6d2b79f5) >>> 0;
  let t = state[0]!;
  t = Math.imul(t ^ (t >>> 15), t | 1);
  t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
  return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
}

const SKETCH_SEED = 0x5eed;

class NumberAccumulator implements ColumnAccumulator {
  private readonly column: Column;
  private readonly cap: number;
  private readonly sampleSize: number;
  private readonly moments = new Moments();
  private readonly years: Moments | null;
  private readonly hours: Moments | null;
  private readonly sketch = new DistinctSketch();
  private readonly random: Uint32Array;
  private nulls = 0;
  private min = Number.POSITIVE_INFINITY;
  private max = Number.NEGATIVE_INFINITY;
  private integral = true;
  /** Keyed by the number itself: no string per row; canonical text is made once in finish(). */
  private distinct: Map<number, number> | null = new Map();
  private sample = new Float64Array(256);

  constructor(column: Column, cap: number, sampleSize: number, seed: number) {
    this.column = column;
    this.cap = cap;
    this.sampleSize = sampleSize;
    this.random = new Uint32Array([seed]);
    const dated = column.type === 'date' || column.type === 'timestamp';
    this.years = dated ? new Moments() : null;
    this.hours = dated ? new Moments() : null;
  }

  add(batch: RowBatch, columnIndex: number): void {
    const data = batch.columns[columnIndex]!;
    if (data.kind !== 'number') {
      throw new SqlmlError('internal', `column ${this.column.name} is ${this.column.type} but its batch data is text`);
    }
    const { values, nulls } = data;
    const moments = this.moments;
    for (let row = 0; row < batch.rowCount; row++) {
      const v = values[row]!;
      if (nulls[row] === 1 || !Number.isFinite(v)) {
        this.nulls++;
        continue;
      }
      moments.add(v);
      if (v < this.min) this.min = v;
      if (v > this.max) this.max = v;
      if (this.integral && !Number.isInteger(v)) this.integral = false;
      this.sketch.add(hashNumber(v, SKETCH_SEED));
      if (this.distinct !== null) this.countDistinct(v);
      this.addToSample(v, moments.count - 1);
      if (this.years !== null) {
        this.years.add(yearOf(v));
        this.hours!.add(hourOf(v));
      }
    }
  }

  private countDistinct(v: number): void {
    const distinct = this.distinct!;
    const seen = distinct.get(v);
    if (seen !== undefined) distinct.set(v, seen + 1);
    else if (distinct.size < this.cap) distinct.set(v, 1);
    else this.distinct = null;
  }

  /** Algorithm R: the i-th value (0-based) replaces a random slot with probability k/(i+1). */
  private addToSample(v: number, i: number): void {
    if (i < this.sampleSize) {
      if (i === this.sample.length) {
        const grown = new Float64Array(Math.min(this.sampleSize, this.sample.length * 2));
        grown.set(this.sample);
        this.sample = grown;
      }
      this.sample[i] = v;
      return;
    }
    const slot = Math.floor(nextRandom(this.random) * (i + 1));
    if (slot < this.sampleSize) this.sample[slot] = v;
  }

  finish(): ColumnProfile {
    const count = this.moments.count;
    const sample = this.sample.slice(0, Math.min(count, this.sampleSize)).sort();
    let distinct: Map<string, number> | null = null;
    if (this.distinct !== null) {
      distinct = new Map();
      // Dates merge by calendar day; ascending order makes the map's order meaningful.
      for (const v of [...this.distinct.keys()].sort((a, b) => a - b)) {
        const key = valueKey(this.column.type, v);
        distinct.set(key, (distinct.get(key) ?? 0) + this.distinct.get(v)!);
      }
    }
    return {
      name: this.column.name,
      type: this.column.type,
      count,
      nulls: this.nulls,
      min: count > 0 ? this.min : Number.NaN,
      max: count > 0 ? this.max : Number.NaN,
      mean: count > 0 ? this.moments.mean : Number.NaN,
      variance: this.moments.variance(),
      integral: this.integral,
      distinct,
      distinctOverflow: distinct === null,
      distinctEstimate: distinct !== null ? distinct.size : this.sketch.estimate(),
      meanTokens: 0,
      meanLength: 0,
      sample,
      year: this.years?.summary() ?? null,
      hour: this.hours?.summary() ?? null,
    };
  }
}

class TextAccumulator implements ColumnAccumulator {
  private readonly column: Column;
  private readonly cap: number;
  private readonly sketch = new DistinctSketch();
  private count = 0;
  private nulls = 0;
  private tokens = 0;
  private length = 0;
  private distinct: Map<string, number> | null = new Map();

  constructor(column: Column, cap: number) {
    this.column = column;
    this.cap = cap;
  }

  add(batch: RowBatch, columnIndex: number): void {
    const data = batch.columns[columnIndex]!;
    if (data.kind !== 'text') {
      throw new SqlmlError('internal', `column ${this.column.name} is ${this.column.type} but its batch data is numeric`);
    }
    const values = data.values;
    for (let row = 0; row < batch.rowCount; row++) {
      const v = values[row];
      if (v === null || v === undefined) {
        this.nulls++;
        continue;
      }
      this.count++;
      this.tokens += countTokens(v);
      this.length += v.length;
      this.sketch.add(hashString(v, SKETCH_SEED));
      const distinct = this.distinct;
      if (distinct !== null) {
        const seen = distinct.get(v);
        if (seen !== undefined) distinct.set(v, seen + 1);
        else if (distinct.size < this.cap) distinct.set(v, 1);
        else this.distinct = null;
      }
    }
  }

  finish(): ColumnProfile {
    const count = this.count;
    const distinct = this.distinct;
    return {
      name: this.column.name,
      type: this.column.type,
      count,
      nulls: this.nulls,
      min: Number.NaN,
      max: Number.NaN,
      mean: Number.NaN,
      variance: Number.NaN,
      integral: false,
      distinct: distinct === null ? null : new Map(distinct),
      distinctOverflow: distinct === null,
      distinctEstimate: distinct !== null ? distinct.size : this.sketch.estimate(),
      meanTokens: count > 0 ? this.tokens / count : 0,
      meanLength: count > 0 ? this.length / count : 0,
      sample: null,
      year: null,
      hour: null,
    };
  }
}
