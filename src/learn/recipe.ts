/**
 * Builds a model's recipe (recipe-format.ts) once at training: a default feature for
 * every column from its type and profile, with a RECIPE clause's transforms validated
 * here and replacing or adding features, and the hashed space sized to the model budget.
 */
import type { ColumnType } from '../data.js';
import { SqlmlError } from '../errors.js';
import { formatBytes } from '../format.js';
import type { Identifier, Transform, TransformArg } from './clauses.js';
import type { LabelSpec } from './label.js';
import type { ModelOptions } from './options.js';
import { formatSize } from './options.js';
import { Moments, quantileCuts, sampleQuantile } from './profile.js';
import { MS_PER_DAY } from '../calendar.js';
import type { ColumnProfile, Profile } from './profile.js';
import {
  featureColumns,
  isHashed,
  RECIPE_VERSION,
  signedLog,
  type CrossInput,
  type DroppedColumn,
  type FeatureSpec,
  type NumberFeature,
  type Recipe,
  type Standardizer,
  type TextNormalization,
} from './recipe-format.js';
import { normalizeValue } from './tokenize-text.js';

/** Text columns with at most this many distinct values are one-hot encoded. */
export const ONE_HOT_MAX = 100;
/** Text whose values average at least this many words (and is not one-hot) is treated as free text. */
export const FREE_TEXT_MIN_TOKENS = 3;
/**
 * A numeric column whose middle 98% of values (1st to 99th percentile) span less than
 * 1/HEAVY_TAIL_RANGE of its full range is heavy-tailed, and the default recipe reads it on
 * a log scale. Standardized as is, its bulk would fill a sliver of its range: the learner
 * scales each feature by the largest |value| seen, so rows in the bulk would move the
 * weight at least 50 times less than the outliers do, and a linear model would need a
 * huge weight to tell them apart (a few byte counts near 1e9 leave the bulk of the rows a
 * hair's breadth apart after standardizing). The share does not shrink with the row count
 * the way a largest z-score grows, so a skewed but light-tailed column stays linear
 * however many rows there are.
 */
export const HEAVY_TAIL_RANGE = 50;
/** A non-one-hot text column with at least this share of distinct values is an identifier and is not used. */
export const IDENTIFIER_DISTINCT_SHARE = 0.9;
/** Bounds of the hashed space: never under 2^12 buckets, 2^18 by default (and for free text), never over 2^20. */
export const MIN_HASH_BITS = 12;
export const DEFAULT_HASH_BITS = 18;
export const MAX_HASH_BITS = 20;
/** Stored bytes per weight and output as budgeted against max_model_size: a 4-byte weight plus optimizer state, three times. */
export const BYTES_PER_WEIGHT = 4 * 3;

/** The RECIPE transforms, Amazon ML's, in the order error messages list them. */
export const TRANSFORM_NAMES = [
  'quantile_bin',
  'normalize',
  'ngram',
  'osb',
  'lowercase',
  'no_punct',
  'cartesian',
  'exclude',
] as const;

const PLAIN: TextNormalization = Object.freeze({ lowercase: false, noPunct: false });
const FREE_TEXT: TextNormalization = Object.freeze({ lowercase: true, noPunct: true });
const NUMERIC_TYPES: ReadonlySet<ColumnType> = new Set(['integer', 'bigint', 'double', 'decimal']);
const MAX_NGRAM = 10;
const MAX_BINS = 1000;

/**
 * Builds the recipe: a default feature for every column but the target, from its type and
 * profile, with the RECIPE transforms (validated here) replacing or adding features.
 */
export function buildRecipe(
  profile: Profile,
  label: LabelSpec,
  transforms: readonly Transform[] | null,
  options: ModelOptions,
): Recipe {
  const builder = new RecipeBuilder(profile, label);
  const plans = (transforms ?? []).map((transform) => builder.plan(transform));
  builder.checkExclusions();
  for (const column of profile.columns) {
    if (column.name === label.column || builder.replaced.has(column.name)) continue;
    if (builder.excluded.has(column.name)) builder.drop(column.name, 'excluded by the recipe');
    else builder.addDefault(column);
  }
  for (const emit of plans) emit();
  return builder.finish(options);
}

/** A text column and the cleaning lowercase() / no_punct() around it ask for. */
interface TextSource {
  readonly column: ColumnProfile;
  readonly normalize: TextNormalization;
}

