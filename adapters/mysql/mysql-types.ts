/**
 * MySQL/MariaDB column types ↔ sqlml `ColumnType`, and the cell decoders that turn what
 * mysql2 hands over (with the adapter's settings: rows as arrays, numbers for BIGINT and
 * DECIMAL, dates as strings, JSON as strings) into `RowBatch` values.
 */
import { columnDefinitionType as ownOrDialectType } from '../column-definition.js';
import { MYSQL_TYPES } from './dialect.js';
import { exactTextOf, type Column, type ColumnType, type Value } from '../../src/data.js';
import { daysFromCivil, epochMsFromMicros, isoDateText, isoTimestampText, MS_PER_DAY } from '../../src/calendar.js';

/** The wire protocol's column type codes (`enum_field_types`). */
export const MYSQL_TYPE = {
  DECIMAL: 0,
  TINY: 1,
  SHORT: 2,
  LONG: 3,
  FLOAT: 4,
  DOUBLE: 5,
  NULL: 6,
  TIMESTAMP: 7,
  LONGLONG: 8,
  INT24: 9,
  DATE: 10,
  TIME: 11,
  DATETIME: 12,
  YEAR: 13,
  NEWDATE: 14,
  VARCHAR: 15,
  BIT: 16,
  JSON: 245,
  NEWDECIMAL: 246,
  ENUM: 247,
  SET: 248,
  TINY_BLOB: 249,
  MEDIUM_BLOB: 250,
  LONG_BLOB: 251,
  BLOB: 252,
  VAR_STRING: 253,
  STRING: 254,
  GEOMETRY: 255,
} as const;

const UNSIGNED_FLAG = 32;
const ENUM_FLAG = 256;
const SET_FLAG = 2048;
/** The `binary` character set: BLOB/VARBINARY rather than TEXT/VARCHAR. */
const BINARY_CHARSET = 63;

/** The parts of a mysql2 column definition packet the adapter reads. */
export interface MySQLField {
  readonly name: string;
  readonly columnType: number;
  readonly columnLength: number;
  readonly flags: number;
  readonly characterSet: number;
  readonly decimals: number;
}

/** The sqlml type of a result column. */
export function columnTypeOf(field: MySQLField): ColumnType {
  switch (field.columnType) {
    case MYSQL_TYPE.TINY:
      // TINYINT(1) is how MySQL spells BOOLEAN.
      return field.columnLength === 1 && (field.flags & UNSIGNED_FLAG) === 0 ? 'boolean' : 'integer';
    case MYSQL_TYPE.SHORT:
    case MYSQL_TYPE.LONG:
    case MYSQL_TYPE.INT24:
    case MYSQL_TYPE.YEAR:
      return 'integer';
    case MYSQL_TYPE.LONGLONG:
      return 'bigint';
    case MYSQL_TYPE.DECIMAL:
    case MYSQL_TYPE.NEWDECIMAL:
      return 'decimal';
    case MYSQL_TYPE.FLOAT:
    case MYSQL_TYPE.DOUBLE:
      return 'double';
    case MYSQL_TYPE.DATE:
    case MYSQL_TYPE.NEWDATE:
      return 'date';
    case MYSQL_TYPE.DATETIME:
    case MYSQL_TYPE.TIMESTAMP:
      return 'timestamp';
    case MYSQL_TYPE.VARCHAR:
    case MYSQL_TYPE.VAR_STRING:
    case MYSQL_TYPE.STRING:
    case MYSQL_TYPE.TINY_BLOB:
    case MYSQL_TYPE.MEDIUM_BLOB:
    case MYSQL_TYPE.LONG_BLOB:
    case MYSQL_TYPE.BLOB:
      return field.characterSet === BINARY_CHARSET && (field.flags & (ENUM_FLAG | SET_FLAG)) === 0 ? 'other' : 'text';
    case MYSQL_TYPE.ENUM:
    case MYSQL_TYPE.SET:
      return 'text';
    default:
      return 'other';
  }
}

