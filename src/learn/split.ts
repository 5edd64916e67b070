/**
 * The deterministic train / evaluation split.
 *
 * A row's role is a function of (content hash, occurrence, seed): `contentHash` is a
 * seeded hash of the row's values (the seed enters there), and the occurrence k counts
 * the earlier rows with the same content (0 for the first). The role is decided by
 *
 *   u = (contentHash + k · HOLDOUT_STEP) mod 2^32, held out when u ≥ trainFraction · 2^32
 *
 * HOLDOUT_STEP is 2^32/φ, so k ↦ u is a golden-ratio (Weyl) sequence: however many
 * copies a content has, they are held out at the requested fraction (within a copy or
 * two), where a hash of the content alone would send them all to one side. Identical
 * rows are interchangeable, so which copy gets which role does not matter, only how many
 * of each; that multiset does not depend on the order the database returns the rows in,
 * so a later EVALUATE finds the same held-out rows again. A row seen once has k = 0 and
 * the role its content hash alone gives.
 *
 * In SQL, k is `ROW_NUMBER() OVER (PARTITION BY <every column>) - 1` over the rows with a
 * target, and the test above is integer arithmetic (see split-sql.ts in the engine).
 *
 * The validation carve-out (early stopping) draws from a second sequence over the same
 * k: v = (hashCombine(contentHash, VALIDATION_SALT) + k · VALIDATION_STEP) mod 2^32, with
 * a step (2^32·(√2 − 1)) independent of the first, so the validation copies are the
 * requested share of each content's training copies too.
 */
import type { ColumnData, NumberColumnData, RowBatch } from '../data.js';
import { exactWords, mix, NULL_VALUE, numberValue, numberWords, ROW_PRIME, textWords, wordHi, wordLo } from './content-hash.js';
import { finishHash, hashCombine, hashString, hashToUnit, mixBlock } from './hash.js';
import { OccurrenceCounter } from './occurrences.js';

/** What a row is used for; one byte per row in the row cache. */
export const RowRole = {
  Train: 0,
  /** Training rows set aside to decide when to stop (never trained on). */
  Validation: 1,
  /** The evaluation split. */
  Holdout: 2,
  /** Not used (target NULL). */
  Skip: 3,
} as const;
export type RowRole = (typeof RowRole)[keyof typeof RowRole];

export interface SplitSpec {
  /** Training fraction, or null to train on every row (no evaluation split). */
  readonly trainFraction: number | null;
  /** Fraction of the training rows kept aside for early stopping (0 = none). */
  readonly validationFraction: number;
  readonly seed: number;
}

/** Salts the validation test's hash (hashCombine), so it is independent of the held-out test's. */
export const VALIDATION_SALT = 0x9e3779b9;
/** round(2^32 / φ), odd: the held-out test's step from one copy of a content to the next. */
export const HOLDOUT_STEP = 0x9e3779b9;
/** floor(2^32 · (√2 − 1)), odd: the validation test's step, independent of HOLDOUT_STEP. */
export const VALIDATION_STEP = 0x6a09e667;
/** Seeds the second half of the 64-bit content key (see OccurrenceCounter). */
const KEY_SALT = 0x5bd1e995;
/** A NULL's two blocks in the key's second half: a NaN whose payload spells "null". */
const NULL_LOW = 0x6e756c6c;
const NULL_HIGH = 0x7ff80000;

/** The content hash of row `row` (see content-hash.ts): the first half of `contentHashes`. */
export function hashRow(batch: RowBatch, row: number, seed: number): number {
  return contentHashes({ rowCount: 1, columns: batch.columns.map((data) => sliceRow(data, row)) }, seed, new Int32Array(2))[0]! >>> 0;
}

function sliceRow(data: ColumnData, row: number): ColumnData {
  if (data.kind === 'text') return { kind: 'text', values: [data.values[row] ?? null] };
  const exact = data.exact?.[row];
  return { kind: 'number', values: Float64Array.of(data.values[row]!), nulls: Uint8Array.of(data.nulls[row]!), ...(exact === undefined ? {} : { exact: [exact] }) };
}

