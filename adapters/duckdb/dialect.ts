/** DuckDB's SQL (see adapters/dialect.ts). Its scanner is PostgreSQL's, so it lexes and quotes as the standard does. */
import type { ColumnType } from '../../src/data.js';
import { STANDARD_SPELLING } from '../../src/sql/index.js';
import { decimalCast, identifierQuoting, roundTrip, type FunctionSpelling, type DatePart, type DialectTypes, type SlowerThanStream, type SqlDialect } from '../dialect.js';
import { duckdbSplitSql } from './split-sql-dialect.js';

/** The type of each sqlml type, in CREATE TABLE and in CAST alike. */
const DUCKDB_TYPE_NAMES: Readonly<Record<ColumnType, string>> = {
  boolean: 'BOOLEAN',
  integer: 'INTEGER',
  bigint: 'BIGINT',
  double: 'DOUBLE',
  decimal: 'DOUBLE',
  date: 'DATE',
  timestamp: 'TIMESTAMP',
  text: 'VARCHAR',
  other: 'VARCHAR',
};

export const DUCKDB_TYPES: DialectTypes = {
  sqlTypeFor: DUCKDB_TYPE_NAMES,
  castTypeFor: DUCKDB_TYPE_NAMES,
  numberTypes: new Map<string, ColumnType>([
    ...['TINYINT', 'SMALLINT', 'INTEGER', 'UTINYINT', 'USMALLINT', 'UINTEGER'].map((name): [string, ColumnType] => [name, 'integer']),
    ...['BIGINT', 'UBIGINT', 'HUGEINT', 'UHUGEINT'].map((name): [string, ColumnType] => [name, 'bigint']),
    ...['FLOAT', 'REAL', 'DOUBLE', 'DOUBLE PRECISION'].map((name): [string, ColumnType] => [name, 'double']),
    ['BOOLEAN', 'boolean'],
  ]),
  // DECIMAL holds at most 38 digits.
  decimal: { name: 'DECIMAL', maxPrecision: 38, maxScale: 38 },
};

const DATE_PARTS: Readonly<Record<DatePart, (x: string) => string>> = {
  year: (x) => `year(${x})`,
  month: (x) => `month(${x})`,
  // isodow: 1 = Monday … 7 = Sunday.
  weekday: (x) => `(isodow(${x}) - 1)`,
  hour: (x) => `hour(CAST(${x} AS TIMESTAMP))`,
};

const { quoteTable } = identifierQuoting(STANDARD_SPELLING.quoteIdent);
const quoteString = STANDARD_SPELLING.quoteString;

/**
 * A text constant. DuckDB reads a statement only up to a NUL (its C API takes C strings),
 * so a value holding one is spelled as literals joined by chr(0), a constant expression
 * DuckDB folds when it plans the statement: a model's category or label holding NUL
 * compiles to what it is, never to a statement cut short.
 */
function textConstant(value: string): string {
  if (!value.includes('\0')) return STANDARD_SPELLING.quoteString(value);
  return `(${value.split('\0').map(STANDARD_SPELLING.quoteString).join(' || chr(0) || ')})`;
}

/**
 * Scalar macros. Their parameters are untyped: typed macro parameters need a database
 * file of storage version 1.4 or later, which files made by older DuckDBs are not; the
 * result is cast to its type. A macro's parameter names take precedence over the columns
 * of its body, so they get names of sqlml's own (the body's columns are named by the
 * compiler, never like these). A macro shadows a built-in function of the same name, so
 * built-ins count as existing.
 */
const DUCKDB_FUNCTIONS: FunctionSpelling = {
  parameter: (index) => `sqlml_arg_${index + 1}`,
  // DuckDB documents no limit on the length of a name.
  nameFits: () => true,
  signature: (fn) => quoteTable(fn.name),
  create: (fn) => {
    const parameters = fn.parameterTypes.map((_, i) => DUCKDB_FUNCTIONS.parameter(i)).join(', ');
    return [`CREATE OR REPLACE MACRO ${quoteTable(fn.name)}(${parameters}) AS CAST((${fn.body}) AS ${fn.returns})`];
  },
  drop: (signature) => `DROP MACRO IF EXISTS ${signature}`,
  existing: (name) =>
    // Function names resolve case-insensitively, so a macro Lower shadows lower.
    `SELECT function_name FROM duckdb_functions() WHERE lower(function_name) = lower(${quoteString(name.name)}) AND (internal OR ` +
    `(database_name = current_database() AND schema_name = ${name.schema === undefined ? 'current_schema()' : quoteString(name.schema)}))`,
};

/**
 * Where DuckDB measured slower than the stream (docs/in-database.md, "How fast":
 * bench/predict-engines.ts --select-rows 200000, gen.py's binary table, both engines side
 * by side in one run on a quiet 2-vCPU Intel Xeon): PREDICT without INTO hands every row
 * to sqlml either way, and the compiled SELECT's rows came out at half the stream's speed.
 * PREDICT … INTO (3.3x faster at 10M rows) and EVALUATE … ON (2.3-3.3x) run in the database.
 */
const SLOWER_THAN_STREAM: SlowerThanStream = {
  predict: {
    dense: { ratio: 0.41, measured: 'DuckDB 1.5, 200k rows returned: 1.65 s in the database against 0.67 s streaming' },
    hashed: { ratio: 0.52, measured: 'DuckDB 1.5, 200k rows returned: 2.53 s in the database against 1.32 s streaming' },
  },
};

