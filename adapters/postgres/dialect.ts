/** PostgreSQL's SQL (see adapters/dialect.ts): the standard lexing and quoting. */
import type { ColumnType } from '../../src/data.js';
import { STANDARD_SPELLING } from '../../src/sql/index.js';
import { clampedExp, identifierQuoting, plainDecimal, type DatePart, type DialectTypes, type SqlDialect } from '../dialect.js';
import { parsePostgresUrl } from './postgres-url.js';
import { postgresSplitSql } from './split-sql-dialect.js';

export const POSTGRES_TYPES: DialectTypes = {
  sqlTypeFor: {
    boolean: 'BOOLEAN',
    integer: 'INTEGER',
    bigint: 'BIGINT',
    double: 'DOUBLE PRECISION',
    decimal: 'DOUBLE PRECISION',
    date: 'DATE',
    timestamp: 'TIMESTAMP',
    text: 'TEXT',
    other: 'TEXT',
  },
  numberTypes: new Map<string, ColumnType>([
    ...['SMALLINT', 'INTEGER', 'INT', 'INT2', 'INT4'].map((name): [string, ColumnType] => [name, 'integer']),
    ...['BIGINT', 'INT8'].map((name): [string, ColumnType] => [name, 'bigint']),
    ...['REAL', 'DOUBLE PRECISION', 'FLOAT4', 'FLOAT8'].map((name): [string, ColumnType] => [name, 'double']),
    ['BOOLEAN', 'boolean'],
  ]),
  decimal: { name: 'NUMERIC', maxPrecision: 1000, maxScale: 1000 },
};

// EXTRACT of a time field from a DATE is an error (PostgreSQL 14 on), so the hour reads a TIMESTAMP.
const DATE_PARTS: Readonly<Record<DatePart, (x: string) => string>> = {
  year: (x) => `CAST(EXTRACT(YEAR FROM ${x}) AS INTEGER)`,
  month: (x) => `CAST(EXTRACT(MONTH FROM ${x}) AS INTEGER)`,
  // ISODOW: 1 = Monday … 7 = Sunday.
  weekday: (x) => `(CAST(EXTRACT(ISODOW FROM ${x}) AS INTEGER) - 1)`,
  hour: (x) => `CAST(EXTRACT(HOUR FROM CAST(${x} AS TIMESTAMP)) AS INTEGER)`,
};

export const postgresDialect: SqlDialect = {
  name: 'postgres',
  lexical: STANDARD_SPELLING.lexical,
  ...identifierQuoting(STANDARD_SPELLING.quoteIdent),
  // standard_conforming_strings is on (the default since 9.1): a backslash is an ordinary character.
  quoteString: STANDARD_SPELLING.quoteString,
  foldIdentifier: (value, quoted) => (quoted ? value : value.toLowerCase()),
  types: POSTGRES_TYPES,
  split: postgresSplitSql,
  // NUMERIC has up to 131072 digits before the point and 16383 after it.
  exactNumber: (text) => `CAST('${plainDecimal(text).text}' AS NUMERIC)`,
  datePart: (part, x) => DATE_PARTS[part](x),
  // exp() of a double raises "value out of range: underflow" below about -708, and overflow above 709.
  safeExp: (x) => clampedExp(x),
  regexpSplit: (text, pattern) => `regexp_split_to_table(${text}, ${pattern})`,
  lowerText: (text) => `lower(${text})`,
  regexpReplaceAll: (text, pattern, replacement) => `regexp_replace(${text}, ${pattern}, ${replacement}, 'g')`,
  isFiniteTime: (x) => `isfinite(${x})`,
  textArrays: {
    split: (text, separator) => `string_to_array(${text}, ${separator})`,
    item: (array, index) => `(${array})[${index}]`,
    length: (array) => `cardinality(${array})`,
    series: (first, last) => `generate_series(${first}, ${last})`,
  },
  // "target lists can have at most 1664 entries" (MaxTupleAttributeNumber in htup_details.h).
  maxSelectList: 1664,
  capabilities: { createTableAsSelect: true, transactionalDdl: true, correlatedDerivedTables: true },
  clientLogin: { kind: 'upstream', upstreamServer: parsePostgresUrl },
};