/** Mutable state while the recipe is built; features are placed in the order they are added. */
class RecipeBuilder {
  readonly features: FeatureSpec[] = [];
  readonly dropped: DroppedColumn[] = [];
  /** Columns whose default features a transform replaces. */
  readonly replaced = new Set<string>();
  /** Excluded columns → the exclude transform, for conflict messages. */
  readonly excluded = new Map<string, Transform>();
  /** Every (column, top-level transform) use other than exclude. */
  private readonly uses: { column: string; transform: Transform }[] = [];
  private denseSize = 0;
  private readonly profile: Profile;
  private readonly label: LabelSpec;

  constructor(profile: Profile, label: LabelSpec) {
    this.profile = profile;
    this.label = label;
  }

  drop(column: string, reason: string): void {
    this.dropped.push({ column, reason });
  }

  private place(size: number): number {
    const offset = this.denseSize;
    this.denseSize += size;
    return offset;
  }

  // ---- defaults ----

  addDefault(p: ColumnProfile): void {
    if (p.count === 0) return this.drop(p.name, 'only NULL values');
    const nullSlot = p.nulls > 0;
    switch (p.type) {
      case 'integer':
      case 'bigint':
      case 'double':
      case 'decimal':
        if (!(p.variance > 0) && !nullSlot) return this.drop(p.name, 'a single value');
        return this.addNumber(p, null, isHeavyTailed(p));
      case 'boolean':
        if (p.distinct !== null && p.distinct.size === 1 && !nullSlot) return this.drop(p.name, 'a single value');
        return this.addBoolean(p);
      case 'date':
      case 'timestamp':
        if (!(p.variance > 0) && !nullSlot) return this.drop(p.name, 'a single value');
        return this.addDate(p);
      case 'text':
      case 'other': {
        const distinct = p.distinct;
        if (distinct !== null && distinct.size <= ONE_HOT_MAX) {
          if (distinct.size === 1 && !nullSlot) return this.drop(p.name, 'a single value');
          return this.addOneHot(p, PLAIN, null);
        }
        if (p.meanTokens >= FREE_TEXT_MIN_TOKENS) return this.addText(p, FREE_TEXT, 'ngram', 2, null);
        if (p.distinctEstimate >= IDENTIFIER_DISTINCT_SHARE * p.count) {
          return this.drop(p.name, 'looks like an identifier: nearly every value is distinct');
        }
        return this.addHashedCategory(p, PLAIN, null);
      }
    }
  }

  private addNumber(p: ColumnProfile, transform: string | null, log = false): void {
    const nullSlot = p.nulls > 0;
    const size = nullSlot ? 2 : 1;
    // The profile's moments are of the raw values; its sample gives those of the logs.
    const standardize = log ? sampleStandardizer(p.sample!, signedLog) : standardizer(p.mean, p.variance);
    const feature: NumberFeature = { kind: 'number', column: p.name, offset: this.place(size), size, transform, standardize, nullSlot };
    this.features.push(log ? { ...feature, log: true } : feature);
  }

  private addBoolean(p: ColumnProfile): void {
    const nullSlot = p.nulls > 0;
    const size = nullSlot ? 2 : 1;
    this.features.push({ kind: 'boolean', column: p.name, offset: this.place(size), size, transform: null, nullSlot });
  }

  private addDate(p: ColumnProfile): void {
    const year = p.year !== null && p.year.variance > 0 ? standardizer(p.year.mean, p.year.variance) : null;
    const timed = p.type === 'timestamp' && p.hour !== null && p.hour.variance > 0;
    const hour = timed ? standardizer(p.hour!.mean, p.hour!.variance) : null;
    const days = standardizer(p.mean / MS_PER_DAY, p.variance / (MS_PER_DAY * MS_PER_DAY));
    let size = 0;
    const next = (present: boolean, width = 1): number => {
      if (!present) return -1;
      const slot = size;
      size += width;
      return slot;
    };
    const slots = {
      year: next(year !== null),
      month: next(true, 12),
      weekday: next(true, 7),
      hour: next(hour !== null),
      days: next(true),
      null: next(p.nulls > 0),
    };
    const offset = this.place(size);
    this.features.push({ kind: 'date', column: p.name, offset, size, transform: null, year, hour, days, slots });
  }