/** The server's spelling of a result column's type, for messages (`BIGINT UNSIGNED`, `DECIMAL(10,2)`, `ENUM`). */
export function dbTypeOf(field: MySQLField): string {
  const unsigned = (field.flags & UNSIGNED_FLAG) !== 0 ? ' UNSIGNED' : '';
  const binary = field.characterSet === BINARY_CHARSET;
  switch (field.columnType) {
    case MYSQL_TYPE.TINY:
      return field.columnLength === 1 && unsigned === '' ? 'TINYINT(1)' : `TINYINT${unsigned}`;
    case MYSQL_TYPE.SHORT:
      return `SMALLINT${unsigned}`;
    case MYSQL_TYPE.INT24:
      return `MEDIUMINT${unsigned}`;
    case MYSQL_TYPE.LONG:
      return `INT${unsigned}`;
    case MYSQL_TYPE.LONGLONG:
      return `BIGINT${unsigned}`;
    case MYSQL_TYPE.DECIMAL:
    case MYSQL_TYPE.NEWDECIMAL: {
      // The length counts the digits plus a sign and a point where they apply.
      const precision = field.columnLength - (field.decimals > 0 ? 1 : 0) - (unsigned === '' ? 1 : 0);
      return `DECIMAL(${precision},${field.decimals})`;
    }
    case MYSQL_TYPE.FLOAT:
      return 'FLOAT';
    case MYSQL_TYPE.DOUBLE:
      return 'DOUBLE';
    case MYSQL_TYPE.DATE:
    case MYSQL_TYPE.NEWDATE:
      return 'DATE';
    case MYSQL_TYPE.DATETIME:
      return 'DATETIME';
    case MYSQL_TYPE.TIMESTAMP:
      return 'TIMESTAMP';
    case MYSQL_TYPE.TIME:
      return 'TIME';
    case MYSQL_TYPE.YEAR:
      return 'YEAR';
    case MYSQL_TYPE.BIT:
      return 'BIT';
    case MYSQL_TYPE.JSON:
      return 'JSON';
    case MYSQL_TYPE.GEOMETRY:
      return 'GEOMETRY';
    case MYSQL_TYPE.NULL:
      return 'NULL';
    case MYSQL_TYPE.ENUM:
      return 'ENUM';
    case MYSQL_TYPE.SET:
      return 'SET';
    case MYSQL_TYPE.VARCHAR:
    case MYSQL_TYPE.VAR_STRING:
      return (field.flags & ENUM_FLAG) !== 0 ? 'ENUM' : (field.flags & SET_FLAG) !== 0 ? 'SET' : binary ? 'VARBINARY' : 'VARCHAR';
    case MYSQL_TYPE.STRING:
      return (field.flags & ENUM_FLAG) !== 0 ? 'ENUM' : (field.flags & SET_FLAG) !== 0 ? 'SET' : binary ? 'BINARY' : 'CHAR';
    default:
      return binary ? 'BLOB' : 'TEXT';
  }
}

export function toColumn(field: MySQLField): Column {
  return { name: field.name, type: columnTypeOf(field), dbType: dbTypeOf(field) };
}

/** The MySQL type `write()` gives a new column: the source's own for numbers MySQL has (see column-definition.ts). */
export function columnDefinitionType(column: Column): string {
  return ownOrDialectType(column, MYSQL_TYPES);
}


/**
 * Turns a non-NULL cell of a number-typed column into its `NumberColumnData` value:
 * booleans 0/1, dates and timestamps milliseconds since 1970 UTC. NaN means the cell has
 * no value sqlml can hold (MySQL's zero date `0000-00-00`) and is read as NULL.
 */
export type NumberCellDecoder = (cell: unknown) => number;

/** Turns a non-NULL cell of a text-typed column into its text. */
export type TextCellDecoder = (cell: unknown) => string;

export type CellDecoder = { readonly kind: 'number'; readonly decode: NumberCellDecoder } | { readonly kind: 'text'; readonly decode: TextCellDecoder };

/** The decoder of a column's cells. */
export function cellDecoderFor(field: MySQLField): CellDecoder {
  const type = columnTypeOf(field);
  switch (type) {
    case 'boolean':
      return { kind: 'number', decode: decodeBoolean };
    case 'date':
      return { kind: 'number', decode: decodeDate };
    case 'timestamp':
      return { kind: 'number', decode: decodeTimestamp };
    case 'text':
      return { kind: 'text', decode: decodeText };
    case 'other':
      return { kind: 'text', decode: field.columnType === MYSQL_TYPE.BIT ? decodeBits : decodeText };
    default:
      return { kind: 'number', decode: decodeNumber };
  }
}

