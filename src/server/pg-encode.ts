/**
 * sqlml results and errors as PostgreSQL wire messages: a ResultTable becomes
 * RowDescription, DataRows and a CommandComplete tag; a thrown error becomes an
 * ErrorResponse with the SQLSTATE a PostgreSQL client expects for that kind of fault.
 *
 * Values go out in text format (what psql, node pg, psycopg2 and JDBC ask for by
 * default); binary is done for the fixed-width types a driver may ask binary for after
 * preparing a statement, and refused clearly for the rest.
 */
import type { ColumnType, ResultColumn, ResultTable, Value } from '../data.js';
import { DatabaseError, SqlmlError, SqlSyntaxError, errorMessage, type ErrorCode } from '../errors.js';
import { MS_PER_DAY } from '../calendar.js';
import { MessageWriter, WireValueError, commandComplete, type ErrorFields } from './pg-messages.js';

/** pg_type OIDs of the types sqlml results carry. */
export const TypeOid = {
  bool: 16,
  int8: 20,
  int4: 23,
  text: 25,
  float8: 701,
  date: 1082,
  timestamp: 1114,
  numeric: 1700,
  unknown: 705,
} as const;

export function typeOidOf(type: ColumnType): number {
  switch (type) {
    case 'boolean':
      return TypeOid.bool;
    case 'integer':
      return TypeOid.int4;
    case 'bigint':
      return TypeOid.int8;
    case 'double':
      return TypeOid.float8;
    case 'decimal':
      return TypeOid.numeric;
    case 'date':
      return TypeOid.date;
    case 'timestamp':
      return TypeOid.timestamp;
    case 'text':
    case 'other':
      return TypeOid.text;
  }
}

/** pg_type.typlen: fixed widths, -1 for variable length. */
function typeLength(oid: number): number {
  switch (oid) {
    case TypeOid.bool:
      return 1;
    case TypeOid.int4:
    case TypeOid.date:
      return 4;
    case TypeOid.int8:
    case TypeOid.float8:
    case TypeOid.timestamp:
      return 8;
    default:
      return -1;
  }
}

/** A result-format code per column, from Bind's list (empty = text, one = for all). */
export function formatsFor(columns: number, requested: readonly number[]): number[] {
  return Array.from({ length: columns }, (_, i) => (requested.length === 0 ? 0 : requested.length === 1 ? requested[0]! : (requested[i] ?? 0)));
}

export function rowDescription(columns: readonly ResultColumn[], formats: readonly number[] = []): Buffer {
  // Clients read the count as a signed Int16: a wider result is refused, not wrapped.
  const writer = new MessageWriter().int16(columns.length, 'the column count of the result');
  columns.forEach((column, i) => {
    const oid = typeOidOf(column.type);
    // No table OID / attribute number: these are computed columns, as for `SELECT 1 AS x`.
    writer
      .cstring(column.name, `the name of result column ${i + 1}`)
      .int32(0)
      .int16(0)
      .int32(oid)
      .int16(typeLength(oid))
      .int32(-1)
      .int16(formats[i] ?? 0, `the format code of result column ${i + 1}`);
  });
  return writer.finish('T');
}

/** PostgreSQL's text form of a value of the given sqlml type. */
export function textValue(value: Exclude<Value, null>, type: ColumnType): string {
  if (typeof value === 'boolean') return value ? 't' : 'f';
  if (typeof value === 'number') {
    if (type === 'boolean') return value !== 0 ? 't' : 'f';
    if (Number.isNaN(value)) return 'NaN';
    if (!Number.isFinite(value)) return value > 0 ? 'Infinity' : '-Infinity';
    return String(value);
  }
  if (type === 'timestamp') return timestampText(value);
  return value;
}

/** `2024-05-01T10:00:00.000Z` (how sqlml carries timestamps) → `2024-05-01 10:00:00`. */
function timestampText(value: string): string {
  const iso = /^(\d{4,}-\d{2}-\d{2})T(\d{2}:\d{2}:\d{2})(\.\d+)?Z?$/.exec(value);
  if (!iso) return value;
  const fraction = (iso[3] ?? '').replace(/\.?0+$/, '');
  return `${iso[1]} ${iso[2]}${fraction}`;
}

const POSTGRES_EPOCH_MS = Date.UTC(2000, 0, 1);

/** A value with no binary form of its type (NaN as an integer, a date Date.parse cannot read). */
function noBinaryForm(value: Exclude<Value, null>, type: ColumnType, column: string): WireValueError {
  return new WireValueError('22P03', `the value ${JSON.stringify(String(value))} of column ${column} (${type}) has no binary form sqlml can send; ask for text format`);
}

/** `number` when it is an integer in [min, max], else the refusal: Buffer would write NaN as 0. */
function integerIn(number: number, min: number, max: number, fail: () => WireValueError): number {
  if (!Number.isInteger(number) || number < min || number > max) throw fail();
  return number;
}

