/**
 * What every feature translation shares: the model's weights as literals, the input
 * columns as SQL, and the shape of a translation's answer. A feature contributes, per
 * output, a list of terms (doubles; 0 where the encoder writes nothing) in the order the
 * encoder pushes them, so the margin is summed in the streaming Scorer's order.
 */
import type { Column } from '../data.js';
import type { SqlDialect } from '../../adapters/dialect.js';
import type { ColumnExpressions } from './index.js';
import { doubleLiteral } from './sql-values.js';

export interface ModelWeights {
  /** Outputs per feature (classes for multiclass, else 1). */
  readonly outputs: number;
  /** Weight of feature `index` for output `k` (index·K + k, as OnlineLearner.modelCopy lays them out). */
  weight(index: number, k: number): number;
}

export interface FeatureScope {
  readonly dialect: SqlDialect;
  readonly weights: ModelWeights;
  /** The source column bound to a recipe input name (as the encoder binds it). */
  column(name: string): Column;
  /** The SQL reference of a source column. */
  readonly columns: ColumnExpressions;
  /**
   * An expression of the row that the terms of several outputs read (a hashed feature's
   * slot, which a multiclass model's K margins each index by): the reference to it
   * computed once in a layer below the margins, where the caller builds one; else the
   * expression itself, stated in each term.
   */
  share?(expression: string): string;
  /**
   * The objective's encoding (objective-sql.ts): a hashed category's or crossing's term
   * is the row's slot + 1 (its key's slot in the shared hashed space, or the NULL slot
   * through `weights`, which gives index + 1), not the slot's weight.
   */
  readonly slotIds?: boolean;
}

/** Per output, the feature's terms in push order. */
export type FeatureTerms = string[][];

/** A translation, or why the feature cannot be expressed. */
export type Translated = { readonly ok: true; readonly terms: FeatureTerms } | { readonly ok: false; readonly reason: string };

/** `expression` as the terms of every output read it: through scope.share where the caller computes it once, else itself. */
export function shared(scope: FeatureScope, expression: string): string {
  return scope.share?.(expression) ?? expression;
}

/** The weight of dense slot `index` for output `k` as a literal. */
export function weightLiteral(scope: FeatureScope, index: number, k: number): string {
  return doubleLiteral(scope.dialect, scope.weights.weight(index, k));
}

/** `CASE WHEN <cond> THEN <w> … ELSE <otherwise> END` over `(condition, slot)` pairs, one per output. */
export function slotChoice(scope: FeatureScope, cases: readonly (readonly [string, number | null])[], otherwise: number | null): FeatureTerms {
  const zero = doubleLiteral(scope.dialect, 0);
  return perOutput(scope, (k) => {
    const value = (slot: number | null): string => (slot === null ? zero : weightLiteral(scope, slot, k));
    const whens = cases.map(([condition, slot]) => `WHEN ${condition} THEN ${value(slot)}`).join(' ');
    return [`(CASE ${whens} ELSE ${value(otherwise)} END)`];
  });
}

/** The same translation for every output `k`. */
export function perOutput(scope: FeatureScope, terms: (k: number) => string[]): FeatureTerms {
  return Array.from({ length: scope.weights.outputs }, (_, k) => terms(k));
}

/** Clipped as src/learn/encode.ts clips a standardized value (±MAX_ABS_VALUE). */
export function clipped(scope: FeatureScope, z: string, maxAbs: number): string {
  return `GREATEST(${doubleLiteral(scope.dialect, -maxAbs)}, LEAST(${doubleLiteral(scope.dialect, maxAbs)}, ${z}))`;
}

/** (v - center) / scale, clipped. */
export function standardized(scope: FeatureScope, v: string, center: number, scale: number, maxAbs: number): string {
  const { dialect } = scope;
  return clipped(scope, `((${v} - ${doubleLiteral(dialect, center)}) / ${doubleLiteral(dialect, scale)})`, maxAbs);
}

/**
 * ASCII text: every server encoding orders it as UTF-8 does. A one-hot is searched only
 * over ASCII categories: there a category the search missed would take the unseen
 * category's weight, where the hashed dictionary's miss falls back to md5.
 */
export const ASCII = /^[\x00-\x7f]*$/;

/** A surrogate without its other half: text no database holds, with no UTF-8 bytes to order. */
const LONE_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;

/** Text with a UTF-8 form (no lone surrogate): what byteOrder can order. */
export function hasUtf8Order(text: string): boolean {
  return !LONE_SURROGATE.test(text);
}

/**
 * `a` against `b` in UTF-8 byte order (negative: before), which is code point order.
 * JavaScript's `<` compares UTF-16 code units instead, and differs where an astral
 * character (a surrogate pair, 0xD800–0xDFFF) meets one of U+E000–U+FFFF: `'🙂' < '\uff01'`
 * in UTF-16, after it in UTF-8 (F0 9F… against EF BC…).
 */
export function byteOrder(a: string, b: string): number {
  const length = Math.min(a.length, b.length);
  for (let i = 0; i < length; ) {
    const x = a.codePointAt(i)!;
    const y = b.codePointAt(i)!;
    if (x !== y) return x - y;
    i += x > 0xffff ? 2 : 1;
  }
  return a.length - b.length;
}

/** Entries left to one CASE at the end of a search. */
const SEARCH_LEAF = 3;

/**
 * A binary search by byte order for `key` (SQL, not NULL) among `entries`, each with a
 * `text` in UTF-8 (hasUtf8Order; the database's encoding, as its md5 of text assumes):
 * the entries sorted by byteOrder, the key compared with the middle one by
 * dialect.textKeyBelow, down to a few, which `leaf` states (a CASE comparing the key with
 * each). A key equal to an entry's text lands in the leaf holding it; any other reaches a
 * leaf without it, whose CASE gives what it gives a value not in it.
 */
export function byteOrderSearch<T extends { readonly text: string }>(
  dialect: SqlDialect,
  key: string,
  entries: readonly T[],
  leaf: (part: readonly T[]) => string,
): string {
  const below = dialect.textKeyBelow;
  if (below === undefined) throw new Error(`byteOrderSearch: ${dialect.name} has no comparison by byte order`);
  return orderedSearch(
    [...entries].sort((a, b) => byteOrder(a.text, b.text)),
    (entry) => below(key, entry.text),
    leaf,
  );
}

/**
 * A binary search among `sorted` entries (in the order `below` compares them): the key
 * compared with the middle entry by `below(entry)` (SQL: the key sorts before it), down
 * to a few, which `leaf` states.
 */
export function orderedSearch<T>(sorted: readonly T[], below: (entry: T) => string, leaf: (part: readonly T[]) => string): string {
  const search = (part: readonly T[]): string => {
    if (part.length <= SEARCH_LEAF) return leaf(part);
    const middle = part.length >> 1;
    return `CASE WHEN ${below(part[middle]!)} THEN ${search(part.slice(0, middle))} ELSE ${search(part.slice(middle))} END`;
  };
  return search(sorted);
}