/**
 * A BIGINT or DECIMAL cell's text when a double cannot hold it, else undefined. The
 * driver hands BIGINTs beyond 2^53 and every DECIMAL over as strings; those are kept as
 * they came (no new string) when they have more digits than a double keeps.
 */
export function exactCellText(type: ColumnType, cell: unknown): string | undefined {
  // Only a BIGINT's rule needs the value; a DECIMAL's digits are counted in the text.
  return typeof cell === 'string' ? exactTextOf(type, cell, type === 'bigint' ? Number(cell) : 0) : undefined;
}

/** Numbers arrive as numbers; BIGINTs beyond 2^53 and DECIMALs as strings. */
function decodeNumber(cell: unknown): number {
  return typeof cell === 'number' ? cell : Number(cell);
}

function decodeBoolean(cell: unknown): number {
  return decodeNumber(cell) === 0 ? 0 : 1;
}

function decodeDate(cell: unknown): number {
  return typeof cell === 'string' ? parseDateMs(cell) : cell instanceof Date ? cell.getTime() : Number.NaN;
}

function decodeTimestamp(cell: unknown): number {
  return typeof cell === 'string' ? parseDateTimeMs(cell) : cell instanceof Date ? cell.getTime() : Number.NaN;
}

function decodeText(cell: unknown): string {
  if (typeof cell === 'string') return cell;
  if (Buffer.isBuffer(cell)) return cell.toString('utf8');
  if (typeof cell === 'number' || typeof cell === 'bigint' || typeof cell === 'boolean') return String(cell);
  // GEOMETRY arrives parsed into objects.
  return JSON.stringify(cell);
}

/** BIT(n) arrives as big-endian bytes; its text is the number they spell. */
function decodeBits(cell: unknown): string {
  if (!Buffer.isBuffer(cell)) return decodeText(cell);
  let value = 0n;
  for (const byte of cell) value = (value << 8n) | BigInt(byte);
  return value.toString();
}

/** Reads `count` ASCII digits at `at`; NaN if any is not a digit. */
function digits(text: string, at: number, count: number): number {
  let value = 0;
  for (let i = at; i < at + count; i++) {
    const code = text.charCodeAt(i) - 48;
    if (code < 0 || code > 9) return Number.NaN;
    value = value * 10 + code;
  }
  return value;
}

/** `YYYY-MM-DD` → epoch milliseconds; NaN for the zero date or anything malformed. */
export function parseDateMs(text: string): number {
  if (text.length < 10) return Number.NaN;
  const year = digits(text, 0, 4);
  const month = digits(text, 5, 2);
  const day = digits(text, 8, 2);
  if (!(month >= 1 && month <= 12 && day >= 1 && day <= 31)) return Number.NaN;
  return daysFromCivil(year, month, day) * MS_PER_DAY;
}

/** `YYYY-MM-DD HH:MM:SS[.ffffff]` (UTC) → epoch milliseconds, microseconds as a fraction. */
export function parseDateTimeMs(text: string): number {
  const date = parseDateMs(text);
  if (text.length < 19) return text.length === 10 ? date : Number.NaN;
  const seconds = digits(text, 11, 2) * 3600 + digits(text, 14, 2) * 60 + digits(text, 17, 2);
  let micros = 0;
  if (text.length > 20 && text.charCodeAt(19) === 46 /* . */) {
    const places = text.length - 20;
    micros = digits(text, 20, places) * 10 ** (6 - places);
  }
  return epochMsFromMicros(date / MS_PER_DAY, seconds * 1_000_000 + micros);
}

/** A decoded cell as a result `Value`, the way `valueAt` shows batch values. */
export function resultValue(type: ColumnType, decoder: CellDecoder, cell: unknown): Value {
  if (cell === null || cell === undefined) return null;
  if (decoder.kind === 'text') return decoder.decode(cell);
  const exact = exactCellText(type, cell);
  if (exact !== undefined) return exact;
  const value = decoder.decode(cell);
  if (Number.isNaN(value)) return null;
  switch (type) {
    case 'boolean':
      return value !== 0;
    case 'date':
      return isoDateText(value);
    case 'timestamp':
      return isoTimestampText(value);
    default:
      return value;
  }
}
