/**
 * PostgreSQL's types as sqlml sees them: type OID → `ColumnType` and spelling, the
 * PostgreSQL type `write()` creates for a `ColumnType`, the text forms of dates and
 * timestamps (read by the cursor path and pass-through, written by COPY FROM), and the
 * pg type parsers of the adapter's pool (pass-through results and the Kysely catalog).
 */
import type { CustomTypesConfig } from 'pg';
import { needsExactText, type Column, type ColumnType, type Value } from '../../src/data.js';
import { columnDefinitionType as ownOrDialectType } from '../column-definition.js';
import { POSTGRES_TYPES } from './dialect.js';
import { civilFromDays, daysFromCivil, epochMsFromMicros, MS_PER_DAY } from '../../src/calendar.js';

/** The type OIDs sqlml reads natively (pg_type.oid, fixed since PostgreSQL 7). */
export const Oid = {
  bool: 16,
  char: 18,
  name: 19,
  int8: 20,
  int2: 21,
  int4: 23,
  text: 25,
  float4: 700,
  float8: 701,
  bpchar: 1042,
  varchar: 1043,
  date: 1082,
  timestamp: 1114,
  timestamptz: 1184,
  numeric: 1700,
} as const;

const TYPE_NAMES: ReadonlyMap<number, string> = new Map([
  [16, 'boolean'],
  [17, 'bytea'],
  [18, '"char"'],
  [19, 'name'],
  [20, 'bigint'],
  [21, 'smallint'],
  [23, 'integer'],
  [25, 'text'],
  [26, 'oid'],
  [114, 'json'],
  [700, 'real'],
  [701, 'double precision'],
  [1007, 'integer[]'],
  [1009, 'text[]'],
  [1042, 'character'],
  [1043, 'character varying'],
  [1082, 'date'],
  [1083, 'time without time zone'],
  [1114, 'timestamp without time zone'],
  [1184, 'timestamp with time zone'],
  [1186, 'interval'],
  [1700, 'numeric'],
  [2950, 'uuid'],
  [3802, 'jsonb'],
]);

/** The sqlml column type of a PostgreSQL type OID; anything unlisted is `other` and travels as text. */
export function columnTypeOf(oid: number): ColumnType {
  switch (oid) {
    case Oid.bool:
      return 'boolean';
    case Oid.int2:
    case Oid.int4:
      return 'integer';
    case Oid.int8:
      return 'bigint';
    case Oid.float4:
    case Oid.float8:
      return 'double';
    case Oid.numeric:
      return 'decimal';
    case Oid.text:
    case Oid.varchar:
    case Oid.bpchar:
    case Oid.name:
    case Oid.char:
      return 'text';
    case Oid.date:
      return 'date';
    case Oid.timestamp:
    case Oid.timestamptz:
      return 'timestamp';
    default:
      return 'other';
  }
}

/**
 * PostgreSQL's name of a type OID, for messages and `Column.dbType`; `oid 1234` for types
 * it does not list. A numeric's type modifier (a result column's `dataTypeModifier`)
 * adds its precision and scale: `numeric(38,10)`.
 */
export function typeNameOf(oid: number, typmod = -1): string {
  // numeric's typmod is ((precision << 16) | scale) + VARHDRSZ (4); -1 when unconstrained.
  if (oid === Oid.numeric && typmod >= 4) return `numeric(${(typmod - 4) >> 16},${(typmod - 4) & 0xffff})`;
  return TYPE_NAMES.get(oid) ?? `oid ${oid}`;
}

/** The PostgreSQL type `write()` gives a new column: the source's own for numbers PostgreSQL has (see column-definition.ts). */
export function columnDefinitionType(column: Column): string {
  return ownOrDialectType(column, POSTGRES_TYPES);
}


// ---------------------------------------------------------------------------------------
const DATE_TEXT = /^(\d{4,})-(\d\d)-(\d\d)( BC)?$/;
const TIMESTAMP_TEXT = /^(\d{4,})-(\d\d)-(\d\d)[ T](\d\d):(\d\d):(\d\d)(?:\.(\d{1,6}))?(?:([+-])(\d\d)(?::?(\d\d))?(?::?(\d\d))?)?( BC)?$/;

/**
 * Milliseconds since the epoch of a date in PostgreSQL's ISO output (`2024-02-29`,
 * `0044-03-15 BC`, `infinity`); NaN for text in another form.
 */
export function parseDateText(text: string): number {
  if (text === 'infinity') return Infinity;
  if (text === '-infinity') return -Infinity;
  const m = DATE_TEXT.exec(text);
  if (m === null) return Number.NaN;
  const year = m[4] === undefined ? Number(m[1]) : 1 - Number(m[1]);
  return daysFromCivil(year, Number(m[2]), Number(m[3])) * MS_PER_DAY;
}

/**
 * Milliseconds since the epoch (microseconds as the fraction) of a timestamp in
 * PostgreSQL's ISO output, with or without a UTC offset (`2024-02-29 13:14:15.25+01`);
 * NaN for text in another form.
 */
