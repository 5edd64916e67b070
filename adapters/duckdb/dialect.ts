/** DuckDB's SQL (see adapters/dialect.ts). Its scanner is PostgreSQL's, so it lexes and quotes as the standard does. */
import type { ColumnType } from '../../src/data.js';
import { SqlmlError } from '../../src/errors.js';
import { STANDARD_SPELLING } from '../../src/sql/index.js';
import { clampedExp, identifierQuoting, plainDecimal, type DatePart, type DialectTypes, type SqlDialect } from '../dialect.js';
import { duckdbSplitSql } from './split-sql-dialect.js';

/** DuckDB's DECIMAL holds at most 38 digits. */
const MAX_DECIMAL_DIGITS = 38;

export const DUCKDB_TYPES: DialectTypes = {
  sqlTypeFor: {
    boolean: 'BOOLEAN',
    integer: 'INTEGER',
    bigint: 'BIGINT',
    double: 'DOUBLE',
    decimal: 'DOUBLE',
    date: 'DATE',
    timestamp: 'TIMESTAMP',
    text: 'VARCHAR',
    other: 'VARCHAR',
  },
  numberTypes: new Map<string, ColumnType>([
    ...['TINYINT', 'SMALLINT', 'INTEGER', 'UTINYINT', 'USMALLINT', 'UINTEGER'].map((name): [string, ColumnType] => [name, 'integer']),
    ...['BIGINT', 'UBIGINT', 'HUGEINT', 'UHUGEINT'].map((name): [string, ColumnType] => [name, 'bigint']),
    ...['FLOAT', 'REAL', 'DOUBLE', 'DOUBLE PRECISION'].map((name): [string, ColumnType] => [name, 'double']),
    ['BOOLEAN', 'boolean'],
  ]),
  decimal: { name: 'DECIMAL', maxPrecision: MAX_DECIMAL_DIGITS, maxScale: MAX_DECIMAL_DIGITS },
};

const DATE_PARTS: Readonly<Record<DatePart, (x: string) => string>> = {
  year: (x) => `year(${x})`,
  month: (x) => `month(${x})`,
  // isodow: 1 = Monday … 7 = Sunday.
  weekday: (x) => `(isodow(${x}) - 1)`,
  hour: (x) => `hour(CAST(${x} AS TIMESTAMP))`,
};

export const duckdbDialect: SqlDialect = {
  name: 'duckdb',
  lexical: STANDARD_SPELLING.lexical,
  ...identifierQuoting(STANDARD_SPELLING.quoteIdent),
  quoteString: STANDARD_SPELLING.quoteString,
  // Unquoted names resolve case-insensitively as written.
  foldIdentifier: (value) => value,
  types: DUCKDB_TYPES,
  split: duckdbSplitSql,
  exactNumber(text) {
    const decimal = plainDecimal(text);
    const precision = Math.max(decimal.digits.length, decimal.scale, 1);
    if (precision > MAX_DECIMAL_DIGITS) {
      throw new SqlmlError('unsupported', `${text} has more digits than DuckDB's DECIMAL holds (${MAX_DECIMAL_DIGITS})`);
    }
    return `CAST('${decimal.text}' AS DECIMAL(${precision},${decimal.scale}))`;
  },
  datePart: (part, x) => DATE_PARTS[part](x),
  safeExp: (x) => clampedExp(x),
  regexpSplit: (text, pattern) => `unnest(string_split_regex(${text}, ${pattern}))`,
  // DuckDB documents no limit on the columns of a table or a SELECT list (duckdb.org,
  // Operations manual, "Limits").
  maxSelectList: Number.POSITIVE_INFINITY,
  capabilities: { createTableAsSelect: true, transactionalDdl: true },
  clientLogin: { kind: 'none' },
};
