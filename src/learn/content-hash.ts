/**
 * The split's content hash, defined so that a database computes it in plain SQL too
 * (src/engine/split-sql.ts builds that SQL; the adapters give each dialect's spelling).
 * Every step is integer arithmetic on values below 2^32 whose products stay below 2^63,
 * so no database's BIGINT overflows (PostgreSQL raises instead of wrapping).
 *
 * Each cell becomes two unsigned 32-bit words (lo, hi), its canonical form:
 * - NULL: no words; its value hash is NULL_VALUE.
 * - a number that is an integer N with -2^63 ≤ N < 2^63 (integers, bigints, booleans 0/1,
 *   dates in epoch ms, integral doubles and decimals; -0 is 0): N's two's complement,
 *   lo = N & 0xffffffff, hi = (N >> 32) & 0xffffffff. A bigint beyond 2^53 uses its exact
 *   text, not the rounded double.
 * - any other number (fractions, ±Infinity, NaN, beyond ±2^63): the IEEE-754 bits of
 *   its double, lo the low word; every NaN is 0x7ff80000_00000000.
 * - text: lo and hi are words 0 and 1 of md5 over its UTF-8 bytes, which all three
 *   databases have as `md5()`; hi is kept for the occurrence key (see split.ts).
 *
 * value = mix(lo xor mix(hi)) for a number, mix(lo) for a text. A row folds its values
 * in column order, h = (h · ROW_PRIME + value) mod 2^32 from h = seed, and its content
 * hash is mix(h). `mix` is a xorshift-multiply finalizer whose multipliers are below
 * 2^31, so x · M < 2^63 in SQL; Math.imul gives the same low 32 bits here.
 */
import { md5Utf8, md5Word } from './md5.js';

export const NULL_VALUE = 0x6e756c6c;
export const ROW_PRIME = 0x01000193;
export const MIX_1 = 0x7feb352d;
export const MIX_2 = 0x5bd1e995;
/** Bounds of the integers hashed by their two's complement (as doubles, exact). */
const INT64_MIN = -9223372036854775808;
const INT64_END = 9223372036854775808;
const TWO_32 = 4294967296;

/** The finalizer: x ^= x >>> 16; x *= MIX_1; x ^= x >>> 15; x *= MIX_2; x ^= x >>> 16. */
export function mix(x: number): number {
  x ^= x >>> 16;
  x = Math.imul(x, MIX_1);
  x ^= x >>> 15;
  x = Math.imul(x, MIX_2);
  x ^= x >>> 16;
  return x >>> 0;
}

const f64 = new Float64Array(1);
const u32 = new Uint32Array(f64.buffer);

/** The canonical words of the last `numberWords` call. */
export let wordLo = 0;
export let wordHi = 0;

/** Sets `wordLo`/`wordHi` to the canonical form of a double (see the header). */
export function numberWords(x: number): void {
  if (x !== x) {
    wordLo = 0;
    wordHi = 0x7ff80000;
  } else if (x === Math.floor(x) && x >= INT64_MIN && x < INT64_END) {
    const high = Math.floor(x / TWO_32);
    wordLo = (x - high * TWO_32) >>> 0;
    wordHi = high >>> 0;
  } else {
    f64[0] = x;
    wordLo = u32[0]!;
    wordHi = u32[1]!;
  }
}

const INTEGER_TEXT = /^(-?\d+)(?:\.0*)?$/;

/**
 * Sets the canonical words of a number the database gave as exact text (a bigint beyond
 * 2^53, a long decimal). Returns false when the text is no integer within int64, whose
 * words are then the IEEE bits of the double nearest it.
 */
export function exactWords(exact: string): boolean {
  const m = INTEGER_TEXT.exec(exact);
  if (m !== null) {
    const n = BigInt(m[1]!);
    if (n >= -(2n ** 63n) && n < 2n ** 63n) {
      wordLo = Number(BigInt.asUintN(32, n));
      wordHi = Number(BigInt.asUintN(32, n >> 32n));
      return true;
    }
  }
  // The bits of the double nearest the exact value (a reader's own may be rounded twice),
  // even when that double is an integer: the value is not, and SQL judges the value.
  f64[0] = Number(exact);
  wordLo = u32[0]!;
  wordHi = u32[1]!;
  return false;
}

/** The value hash of a number whose canonical words are (lo, hi). */
export function numberValue(lo: number, hi: number): number {
  return mix((lo ^ mix(hi)) >>> 0);
}

/**
 * Text md5 words, memoized per distinct string: category columns repeat a few hundred
 * values (the readers intern them, so lookups hit V8's cached string hash), and a column
 * of unique values costs one md5 each. Cleared when full, so memory stays bounded.
 */
const MEMO_LIMIT = 1 << 16;
const memo = new Map<string, number>();
const memoWords = new Uint32Array(2 * MEMO_LIMIT);

/**
 * Sets `wordLo`/`wordHi` to md5 words 0 and 1 of `text`'s UTF-8. With `remember` false the
 * memo is skipped (a column of unique values would only churn it); returns whether the
 * memo had the text.
 */
export function textWords(text: string, remember = true): boolean {
  if (!remember) {
    md5Utf8(text);
    wordLo = md5Word(0);
    wordHi = md5Word(1);
    return false;
  }
  let slot = memo.get(text);
  const hit = slot !== undefined;
  if (slot === undefined) {
    if (memo.size === MEMO_LIMIT) memo.clear();
    slot = memo.size;
    md5Utf8(text);
    memoWords[2 * slot] = md5Word(0);
    memoWords[2 * slot + 1] = md5Word(1);
    memo.set(text, slot);
  }
  wordLo = memoWords[2 * slot]!;
  wordHi = memoWords[2 * slot + 1]!;
  return hit;
}
