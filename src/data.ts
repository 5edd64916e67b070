/**
 * The leaf types every layer shares: columns, columnar row batches and result tables.
 * Imported by everyone; imports only the calendar, for the text of dates.
 */
import { isoDateText, isoTimestampText } from './calendar.js';

/**
 * sqlml's logical column types. Each adapter maps its database's types onto these;
 * anything it cannot map (lists, structs, uuid, json...) is `other` and travels as text.
 */
export type ColumnType =
  | 'boolean'
  | 'integer'
  | 'bigint'
  | 'double'
  | 'decimal'
  | 'text'
  | 'date'
  | 'timestamp'
  | 'other';

export interface Column {
  readonly name: string;
  readonly type: ColumnType;
  /**
   * The database's own spelling of the type (`VARCHAR`, `bigint`, `numeric(38,10)`), for
   * messages and DDL; '' for a column sqlml makes itself (a score), which `write()` gives
   * the dialect's type for `type`.
   */
  readonly dbType: string;
}

/**
 * Numeric-like values of one column for the rows of a batch.
 * booleans are 0/1; dates and timestamps are milliseconds since 1970-01-01 UTC;
 * `nulls[i] === 1` marks a NULL (its `values[i]` is then meaningless, usually 0).
 */
export interface NumberColumnData {
  readonly kind: 'number';
  readonly values: Float64Array;
  readonly nulls: Uint8Array;
  /**
   * bigint and decimal columns: the database's exact decimal text of each row whose value
   * a double does not hold (integers beyond ±2^53, decimals of more than 15 significant
   * digits), undefined elsewhere. Sparse on purpose: the doubles stay what the learner
   * reads, and the ids and amounts that fit a double (nearly all) cost no string per row,
   * while the rare wide value still travels exactly as a key, a label or a pass-through.
   * Text rather than a BigInt64Array so that one form covers BIGINT, UBIGINT, HUGEINT and
   * DECIMAL(38,s) alike, and writers hand it to the database as it came.
   */
  readonly exact?: (string | undefined)[];
}

/** Text (and `other`) values of one column; `null` is SQL NULL. */
export interface TextColumnData {
  readonly kind: 'text';
  readonly values: readonly (string | null)[];
  /**
   * Optional, from a producer that numbers the column's distinct values (the binary COPY
   * reader's interned values, the row cache's dictionary blocks): `dictionary[codes[row]]`
   * is `values[row]`, the same string, and -1 is a NULL. The dictionary is only appended
   * to while a stream lasts, so a code means the same value in every later batch of it
   * (two codes may stand for equal strings: consumers key their own tables by string).
   * Work done per distinct value (the row cache's ids, the split's text hash, the
   * profile's counts) then looks a row up by its code, in a typed array, instead of by
   * its string in a Map. Both or neither.
   */
  readonly codes?: Int32Array;
  readonly dictionary?: readonly string[];
}

export type ColumnData = NumberColumnData | TextColumnData;

/**
 * A block of rows, column by column, aligned with the `Column[]` of the stream that
 * produced it. `rowCount` may be smaller than the typed arrays' length (buffers are reused).
 */
export interface RowBatch {
  readonly rowCount: number;
  readonly columns: readonly ColumnData[];
}

/** `number` and `text` column types are stored as NumberColumnData/TextColumnData respectively. */
export function isNumberType(type: ColumnType): boolean {
  return type !== 'text' && type !== 'other';
}

/** A value in a result table: what JSON, a terminal table and the wire protocol can all carry. */
export type Value = null | boolean | number | string;

export interface ResultColumn {
  readonly name: string;
  readonly type: ColumnType;
  /**
   * A figure sqlml computed itself (auc, seconds, a loss), which faces may round for
   * reading; unset for values from the database, which are shown exactly as they came.
   */
  readonly metric?: boolean;
}

/**
 * What every statement returns, whatever face shows it (CLI table, `--json`, HTTP, pg wire).
 * `command` is the statement's tag (`CREATE MODEL`, `SELECT`, `INSERT`...).
 */
export interface ResultTable {
  readonly command: string;
  readonly columns: readonly ResultColumn[];
  readonly rows: readonly (readonly Value[])[];
  /** For statements without a row set (INSERT, UPDATE...): the rows affected, when the database says. */
  readonly rowsAffected?: number;
  /** Warnings that do not stop the statement (CREATE MODEL's data alerts); the CLI writes them on stderr. */
  readonly notices?: readonly string[];
}

/** Reads a value out of a batch as a result `Value`, honouring the column's type. */
export function valueAt(column: Column, data: ColumnData, row: number): Value {
  if (data.kind === 'text') return data.values[row] ?? null;
  if (data.nulls[row] === 1) return null;
  const exact = data.exact?.[row];
  if (exact !== undefined) return exact;
  const v = data.values[row]!;
  switch (column.type) {
    case 'boolean':
      return v !== 0;
    case 'date':
      return isoDateText(v);
    case 'timestamp':
      return isoTimestampText(v);
    default:
      return v;
  }
}

/** Whether a column type may carry exact text beside its doubles (see `NumberColumnData.exact`). */
export function mayCarryExact(type: ColumnType): boolean {
  return type === 'bigint' || type === 'decimal';
}

/** The most significant digits every decimal of which a double gives back exactly (DBL_DIG). */
export const DOUBLE_EXACT_DIGITS = 15;

/**
 * Whether decimal text (`-12.50`, `9007199254740993`) has more significant digits than a
 * double gives back, counted from the first to the last non-zero digit. Scans in place:
 * no allocation, so readers of text values can ask it of every row.
 */
export function needsExactText(text: string): boolean {
  let first = -1;
  let last = -1;
  let digits = 0;
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i);
    if (code === 101 || code === 69) break; // an exponent: the mantissa's digits are what counts
    if (code < 48 || code > 57) continue;
    if (code !== 48) {
      if (first < 0) first = digits;
      last = digits;
    }
    digits++;
  }
  return first >= 0 && last - first + 1 > DOUBLE_EXACT_DIGITS;
}

/**
 * The exact text to keep beside `value`, read from `text` of a column of `type` (see
 * `NumberColumnData.exact`): a BIGINT's when it is beyond 2^53, a DECIMAL's when it has
 * more digits than a double keeps; undefined otherwise. Returns `text` itself, no copy.
 */
export function exactTextOf(type: ColumnType, text: string, value: number): string | undefined {
  if (type === 'bigint') return Number.isSafeInteger(value) ? undefined : text;
  return type === 'decimal' && needsExactText(text) ? text : undefined;
}

/** The decimal text of a signed integer given as its high and low 32-bit halves (high signed or not as the caller read it). */
export function int64Text(high: number, lowUnsigned: number): string {
  return (BigInt(high) * 4_294_967_296n + BigInt(lowUnsigned)).toString();
}

/** The decimal text of `unscaled / 10^scale`, with exactly `scale` fraction digits (`-1234, 2` → `-12.34`). */
export function decimalText(unscaled: bigint, scale: number): string {
  if (scale === 0) return unscaled.toString();
  const negative = unscaled < 0n;
  const digits = (negative ? -unscaled : unscaled).toString().padStart(scale + 1, '0');
  const text = `${digits.slice(0, digits.length - scale)}.${digits.slice(digits.length - scale)}`;
  return negative ? `-${text}` : text;
}