export function parseTimestampText(text: string): number {
  if (text === 'infinity') return Infinity;
  if (text === '-infinity') return -Infinity;
  const m = TIMESTAMP_TEXT.exec(text);
  if (m === null) return Number.NaN;
  const year = m[12] === undefined ? Number(m[1]) : 1 - Number(m[1]);
  const days = daysFromCivil(year, Number(m[2]), Number(m[3]));
  const seconds = Number(m[4]) * 3600 + Number(m[5]) * 60 + Number(m[6]);
  const micros = m[7] === undefined ? 0 : Number(m[7].padEnd(6, '0'));
  let offsetSeconds = 0;
  if (m[8] !== undefined) {
    offsetSeconds = Number(m[9]) * 3600 + Number(m[10] ?? 0) * 60 + Number(m[11] ?? 0);
    if (m[8] === '-') offsetSeconds = -offsetSeconds;
  }
  return epochMsFromMicros(days, (seconds - offsetSeconds) * 1_000_000 + micros);
}

function pad(value: number, width: number): string {
  return String(value).padStart(width, '0');
}

/** A date in PostgreSQL's input syntax from epoch milliseconds (`infinity`, `… BC` included). */
export function formatDate(ms: number): string {
  if (ms === Infinity) return 'infinity';
  if (ms === -Infinity) return '-infinity';
  const [year, month, day] = civilFromDays(Math.floor(ms / MS_PER_DAY));
  const date = `${pad(year > 0 ? year : 1 - year, 4)}-${pad(month, 2)}-${pad(day, 2)}`;
  return year > 0 ? date : `${date} BC`;
}

/**
 * A UTC timestamp in PostgreSQL's input syntax from epoch milliseconds (a fraction keeps
 * microseconds). The `+00` offset makes a `timestamptz` column read it as UTC; a plain
 * `timestamp` column ignores it.
 */
export function formatTimestamp(ms: number): string {
  if (ms === Infinity) return 'infinity';
  if (ms === -Infinity) return '-infinity';
  const micros = Math.round(ms * 1000);
  const days = Math.floor(micros / (MS_PER_DAY * 1000));
  const rest = micros - days * MS_PER_DAY * 1000;
  const [year, month, day] = civilFromDays(days);
  const seconds = Math.floor(rest / 1_000_000);
  const fraction = rest - seconds * 1_000_000;
  const time = `${pad(Math.floor(seconds / 3600), 2)}:${pad(Math.floor(seconds / 60) % 60, 2)}:${pad(seconds % 60, 2)}.${pad(fraction, 6)}`;
  const stamp = `${pad(year > 0 ? year : 1 - year, 4)}-${pad(month, 2)}-${pad(day, 2)} ${time}+00`;
  return year > 0 ? stamp : `${stamp} BC`;
}

/**
 * ISO-8601 UTC text of a timestamp read as text (`2024-02-29T13:14:15.250Z`); the
 * microseconds are appended only when non-zero, as the DuckDB adapter does. Text that
 * is no plain timestamp (`infinity`, years beyond JavaScript's Date) stays as it was.
 */
export function isoTimestamp(text: string): string {
  const ms = parseTimestampText(text);
  const whole = Math.floor(ms);
  const date = new Date(whole);
  if (Number.isNaN(date.getTime())) return text;
  const iso = date.toISOString();
  const extra = Math.round((ms - whole) * 1000);
  return extra === 0 ? iso : `${iso.slice(0, -1)}${pad(extra, 3)}Z`;
}

// ---------------------------------------------------------------------------------------
// pg type parsers

type TextParser = (text: string) => Value;

const keepText: TextParser = (text) => text;
const toNumber: TextParser = (text) => Number(text);
/** int8 beyond 2^53 and numeric of more than 15 significant digits stay exact as text rather than silently rounding. */
const toSafeInteger: TextParser = (text) => {
  const value = Number(text);
  return Number.isSafeInteger(value) ? value : text;
};
const toExactNumber: TextParser = (text) => (needsExactText(text) ? text : Number(text));

const RESULT_PARSERS: ReadonlyMap<number, TextParser> = new Map<number, TextParser>([
  [Oid.bool, (text) => text === 't'],
  [Oid.int2, toNumber],
  [Oid.int4, toNumber],
  [Oid.int8, toSafeInteger],
  [Oid.float4, toNumber],
  [Oid.float8, toNumber],
  [Oid.numeric, toExactNumber],
  [Oid.timestamp, isoTimestamp],
  [Oid.timestamptz, isoTimestamp],
]);

/**
 * The type parsers of the adapter's pool: pass-through results become `Value`s (numbers,
 * booleans, `YYYY-MM-DD` dates, ISO timestamps, everything else PostgreSQL's text), and
 * the catalog's BIGINT/COUNT columns arrive as numbers, as the stores expect.
 */
export const resultTypes: CustomTypesConfig = {
  getTypeParser: ((oid: number) => RESULT_PARSERS.get(oid) ?? keepText) as CustomTypesConfig['getTypeParser'],
};

/** Every value as PostgreSQL's text; the cursor reader converts column by column itself. */
export const rawTextTypes: CustomTypesConfig = {
  getTypeParser: ((_oid: number) => keepText) as CustomTypesConfig['getTypeParser'],
};
