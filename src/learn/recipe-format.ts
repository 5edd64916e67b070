/**
 * The recipe as it is stored with a model: a JSON-serializable description of every
 * feature the model reads, which the encoder applies unchanged at training and at
 * prediction. recipe.ts builds it from the column profiles; recipe-describe.ts reads it
 * to people. A stored recipe is plain JSON inside the model (model-format.ts), so a
 * field added here must be optional, with a default that reads older recipes as before.
 *
 * Feature indices: dense features (standardized numbers, one-hot slots, indicators) take
 * `[0, denseSize)` in feature order; everything hashed (high-cardinality categories,
 * words, n-grams, crossings) shares `[denseSize, denseSize + 2^hashBits)`.
 *
 * Hashing (recipes with `hash: 'md5'`, every recipe with hashed features made today):
 * a key string goes to slot `denseSize + (h32(key) & (2^hashBits - 1))`, h32 being the
 * first 32 bits of md5 over the key's UTF-8 read big-endian (md5.ts), which every SQL
 * database computes alike. Each key starts with its feature's `hashPrefix`; the rest of
 * the key is spelled on each hashed feature kind below. Recipes stored without `hash`
 * hash with MurmurHash3 over UTF-16 code units (hash.ts), which has no SQL equivalent;
 * they keep loading and scoring as they did.
 */
import type { ColumnType } from '../data.js';

/** The stored recipe's version. */
export const RECIPE_VERSION = 1;

/** How text is cleaned before it is looked up or split into words. */
export interface TextNormalization {
  readonly lowercase: boolean;
  readonly noPunct: boolean;
}

/** x ↦ (x - center) / scale. */
export interface Standardizer {
  readonly center: number;
  readonly scale: number;
}

interface DenseBase {
  /** The input column the feature reads, as named at training. */
  readonly column: string;
  /** First dense index of the feature. */
  readonly offset: number;
  /** Dense slots it uses (hashed features use 0 or 1, for a NULL indicator). */
  readonly size: number;
  /** The RECIPE transform that made it, as text; null for a default feature. */
  readonly transform: string | null;
}

/** Slot 0: the standardized value (0 for NULL); slot 1 when `nullSlot`: 1 for NULL. */
export interface NumberFeature extends DenseBase {
  readonly kind: 'number';
  readonly standardize: Standardizer;
  readonly nullSlot: boolean;
  /**
   * Heavy-tailed (recipe.ts's HEAVY_TAIL_RANGE): the value becomes signedLog(x) before it
   * is standardized. Absent in older stored recipes, which read it as false.
   */
  readonly log?: boolean;
}

/** Slot 0: 1 for true; slot 1 when `nullSlot`: 1 for NULL. */
export interface BooleanFeature extends DenseBase {
  readonly kind: 'boolean';
  readonly nullSlot: boolean;
}

/** Slots: one per category (sorted), then 'other' (unseen at training), then '<NULL>' when `nullSlot`. */
export interface OneHotFeature extends DenseBase {
  readonly kind: 'one_hot';
  readonly categories: readonly string[];
  readonly normalize: TextNormalization;
  readonly nullSlot: boolean;
}

/**
 * The start of every key a hashed feature hashes (md5 recipes only): printable ASCII
 * without quote characters or backslashes, so SQL can spell it as a plain literal, and
 * different for each feature of a recipe. Absent in recipes hashed with MurmurHash3.
 */
interface HashPrefixed {
  readonly hashPrefix?: string;
}

/**
 * The (normalized) value hashed into the shared space; NULL sets dense slot 0 when
 * `nullSlot`. Key: `hashPrefix + v`, v the value cleaned by `normalize`.
 */
export interface HashedCategoryFeature extends DenseBase, HashPrefixed {
  readonly kind: 'hashed_category';
  readonly normalize: TextNormalization;
  readonly nullSlot: boolean;
  /** Distinct values at training (estimated), for DESCRIBE and the hash size. */
  readonly distinctValues: number;
}

/**
 * Words (n-grams or orthogonal sparse bigrams) hashed, each weighted 1/√terms (terms of
 * the row); NULL sets slot 0 when `nullSlot`. Words: the text cleaned by `normalize`
 * (lowercase; no_punct strips each word's leading and trailing punctuation), split on
 * whitespace (tokenize-text.ts), empty words skipped. Keys:
 * - `ngram`: each run of k consecutive words w1..wk, 1 ≤ k ≤ n: `hashPrefix + w1 + ' ' + … + ' ' + wk`;
 * - `osb`: each word w_i: `hashPrefix + w_i`; each pair (w_i, w_{i+d}), 1 ≤ d ≤ n-1:
 *   `hashPrefix + w_i + ' ' + d + ' ' + w_{i+d}` (d in decimal).
 */