/** A whole number carried as a number or as its text; NaN for anything else (`Number('')` would be 0). */
function wholeNumber(value: Exclude<Value, null>): number {
  if (typeof value === 'number') return value;
  return typeof value === 'string' && /^\s*[+-]?\d+\s*$/.test(value) ? Number(value) : Number.NaN;
}

const TRUE_TEXT = new Set(['t', 'true', '1']);
const FALSE_TEXT = new Set(['f', 'false', '0']);

/** Binary forms (typsend) of the fixed-width types; null when the type has none here. */
function binaryValue(value: Exclude<Value, null>, type: ColumnType, column: string): Buffer | null {
  const oid = typeOidOf(type);
  const fail = (): WireValueError => noBinaryForm(value, type, column);
  switch (oid) {
    case TypeOid.bool:
      if (typeof value === 'boolean' || typeof value === 'number') return Buffer.from([value === true || (typeof value === 'number' && value !== 0) ? 1 : 0]);
      if (TRUE_TEXT.has(value.toLowerCase())) return Buffer.from([1]);
      if (FALSE_TEXT.has(value.toLowerCase())) return Buffer.from([0]);
      throw fail();
    case TypeOid.int4: {
      const out = Buffer.allocUnsafe(4);
      out.writeInt32BE(integerIn(wholeNumber(value), -0x80000000, 0x7fffffff, fail));
      return out;
    }
    case TypeOid.int8: {
      const out = Buffer.allocUnsafe(8);
      // A BIGINT beyond 2^53 arrives as its exact text: through a double it would round (or overflow int64).
      const wide = typeof value === 'string' && /^[+-]?\d+$/.test(value.trim()) ? BigInt(value.trim()) : BigInt(integerIn(wholeNumber(value), -Number.MAX_SAFE_INTEGER, Number.MAX_SAFE_INTEGER, fail));
      if (wide < -(2n ** 63n) || wide >= 2n ** 63n) throw fail();
      out.writeBigInt64BE(wide);
      return out;
    }
    case TypeOid.float8: {
      const out = Buffer.allocUnsafe(8);
      out.writeDoubleBE(Number(value));
      return out;
    }
    case TypeOid.date: {
      const out = Buffer.allocUnsafe(4);
      const days = Math.round((Date.parse(`${String(value).slice(0, 10)}T00:00:00Z`) - POSTGRES_EPOCH_MS) / MS_PER_DAY);
      out.writeInt32BE(integerIn(days, -0x80000000, 0x7fffffff, fail));
      return out;
    }
    case TypeOid.timestamp: {
      const text = String(value);
      const ms = Date.parse(/[zZ]|[+-]\d{2}:?\d{2}$/.test(text) ? text : `${text.replace(' ', 'T')}Z`);
      const out = Buffer.allocUnsafe(8);
      out.writeBigInt64BE(BigInt(integerIn(ms, -8.64e15, 8.64e15, fail) - POSTGRES_EPOCH_MS) * 1000n);
      return out;
    }
    case TypeOid.text:
      return Buffer.from(String(value), 'utf8');
    default:
      return null;
  }
}

/** Thrown when a client asks binary for a column whose binary form is not produced here. */
export class UnsupportedFormat extends Error {}

/** Checks up front that every binary column can be sent binary, so no half result goes out. */
export function checkFormats(columns: readonly ResultColumn[], formats: readonly number[]): void {
  columns.forEach((column, i) => {
    if (formats[i] === 1 && column.type === 'decimal') {
      throw new UnsupportedFormat(`column ${column.name} (numeric) cannot be sent in binary format by sqlml; ask for text format`);
    }
    if (formats[i] !== undefined && formats[i] !== 0 && formats[i] !== 1) throw new UnsupportedFormat(`unsupported format code: ${formats[i]}`);
  });
}

export function dataRow(row: readonly Value[], columns: readonly ResultColumn[], formats: readonly number[] = []): Buffer {
  const writer = new MessageWriter().int16(row.length, 'the column count of the result');
  row.forEach((value, i) => {
    if (value === null || value === undefined) {
      writer.int32(-1);
      return;
    }
    const type = columns[i]?.type ?? 'text';
    const bytes = formats[i] === 1 ? binaryValue(value, type, columns[i]?.name ?? String(i + 1))! : Buffer.from(textValue(value, type), 'utf8');
    writer.int32(bytes.length, `the length of a value of column ${columns[i]?.name ?? i + 1}`).bytes(bytes);
  });
  return writer.finish('D');
}

/**
 * The CommandComplete tag clients parse for a row count: `SELECT n` for any row result
 * (sqlml's included: drivers count rows from it), `INSERT 0 n` and friends, else the command.
 */