  private addOneHot(p: ColumnProfile, normalize: TextNormalization, transform: string | null): void {
    const clean = (key: string) => normalizeValue(key, normalize.lowercase, normalize.noPunct);
    const categories = [...new Set([...p.distinct!.keys()].map(clean))];
    categories.sort(compareText);
    const nullSlot = p.nulls > 0;
    const size = categories.length + 1 + (nullSlot ? 1 : 0);
    const offset = this.place(size);
    this.features.push({ kind: 'one_hot', column: p.name, offset, size, transform, categories, normalize, nullSlot });
  }

  private addHashedCategory(p: ColumnProfile, normalize: TextNormalization, transform: string | null): void {
    const nullSlot = p.nulls > 0;
    const size = nullSlot ? 1 : 0;
    this.features.push({
      kind: 'hashed_category',
      column: p.name,
      offset: this.place(size),
      size,
      transform,
      normalize,
      nullSlot,
      distinctValues: p.distinctEstimate,
    });
  }

  private addText(
    p: ColumnProfile,
    normalize: TextNormalization,
    mode: 'ngram' | 'osb',
    n: number,
    transform: string | null,
  ): void {
    const nullSlot = p.nulls > 0;
    const size = nullSlot ? 1 : 0;
    this.features.push({
      kind: 'text',
      column: p.name,
      offset: this.place(size),
      size,
      transform,
      normalize,
      mode,
      n,
      nullSlot,
      meanWords: round(p.meanTokens, 3),
    });
  }

  // ---- transforms ----

  /** Validates one top-level transform and returns the step that adds its features in order. */
  plan(t: Transform): () => void {
    const text = transformText(t);
    switch (t.name) {
      case 'exclude': {
        if (t.args.length === 0) throw this.arity(t, 'one or more columns');
        const columns = t.args.map((arg, i) => this.columnArg(t, arg, i));
        for (const c of columns) this.excluded.set(c.name, t);
        return () => undefined;
      }
      case 'normalize': {
        this.expectArity(t, 1, 'a column');
        const p = this.columnArg(t, t.args[0]!, 0);
        if (!NUMERIC_TYPES.has(p.type) && p.type !== 'boolean') throw this.needs(t, 'a numeric column', p);
        this.use(p, t, true);
        return () => this.addNumber(p, text);
      }
      case 'quantile_bin': {
        const { column, cuts } = this.bins(t);
        this.use(column, t, true);
        return () => {
          const nullSlot = column.nulls > 0;
          const size = cuts.length + 1 + (nullSlot ? 1 : 0);
          const offset = this.place(size);
          const bins = cuts.length + 1;
          this.features.push({ kind: 'quantile_bin', column: column.name, offset, size, transform: text, bins, cuts, nullSlot });
        };
      }
      case 'lowercase':
      case 'no_punct': {
        const source = this.normalized(t);
        this.use(source.column, t, true);
        return () => this.addNormalized(source.column, source.normalize, text);
      }
      case 'ngram':
      case 'osb': {
        const low = t.name === 'ngram' ? 1 : 2;
        const what = t.name === 'ngram' ? 'n-gram length' : 'window';
        this.expectArity(t, 2, `a text column and a ${what} from ${low} to ${MAX_NGRAM}`);
        const source = this.textSource(t.args[0]!, t, 0);
        const n = this.wholeNumber(t, t.args[1]!, 1, low, MAX_NGRAM, what);
        this.use(source.column, t, true);
        const mode = t.name;
        return () => this.addText(source.column, source.normalize, mode, n, text);
      }
      case 'cartesian': {
        this.expectArity(t, 2, 'two categorical inputs');
        const left = this.crossInput(t, t.args[0]!, 0);
        const right = this.crossInput(t, t.args[1]!, 1);
        return () => {
          this.features.push({ kind: 'cartesian', left, right, offset: this.denseSize, size: 0, transform: text });
        };
      }
      default:
        throw new SqlmlError(
          'bad_recipe',
          `unknown transform '${t.name}' ${at(t)} (transforms: ${TRANSFORM_NAMES.join(', ')})`,
        );
    }
  }

  checkExclusions(): void {
    for (const use of this.uses) {
      const exclude = this.excluded.get(use.column);
      if (exclude !== undefined) {
        throw new SqlmlError(
          'bad_recipe',
          `column ${use.column} is excluded ${at(exclude)} but also used by ${use.transform.name} ${at(use.transform)}`,
        );
      }
    }
  }

