/**
 * The leaf types every layer shares: columns, columnar row batches and result tables.
 * Imported by everyone; imports nothing.
 */

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
  /** The database's own spelling of the type (`VARCHAR`, `int8`, `DECIMAL(10,2)`), for messages and DDL. */
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
}

/** Text (and `other`) values of one column; `null` is SQL NULL. */
export interface TextColumnData {
  readonly kind: 'text';
  readonly values: readonly (string | null)[];
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
}

/** Reads a value out of a batch as a result `Value`, honouring the column's type. */
export function valueAt(column: Column, data: ColumnData, row: number): Value {
  if (data.kind === 'text') return data.values[row] ?? null;
  if (data.nulls[row] === 1) return null;
  const v = data.values[row]!;
  switch (column.type) {
    case 'boolean':
      return v !== 0;
    case 'date':
      return new Date(v).toISOString().slice(0, 10);
    case 'timestamp':
      return new Date(v).toISOString();
    default:
      return v;
  }
}
