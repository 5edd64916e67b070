/**
 * What the split's content hash (src/learn/content-hash.ts) needs spelled per database to
 * be computed in plain SQL (src/engine/split-sql.ts assembles it); each dialect's is its
 * `split` (adapters/<database>/split-sql-dialect.ts). Every expression given
 * and returned is an integer below 2^32 unless said otherwise; callers parenthesize.
 */
import type { ColumnType } from '../src/data.js';

export interface SplitSqlDialect {
  /** Word `word` (0 or 1) of md5 over `text`'s UTF-8 bytes: hex digits 8w+1..8w+8 as an unsigned integer. */
  md5Word(text: string, word: 0 | 1): string;
  /** Bitwise exclusive or of two non-negative integers. */
  xor(a: string, b: string): string;
  /**
   * `x mod 2^bits` for an integer 0 ≤ x < 2^63 (`x` comes parenthesized), where the
   * database has a cheaper spelling than `x % 2^bits` (a bitwise AND: the hash takes some
   * 80 of these per row). Absent: `%`.
   */
  lowBits?(x: string, bits: number): string;
  /** The type a CAST to a signed 64-bit integer names. */
  readonly bigintCast: string;
  /** The type a CAST to an IEEE double names. */
  readonly doubleCast: string;
  /** The type a CAST to text names (a decimal's exact digits; its double is then parsed from them). */
  readonly textCast: string;
  /** A boolean expression: the double `x` is NaN ('FALSE' where the database has no NaN). */
  isNaN(x: string): string;
  /** The double `x` is +Infinity / -Infinity ('FALSE' where the database has none). */
  isPositiveInfinity(x: string): string;
  isNegativeInfinity(x: string): string;
  /**
   * A boolean expression: the double `x` is NULL, NaN or ±Infinity, in one test where the
   * database has one. Without it the four tests above are joined by OR, each evaluated
   * per row (DuckDB: a fifth of a 16-feature score's CPU went to them).
   */
  isNonFinite?(x: string): string;
  /**
   * Ends each derived table of the hash's layers so the planner keeps it a layer: merged
   * into the next, each layer's expressions would be repeated inside the next's, and
   * the query text the planner works on would grow exponentially.
   */
  readonly layerFence: string;
  /**
   * The IEEE 754 bits of the double `x` as a signed 64-bit integer, where the database
   * can read them out directly. The content hash then takes a double's words from them,
   * instead of working out its exponent and fraction with LN, FLOOR and POWER over three
   * layers (absent: that arithmetic).
   */
  doubleBits?(x: string): string;
  /** A boolean column as 0/1. */
  booleanToInteger(x: string): string;
  /** A date column as milliseconds since 1970-01-01, an integer (what the readers give). */
  dateToEpochMs(x: string): string;
  /** A timestamp column as milliseconds since 1970 UTC, a double with microseconds as the fraction (what the readers give). */
  timestampToEpochMs?(x: string): string;
  /**
   * A column as the PARTITION BY key that groups exactly the values JavaScript sees as
   * equal (text byte for byte).
   */
  partitionKey(x: string, type: ColumnType): string;
}