/** The role of the `occurrence`-th copy (0 = first) of a content whose hash is `hash`. */
export function roleOf(hash: number, spec: SplitSpec, occurrence = 0): RowRole {
  if (spec.trainFraction !== null && hashToUnit(hash + Math.imul(occurrence, HOLDOUT_STEP)) >= spec.trainFraction) {
    return RowRole.Holdout;
  }
  if (
    spec.validationFraction > 0 &&
    hashToUnit(hashCombine(hash, VALIDATION_SALT) + Math.imul(occurrence, VALIDATION_STEP)) < spec.validationFraction
  ) {
    return RowRole.Validation;
  }
  return RowRole.Train;
}

/** Whether the split's roles depend on copy numbers (any held-out or validation rows), so copies must be counted. */
export function countsCopies(spec: SplitSpec): boolean {
  return !(spec.trainFraction === null && spec.validationFraction === 0);
}

/** How a RowSplitter counts copies. */
export interface SplitterOptions {
  /**
   * Count no copies: `assign` gives every row its content's first copy's role (k = 0),
   * and the caller counts the copies and corrects the roles of the later ones itself
   * (the training's read does, on disk: src/engine/split-copies.ts), so the splitter
   * keeps nothing per row.
   */
  readonly firstCopies?: boolean;
}

/**
 * Assigns the roles of a stream's rows batch by batch, in stream order, counting the
 * copies of each content as it goes. One splitter per stream: training's pass 0 and
 * EVALUATE's re-read each use a fresh one, so they count alike.
 */
export class RowSplitter {
  readonly #spec: SplitSpec;
  /** Null when no copy is counted: every row with a target is a training row, or `firstCopies`. */
  readonly #occurrences: OccurrenceCounter | null;
  /** Whether a row's role depends on its content at all (a split asked for). */
  readonly #splits: boolean;

  constructor(spec: SplitSpec, options: SplitterOptions = {}) {
    this.#spec = spec;
    this.#splits = countsCopies(spec);
    this.#occurrences = this.#splits && options.firstCopies !== true ? new OccurrenceCounter() : null;
  }

