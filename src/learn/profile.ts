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
import { MS_PER_DAY, packedCivilFromDays } from '../calendar.js';
import { hashCombine, hashNumber, hashString } from './hash.js';
import { CodeTable } from './code-table.js';
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
  for (let i = 1; i < bins; i++) {
    const cut = sampleQuantile(sample, i / bins);
    // A cut at the minimum would leave its lower bin empty.
    if (cut > sample[0]! && (cuts.length === 0 || cut > cuts[cuts.length - 1]!)) cuts.push(cut);
  }
  return cuts;
}

/** The q-quantile of a sorted, non-empty sample, interpolated linearly between order statistics. */
export function sampleQuantile(sorted: Float64Array, q: number): number {
  const last = sorted.length - 1;
  const position = q * last;
  const below = Math.floor(position);
  const fraction = position - below;
  const low = sorted[below]!;
  return fraction === 0 ? low : low + (sorted[Math.min(below + 1, last)]! - low) * fraction;
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

const MS_PER_HOUR = 3_600_000;

/** Whole days since 1970-01-01 (negative before). */
export function epochDay(ms: number): number {
  return Math.floor(ms / MS_PER_DAY);
}

/** Civil year and month of a day number, packed as year*16 + month. */
function civil(days: number): number {
  return Math.floor(packedCivilFromDays(days) / 32);
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
  return weekdayOfDay(epochDay(ms));
}

/** dayOfWeekOf for a day number. */
export function weekdayOfDay(day: number): number {
  return (((day + 3) % 7) + 7) % 7;
}

/** UTC hour of day 0..23. */
export function hourOf(ms: number): number {
  return hourInDay(ms, epochDay(ms));
}

/** hourOf for epoch milliseconds whose day number `day` is known. */
export function hourInDay(ms: number, day: number): number {
  return Math.floor((ms - day * MS_PER_DAY) / MS_PER_HOUR);
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
export class Moments {
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

/** mulberry32: a tiny, fast, seedable 32-bit PRNG; enough for reservoir sampling. Returns the next state. */
function nextState(state: number): number {
  return (state + 0x6d2b79f5) >>> 0;
}

/** mulberry32's output for a state from `nextState`, in [0, 1). */
function randomOf(state: number): number {
  let t = state;
  t = Math.imul(t ^ (t >>> 15), t | 1);
  t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
  return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
}

/** A random number in (0, 1]: Algorithm L takes its logarithm. */
function positiveRandom(state: number): number {
  return 1 - randomOf(state);
}

const SKETCH_SEED = 0x5eed;

/**
 * Exact occurrence counts of up to `cap` distinct keys: the map holds each key's slot,
 * the counts live in a typed array, so a repeated key costs one lookup and no boxing.
 */
class DistinctCounts<K> {
  protected readonly slots = new Map<K, number>();
  /** The keys by slot, in first-seen order. */
  readonly keys: K[] = [];
  counts = new Float64Array(16);

  /** The key's slot, or -1 when it has not been seen. */
  slotOf(key: K): number {
    return this.slots.get(key) ?? -1;
  }

  /** Adds an unseen key with count 1 and returns its slot, or -1 when `cap` keys are already held. */
  insert(key: K, cap: number): number {
    const slot = this.newSlot(cap);
    if (slot >= 0) {
      this.slots.set(key, slot);
      this.keys.push(key);
    }
    return slot;
  }

  protected newSlot(cap: number): number {
    const slot = this.keys.length;
    if (slot >= cap) return -1;
    if (slot === this.counts.length) {
      const grown = new Float64Array(slot * 2);
      grown.set(this.counts);
      this.counts = grown;
    }
    this.counts[slot] = 1;
    return slot;
  }
}

/** Whole numbers below this (flags, labels, small counts) find their slot by index, not through the map. */
const SMALL_INTEGERS = 1024;

/** DistinctCounts of numbers; -0 counts as 0, as a Map key would. */
class NumberDistinctCounts extends DistinctCounts<number> {
  readonly #smallSlots = new Int32Array(SMALL_INTEGERS).fill(-1);

  override slotOf(key: number): number {
    return isSmallInteger(key) ? this.#smallSlots[key | 0]! : super.slotOf(key);
  }

  override insert(key: number, cap: number): number {
    if (!isSmallInteger(key)) return super.insert(key, cap);
    const slot = this.newSlot(cap);
    if (slot >= 0) {
      this.#smallSlots[key | 0] = slot;
      this.keys.push(key | 0);
    }
    return slot;
  }
}

function isSmallInteger(value: number): boolean {
  return value >= 0 && value < SMALL_INTEGERS && (value | 0) === value;
}

/**
 * A direct-mapped cache of day number → civil year and month: civil() is the costly part
 * of a date's calendar parts (profiling and encoding both need them per row), and a date
 * column rarely spans more than a few thousand days.
 */
export class CivilCache {
  readonly #days = new Float64Array(1024).fill(Number.NaN);
  readonly #packed = new Float64Array(1024);

  /** year*16 + month of the day number, as civil() packs them. */
  packedOfDay(day: number): number {
    const index = day & 1023;
    if (this.#days[index] !== day) {
      this.#days[index] = day;
      this.#packed[index] = civil(day);
    }
    return this.#packed[index]!;
  }

  yearOfDay(day: number): number {
    return Math.floor(this.packedOfDay(day) / 16);
  }
}

class NumberAccumulator implements ColumnAccumulator {
  private readonly column: Column;
  private readonly cap: number;
  private readonly sampleSize: number;
  private readonly moments = new Moments();
  private readonly years: Moments | null;
  private readonly hours: Moments | null;
  /**
   * Fed only once `distinct` overflows, starting with every key it held: until then the
   * exact count is the answer, and a HyperLogLog ends the same whatever order or how
   * many times it sees a value, so the estimate is the one of feeding every value.
   */
  private readonly sketch = new DistinctSketch();
  /** mulberry32 state of the reservoir sampling. */
  private random: number;
  /** Algorithm L's running weight W and the index of the next value to enter the full sample. */
  private skipWeight = 1;
  private nextReplacement = -1;
  private nulls = 0;
  private min = Number.POSITIVE_INFINITY;
  private max = Number.NEGATIVE_INFINITY;
  private integral = true;
  /** Keyed by the number itself: no string per row; canonical text is made once in finish(). */
  private distinct: NumberDistinctCounts | null = new NumberDistinctCounts();
  /**
   * Values a double cannot hold (see `NumberColumnData.exact`), counted by their exact
   * text beside `distinct`: two BIGINTs near 2^63 are two values, not one double.
   */
  private exactDistinct: Map<string, number> = new Map();
  private sample: Float64Array = new Float64Array(256);
  private readonly civil = new CivilCache();

  constructor(column: Column, cap: number, sampleSize: number, seed: number) {
    this.column = column;
    this.cap = cap;
    this.sampleSize = sampleSize;
    this.random = seed >>> 0;
    const dated = column.type === 'date' || column.type === 'timestamp';
    this.years = dated ? new Moments() : null;
    this.hours = dated ? new Moments() : null;
  }

  add(batch: RowBatch, columnIndex: number): void {
    const data = batch.columns[columnIndex]!;
    if (data.kind !== 'number') {
      throw new SqlmlError('internal', `column ${this.column.name} is ${this.column.type} but its batch data is text`);
    }
    const { values, nulls, exact } = data;
    const exactDistinct = this.exactDistinct;
    const cap = this.cap;
    const sampleSize = this.sampleSize;
    const sketch = this.sketch;
    // Welford's update, as Moments.add, on locals for the length of the batch.
    const moments = this.moments;
    let count = moments.count;
    let mean = moments.mean;
    let m2 = moments.m2;
    let min = this.min;
    let max = this.max;
    let integral = this.integral;
    let distinct = this.distinct;
    let random = this.random;
    let sample = this.sample;
    let nullCount = this.nulls;
    for (let row = 0; row < batch.rowCount; row++) {
      const v = values[row]!;
      if (nulls[row] === 1 || !Number.isFinite(v)) {
        nullCount++;
        continue;
      }
      count++;
      const delta = v - mean;
      mean += delta / count;
      m2 += delta * (v - mean);
      if (v < min) min = v;
      if (v > max) max = v;
      if (integral && !Number.isInteger(v)) integral = false;
      const exactText = exact === undefined ? undefined : exact[row];
      if (exactText !== undefined) {
        // Beyond 2^53 every double is an integer; the text says whether the value is.
        if (integral && FRACTION.test(exactText)) integral = false;
        if (distinct !== null) {
          exactDistinct.set(exactText, (exactDistinct.get(exactText) ?? 0) + 1);
          if (exactDistinct.size + distinct.keys.length > cap) {
            feedSketch(sketch, distinct, exactDistinct);
            distinct = null;
          }
        }
        if (distinct === null) sketch.add(hashString(exactText, SKETCH_SEED));
      } else if (distinct !== null) {
        const slot = distinct.slotOf(v);
        if (slot >= 0) distinct.counts[slot]!++;
        else if (distinct.insert(v, cap - exactDistinct.size) < 0) {
          feedSketch(sketch, distinct, exactDistinct);
          distinct = null;
        }
      }
      if (distinct === null && exactText === undefined) sketch.add(hashNumber(v, SKETCH_SEED));
      // Reservoir sampling, Li's Algorithm L: once the sample is full, jump straight to the
      // next value that enters it, so random numbers are drawn per replacement (about
      // k·log(n/k) of them), not per value as in Algorithm R.
      const i = count - 1;
      if (i < sampleSize) {
        if (i === sample.length) sample = grow(sample, sampleSize);
        sample[i] = v;
        if (i === sampleSize - 1) {
          random = nextState(random);
          this.skipWeight = Math.exp(Math.log(positiveRandom(random)) / sampleSize);
          random = nextState(random);
          this.nextReplacement = i + 1 + Math.floor(Math.log(positiveRandom(random)) / Math.log(1 - this.skipWeight));
        }
      } else if (i === this.nextReplacement) {
        random = nextState(random);
        sample[Math.floor(randomOf(random) * sampleSize)] = v;
        random = nextState(random);
        this.skipWeight *= Math.exp(Math.log(positiveRandom(random)) / sampleSize);
        random = nextState(random);
        this.nextReplacement = i + 1 + Math.floor(Math.log(positiveRandom(random)) / Math.log(1 - this.skipWeight));
      }
      if (this.years !== null) this.addCalendar(v);
    }
    moments.count = count;
    moments.mean = mean;
    moments.m2 = m2;
    this.min = min;
    this.max = max;
    this.integral = integral;
    this.distinct = distinct;
    this.random = random;
    this.sample = sample;
    this.nulls = nullCount;
  }

  /** yearOf and hourOf of a date or timestamp, sharing its day number. */
  private addCalendar(v: number): void {
    const day = epochDay(v);
    this.years!.add(this.civil.yearOfDay(day));
    this.hours!.add(hourInDay(v, day));
  }

  finish(): ColumnProfile {
    const count = this.moments.count;
    const sample = this.sample.slice(0, Math.min(count, this.sampleSize)).sort();
    let distinct: Map<string, number> | null = null;
    if (this.distinct !== null) {
      const { keys, counts } = this.distinct;
      distinct = new Map();
      // Dates merge by calendar day; ascending order makes the map's order meaningful.
      const slots = keys.map((_, slot) => slot).sort((a, b) => keys[a]! - keys[b]!);
      for (const slot of slots) {
        const key = valueKey(this.column.type, keys[slot]!);
        distinct.set(key, (distinct.get(key) ?? 0) + counts[slot]!);
      }
      for (const [key, count] of this.exactDistinct) distinct.set(key, (distinct.get(key) ?? 0) + count);
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

/** Exact decimal text with a non-zero fraction digit. */
const FRACTION = /\.\d*[1-9]/;

/** Hands every distinct value counted so far to the sketch, once the counts overflow their cap. */
function feedSketch(sketch: DistinctSketch, distinct: NumberDistinctCounts, exactDistinct: Map<string, number>): void {
  for (const key of distinct.keys) sketch.add(hashNumber(key, SKETCH_SEED));
  for (const key of exactDistinct.keys()) sketch.add(hashString(key, SKETCH_SEED));
  exactDistinct.clear();
}

/** The sample buffer doubled, up to `sampleSize`. */
function grow(sample: Float64Array, sampleSize: number): Float64Array {
  const grown = new Float64Array(Math.min(sampleSize, sample.length * 2));
  grown.set(sample);
  return grown;
}

class TextAccumulator implements ColumnAccumulator {
  private readonly column: Column;
  private readonly cap: number;
  /** Fed only once `distinct` overflows (see NumberAccumulator.sketch). */
  private readonly sketch = new DistinctSketch();
  private count = 0;
  private nulls = 0;
  private tokens = 0;
  private length = 0;
  private distinct: DistinctCounts<string> | null = new DistinctCounts();
  /** Tokens of each distinct value, by slot: a repeated value is not scanned again. */
  private slotTokens = new Float64Array(16);
  /** Each distinct value's length, by slot, for the rows found by code. */
  private slotLengths = new Float64Array(16);
  /** The slot of each code of the batches' dictionary (see TextColumnData.codes); cleared when the counts overflow. */
  private readonly codeSlots = new CodeTable();

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
    const cap = this.cap;
    const sketch = this.sketch;
    let distinct = this.distinct;
    let count = this.count;
    let tokens = this.tokens;
    let length = this.length;
    let nullCount = this.nulls;
    const codes = data.codes;
    let codeSlots: Int32Array | null = null;
    if (codes !== undefined && data.dictionary !== undefined && distinct !== null) codeSlots = this.codeSlots.of(data.dictionary);
    for (let row = 0; row < batch.rowCount; row++) {
      // A value already counted, found by its code (see TextColumnData.codes): the same
      // counts as the string's slot below gives, without the Map lookup.
      if (codeSlots !== null) {
        const code = codes![row]!;
        if (code < 0) {
          nullCount++;
          continue;
        }
        const slot = codeSlots[code]!;
        if (slot >= 0) {
          count++;
          length += this.slotLengths[slot]!;
          distinct!.counts[slot]!++;
          tokens += this.slotTokens[slot]!;
          continue;
        }
      }
      const v = values[row];
      if (v === null || v === undefined) {
        nullCount++;
        continue;
      }
      count++;
      length += v.length;
      if (distinct !== null) {
        const slot = distinct.slotOf(v);
        if (slot >= 0) {
          distinct.counts[slot]!++;
          tokens += this.slotTokens[slot]!;
          if (codeSlots !== null) codeSlots[codes![row]!] = slot;
          continue;
        }
        const inserted = distinct.insert(v, cap);
        if (inserted >= 0) {
          const valueTokens = countTokens(v);
          this.setSlotTokens(inserted, valueTokens, v.length);
          tokens += valueTokens;
          if (codeSlots !== null) codeSlots[codes![row]!] = inserted;
          continue;
        }
        for (const key of distinct.keys) sketch.add(hashString(key, SKETCH_SEED));
        distinct = null;
        codeSlots = null;
        this.codeSlots.clear();
      }
      tokens += countTokens(v);
      sketch.add(hashString(v, SKETCH_SEED));
    }
    this.distinct = distinct;
    this.count = count;
    this.tokens = tokens;
    this.length = length;
    this.nulls = nullCount;
  }

  private setSlotTokens(slot: number, tokens: number, length: number): void {
    if (slot === this.slotTokens.length) {
      const grown = new Float64Array(slot * 2);
      grown.set(this.slotTokens);
      this.slotTokens = grown;
      const lengths = new Float64Array(slot * 2);
      lengths.set(this.slotLengths);
      this.slotLengths = lengths;
    }
    this.slotTokens[slot] = tokens;
    this.slotLengths[slot] = length;
  }

  finish(): ColumnProfile {
    const count = this.count;
    let distinct: Map<string, number> | null = null;
    if (this.distinct !== null) {
      // First-seen order, as the values arrived.
      distinct = new Map();
      const { keys, counts } = this.distinct;
      for (let slot = 0; slot < keys.length; slot++) distinct.set(keys[slot]!, counts[slot]!);
    }
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
      distinct,
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