  private use(column: ColumnProfile, transform: Transform, replaces: boolean): void {
    this.uses.push({ column: column.name, transform });
    if (replaces) this.replaced.add(column.name);
  }

  /** lowercase / no_punct alone: the column's own kind of feature, on normalized text. */
  private addNormalized(p: ColumnProfile, normalize: TextNormalization, text: string): void {
    if (p.distinct !== null && p.distinct.size <= ONE_HOT_MAX) return this.addOneHot(p, normalize, text);
    if (p.meanTokens >= FREE_TEXT_MIN_TOKENS) return this.addText(p, normalize, 'ngram', 1, text);
    return this.addHashedCategory(p, normalize, text);
  }

  private bins(t: Transform): { column: ColumnProfile; cuts: number[] } {
    this.expectArity(t, 2, `a numeric column and a number of bins from 2 to ${MAX_BINS}`);
    const column = this.columnArg(t, t.args[0]!, 0);
    if (!NUMERIC_TYPES.has(column.type) && column.type !== 'date' && column.type !== 'timestamp') {
      throw this.needs(t, 'a numeric column', column);
    }
    const bins = this.wholeNumber(t, t.args[1]!, 1, 2, MAX_BINS, 'number of bins');
    return { column, cuts: quantileCuts(column, bins) };
  }

  /** The text column under a lowercase() / no_punct() transform (possibly nested), and the cleaning they ask for. */
  private normalized(t: Transform): TextSource {
    this.expectArity(t, 1, 'a text column');
    const inner = this.textSource(t.args[0]!, t, 0);
    return {
      column: inner.column,
      normalize: {
        lowercase: inner.normalize.lowercase || t.name === 'lowercase',
        noPunct: inner.normalize.noPunct || t.name === 'no_punct',
      },
    };
  }

  /** A text column argument, or a lowercase() / no_punct() around one. */
  private textSource(arg: TransformArg, owner: Transform, index: number): TextSource {
    if (arg.kind === 'transform' && isCleaning(arg.transform)) return this.normalized(arg.transform);
    if (arg.kind === 'transform') throw this.badArg(owner, index, 'a text column, lowercase() or no_punct()', arg);
    const column = this.columnArg(owner, arg, index);
    if (column.type !== 'text' && column.type !== 'other') throw this.needs(owner, 'a text column', column);
    return { column, normalize: PLAIN };
  }

  /** One side of a cartesian: a text or categorical-number column, cleaned text, or quantile bins. */
  private crossInput(owner: Transform, arg: TransformArg, index: number): CrossInput {
    if (arg.kind === 'transform' && arg.transform.name === 'quantile_bin') {
      const { column, cuts } = this.bins(arg.transform);
      this.use(column, owner, false);
      return { column: column.name, kind: 'bins', normalize: PLAIN, cuts, text: transformText(arg.transform) };
    }
    if (arg.kind === 'transform' && !isCleaning(arg.transform)) {
      throw this.badArg(owner, index, 'a categorical column, lowercase(), no_punct() or quantile_bin()', arg);
    }
    if (arg.kind === 'transform') {
      const source = this.normalized(arg.transform);
      this.use(source.column, owner, false);
      const text = transformText(arg.transform);
      return { column: source.column.name, kind: 'text', normalize: source.normalize, cuts: null, text };
    }
    const column = this.columnArg(owner, arg, index);
    this.use(column, owner, false);
    const type = column.type;
    if (type === 'text' || type === 'other') {
      return { column: column.name, kind: 'text', normalize: PLAIN, cuts: null, text: column.name };
    }
    if (type === 'double' || type === 'decimal' || type === 'timestamp') {
      throw new SqlmlError(
        'bad_recipe',
        `cartesian ${at(owner)} needs categorical inputs, but column ${column.name} is ${type} (wrap it in quantile_bin)`,
      );
    }
    return { column: column.name, kind: 'number', normalize: PLAIN, cuts: null, text: column.name };
  }

  /** Resolves a column argument: a quoted name exactly, an unquoted one exactly or else case-insensitively. */
  private columnArg(owner: Transform, arg: TransformArg, index: number): ColumnProfile {
    if (arg.kind !== 'column') throw this.badArg(owner, index, 'a column', arg);
    const column = this.resolveColumn(arg.name, owner);
    if (column.name === this.label.column) {
      throw new SqlmlError(
        'bad_recipe',
        `${owner.name} ${at(owner)} uses the target column ${column.name}, which cannot be a feature`,
      );
    }
    return column;
  }