  /**
   * Fills `roles[0..rowCount)` for the next batch of the stream; rows whose target is NULL
   * get `Skip` (and are not counted). `hashes` are the batch's `contentHashes`, when
   * another thread computed them already.
   */
  assign(batch: RowBatch, targetIndex: number, roles: Uint8Array, hashes?: Int32Array): void {
    const n = batch.rowCount;
    const spec = this.#spec;
    const occurrences = this.#occurrences;
    const target = batch.columns[targetIndex]!;
    if (this.#splits && hashes === undefined) hashes = contentHashes(batch, spec.seed);
    for (let row = 0; row < n; row++) {
      const isNull = target.kind === 'number' ? target.nulls[row] === 1 : target.values[row] == null;
      if (isNull) roles[row] = RowRole.Skip;
      else if (!this.#splits) roles[row] = RowRole.Train;
      else {
        const hash = hashes![2 * row]!;
        roles[row] = roleOf(hash >>> 0, spec, occurrences === null ? 0 : occurrences.next(hash, hashes![2 * row + 1]!));
      }
    }
  }

  /** Distinct contents counted so far. */
  get distinctRows(): number {
    return this.#occurrences?.distinct ?? 0;
  }

  /** Bytes held by the occurrence counts. */
  get byteLength(): number {
    return this.#occurrences?.byteLength ?? 0;
  }

  /** Gives the occurrence counts' memory back; the splitter is not to be used after. */
  release(): void {
    this.#occurrences?.release();
  }
}

/** Reused between batches when the caller gives no array of its own. */
let scratchHashes = new Int32Array(0);

/**
 * The 64-bit content hash of every row of the batch: `into[2·row]` is the content hash
 * of content-hash.ts (what the split's test uses and SQL computes too), `into[2·row + 1]`
 * the key's second half, an independent hash: one MurmurHash3 run over the same
 * canonical words of every cell (and a long decimal's exact text), so that the key tells
 * apart exactly the contents SQL's PARTITION BY tells apart. Computed column by column,
 * so each column's type is looked at once per batch. Without `into`, the result lives in
 * a scratch array valid until the next call.
 */
export function contentHashes(batch: RowBatch, seed: number, into?: Int32Array): Int32Array {
  const n = batch.rowCount;
  let hashes = into;
  if (hashes === undefined) {
    if (scratchHashes.length < 2 * n) scratchHashes = new Int32Array(2 * n);
    hashes = scratchHashes;
  }
  const keySeed = seed ^ KEY_SALT;
  for (let row = 0; row < n; row++) {
    hashes[2 * row] = seed;
    hashes[2 * row + 1] = keySeed;
  }
  for (const data of batch.columns) {
    if (data.kind === 'number') combineNumbers(data, n, keySeed, hashes);
    else if (data.codes !== undefined && data.dictionary !== undefined) combineCodes(data.codes, data.dictionary, n, hashes);
    else combineTexts(data.values, n, hashes);
  }
  for (let row = 0; row < n; row++) {
    hashes[2 * row] = mix(hashes[2 * row]! >>> 0);
    hashes[2 * row + 1] = finishHash(hashes[2 * row + 1]!, 2 * batch.columns.length);
  }
  return hashes;
}

/** A double's two 32-bit words, for the numbers that are no int64 (see content-hash.ts). */
const f64 = new Float64Array(1);
const u32 = new Uint32Array(f64.buffer);
const TWO_31 = 2147483648;
const TWO_32 = 4294967296;
const INT64_MIN = -9223372036854775808;
const INT64_END = 9223372036854775808;

/**
 * `numberWords`, `numberValue` and the key's two blocks, written out in the loop: this
 * runs once per number cell of every row read (15M cells for 1M rows of 15 columns),
 * and through content-hash.ts's shared word variables it took about 100 ns a cell. The
 * words are the same (test/learn/split.test.ts checks them against hashRow's SQL form).
 */
function combineNumbers(data: NumberColumnData, n: number, keySeed: number, hashes: Int32Array): void {
  const { values, nulls, exact } = data;
  if (exact !== undefined) {
    combineExactNumbers(data, n, keySeed, hashes);
    return;
  }
  for (let row = 0; row < n; row++) {
    let value: number;
    let key = hashes[2 * row + 1]!;
    if (nulls[row] === 1) {
      value = NULL_VALUE;
      key = mixBlock(mixBlock(key, NULL_LOW), NULL_HIGH);
    } else {
      const x = values[row]!;
      let lo: number;
      let hi: number;
      if (x >= -TWO_31 && x < TWO_31 && x === Math.floor(x)) {
        // An int32 (most integers): its two's complement at once (-0 is 0).
        lo = x >>> 0;
        hi = x < 0 ? 0xffffffff : 0;
      } else if (x !== x) {
        lo = 0;
        hi = 0x7ff80000;
      } else if (x === Math.floor(x) && x >= INT64_MIN && x < INT64_END) {
        const high = Math.floor(x / TWO_32);
        lo = (x - high * TWO_32) >>> 0;
        hi = high >>> 0;
      } else {
        f64[0] = x;
        lo = u32[0]!;
        hi = u32[1]!;
      }
      value = mix((lo ^ mix(hi)) >>> 0);
      key = mixBlock(mixBlock(key, lo), hi);
    }
    hashes[2 * row] = Math.imul(hashes[2 * row]!, ROW_PRIME) + value;
    hashes[2 * row + 1] = key;
  }
}

/** `combineNumbers` for a column that may carry exact texts (wide BIGINTs, long DECIMALs): rare, so kept plain. */
function combineExactNumbers(data: NumberColumnData, n: number, keySeed: number, hashes: Int32Array): void {
  const { values, nulls, exact } = data;
  for (let row = 0; row < n; row++) {
    let value: number;
    let key = hashes[2 * row + 1]!;
    if (nulls[row] === 1) {
      value = NULL_VALUE;
      key = mixBlock(mixBlock(key, NULL_LOW), NULL_HIGH);
    } else {
      const text = exact === undefined ? undefined : exact[row];
      // A long decimal shares its double with its neighbours: its text tells it apart.
      if (text === undefined) numberWords(values[row]!);
      else if (!exactWords(text)) key = mixBlock(key, hashString(text, keySeed));
      value = numberValue(wordLo, wordHi);
      key = mixBlock(mixBlock(key, wordLo), wordHi);
    }
    hashes[2 * row] = Math.imul(hashes[2 * row]!, ROW_PRIME) + value;
    hashes[2 * row + 1] = key;
  }
}

/**
 * A dictionary's md5 words and value hashes by code (see `TextColumnData.codes`), made as
 * the dictionary grows: a code's words are its string's (textWords), so the hashes are
 * the same as by the strings, for one typed-array read a row instead of a Map lookup.
 * Held per dictionary array, and dropped with it.
 */
interface DictionaryWords {
  lo: Int32Array;
  hi: Int32Array;
  value: Int32Array;
  count: number;
}
const dictionaryWords = new WeakMap<readonly string[], DictionaryWords>();

function wordsOf(dictionary: readonly string[]): DictionaryWords {
  let words = dictionaryWords.get(dictionary);
  if (words === undefined) {
    words = { lo: new Int32Array(64), hi: new Int32Array(64), value: new Int32Array(64), count: 0 };
    dictionaryWords.set(dictionary, words);
  }
  const size = dictionary.length;
  if (words.count === size) return words;
  if (words.lo.length < size) {
    const capacity = Math.max(size, 2 * words.lo.length);
    const grow = (from: Int32Array): Int32Array => {
      const grown = new Int32Array(capacity);
      grown.set(from.subarray(0, words!.count));
      return grown;
    };
    words.lo = grow(words.lo);
    words.hi = grow(words.hi);
    words.value = grow(words.value);
  }
  for (let code = words.count; code < size; code++) {
    textWords(dictionary[code]!, false);
    words.lo[code] = wordLo;
    words.hi[code] = wordHi;
    words.value[code] = mix(wordLo);
  }
  words.count = size;
  return words;
}

/** `combineTexts` for a column whose rows come with dictionary codes. */
function combineCodes(codes: Int32Array, dictionary: readonly string[], n: number, hashes: Int32Array): void {
  const { lo, hi, value } = wordsOf(dictionary);
  for (let row = 0; row < n; row++) {
    const code = codes[row]!;
    let key = hashes[2 * row + 1]!;
    let v: number;
    if (code < 0) {
      v = NULL_VALUE;
      key = mixBlock(mixBlock(key, NULL_LOW), NULL_HIGH);
    } else {
      v = value[code]!;
      key = mixBlock(mixBlock(key, lo[code]!), hi[code]!);
    }
    hashes[2 * row] = Math.imul(hashes[2 * row]!, ROW_PRIME) + v;
    hashes[2 * row + 1] = key;
  }
}

/** Rows of a text column looked up in the md5 memo before a column that mostly misses stops using it. */
const MEMO_PROBATION = 256;

function combineTexts(values: readonly (string | null)[], n: number, hashes: Int32Array): void {
  let misses = 0;
  let remember = true;
  for (let row = 0; row < n; row++) {
    const text = values[row];
    let value: number;
    let key = hashes[2 * row + 1]!;
    if (text === null || text === undefined) {
      value = NULL_VALUE;
      key = mixBlock(mixBlock(key, NULL_LOW), NULL_HIGH);
    } else {
      if (!textWords(text, remember) && remember && ++misses > MEMO_PROBATION && misses > row / 2) remember = false;
      value = mix(wordLo);
      key = mixBlock(mixBlock(key, wordLo), wordHi);
    }
    hashes[2 * row] = Math.imul(hashes[2 * row]!, ROW_PRIME) + value;
    hashes[2 * row + 1] = key;
  }
}