export const duckdbDialect: SqlDialect = {
  name: 'duckdb',
  lexical: STANDARD_SPELLING.lexical,
  ...identifierQuoting(STANDARD_SPELLING.quoteIdent),
  quoteString: STANDARD_SPELLING.quoteString,
  textConstant,
  // Unquoted names resolve case-insensitively as written.
  foldIdentifier: (value) => value,
  types: DUCKDB_TYPES,
  split: duckdbSplitSql,
  profile: {
    // length counts code points (length_grapheme counts what a reader sees as one).
    charLength: (x) => `length(${x})`,
    // hash() takes any number of values of any type; a UBIGINT, whose low 32 bits are as even as the rest.
    rowHash: (values, seed) => `(hash(${[String(seed >>> 0), ...values].join(', ')}) % 4294967296)`,
    valueHash: (x) => `(hash(${x}) % 4294967296)`,
  },
  exactNumber: (text) => decimalCast(text, DUCKDB_TYPES.decimal, 'DuckDB'),
  datePart: (part, x) => DATE_PARTS[part](x),
  // DuckDB's exp is 0 below and Infinity above the double's range, as Math.exp is, and
  // never raises an error: no clamping CASE per row (the overflow-safe logistic calls it
  // twice per row), and scores at extreme margins equal the stream's exactly.
  safeExp: (x) => `EXP(${x})`,
  probabilityAsFloat32: (x) => `CAST(CAST(${x} AS FLOAT) AS DOUBLE)`,
  // DuckDB's FLOAT cast rounds to nearest, ties to even, alike for both signs; a FLOAT
  // times a DOUBLE is computed on the FLOAT's exact double.
  float32Value: (x) => `CAST(${x} AS FLOAT)`,
  regexpSplit: (text, pattern) => `unnest(string_split_regex(${text}, ${pattern}))`,
  lowerText: (text) => `lower(${text})`,
  translate: (text, from, to) => `translate(${text}, ${from}, ${to})`,
  regexpReplaceAll: (text, pattern, replacement) => `regexp_replace(${text}, ${pattern}, ${replacement}, 'g')`,
  isFiniteTime: (x) => `isfinite(${x})`,
  textArrays: {
    split: (text, separator) => `string_split(${text}, ${separator})`,
    item: (array, index) => `(${array})[${index}]`,
    length: (array) => `len(${array})`,
    series: (first, last) => `generate_series(${first}, ${last})`,
    // No collect: each class reading a row's collected term slots by position in a
    // correlated subquery took 126-137 CPU s against 4.5 s hashing per class (5,574 SMS,
    // 7 classes, CREATE TABLE … AS of the compiled SELECT, load average 7-17).
    gather: (x) => `list(${x})`,
    // A lambda over the list, evaluated within the row's expression: no correlated subquery
    // (each class reading collected slots so measured far slower above).
    sumOver: (array, term) => `list_sum(list_transform(${array}, lambda sqlml_e: ${term('sqlml_e')}))`,
    elements: (array) => `unnest(${array})`,
  },
  // Text is its own key (split.partitionKey).
  textKeyConstant: (value) => textConstant(value),
  // No textKeyBelow nor hashedTextKey: DuckDB's md5 is cheap and its nested CASEs are not
  // (1M rows of gen.py's table, the one-hots and the hashed c4 and c5 searched by byte
  // order: PREDICT … INTO took 2.49 s, against 0.82 s compared in turn and hashed). The
  // hashed dictionary alone (c4 and c5's 1,168 known values searched, UTF-8 order, the
  // one-hots by list position), CREATE TABLE … AS of the same 1M rows, alternately: 3.0–3.8
  // CPU seconds against 1.35–1.68 for md5 alone (load average 17).
  // A cast of a constant is folded when the statement is planned.
  doubleConstant: (x) => `CAST('${roundTrip(x)}' AS DOUBLE)`,
  // The cast of the constant text is folded once per statement; DuckDB parses each
  // element's shortest round-trip digits back exactly.
  constantDoubleAt: (values, index) => `list_extract(CAST('[${values.map((x) => roundTrip(x)).join(',')}]' AS DOUBLE[]), (${index}) + 1)`,
  // list_position is NULL where x is in no element (and for NULL, which the caller tests first).
  constantKeyPosition: (keys, x) => `(list_position([${keys.join(', ')}], ${x}) - 1)`,
  compiledSettings: [],
  // DuckDB documents no limit on the columns of a table or a SELECT list (duckdb.org,
  // Operations manual, "Limits").
  maxSelectList: Number.POSITIVE_INFINITY,
  capabilities: { createTableAsSelect: true, transactionalDdl: true, correlatedDerivedTables: true, slowerThanStream: SLOWER_THAN_STREAM },
  scratchTable: { create: 'CREATE TABLE', keepIf: (condition, column) => `CASE WHEN ${condition} THEN ${column} END` },
  clientLogin: { kind: 'none' },
  functions: DUCKDB_FUNCTIONS,
  // information_schema lists every attached database's tables: the session's own are its current database's current schema.
  // DuckDB counts a table from its metadata and most queries faster than they stream out.
  rowEstimate: {
    sql: (select) => `SELECT count(*) FROM (${select}) AS sqlml_count`,
    read: (value) => (value === null || value === undefined ? undefined : Number(value)),
  },
};
