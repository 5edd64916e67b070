/**
 * The hashed feature kinds (high-cardinality categories, text terms, crossings), as
 * src/learn/encode.ts hashes them in recipes with `hash: 'md5'`: each term's key string
 * (recipe-format.ts spells them) goes to slot base + (h32(key) & mask), h32 being the
 * dialect's md5Word(key, 0), and the slot's weight is the element at that offset of the
 * model's hashed weights written as a constant list. Recipes stored before md5 hashed
 * with MurmurHash3 over UTF-16 code units, which no SQL reproduces: they are refused.
 *
 * Where the dialect searches text by byte order (hashedTextKey, textKeyBelow: PostgreSQL),
 * a hashed category's values seen at training (the model's hashedNames) are looked up
 * first in a dictionary of their keys, whose slots are computed here by the learner's own
 * h32: a search costs a few comparisons where PostgreSQL's md5 costs a microsecond
 * (docs/in-database.md). Only values not in it are hashed, so the answers are md5's.
 * A crossing whose two sides are compared as they stand (an uncleaned text column, an
 * integer column) looks its pair up likewise, in the pairs its names record (the keys
 * rebuilt from them and self-checked, crossDictionary). Text terms are always hashed. On
 * DuckDB the dictionaries measured slower than md5 (categories and crossings alike), so
 * it has no byte-order search and hashes. A hashed category's or crossing's offset,
 * and the array of a text's terms' offsets, go through scope.share: a multiclass model's
 * compiled SELECT computes them once per row in a layer below the margins, which its K
 * classes' weights are read at, where they were stated (and md5 computed) once per class.
 */
import { h32 } from '../learn/md5.js';
import type { CrossFeature, CrossInput, HashedCategoryFeature, Recipe, TextFeature } from '../learn/recipe-format.js';
import { crossNumberText } from '../learn/encode.js';
import { CROSS_SEPARATOR, NULL_VALUE, type HashedNames } from '../learn/weight-names.js';
import { doubleLiteral, numericInput } from './sql-values.js';
import { cleanedText, wordsText } from './text-cleaning.js';
import { byteOrder, byteOrderSearch, hasUtf8Order, orderedSearch, perOutput, shared, weightLiteral, type FeatureScope, type FeatureTerms, type Translated } from './terms.js';

/** Why a model whose features are hashed the earlier way cannot be compiled. */
export const MURMUR_REASON = 'stored by an earlier version whose hashing has no SQL equivalent; RETRAIN it to score it in the database';

type Hashed = HashedCategoryFeature | TextFeature | CrossFeature;

export function translateHashed(scope: FeatureScope, feature: Hashed, recipe: Recipe, names: HashedNames | null): Translated {
  const what = feature.kind === 'cartesian' ? `crossing ${feature.transform}` : `${feature.kind === 'text' ? 'text' : 'hashed category'} feature ${feature.column}`;
  if (recipe.hash !== 'md5' || feature.hashPrefix === undefined) return { ok: false, reason: `${what}: the model was ${MURMUR_REASON}` };
  const space = new HashedSpace(scope, recipe);
  switch (feature.kind) {
    case 'hashed_category':
      return hashedCategory(scope, space, feature, feature.hashPrefix, knownValues(recipe, names, recipe.features.indexOf(feature), feature.hashPrefix));
    case 'text':
      return text(scope, space, feature, feature.hashPrefix);
    case 'cartesian':
      return crossing(scope, space, feature, feature.hashPrefix, knownPairs(recipe, names, recipe.features.indexOf(feature), feature, feature.hashPrefix));
  }
}

/** The shared hashed space: a key's slot, and a slot's weight. */
class HashedSpace {
  readonly #scope: FeatureScope;
  readonly #recipe: Recipe;

  constructor(scope: FeatureScope, recipe: Recipe) {
    this.#scope = scope;
    this.#recipe = recipe;
  }

  /** h32(key) & mask: the slot's place in the hashed space (key is text). */
  offsetOf(key: string): string {
    return `(${this.#scope.dialect.split.md5Word(key, 0)} & ${2 ** this.#recipe.hashBits - 1})`;
  }