  private resolveColumn(name: Identifier, owner: Transform): ColumnProfile {
    const columns = this.profile.columns;
    const exact = columns.find((c) => c.name === name.value);
    if (exact !== undefined) return exact;
    if (!name.quoted) {
      const lower = name.value.toLowerCase();
      const matches = columns.filter((c) => c.name.toLowerCase() === lower);
      if (matches.length === 1) return matches[0]!;
      if (matches.length > 1) {
        throw new SqlmlError(
          'bad_recipe',
          `column '${name.value}' in ${owner.name} ${at(owner)} matches several input columns ` +
            `(${listNames(matches.map((c) => c.name))}): quote it`,
        );
      }
    }
    throw new SqlmlError(
      'bad_recipe',
      `column '${name.value}' in ${owner.name} ${at(owner)} is not in the input ` +
        `(columns: ${listNames(columns.map((c) => c.name))})`,
    );
  }

  private wholeNumber(owner: Transform, arg: TransformArg, index: number, low: number, high: number, what: string): number {
    if (arg.kind !== 'number') throw this.badArg(owner, index, `a ${what} from ${low} to ${high}`, arg);
    if (!Number.isInteger(arg.value) || arg.value < low || arg.value > high) {
      throw new SqlmlError(
        'bad_recipe',
        `${owner.name} ${at(owner)} needs a whole ${what} from ${low} to ${high}, got ${arg.text}`,
      );
    }
    return arg.value;
  }

  private expectArity(t: Transform, count: number, what: string): void {
    if (t.args.length !== count) throw this.arity(t, what);
  }

  private arity(t: Transform, what: string): SqlmlError {
    const got = t.args.length === 1 ? '1 argument' : `${t.args.length} arguments`;
    return new SqlmlError('bad_recipe', `${t.name} ${at(t)} takes ${what}, got ${got}`);
  }

  private needs(t: Transform, what: string, column: ColumnProfile): SqlmlError {
    return new SqlmlError('bad_recipe', `${t.name} ${at(t)} needs ${what}, but column ${column.name} is ${column.type}`);
  }

  private badArg(t: Transform, index: number, what: string, arg: TransformArg): SqlmlError {
    return new SqlmlError('bad_recipe', `${t.name} ${at(t)} needs ${what} as argument ${index + 1}, got ${describeArg(arg)}`);
  }

  // ---- sizing ----

  finish(options: ModelOptions): Recipe {
    const outputs = this.label.task === 'multiclass' ? this.label.classes.length : 1;
    const hashed = this.features.filter(isHashed);
    const hashBits =
      hashed.length === 0 ? 0 : chooseHashBits(this.denseSize, outputs, hashed, this.profile, options.maxModelSize);
    const dimension = this.denseSize + (hashBits > 0 ? 2 ** hashBits : 0);
    const bytes = dimension * outputs * BYTES_PER_WEIGHT;
    if (bytes > options.maxModelSize) {
      throw new SqlmlError(
        'bad_option',
        `option max_model_size ${formatSize(options.maxModelSize)} is too small for this model, ` +
          `which needs ${formatBytes(bytes)} (${dimension} features × ${outputs} outputs)`,
      );
    }
    const used = new Set(this.features.flatMap(featureColumns));
    const inputs = this.profile.columns.filter((c) => used.has(c.name)).map((c) => ({ name: c.name, type: c.type }));
    const hashSeed = options.seed >>> 0;
    const features = this.features.map((f, i) => (isHashed(f) ? { ...f, hashPrefix: hashPrefix(f, i, hashSeed) } : f));
    return {
      version: RECIPE_VERSION,
      target: this.label.column,
      inputs,
      features,
      dropped: this.dropped,
      hashBits,
      hashSeed,
      ...(hashBits > 0 ? { hash: 'md5' as const } : {}),
      denseSize: this.denseSize,
      dimension,
      outputs,
    };
  }
}

/**
 * A hashed feature's key prefix (recipe-format.ts): its kind's letter (`c` category, `t`
 * text, `x` cross), its place among the recipe's features, and the seed, each ended by
 * `|`. Distinct places keep two features' keys apart (the same value in two columns
 * lands in unrelated slots), and a different seed draws different collisions, as a
 * different hash seed did. Digits and `|` only, so SQL spells it as a plain literal.
 */
