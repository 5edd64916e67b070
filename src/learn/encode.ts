/**
 * Applies a recipe to rows: each row of a `RowBatch` becomes a sparse vector of feature
 * indices and values, identically at training and at prediction (same standardization,
 * same vocabularies, same hashes, unseen categories and NULLs handled the same way).
 *
 * Numeric, boolean, date, binned and one-hot features allocate nothing per row. Text
 * features allocate at most a lower-cased copy of the value; hashing works on ranges.
 * Hashed features hash key strings with md5 (recipe-format.ts spells the keys), or, for
 * recipes stored by earlier versions, with MurmurHash3 as those versions did.
 * Duplicate indices within a row (a repeated word, a hash collision) are left as separate
 * terms: the learner sums them in the dot product and the gradient alike.
 */
import { isNumberType } from '../data.js';
import type { Column, ColumnData, ColumnType, RowBatch } from '../data.js';
import { SqlmlError } from '../errors.js';
import { hashCombine, hashNumber, hashString } from './hash.js';
import { CodeTable } from './code-table.js';
import { Md5Message } from './md5.js';
import { CivilCache, epochDay, hourInDay, valueKey, weekdayOfDay } from './profile.js';
import { MS_PER_DAY } from '../calendar.js';
import type {
  BinnedFeature,
  BooleanFeature,
  CrossFeature,
  CrossInput,
  DateFeature,
  FeatureSpec,
  HashedCategoryFeature,
  NumberFeature,
  OneHotFeature,
  Recipe,
  TextFeature,
  TextNormalization,
} from './recipe-format.js';
import { signedLog } from './recipe-format.js';
import { normalizeValue, TextTermHasher, TextTermKeys, type TextTerms } from './tokenize-text.js';
import type { SparseVector } from './types.js';

/**
 * Standardized values are clipped to ±1e6 standard deviations: a prediction-time outlier
 * that far out carries no more information, and it keeps every value finite.
 */
export const MAX_ABS_VALUE = 1e6;

/** The row-at-a-time encoder for one recipe bound to one stream's columns. */
export class FeatureEncoder {
  /** Length of the feature space: weights per output the learner needs. */
  readonly dimension: number;
  /** Non-zeros per row: exact for everything but text, a generous bound for text (rows beyond it grow `out`). */
  readonly maxNnz: number;
  private readonly writers: readonly FeatureWriter[];
  /** Non-zeros the non-text features can write; ensured once per row. */
  private readonly fixedNnz: number;

  /**
   * Binds the recipe's columns to `columns` by name (exact match first, then
   * case-insensitive); throws `bad_column` naming any missing column.
   */
  constructor(recipe: Recipe, columns: readonly Column[]) {
    const bound = bindColumns(recipe, columns);
    const space: HashSpace = {
      base: recipe.denseSize,
      mask: recipe.hashBits > 0 ? 2 ** recipe.hashBits - 1 : 0,
      seed: recipe.hashSeed,
      md5: recipe.hash === 'md5',
    };
    this.dimension = recipe.dimension;
    this.writers = recipe.features.map((feature) => createWriter(feature, bound, space));
    let fixed = 0;
    let textNnz = 0;
    for (const writer of this.writers) {
      if (writer instanceof TextWriter) textNnz += writer.typicalNnz;
      else fixed += writer.maxNnz;
    }
    this.fixedNnz = fixed;
    this.maxNnz = fixed + textNnz;
    for (const writer of this.writers) if (writer instanceof TextWriter) writer.reserve = fixed;
    this.batchEncoding = new BatchEncoding(this.writers, fixed);
  }

  /** Writes row `row` of `batch` into `out` (from index 0; sets `out.nnz`), growing `out`'s arrays only when a row needs more room. */
  encodeRow(batch: RowBatch, row: number, out: SparseVector): void {
    ensureCapacity(out, this.fixedNnz);
    out.nnz = 0;
    const writers = this.writers;
    for (let i = 0; i < writers.length; i++) writers[i]!.write(batch, row, out);
  }

  /**
   * Encodes every row of `batch` column by column (one tight loop per feature instead of
   * one call per feature and row); `row()` of the returned encoding then gives exactly
   * what `encodeRow` would. The encoding is this encoder's scratch: valid until the next call.
   */
  encodeBatch(batch: RowBatch): BatchEncoding {
    this.batchEncoding.fill(batch);
    return this.batchEncoding;
  }