export function commandTag(result: ResultTable, rowsSent = result.rows.length): string {
  if (result.columns.length > 0) return `SELECT ${rowsSent}`;
  const command = result.command.toUpperCase();
  const count = result.rowsAffected ?? 0;
  if (command === 'INSERT') return `INSERT 0 ${count}`;
  if (['UPDATE', 'DELETE', 'MERGE', 'COPY', 'MOVE', 'FETCH'].includes(command)) return `${command} ${count}`;
  return command;
}

/** A whole row result: RowDescription (or nothing for a command), DataRows, CommandComplete. */
export function resultMessages(result: ResultTable): Buffer[] {
  const messages: Buffer[] = [];
  if (result.columns.length > 0) {
    messages.push(rowDescription(result.columns));
    for (const row of result.rows) messages.push(dataRow(row, result.columns));
  }
  messages.push(commandComplete(commandTag(result)));
  return messages;
}

const SQLSTATE_BY_CODE: Record<ErrorCode, string> = {
  syntax: '42601',
  unknown_model: '42704',
  model_exists: '42710',
  bad_option: '22023',
  bad_recipe: '22023',
  bad_column: '42703',
  bad_target: '42804',
  empty_input: '22000',
  training_failed: '22000',
  database: '58000',
  connection: '08006',
  bad_url: '22023',
  cancelled: '57014',
  result_too_large: '54000',
  unsupported: '0A000',
  internal: 'XX000',
};

/** SQLSTATE for the messages of databases that have none of their own (DuckDB), or MySQL's states. */
function databaseState(cause: unknown, message: string): string {
  const own = (cause as { code?: unknown } | null)?.code;
  if (typeof own === 'string' && /^[0-9A-Z]{5}$/.test(own)) return own;
  const mysqlState = (cause as { sqlState?: unknown } | null)?.sqlState;
  if (typeof mysqlState === 'string') {
    const mapped: Record<string, string> = { '42S02': '42P01', '42S22': '42703', '42S01': '42P07', '42000': '42601', '23000': '23505' };
    return mapped[mysqlState] ?? mysqlState;
  }
  if (/^Catalog Error: Table/i.test(message) || /Table .* doesn't exist/i.test(message)) return '42P01';
  if (/^Binder Error: Referenced column/i.test(message) || /Unknown column/i.test(message)) return '42703';
  if (/^Parser Error/i.test(message)) return '42601';
  if (/^Conversion Error/i.test(message)) return '22P02';
  if (/^Catalog Error/i.test(message)) return '42704';
  if (/^Binder Error/i.test(message)) return '42703';
  if (/^Constraint Error/i.test(message)) return '23505';
  if (/^(INTERRUPT|Interrupted)/i.test(message)) return '57014';
  return '58000';
}

/** 1-based character offset of a 1-based line and column in `text`. */
function characterPosition(text: string, line: number, column: number): number {
  let offset = 0;
  for (let current = 1; current < line; current++) {
    const next = text.indexOf('\n', offset);
    if (next < 0) break;
    offset = next + 1;
  }
  return [...text.slice(0, offset + column - 1)].length + 1;
}

/**
 * The ErrorResponse fields for anything a statement threw. `queryText` is the text the
 * client sent (positions of sqlml syntax errors are in it); database errors keep their
 * own SQLSTATE, and their position only when the client's text went to the database as is.
 */
export function errorFields(error: unknown, queryText?: string, databaseSawClientText = false): ErrorFields {
  if (error instanceof SqlSyntaxError) {
    return {
      severity: 'ERROR',
      code: SQLSTATE_BY_CODE.syntax,
      message: error.message,
      ...(queryText !== undefined ? { position: characterPosition(queryText, error.line, error.column) } : {}),
    };
  }
  if (error instanceof DatabaseError || (error instanceof SqlmlError && error.code === 'database')) {
    const cause = error.cause as { position?: unknown; detail?: unknown; hint?: unknown } | undefined;
    const position = databaseSawClientText && typeof cause?.position === 'string' ? Number(cause.position) : undefined;
    return {
      severity: 'ERROR',
      code: databaseState(error.cause, error.message),
      message: error.message,
      ...(typeof cause?.detail === 'string' ? { detail: cause.detail } : {}),
      ...(typeof cause?.hint === 'string' ? { hint: cause.hint } : {}),
      ...(position !== undefined && Number.isFinite(position) ? { position } : {}),
    };
  }
  if (error instanceof SqlmlError) return { severity: 'ERROR', code: SQLSTATE_BY_CODE[error.code], message: error.message };
  if (error instanceof UnsupportedFormat) return { severity: 'ERROR', code: '0A000', message: error.message };
  if (error instanceof WireValueError) return { severity: 'ERROR', code: error.sqlstate, message: error.message };
  return { severity: 'ERROR', code: 'XX000', message: `internal error: ${errorMessage(error)}` };
}