export interface TextFeature extends DenseBase, HashPrefixed {
  readonly kind: 'text';
  readonly normalize: TextNormalization;
  readonly mode: 'ngram' | 'osb';
  /** n-grams up to this length, or the OSB window. */
  readonly n: number;
  readonly nullSlot: boolean;
  /** Average words per value at training, to size the encoder's buffers. */
  readonly meanWords: number;
}

/**
 * Calendar parts of a date or timestamp (UTC). Slot layout, each present or -1:
 * year (standardized), 12 months, 7 days of week (Monday first), hour (standardized),
 * days since 1970 (standardized), NULL indicator.
 */
export interface DateFeature extends DenseBase {
  readonly kind: 'date';
  readonly year: Standardizer | null;
  readonly hour: Standardizer | null;
  readonly days: Standardizer;
  readonly slots: DateSlots;
}

/** Slot of each calendar part within a date feature, or -1 when absent. */
export interface DateSlots {
  readonly year: number;
  readonly month: number;
  readonly weekday: number;
  readonly hour: number;
  readonly days: number;
  readonly null: number;
}

/** Slots: one per bin (`cuts.length + 1`; bin = how many cuts are ≤ v), then '<NULL>' when `nullSlot`. */
export interface BinnedFeature extends DenseBase {
  readonly kind: 'quantile_bin';
  readonly bins: number;
  readonly cuts: readonly number[];
  readonly nullSlot: boolean;
}

/** One side of a crossing: a text value, a categorical number (boolean, integer, date), or quantile bins. */
export interface CrossInput {
  readonly column: string;
  readonly kind: 'text' | 'number' | 'bins';
  readonly normalize: TextNormalization;
  /** Bins only. */
  readonly cuts: readonly number[] | null;
  /** How the input reads in DESCRIBE: `job`, `lowercase(job)`, `quantile_bin(age, 4)`. */
  readonly text: string;
}

/**
 * The pair of categories hashed into the shared space (NULL is a category of its own).
 * Key: `hashPrefix + L + '|' + R`, each side's token being `n` for NULL; `t` + the value
 * cleaned by `normalize` for text; `b` + the bin index (how many cuts are ≤ v) in decimal
 * for bins; `v` + the integer in decimal (no exponent, no fraction; -0 is `0`) for a
 * number (boolean 0/1, integer, date as epoch milliseconds).
 */
export interface CrossFeature extends HashPrefixed {
  readonly kind: 'cartesian';
  readonly left: CrossInput;
  readonly right: CrossInput;
  readonly offset: number;
  readonly size: 0;
  readonly transform: string;
}

export type FeatureSpec =
  | NumberFeature
  | BooleanFeature
  | OneHotFeature
  | HashedCategoryFeature
  | TextFeature
  | DateFeature
  | BinnedFeature
  | CrossFeature;

/** A column the recipe reads, with its type at training. */
export interface RecipeInput {
  readonly name: string;
  readonly type: ColumnType;
}

/** A column that yields no feature, and why (for DESCRIBE). */
export interface DroppedColumn {
  readonly column: string;
  readonly reason: string;
}

export interface Recipe {
  readonly version: typeof RECIPE_VERSION;
  readonly target: string;
  /** Columns the features read, in input order; prediction needs exactly these. */
  readonly inputs: readonly RecipeInput[];
  readonly features: readonly FeatureSpec[];
  readonly dropped: readonly DroppedColumn[];
  /** Bits of the shared hashed space; 0 when nothing is hashed. */
  readonly hashBits: number;
  readonly hashSeed: number;
  /** 'md5' when hashed features hash key strings with md5 (see the top); absent in older recipes and in recipes with nothing hashed. */
  readonly hash?: 'md5';
  readonly denseSize: number;
  /** denseSize + 2^hashBits, or denseSize when nothing is hashed. */
  readonly dimension: number;
  /** Weights per feature: the number of classes for multiclass, else 1. */
  readonly outputs: number;
}

/** The input columns a feature reads. */
export function featureColumns(feature: FeatureSpec): string[] {
  return feature.kind === 'cartesian' ? [feature.left.column, feature.right.column] : [feature.column];
}

/** Whether a feature writes into the shared hashed space. */
export function isHashed(feature: FeatureSpec): boolean {
  return feature.kind === 'hashed_category' || feature.kind === 'text' || feature.kind === 'cartesian';
}

/** sign(x)·ln(1 + |x|): a log scale that keeps 0 at 0 and the sign of negative values. */
export function signedLog(x: number): number {
  return x < 0 ? -Math.log1p(-x) : Math.log1p(x);
}