  /**
   * The weight for output `k` of the slot at hashed offset `offset`: the slot's element of
   * the hashed weights as a constant list, up to the last non-zero one (past it, 0), which
   * the database indexes (the dialect's constantDoubleAt) instead of comparing the offset
   * with every non-zero weight's as a CASE did.
   */
  weightAt(offset: string, k: number): string {
    const { dialect, weights } = this.#scope;
    const base = this.#recipe.denseSize;
    if (this.#scope.slotIds === true) return `(${base + 1} + ${offset})`;
    const values: number[] = [];
    for (let o = 0; o < 2 ** this.#recipe.hashBits; o++) values.push(weights.weight(base + o, k));
    let length = values.length;
    while (length > 0 && values[length - 1] === 0) length--;
    const zero = doubleLiteral(dialect, 0);
    return length === 0 ? zero : `COALESCE(${dialect.constantDoubleAt(values.slice(0, length), offset)}, ${zero})`;
  }
}

/** Text columns only: the encoder's text of another type is its canonical key, which the compiler does not spell. */
function textColumn(scope: FeatureScope, name: string, what: string): { ref: string } | { reason: string } {
  const column = scope.column(name);
  if (column.type !== 'text' && column.type !== 'other') return { reason: `${what} column ${column.name} is ${column.type} in the source; the compiler reads it as text` };
  return { ref: scope.columns(column.name) };
}

function concat(parts: readonly string[]): string {
  return `CONCAT(${parts.join(', ')})`;
}

/** NULL takes the feature's NULL slot (when it has one); anything else `present`. */
function nullOr(scope: FeatureScope, ref: string, nullSlot: number | null, k: number, present: string): string {
  const missing = nullSlot === null ? doubleLiteral(scope.dialect, 0) : weightLiteral(scope, nullSlot, k);
  return `(CASE WHEN ${ref} IS NULL THEN ${missing} ELSE ${present} END)`;
}

function hashedCategory(scope: FeatureScope, space: HashedSpace, f: HashedCategoryFeature, prefix: string, known: readonly KnownValue[]): Translated {
  const column = textColumn(scope, f.column, 'hashed category');
  if ('reason' in column) return { ok: false, reason: column.reason };
  const cleaned = cleanedText(scope.dialect, column.ref, f.normalize);
  if (!cleaned.ok) return cleaned;
  const hashed = space.offsetOf(concat([scope.dialect.quoteString(prefix), cleaned.sql]));
  // The key is prefix + value, the prefix a constant: the value alone is compared.
  const looked = dictionary(scope, cleaned.sql, cleaned.sql === column.ref, known);
  const offset = shared(scope, looked === null ? hashed : `COALESCE(${looked}, ${hashed})`);
  const terms: FeatureTerms = perOutput(scope, (k) => [nullOr(scope, column.ref, f.nullSlot ? f.offset : null, k, space.weightAt(offset, k))]);
  return { ok: true, terms };
}

/**
 * A text value's terms in one scalar subquery per output (textTerms lists them); the sum of the terms' weights times
 * 1/√terms (0 for no terms). A multiclass model's compiled SELECT splits and hashes once
 * per row instead where the dialect collects (TextArrays.collect: PostgreSQL): the terms'
 * offsets collected into an array (scope.share), which each class's subquery reads by
 * position.
 */
function text(scope: FeatureScope, space: HashedSpace, f: TextFeature, prefix: string): Translated {
  const found = textTerms(scope, space, prefix, f);
  if (!found.ok) return found;
  const { dialect } = scope;
  const { arrays, column, key, from } = found;
  const q = (name: string): string => dialect.quoteIdent(name);
  const zero = doubleLiteral(dialect, 0);
  const one = doubleLiteral(dialect, 1);
  const sumOf = (weight: (out: number) => string, rows: string): ((out: number) => string) => (out) =>
    `(SELECT CASE WHEN COUNT(*) = 0 THEN ${zero} ELSE SUM(${weight(out)}) * (${one} / SQRT(CAST(COUNT(*) AS ${dialect.split.doubleCast}))) END ${rows})`;
  let sum = sumOf((out) => space.weightAt(space.offsetOf(key), out), from);
  if (scope.share !== undefined && scope.weights.outputs > 1 && arrays.collect !== undefined) {
    // Multiclass: the row's text split and each term's md5 once, as an array of its terms'
    // offsets in the layer below the margins; each class reads its weights at them, where
    // it split the text and hashed every term again.
    const slots = shared(scope, `(SELECT ${arrays.collect(space.offsetOf(key))} ${from})`);
    const t = `${q('sqlml_term')}.${q('t')}`;
    sum = sumOf(
      (out) => space.weightAt(arrays.item(slots, t), out),
      `FROM ${arrays.series('1', `COALESCE(${arrays.length(slots)}, 0)`)} AS ${q('sqlml_term')}(${q('t')})`,
    );
  }
  const terms = perOutput(scope, (out) => [nullOr(scope, column, f.nullSlot ? f.offset : null, out, sum(out))]);
  return { ok: true, terms };
}

/** A text value's terms: the FROM listing them (one row per term) and each term's key, over the column `column`. */
interface TextTerms {
  readonly ok: true;
  readonly arrays: NonNullable<FeatureScope['dialect']['textArrays']>;
  readonly column: string;
  readonly key: string;
  readonly from: string;
}

/** The words as an array, a series over the first word of each term and one over its length (n-grams) or distance (OSB), the key spelled per length or distance. */
function textTerms(scope: FeatureScope, space: HashedSpace, prefix: string, f: TextFeature): TextTerms | { readonly ok: false; readonly reason: string } {
  const { dialect } = scope;
  const arrays = dialect.textArrays;
  if (arrays === undefined) return { ok: false, reason: `text feature ${f.column}: ${dialect.name} has no split of text into an array of words` };
  const column = textColumn(scope, f.column, 'text');
  if ('reason' in column) return { ok: false, reason: column.reason };
  const words = wordsText(dialect, column.ref, f.normalize);
  if (!words.ok) return words;
  const q = (name: string): string => dialect.quoteIdent(name);
  const array = `${q('sqlml_words')}.${q('a')}`;
  const i = `${q('sqlml_first')}.${q('i')}`;
  const k = `${q('sqlml_step')}.${q('k')}`;
  const word = (offset: number): string => arrays.item(array, offset === 0 ? i : `${i} + ${offset}`);
  // The array of '' is one empty word where a database splits it so: no words.
  const count = `(CASE WHEN ${arrays.item(array, '1')} = '' THEN 0 ELSE ${arrays.length(array)} END)`;
  const p = dialect.quoteString(prefix);
  const space1 = dialect.quoteString(' ');
  let steps: string;
  let within: string;
  const keys: string[] = [];
  if (f.mode === 'ngram') {
    steps = arrays.series('1', String(f.n));
    within = `${i} + ${k} - 1 <= ${count}`;
    for (let length = 1; length <= f.n; length++) {
      const parts = [p, word(0)];
      for (let w = 1; w < length; w++) parts.push(space1, word(w));
      keys.push(`WHEN ${length} THEN ${concat(parts)}`);
    }
  } else {
    steps = arrays.series('0', String(f.n - 1));
    within = `${i} + ${k} <= ${count}`;
    keys.push(`WHEN 0 THEN ${concat([p, word(0)])}`);
    for (let d = 1; d < f.n; d++) keys.push(`WHEN ${d} THEN ${concat([p, word(0), dialect.quoteString(` ${d} `), word(d)])}`);
  }
  const key = `(CASE ${k} ${keys.join(' ')} END)`;
  const from =
    `FROM (SELECT ${arrays.split(words.sql, space1)} AS ${q('a')}) AS ${q('sqlml_words')} ` +
    `CROSS JOIN ${arrays.series('1', count)} AS ${q('sqlml_first')}(${q('i')}) ` +
    `CROSS JOIN ${steps} AS ${q('sqlml_step')}(${q('k')}) WHERE ${within}`;
  return { ok: true, arrays, column: column.ref, key, from };
}

/**
 * The objective's encoding of a text feature (objective-sql.ts): the row's slots as an
 * array (TextArrays.gather), one element per term as the encoder pushes them (a repeated
 * term twice): each term's key's slot in the shared hashed space, or, for NULL, the NULL
 * slot (when the feature has one); NULL for no terms. Each element's value is 1/√(elements).
 */
export function textTermSlots(scope: FeatureScope, f: TextFeature, recipe: Recipe): { readonly ok: true; readonly sql: string } | { readonly ok: false; readonly reason: string } {
  if (recipe.hash !== 'md5' || f.hashPrefix === undefined) return { ok: false, reason: `text feature ${f.column}: the model was ${MURMUR_REASON}` };
  const space = new HashedSpace(scope, recipe);
  const found = textTerms(scope, space, f.hashPrefix, f);
  if (!found.ok) return found;
  const { dialect } = scope;
  const { arrays, column, key, from } = found;
  const slot = (x: string): string => `CAST(${x} AS ${dialect.split.bigintCast})`;
  const missing = f.nullSlot ? `(SELECT ${arrays.gather(slot(String(f.offset)))})` : 'NULL';
  return { ok: true, sql: `(CASE WHEN ${column} IS NULL THEN ${missing} ELSE (SELECT ${arrays.gather(slot(`${recipe.denseSize} + ${space.offsetOf(key)}`))} ${from}) END)` };
}

/** One side's token in a crossing key: `n` for NULL, `t` + cleaned text, `b` + bin, `v` + integer. */
function crossToken(scope: FeatureScope, input: CrossInput): { sql: string } | { reason: string } {
  const { dialect } = scope;
  const q = (text: string): string => dialect.quoteString(text);
  const asText = (x: string): string => `CAST(${x} AS ${dialect.split.textCast})`;
  if (input.kind === 'text') {
    const column = textColumn(scope, input.column, 'crossed');
    if ('reason' in column) return column;
    const cleaned = cleanedText(dialect, column.ref, input.normalize);
    if (!cleaned.ok) return cleaned;
    return { sql: `(CASE WHEN ${column.ref} IS NULL THEN ${q('n')} ELSE ${concat([q('t'), cleaned.sql])} END)` };
  }
  const column = scope.column(input.column);
  const ref = scope.columns(column.name);
  const value = numericInput(dialect, ref, column.type);
  if (value === null) return { reason: `crossed column ${column.name} (${column.type}): ${dialect.name} has no reading of it as the learner's number` };
  if (input.kind === 'bins') {
    const cuts = input.cuts ?? [];
    const whens = cuts.map((cut, b) => `WHEN ${value.value} < ${doubleLiteral(dialect, cut)} THEN ${q(`b${b}`)}`);
    return { sql: `(CASE WHEN ${value.missing} THEN ${q('n')} ${whens.join(' ')} ELSE ${q(`b${cuts.length}`)} END)` };
  }
  // The integer in decimal: booleans 0/1, dates as epoch milliseconds (exact below 2^53, as the reader's doubles are).
  const integer =
    column.type === 'boolean'
      ? dialect.split.booleanToInteger(ref)
      : column.type === 'date'
        ? dialect.split.dateToEpochMs(ref)
        : column.type === 'integer' || column.type === 'bigint'
          ? ref
          : null;
  if (integer === null) return { reason: `crossed column ${column.name} is ${column.type} in the source; the compiler crosses booleans, integers and dates` };
  return { sql: `(CASE WHEN ${value.missing} THEN ${q('n')} ELSE ${concat([q('v'), asText(integer)])} END)` };
}

function crossing(scope: FeatureScope, space: HashedSpace, f: CrossFeature, prefix: string, known: readonly KnownPair[]): Translated {
  const left = crossToken(scope, f.left);
  if ('reason' in left) return { ok: false, reason: left.reason };
  const right = crossToken(scope, f.right);
  if ('reason' in right) return { ok: false, reason: right.reason };
  const hashed = space.offsetOf(concat([scope.dialect.quoteString(prefix), left.sql, scope.dialect.quoteString('|'), right.sql]));
  const looked = crossDictionary(scope, f, known);
  const offset = shared(scope, looked === null ? hashed : `COALESCE(${looked}, ${hashed})`);
  return { ok: true, terms: perOutput(scope, (k) => [space.weightAt(offset, k)]) };
}

/** A crossing side's value: NULL (token `n`), text (`t` + it) or an integer (`v` + its decimal). */
export type CrossValue = null | { readonly text: string } | { readonly integer: number };

/** A pair of values seen at training in a crossing, and its key's offset in the hashed space. */
export interface KnownPair {
  readonly left: CrossValue;
  readonly right: CrossValue;
  readonly offset: number;
}

function tokenOf(value: CrossValue): string {
  if (value === null) return 'n';
  return 'text' in value ? `t${value.text}` : `v${crossNumberText(value.integer)}`;
}

/**
 * The values a side's recorded name may stand for (weight-names.ts's crossSide spells
 * them): the text itself, or NULL where it reads NULL_VALUE; an integer in plain
 * decimal; none for bins (their names are ranges, not searched).
 */
function sideValues(input: CrossInput, name: string): CrossValue[] {
  if (input.kind === 'bins') return [];
  const values: CrossValue[] = name === NULL_VALUE ? [null] : [];
  if (input.kind === 'text') values.push({ text: name });
  else if (/^-?[0-9]+$/.test(name) && Number.isSafeInteger(Number(name)) && String(Number(name)) === name) values.push({ integer: Number(name) });
  return values;
}

/**
 * The pairs recorded in `names` for crossing number `feature` (each name `L × R`, read at
 * every separator it holds) whose key, prefix + token(L) + '|' + token(R) as the encoder
 * spells it, hashes by the learner's own h32 to the slot it is named under; a reading
 * that does not is left out. Whatever the names hold, each pair's offset is its key's h32,
 * so the dictionary's answers are md5's. One entry per pair.
 */
export function knownPairs(recipe: Recipe, names: HashedNames | null, feature: number, f: CrossFeature, prefix: string): KnownPair[] {
  if (names === null || feature < 0) return [];
  const mask = 2 ** recipe.hashBits - 1;
  const known = new Map<string, KnownPair>();
  for (const [slot, recorded] of Object.entries(names.slots)) {
    const offset = Number(slot);
    for (const [g, name] of recorded) {
      if (g !== feature) continue;
      for (let at = name.indexOf(CROSS_SEPARATOR); at >= 0; at = name.indexOf(CROSS_SEPARATOR, at + 1)) {
        for (const left of sideValues(f.left, name.slice(0, at))) {
          for (const right of sideValues(f.right, name.slice(at + CROSS_SEPARATOR.length))) {
            const key = `${tokenOf(left)}|${tokenOf(right)}`;
            if (!known.has(key) && (h32(prefix + key) & mask) === offset) known.set(key, { left, right, offset });
          }
        }
      }
    }
  }
  return [...known.values()];
}

/**
 * How a crossing side is searched: its column compared as it stands, so repeating it at
 * each level of the search costs nothing — a text column uncleaned (by byte order, as a
 * hashed category's dictionary), an integer column (by number). Null for any other side
 * (cleaned text, bins, booleans, dates), whose crossing is hashed alone.
 */
interface SideSearch {
  readonly ref: string;
  /** The side's non-NULL value as SQL, and the search's order and key. */
  readonly constant: (value: CrossValue & object) => string;
  readonly below: (value: CrossValue & object) => string;
  readonly key: string;
  readonly compare: (a: CrossValue & object, b: CrossValue & object) => number;
  /** Whether a value of this kind can be searched. */
  readonly takes: (value: CrossValue & object) => boolean;
}

function sideSearch(scope: FeatureScope, input: CrossInput): SideSearch | null {
  const { dialect } = scope;
  const column = scope.column(input.column);
  const ref = scope.columns(column.name);
  if (input.kind === 'text') {
    const keyOf = dialect.hashedTextKey;
    const below = dialect.textKeyBelow;
    if (keyOf === undefined || below === undefined || (column.type !== 'text' && column.type !== 'other')) return null;
    if (input.normalize.lowercase || input.normalize.noPunct) return null;
    const key = keyOf(ref);
    const text = (v: CrossValue & object): string => ('text' in v ? v.text : '');
    return {
      ref,
      key,
      constant: (v) => dialect.textKeyConstant(text(v)),
      below: (v) => below(key, text(v)),
      compare: (a, b) => byteOrder(text(a), text(b)),
      // Left to md5 as a category's: text with no UTF-8 form, and NUL.
      takes: (v) => 'text' in v && hasUtf8Order(v.text) && !v.text.includes('\0'),
    };
  }
  if (input.kind !== 'number' || (column.type !== 'integer' && column.type !== 'bigint')) return null;
  const integer = (v: CrossValue & object): number => ('integer' in v ? v.integer : 0);
  return {
    ref,
    key: ref,
    constant: (v) => String(integer(v)),
    below: (v) => `${ref} < ${integer(v)}`,
    compare: (a, b) => integer(a) - integer(b),
    takes: (v) => 'integer' in v,
  };
}

/**
 * The offset of the row's crossing when its pair of values is one of `known`, else NULL:
 * the left value searched (NULL tested first), then, among the pairs with that left
 * value, the right one, each side by sideSearch. Only where both sides can be searched
 * so, and the dialect searches text by byte order (hashedTextKey, textKeyBelow), as a
 * hashed category's dictionary; null when there is nothing to ask.
 */
function crossDictionary(scope: FeatureScope, f: CrossFeature, known: readonly KnownPair[]): string | null {
  const { dialect } = scope;
  if (dialect.hashedTextKey === undefined || dialect.textKeyBelow === undefined || known.length === 0 || known.length > DICTIONARY_CAP) return null;
  const left = sideSearch(scope, f.left);
  const right = sideSearch(scope, f.right);
  if (left === null || right === null) return null;
  const usable = known.filter((p) => (p.left === null || left.takes(p.left)) && (p.right === null || right.takes(p.right)));
  if (usable.length === 0) return null;
  // No ELSE anywhere: a value not in the part searched is NULL, and takes md5.
  const side = <T>(search: SideSearch, entries: readonly T[], valueOf: (entry: T) => CrossValue, then: (group: readonly T[]) => string): string => {
    const groups = new Map<string, { value: CrossValue; entries: T[] }>();
    for (const entry of entries) {
      const value = valueOf(entry);
      const id = tokenOf(value);
      const group = groups.get(id) ?? { value, entries: [] };
      group.entries.push(entry);
      groups.set(id, group);
    }
    const nulls = groups.get('n');
    const values = [...groups.values()].filter((g): g is { value: CrossValue & object; entries: T[] } => g.value !== null).sort((a, b) => search.compare(a.value, b.value));
    const searched =
      values.length === 0
        ? null
        : orderedSearch(
            values,
            (g) => search.below(g.value),
            (part) => `CASE ${search.key} ${part.map((g) => `WHEN ${search.constant(g.value)} THEN ${then(g.entries)}`).join(' ')} END`,
          );
    if (nulls === undefined) return searched!;
    return `CASE WHEN ${search.ref} IS NULL THEN ${then(nulls.entries)}${searched === null ? '' : ` ELSE ${searched}`} END`;
  };
  return `(${side(left, usable, (p) => p.left, (pairs) => side(right, pairs, (p) => p.right, (one) => String(one[0]!.offset)))})`;
}

/** A value seen at training and its key's offset in the hashed space, h32(prefix + value) & mask. */
export interface KnownValue {
  readonly value: string;
  readonly offset: number;
}

/**
 * The values recorded in `names` for hashed feature number `feature` whose key (`prefix` +
 * value, as the encoder spells it) hashes, by the learner's own h32, to the slot they are
 * named under; a name that does not is not a key as the encoder hashed it and is left out,
 * so whatever the names hold, the dictionary's answers are md5's. One entry per value.
 */
export function knownValues(recipe: Recipe, names: HashedNames | null, feature: number, prefix: string): KnownValue[] {
  if (names === null || feature < 0) return [];
  const mask = 2 ** recipe.hashBits - 1;
  const known = new Map<string, number>();
  for (const [slot, recorded] of Object.entries(names.slots)) {
    const offset = Number(slot);
    for (const [f, value] of recorded) {
      if (f !== feature || known.has(value)) continue;
      if ((h32(prefix + value) & mask) === offset) known.set(value, offset);
    }
  }
  return [...known].map(([value, offset]) => ({ value, offset }));
}

/** Most known values a dictionary holds: past it the compiled SQL would grow without bound, and md5 alone is used. */
export const DICTIONARY_CAP = 4096;
/**
 * The offset of the text `value` (SQL, not NULL) when it is one of `known`, else NULL: a
 * search by byte order over the known values (byteOrderSearch), where the dialect
 * has one (hashedTextKey and textKeyBelow) and `cheap` says repeating `value` at each
 * level costs nothing (it is a column). Null when there is no dictionary to ask.
 */
function dictionary(scope: FeatureScope, value: string, cheap: boolean, known: readonly KnownValue[]): string | null {
  const { dialect } = scope;
  const keyOf = dialect.hashedTextKey;
  if (keyOf === undefined || dialect.textKeyBelow === undefined || !cheap || known.length > DICTIONARY_CAP) return null;
  // Searched in UTF-8 byte order (byteOrder: code points, not JavaScript's UTF-16 units).
  // Left to md5: text with no UTF-8 form, and NUL, which no searching database's text holds.
  const entries = known.filter(({ value: v }) => hasUtf8Order(v) && !v.includes('\0')).map(({ value: v, offset }) => ({ text: v, offset }));
  if (entries.length === 0) return null;
  const key = keyOf(value);
  // No ELSE: a value not in the part searched is NULL, and takes md5.
  const caseOf = (part: readonly (typeof entries)[number][]): string =>
    `CASE ${key} ${part.map(({ text, offset }) => `WHEN ${dialect.textKeyConstant(text)} THEN ${offset}`).join(' ')} END`;
  return `(${byteOrderSearch(dialect, key, entries, caseOf)})`;
}