function hashPrefix(feature: FeatureSpec, index: number, seed: number): string {
  const letter = feature.kind === 'hashed_category' ? 'c' : feature.kind === 'text' ? 't' : 'x';
  return `${letter}${index}|${seed}|`;
}

/**
 * Enough buckets for ~4× the hashed keys expected (fewer collisions), between 2^12 and
 * 2^18 (the default for single-output models), then fewer while the model would exceed
 * max_model_size; never above MAX_HASH_BITS.
 */
function chooseHashBits(
  denseSize: number,
  outputs: number,
  hashed: readonly FeatureSpec[],
  profile: Profile,
  maxModelSize: number,
): number {
  let keys = 0;
  for (const f of hashed) keys += expectedKeys(f, profile);
  let bits = Math.min(DEFAULT_HASH_BITS, MAX_HASH_BITS, Math.max(MIN_HASH_BITS, Math.ceil(Math.log2(Math.max(1, keys) * 4))));
  while (bits > MIN_HASH_BITS && (denseSize + 2 ** bits) * outputs * BYTES_PER_WEIGHT > maxModelSize) bits--;
  return bits;
}

function expectedKeys(f: FeatureSpec, profile: Profile): number {
  switch (f.kind) {
    case 'hashed_category':
      return f.distinctValues;
    case 'text':
      // Word n-grams grow with the corpus; ask for the default size.
      return 2 ** DEFAULT_HASH_BITS;
    case 'cartesian':
      return cardinality(f.left, profile) * cardinality(f.right, profile);
    default:
      return 0;
  }
}

function cardinality(input: CrossInput, profile: Profile): number {
  if (input.cuts !== null) return input.cuts.length + 2;
  const p = profile.columns.find((c) => c.name === input.column);
  return (p?.distinctEstimate ?? 1) + 1;
}

/** See HEAVY_TAIL_RANGE; columns of two values (flags) are left as they are. */
function isHeavyTailed(p: ColumnProfile): boolean {
  const sample = p.sample;
  if (sample === null || sample.length === 0 || p.distinctEstimate <= 2 || !(p.max > p.min)) return false;
  const bulk = sampleQuantile(sample, 0.99) - sampleQuantile(sample, 0.01);
  return bulk < (p.max - p.min) / HEAVY_TAIL_RANGE;
}

/** Mean and standard deviation of `transform` over a column's sample. */
function sampleStandardizer(sample: Float64Array, transform: (x: number) => number): Standardizer {
  const moments = new Moments();
  for (let i = 0; i < sample.length; i++) moments.add(transform(sample[i]!));
  return standardizer(moments.mean, moments.variance());
}

function standardizer(mean: number, variance: number): Standardizer {
  const std = Math.sqrt(variance);
  // A constant column keeps only its NULL indicator's information; scale 1 avoids 0/0.
  return { center: Number.isFinite(mean) ? mean : 0, scale: std > 0 && Number.isFinite(std) ? std : 1 };
}

function isCleaning(t: Transform): boolean {
  return t.name === 'lowercase' || t.name === 'no_punct';
}

function compareText(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

function at(t: Transform): string {
  return `at line ${t.position.line}, column ${t.position.column}`;
}

function listNames(names: readonly string[]): string {
  return names.length <= 20 ? names.join(', ') : `${names.slice(0, 20).join(', ')}, … (${names.length} in all)`;
}

function describeArg(arg: TransformArg): string {
  switch (arg.kind) {
    case 'column':
      return `column ${arg.name.value}`;
    case 'number':
      return `the number ${arg.text}`;
    case 'string':
      return `the string '${arg.value}'`;
    case 'transform':
      return `${arg.transform.name}(…)`;
  }
}

/** A transform as canonical text: `quantile_bin(age, 10)`, `ngram(lowercase("Body"), 2)`. */
export function transformText(t: Transform): string {
  const args = t.args.map((arg) => {
    switch (arg.kind) {
      case 'column':
        return arg.name.quoted ? `"${arg.name.value.replaceAll('"', '""')}"` : arg.name.value;
      case 'number':
        return arg.text;
      case 'string':
        return `'${arg.value.replaceAll("'", "''")}'`;
      case 'transform':
        return transformText(arg.transform);
    }
  });
  return `${t.name}(${args.join(', ')})`;
}

function round(value: number, digits: number): number {
  const factor = 10 ** digits;
  return Math.round(value * factor) / factor;
}