  private readonly batchEncoding: BatchEncoding;
}

/**
 * A batch's fixed-size features laid out row-major in `stride` slots per row (each
 * feature owns `maxNnz` consecutive slots; an unused slot holds index -1), so gathering a
 * row is a copy of its live slots. Text features, whose size varies, are written when the
 * row is gathered, in their place among the others.
 */
export class BatchEncoding {
  readonly #writers: readonly FeatureWriter[];
  readonly #fixedNnz: number;
  /** Per writer: its first slot, or -1 for a text writer. */
  readonly #slots: Int32Array;
  readonly #stride: number;
  readonly #hasText: boolean;
  #indices = new Int32Array(0);
  #values = new Float64Array(0);
  #batch: RowBatch | null = null;

  constructor(writers: readonly FeatureWriter[], fixedNnz: number) {
    this.#writers = writers;
    this.#fixedNnz = fixedNnz;
    this.#slots = new Int32Array(writers.length);
    let stride = 0;
    let hasText = false;
    writers.forEach((writer, i) => {
      if (writer instanceof TextWriter) {
        this.#slots[i] = -1;
        hasText = true;
      } else {
        this.#slots[i] = stride;
        stride += writer.maxNnz;
      }
    });
    this.#stride = stride;
    this.#hasText = hasText;
  }

  fill(batch: RowBatch): void {
    const n = batch.rowCount;
    const size = n * this.#stride;
    if (this.#indices.length < size) {
      this.#indices = new Int32Array(size);
      this.#values = new Float64Array(size);
    }
    const writers = this.#writers;
    for (let i = 0; i < writers.length; i++) {
      const slot = this.#slots[i]!;
      if (slot >= 0) (writers[i] as FixedFeatureWriter).writeColumn(batch, n, this.#indices, this.#values, this.#stride, slot);
    }
    this.#batch = batch;
  }

  /** Row `row` of the filled batch into `out`, as `FeatureEncoder.encodeRow` writes it. */
  row(row: number, out: SparseVector): void {
    ensureCapacity(out, this.#fixedNnz);
    const indices = this.#indices;
    const values = this.#values;
    const stride = this.#stride;
    if (!this.#hasText) {
      const outIndices = out.indices;
      const outValues = out.values;
      let nnz = 0;
      for (let p = row * stride, end = p + stride; p < end; p++) {
        const index = indices[p]!;
        if (index >= 0) {
          outIndices[nnz] = index;
          outValues[nnz] = values[p]!;
          nnz++;
        }
      }
      out.nnz = nnz;
      return;
    }
    out.nnz = 0;
    const writers = this.#writers;
    for (let i = 0; i < writers.length; i++) {
      const slot = this.#slots[i]!;
      if (slot < 0) {
        writers[i]!.write(this.#batch!, row, out);
        continue;
      }
      for (let p = row * stride + slot, end = p + writers[i]!.maxNnz; p < end; p++) {
        const index = indices[p]!;
        if (index >= 0) push(out, index, values[p]!);
      }
    }
  }
}

// ---- binding ----

interface BoundColumn {
  /** Index of the column in the stream's batches. */
  readonly index: number;
  readonly type: ColumnType;
  /** The column's type at training. */
  readonly trainedType: ColumnType;
  readonly name: string;
}

function bindColumns(recipe: Recipe, columns: readonly Column[]): Map<string, BoundColumn> {
  const bound = new Map<string, BoundColumn>();
  const missing: string[] = [];
  for (const input of recipe.inputs) {
    let index = columns.findIndex((c) => c.name === input.name);
    if (index < 0) {
      const lower = input.name.toLowerCase();
      const matches = columns.flatMap((c, i) => (c.name.toLowerCase() === lower ? [i] : []));
      if (matches.length > 1) {
        throw new SqlmlError(
          'bad_column',
          `column '${input.name}' matches several input columns (${matches.map((i) => columns[i]!.name).join(', ')}); rename all but one`,
        );
      }
      index = matches[0] ?? -1;
    }
    if (index < 0) missing.push(input.name);
    else bound.set(input.name, { index, type: columns[index]!.type, trainedType: input.type, name: columns[index]!.name });
  }
  if (missing.length > 0) {
    const uses = recipe.inputs.map((i) => i.name).join(', ');
    const names = missing.map((m) => `'${m}'`).join(', ');
    throw new SqlmlError(
      'bad_column',
      missing.length === 1
        ? `column ${names} is missing from the input (the model uses: ${uses})`
        : `columns ${names} are missing from the input (the model uses: ${uses})`,
    );
  }
  return bound;
}

const DATE_TYPES: ReadonlySet<ColumnType> = new Set(['date', 'timestamp']);

/** A column a feature reads as a number: numbers stay numbers, dates stay dates. */
function numberColumn(bound: Map<string, BoundColumn>, name: string): BoundColumn {
  const column = bound.get(name)!;
  const wantsDate = DATE_TYPES.has(column.trainedType);
  if (!isNumberType(column.type) || DATE_TYPES.has(column.type) !== wantsDate) {
    throw new SqlmlError(
      'bad_column',
      `column ${column.name} is ${column.type} in the input but the model reads it as ${column.trainedType}`,
    );
  }
  return column;
}

// ---- writers ----

interface HashSpace {
  readonly base: number;
  readonly mask: number;
  /** The MurmurHash3 seed (Murmur recipes). */
  readonly seed: number;
  /** Whether keys are hashed with md5 (recipe `hash: 'md5'`), else with MurmurHash3. */
  readonly md5: boolean;
}

/** A hashed feature's key prefix; an md5 recipe without one is corrupt. */
function prefixOf(feature: { readonly hashPrefix?: string; readonly transform: string | null; readonly kind: string }): string {
  if (feature.hashPrefix === undefined) {
    throw new SqlmlError('internal', `the stored recipe's ${feature.kind} feature ${feature.transform ?? ''} has no hash prefix; retrain the model`);
  }
  return feature.hashPrefix;
}

interface FeatureWriter {
  /** Most non-zeros one row can produce (text writers: see TextWriter). */
  readonly maxNnz: number;
  write(batch: RowBatch, row: number, out: SparseVector): void;
}

/** A writer of at most `maxNnz` features per row, which can also write a whole batch into slots (see BatchEncoding). */
interface FixedFeatureWriter extends FeatureWriter {
  /** For rows `[0, n)`: the features `write` would push, into slots `row * stride + slot ...` (unused slots: index -1). */
  writeColumn(batch: RowBatch, n: number, indices: Int32Array, values: Float64Array, stride: number, slot: number): void;
}

/** One scratch vector for the writers whose batch form replays their row form. */
const rowScratch = { indices: new Uint32Array(8), values: new Float64Array(8), nnz: 0 };

/** `writeColumn` by way of `write`, for the writers whose per-row work dwarfs the call. */
function writeColumnByRows(writer: FeatureWriter, batch: RowBatch, n: number, indices: Int32Array, values: Float64Array, stride: number, slot: number): void {
  const width = writer.maxNnz;
  const scratch = rowScratch;
  ensureCapacity(scratch, width);
  for (let row = 0; row < n; row++) {
    scratch.nnz = 0;
    writer.write(batch, row, scratch);
    const p = row * stride + slot;
    let k = 0;
    for (; k < scratch.nnz; k++) {
      indices[p + k] = scratch.indices[k]!;
      values[p + k] = scratch.values[k]!;
    }
    for (; k < width; k++) indices[p + k] = -1;
  }
}

function createWriter(feature: FeatureSpec, bound: Map<string, BoundColumn>, space: HashSpace): FeatureWriter {
  switch (feature.kind) {
    case 'number':
      return new NumberWriter(feature, numberColumn(bound, feature.column));
    case 'boolean':
      return new BooleanWriter(feature, numberColumn(bound, feature.column));
    case 'date':
      return new DateWriter(feature, numberColumn(bound, feature.column));
    case 'quantile_bin':
      return new BinnedWriter(feature, numberColumn(bound, feature.column));
    case 'one_hot':
      return new OneHotWriter(feature, bound.get(feature.column)!);
    case 'hashed_category':
      return new HashedCategoryWriter(feature, bound.get(feature.column)!, space);
    case 'text':
      return new TextWriter(feature, bound.get(feature.column)!, space);
    case 'cartesian':
      return createCrossWriter(feature, bound, space);
  }
}

function push(out: SparseVector, index: number, value: number): void {
  const n = out.nnz;
  out.indices[n] = index;
  out.values[n] = value;
  out.nnz = n + 1;
}

function ensureCapacity(out: SparseVector, needed: number): void {
  if (out.indices.length >= needed) return;
  const capacity = Math.max(needed, out.indices.length * 2);
  const indices = new Uint32Array(capacity);
  const values = new Float64Array(capacity);
  indices.set(out.indices.subarray(0, out.nnz));
  values.set(out.values.subarray(0, out.nnz));
  out.indices = indices;
  out.values = values;
}

function clip(value: number): number {
  return value > MAX_ABS_VALUE ? MAX_ABS_VALUE : value < -MAX_ABS_VALUE ? -MAX_ABS_VALUE : value;
}

/** Reads a value as a finite number, or NaN for NULL / NaN / ±Infinity. */
function numberAt(data: ColumnData, row: number): number {
  if (data.kind !== 'number') return Number.NaN;
  const v = data.values[row]!;
  return data.nulls[row] === 1 || !Number.isFinite(v) ? Number.NaN : v;
}

/** Reads a value as text: text as is, numbers as their canonical text (as the profiler keyed them). */
function textAt(data: ColumnData, row: number, type: ColumnType): string | null {
  if (data.kind === 'text') return data.values[row] ?? null;
  const v = data.values[row]!;
  return data.nulls[row] === 1 || !Number.isFinite(v) ? null : valueKey(type, v);
}

function clean(value: string, normalize: TextNormalization): string {
  return normalize.lowercase || normalize.noPunct ? normalizeValue(value, normalize.lowercase, normalize.noPunct) : value;
}

class NumberWriter implements FixedFeatureWriter {
  readonly maxNnz: number;
  private readonly column: number;
  private readonly offset: number;
  private readonly center: number;
  private readonly scale: number;
  private readonly nullIndex: number;
  private readonly log: boolean;

  constructor(f: NumberFeature, column: BoundColumn) {
    this.column = column.index;
    this.offset = f.offset;
    this.center = f.standardize.center;
    this.scale = f.standardize.scale;
    this.nullIndex = f.nullSlot ? f.offset + 1 : -1;
    this.log = f.log === true;
    this.maxNnz = 1;
  }

  write(batch: RowBatch, row: number, out: SparseVector): void {
    const raw = numberAt(batch.columns[this.column]!, row);
    if (Number.isNaN(raw)) {
      if (this.nullIndex >= 0) push(out, this.nullIndex, 1);
      return;
    }
    const v = this.log ? signedLog(raw) : raw;
    const z = clip((v - this.center) / this.scale);
    if (z !== 0) push(out, this.offset, z);
  }

  writeColumn(batch: RowBatch, n: number, indices: Int32Array, values: Float64Array, stride: number, slot: number): void {
    const data = batch.columns[this.column]!;
    if (data.kind !== 'number') {
      for (let row = 0, p = slot; row < n; row++, p += stride) {
        indices[p] = this.nullIndex;
        values[p] = 1;
      }
      return;
    }
    const column = data.values;
    const nulls = data.nulls;
    const { center, scale, offset, nullIndex, log } = this;
    for (let row = 0, p = slot; row < n; row++, p += stride) {
      const raw = column[row]!;
      if (nulls[row] === 1 || !Number.isFinite(raw)) {
        indices[p] = nullIndex;
        values[p] = 1;
        continue;
      }
      const v = log ? signedLog(raw) : raw;
      const z = clip((v - center) / scale);
      indices[p] = z !== 0 ? offset : -1;
      values[p] = z;
    }
  }
}

class BooleanWriter implements FixedFeatureWriter {
  readonly maxNnz = 1;
  private readonly column: number;
  private readonly offset: number;
  private readonly nullIndex: number;

  constructor(f: BooleanFeature, column: BoundColumn) {
    this.column = column.index;
    this.offset = f.offset;
    this.nullIndex = f.nullSlot ? f.offset + 1 : -1;
  }

  write(batch: RowBatch, row: number, out: SparseVector): void {
    const v = numberAt(batch.columns[this.column]!, row);
    if (Number.isNaN(v)) {
      if (this.nullIndex >= 0) push(out, this.nullIndex, 1);
    } else if (v !== 0) {
      push(out, this.offset, 1);
    }
  }

  writeColumn(batch: RowBatch, n: number, indices: Int32Array, values: Float64Array, stride: number, slot: number): void {
    const data = batch.columns[this.column]!;
    const { offset, nullIndex } = this;
    for (let row = 0, p = slot; row < n; row++, p += stride) {
      const v = numberAt(data, row);
      indices[p] = Number.isNaN(v) ? nullIndex : v !== 0 ? offset : -1;
      values[p] = 1;
    }
  }
}

class DateWriter implements FixedFeatureWriter {
  writeColumn(batch: RowBatch, n: number, indices: Int32Array, values: Float64Array, stride: number, slot: number): void {
    writeColumnByRows(this, batch, n, indices, values, stride, slot);
  }

  readonly maxNnz: number;
  private readonly column: number;
  private readonly f: DateFeature;
  private readonly civil = new CivilCache();

  constructor(f: DateFeature, column: BoundColumn) {
    this.column = column.index;
    this.f = f;
    // month, weekday and days always; year and hour when they vary (a NULL writes only its indicator)
    this.maxNnz = 3 + (f.year !== null ? 1 : 0) + (f.hour !== null ? 1 : 0);
  }

  write(batch: RowBatch, row: number, out: SparseVector): void {
    const f = this.f;
    const base = f.offset;
    const slots = f.slots;
    const ms = numberAt(batch.columns[this.column]!, row);
    if (Number.isNaN(ms)) {
      if (slots.null >= 0) push(out, base + slots.null, 1);
      return;
    }
    const day = epochDay(ms);
    const packed = this.civil.packedOfDay(day);
    const year = Math.floor(packed / 16);
    if (f.year !== null) {
      const z = clip((year - f.year.center) / f.year.scale);
      if (z !== 0) push(out, base + slots.year, z);
    }
    push(out, base + slots.month + (packed - year * 16) - 1, 1);
    push(out, base + slots.weekday + weekdayOfDay(day), 1);
    if (f.hour !== null) {
      const z = clip((hourInDay(ms, day) - f.hour.center) / f.hour.scale);
      if (z !== 0) push(out, base + slots.hour, z);
    }
    const days = clip((ms / MS_PER_DAY - f.days.center) / f.days.scale);
    if (days !== 0) push(out, base + slots.days, days);
  }
}

class BinnedWriter implements FixedFeatureWriter {
  writeColumn(batch: RowBatch, n: number, indices: Int32Array, values: Float64Array, stride: number, slot: number): void {
    writeColumnByRows(this, batch, n, indices, values, stride, slot);
  }

  readonly maxNnz = 1;
  private readonly column: number;
  private readonly offset: number;
  private readonly cuts: Float64Array;
  private readonly nullIndex: number;

  constructor(f: BinnedFeature, column: BoundColumn) {
    this.column = column.index;
    this.offset = f.offset;
    this.cuts = Float64Array.from(f.cuts);
    this.nullIndex = f.nullSlot ? f.offset + f.bins : -1;
  }

  write(batch: RowBatch, row: number, out: SparseVector): void {
    const v = numberAt(batch.columns[this.column]!, row);
    if (Number.isNaN(v)) {
      if (this.nullIndex >= 0) push(out, this.nullIndex, 1);
      return;
    }
    push(out, this.offset + binOf(this.cuts, v), 1);
  }
}

/** How many cuts are ≤ v (binary search): the bin of v. */
function binOf(cuts: Float64Array, v: number): number {
  let low = 0;
  let high = cuts.length;
  while (low < high) {
    const mid = (low + high) >>> 1;
    if (cuts[mid]! <= v) low = mid + 1;
    else high = mid;
  }
  return low;
}

class OneHotWriter implements FixedFeatureWriter {
  readonly maxNnz = 1;
  private readonly column: number;
  private readonly type: ColumnType;
  private readonly normalize: TextNormalization;
  private readonly slots = new Map<string, number>();
  private readonly otherIndex: number;
  private readonly nullIndex: number;

  constructor(f: OneHotFeature, column: BoundColumn) {
    this.column = column.index;
    this.type = column.type;
    this.normalize = f.normalize;
    f.categories.forEach((category, i) => this.slots.set(category, f.offset + i));
    this.otherIndex = f.offset + f.categories.length;
    // NULL never seen at training falls under 'other', like any unseen category.
    this.nullIndex = f.nullSlot ? this.otherIndex + 1 : this.otherIndex;
  }

  write(batch: RowBatch, row: number, out: SparseVector): void {
    const value = textAt(batch.columns[this.column]!, row, this.type);
    if (value === null) {
      push(out, this.nullIndex, 1);
      return;
    }
    push(out, this.slots.get(clean(value, this.normalize)) ?? this.otherIndex, 1);
  }

  /** The index of each code of the batches' dictionary (-1: not looked up yet; see TextColumnData.codes). */
  readonly #indexOfCode = new CodeTable();

  writeColumn(batch: RowBatch, n: number, indices: Int32Array, values: Float64Array, stride: number, slot: number): void {
    const data = batch.columns[this.column]!;
    const { slots, otherIndex, nullIndex, normalize } = this;
    const plain = !normalize.lowercase && !normalize.noPunct;
    if (data.kind === 'text' && data.codes !== undefined && data.dictionary !== undefined) {
      // A value's index by its code, looked up by its string once per code.
      const codes = data.codes;
      const indexOfCode = this.#indexOfCode.of(data.dictionary);
      for (let row = 0, p = slot; row < n; row++, p += stride) {
        values[p] = 1;
        const code = codes[row]!;
        let index = code < 0 ? -1 : indexOfCode[code]!;
        if (index < 0) {
          const value = data.values[row] ?? null;
          index = value === null ? nullIndex : (slots.get(plain ? value : clean(value, normalize)) ?? otherIndex);
          if (value !== null) indexOfCode[code] = index;
        }
        indices[p] = index;
      }
      return;
    }
    // Runs of one value are common (sorted or low-cardinality columns): the last lookup is kept.
    let last: string | null = null;
    let lastIndex = -1;
    for (let row = 0, p = slot; row < n; row++, p += stride) {
      values[p] = 1;
      const value = textAt(data, row, this.type);
      if (value === null) {
        indices[p] = nullIndex;
        continue;
      }
      if (value !== last) {
        last = value;
        lastIndex = slots.get(plain ? value : clean(value, normalize)) ?? otherIndex;
      }
      indices[p] = lastIndex;
    }
  }
}

/** Distinct values whose slots a hashed category keeps; past it the cache starts over. */
const CATEGORY_CACHE_SIZE = 1 << 16;
/** Longest value (code units) the cache keeps, so it holds a few MB at most. */
const CATEGORY_CACHE_VALUE = 64;

class HashedCategoryWriter implements FixedFeatureWriter {
  readonly maxNnz = 1;
  private readonly column: number;
  private readonly type: ColumnType;
  private readonly nullIndex: number;
  /** The slot of a value as read (before cleaning). */
  private readonly slotOf: (value: string) => number;
  /** Slots of recent values as read: a category repeats across rows and batches, and md5 costs more than a lookup. */
  private readonly cache = new Map<string, number>();

  constructor(f: HashedCategoryFeature, column: BoundColumn, space: HashSpace) {
    this.column = column.index;
    this.type = column.type;
    this.nullIndex = f.nullSlot ? f.offset : -1;
    const { base, mask } = space;
    const normalize = f.normalize;
    if (space.md5) {
      const key = new Md5Message();
      key.appendText(prefixOf(f));
      const prefixLength = key.length;
      this.slotOf = (value) => {
        key.length = prefixLength;
        key.appendText(clean(value, normalize));
        return base + (key.h32() & mask);
      };
    } else {
      // Hashing the value with a per-column seed is hashing (column, value) without building a string per row.
      const seed = hashString(`${f.column}\u0000category`, space.seed);
      this.slotOf = (value) => base + (hashString(clean(value, normalize), seed) & mask);
    }
  }

  private slot(value: string): number {
    if (value.length > CATEGORY_CACHE_VALUE) return this.slotOf(value);
    let slot = this.cache.get(value);
    if (slot === undefined) {
      slot = this.slotOf(value);
      if (this.cache.size === CATEGORY_CACHE_SIZE) this.cache.clear();
      this.cache.set(value, slot);
    }
    return slot;
  }

  write(batch: RowBatch, row: number, out: SparseVector): void {
    const value = textAt(batch.columns[this.column]!, row, this.type);
    if (value === null) {
      if (this.nullIndex >= 0) push(out, this.nullIndex, 1);
      return;
    }
    push(out, this.slot(value), 1);
  }

  writeColumn(batch: RowBatch, n: number, indices: Int32Array, values: Float64Array, stride: number, slot: number): void {
    const data = batch.columns[this.column]!;
    const nullIndex = this.nullIndex;
    let last: string | null = null;
    let lastIndex = -1;
    for (let row = 0, p = slot; row < n; row++, p += stride) {
      values[p] = 1;
      const value = textAt(data, row, this.type);
      if (value === null) {
        indices[p] = nullIndex;
        continue;
      }
      if (value !== last) {
        last = value;
        lastIndex = this.slot(value);
      }
      indices[p] = lastIndex;
    }
  }
}

/** Rows of more words than typical are fine (`out` grows); this sizes the first buffers. */
const TYPICAL_WORDS_FACTOR = 4;
const MIN_TYPICAL_WORDS = 16;

class TextWriter implements FeatureWriter {
  readonly maxNnz: number;
  /** A generous bound for a typical row: 4× the mean words at training, times terms per word. */
  readonly typicalNnz: number;
  private readonly column: number;
  private readonly type: ColumnType;
  private readonly hasher: TextTerms;
  private readonly space: HashSpace;
  private readonly nullIndex: number;
  /** Room kept for the fixed-size features written after this one, which the row's start reserved but text may use up. */
  reserve = 0;

  constructor(f: TextFeature, column: BoundColumn, space: HashSpace) {
    this.column = column.index;
    this.type = column.type;
    this.space = space;
    const options = { lowercase: f.normalize.lowercase, noPunct: f.normalize.noPunct, mode: f.mode, n: f.n };
    this.hasher = space.md5
      ? new TextTermKeys(options, prefixOf(f))
      : new TextTermHasher(options, hashString(`${f.column}\u0000${f.mode}\u0000${f.n}`, space.seed));
    this.nullIndex = f.nullSlot ? f.offset : -1;
    this.typicalNnz = Math.ceil(Math.max(MIN_TYPICAL_WORDS, f.meanWords * TYPICAL_WORDS_FACTOR)) * f.n;
    this.maxNnz = this.typicalNnz;
  }

  write(batch: RowBatch, row: number, out: SparseVector): void {
    const value = textAt(batch.columns[this.column]!, row, this.type);
    if (value === null) {
      if (this.nullIndex >= 0) {
        ensureCapacity(out, out.nnz + 1 + this.reserve);
        push(out, this.nullIndex, 1);
      }
      return;
    }
    const count = this.hasher.hash(value);
    if (count === 0) return;
    ensureCapacity(out, out.nnz + count + this.reserve);
    // 1/√terms gives every text value a unit-length term vector, so long messages do not dominate.
    const weight = 1 / Math.sqrt(count);
    const terms = this.hasher.terms;
    const { base, mask } = this.space;
    for (let i = 0; i < count; i++) push(out, base + (terms[i]! & mask), weight);
  }
}

function createCrossWriter(f: CrossFeature, bound: Map<string, BoundColumn>, space: HashSpace): FeatureWriter {
  return space.md5 ? new CrossKeyWriter(f, bound, space) : new CrossWriter(f, bound, space);
}

/** A crossing hashed as the key `prefix + L + '|' + R` (recipe-format.ts's CrossFeature). */
class CrossKeyWriter implements FixedFeatureWriter {
  writeColumn(batch: RowBatch, n: number, indices: Int32Array, values: Float64Array, stride: number, slot: number): void {
    writeColumnByRows(this, batch, n, indices, values, stride, slot);
  }

  readonly maxNnz = 1;
  private readonly left: CrossSide;
  private readonly right: CrossSide;
  private readonly space: HashSpace;
  private readonly key = new Md5Message(true);
  private readonly prefixLength: number;

  constructor(f: CrossFeature, bound: Map<string, BoundColumn>, space: HashSpace) {
    this.left = new CrossSide(f.left, bound, space.seed);
    this.right = new CrossSide(f.right, bound, space.seed);
    this.space = space;
    this.key.appendText(prefixOf(f));
    this.prefixLength = this.key.length;
  }

  write(batch: RowBatch, row: number, out: SparseVector): void {
    const key = this.key;
    key.length = this.prefixLength;
    this.left.appendToken(batch, row, key);
    key.appendAscii(124); // '|'
    this.right.appendToken(batch, row, key);
    push(out, this.space.base + (key.h32() & this.space.mask), 1);
  }
}

/**
 * A number's token in a crossing key: the integer in decimal, without exponent or
 * fraction, -0 as 0. Crossed numbers are integers (the recipe bins or refuses the
 * others); a fraction, possible only when a prediction reads a column of another type,
 * is written as JavaScript's shortest decimal.
 */
export function crossNumberText(v: number): string {
  if (v === 0) return '0';
  // Beyond 2^53 String() rounds the digits (2^60 → 1152921504606847000); BigInt spells the double's exact integer.
  if (Number.isInteger(v) && Math.abs(v) > Number.MAX_SAFE_INTEGER) return BigInt(v).toString();
  return String(v);
}

/** Hash standing for a NULL category in a crossing. */
/** Hash standing for a NULL category in a crossing. */
const NULL_CATEGORY = 0x6e756c6c;

/** A crossing hashed with MurmurHash3 from its sides' codes (recipes stored by earlier versions). */
class CrossWriter implements FixedFeatureWriter {
  writeColumn(batch: RowBatch, n: number, indices: Int32Array, values: Float64Array, stride: number, slot: number): void {
    writeColumnByRows(this, batch, n, indices, values, stride, slot);
  }

  readonly maxNnz = 1;
  private readonly left: CrossSide;
  private readonly right: CrossSide;
  private readonly seed: number;
  private readonly space: HashSpace;

  constructor(f: CrossFeature, bound: Map<string, BoundColumn>, space: HashSpace) {
    this.seed = hashString(`${f.transform}\u0000cartesian`, space.seed);
    this.left = new CrossSide(f.left, bound, space.seed);
    this.right = new CrossSide(f.right, bound, space.seed);
    this.space = space;
  }

  write(batch: RowBatch, row: number, out: SparseVector): void {
    const h = hashCombine(hashCombine(this.seed, this.left.code(batch, row)), this.right.code(batch, row));
    push(out, this.space.base + (h & this.space.mask), 1);
  }
}

/** One input of a crossing: its token in a crossing key, or (Murmur recipes) a 32-bit category code per row. */
class CrossSide {
  private readonly input: CrossInput;
  private readonly column: BoundColumn;
  private readonly cuts: Float64Array | null;
  private readonly seed: number;

  constructor(input: CrossInput, bound: Map<string, BoundColumn>, seed: number) {
    this.input = input;
    this.column = input.kind === 'text' ? bound.get(input.column)! : numberColumn(bound, input.column);
    this.cuts = input.cuts === null ? null : Float64Array.from(input.cuts);
    this.seed = hashString(`${input.column}\u0000${input.kind}`, seed);
  }

  code(batch: RowBatch, row: number): number {
    const data = batch.columns[this.column.index]!;
    if (this.input.kind === 'text') {
      const value = textAt(data, row, this.column.type);
      return value === null ? NULL_CATEGORY : hashString(clean(value, this.input.normalize), this.seed);
    }
    const v = numberAt(data, row);
    if (Number.isNaN(v)) return NULL_CATEGORY;
    return this.cuts !== null ? hashCombine(this.seed, binOf(this.cuts, v)) : hashNumber(v, this.seed);
  }

  /** Appends the side's token for row `row` to a crossing key: `n` NULL, `t` text, `b` bin, `v` number. */
  appendToken(batch: RowBatch, row: number, key: Md5Message): void {
    const data = batch.columns[this.column.index]!;
    if (this.input.kind === 'text') {
      const value = textAt(data, row, this.column.type);
      if (value === null) return key.appendAscii(110); // 'n'
      key.appendAscii(116); // 't'
      return key.appendText(clean(value, this.input.normalize));
    }
    const v = numberAt(data, row);
    if (Number.isNaN(v)) return key.appendAscii(110); // 'n'
    if (this.cuts !== null) {
      key.appendAscii(98); // 'b'
      return key.appendNatural(binOf(this.cuts, v));
    }
    key.appendAscii(118); // 'v'
    key.appendText(crossNumberText(v));
  }
}
