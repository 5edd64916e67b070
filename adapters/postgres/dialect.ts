/** PostgreSQL's SQL (see adapters/dialect.ts): the standard lexing and quoting. */
import type { ColumnType } from '../../src/data.js';
import { STANDARD_SPELLING } from '../../src/sql/index.js';
import { clampedExp, dollarQuoted, roundTrip, identifierQuoting, plainDecimal, type FunctionSpelling, type DatePart, type DialectTypes, type SlowerThanStream, type SqlDialect } from '../dialect.js';
import { parsePostgresUrl } from './postgres-url.js';
import { postgresSplitSql } from './split-sql-dialect.js';

/** The type of each sqlml type, in CREATE TABLE and in CAST alike. */
const POSTGRES_TYPE_NAMES: Readonly<Record<ColumnType, string>> = {
  boolean: 'BOOLEAN',
  integer: 'INTEGER',
  bigint: 'BIGINT',
  double: 'DOUBLE PRECISION',
  decimal: 'DOUBLE PRECISION',
  date: 'DATE',
  timestamp: 'TIMESTAMP',
  text: 'TEXT',
  other: 'TEXT',
};

export const POSTGRES_TYPES: DialectTypes = {
  sqlTypeFor: POSTGRES_TYPE_NAMES,
  castTypeFor: POSTGRES_TYPE_NAMES,
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

/**
 * 2^-150, half the smallest float32: Math.fround takes it and anything below to 0, while a
 * CAST to REAL of a nonzero double that rounds to 0 is PostgreSQL's "underflow" error.
 */
const FLOAT32_HALF_TINIEST = "CAST('7.006492321624085e-46' AS DOUBLE PRECISION)";

const quoteName = STANDARD_SPELLING.quoteIdent;
const { quoteTable } = identifierQuoting(quoteName);

/**
 * SQL functions that Redshift runs too: LANGUAGE sql with the body in dollar quotes and
 * the parameters by position ($1), so no column of the body can capture them. IMMUTABLE
 * lets the planner inline and fold them, PARALLEL SAFE keeps parallel plans. Functions
 * overload, so one is named by its argument types too.
 */
const POSTGRES_FUNCTIONS: FunctionSpelling = {
  parameter: (index) => `$${index + 1}`,
  // Names are cut to NAMEDATALEN - 1 = 63 bytes (with a NOTICE only).
  nameFits: (name) => Buffer.byteLength(name, 'utf8') <= 63,
  signature: (fn) => `${quoteTable(fn.name)}(${fn.parameterTypes.join(', ')})`,
  create: (fn) => [
    `CREATE OR REPLACE FUNCTION ${quoteTable(fn.name)}(${fn.parameterTypes.join(', ')}) RETURNS ${fn.returns} ` +
      `LANGUAGE sql IMMUTABLE PARALLEL SAFE AS ${dollarQuoted(`SELECT ${fn.body}`)}`,
  ],
  drop: (signature) => `DROP FUNCTION IF EXISTS ${signature}`,
  // An unqualified name resolves along the search path (pg_catalog's built-ins included).
  existing: (name) =>
    `SELECT p.oid FROM pg_catalog.pg_proc p JOIN pg_catalog.pg_namespace n ON n.oid = p.pronamespace ` +
    `WHERE p.proname = ${STANDARD_SPELLING.quoteString(name.name)} AND ` +
    (name.schema === undefined ? 'n.nspname = ANY (pg_catalog.current_schemas(true))' : `n.nspname = ${STANDARD_SPELLING.quoteString(name.schema)}`),
};

/**
 * Where PostgreSQL measured slower than the stream (docs/in-database.md, "How fast":
 * bench/predict-engines.ts --select-rows 200000, gen.py's binary table, both engines side
 * by side in one run on a quiet 2-vCPU Intel Xeon): PREDICT without INTO hands every row
 * to sqlml either way, and the compiled SELECT's rows (one query, its whole result read
 * by sqlml) came at half the speed of the stream's, which arrive by COPY and are scored
 * in sqlml. PREDICT … INTO (1.5x faster at 10M rows) and EVALUATE … ON run in the database.
 */
const SLOWER_THAN_STREAM: SlowerThanStream = {
  predict: {
    dense: { ratio: 0.53, measured: 'PostgreSQL 15, 200k rows returned: 1.59 s in the database against 0.85 s streaming' },
    hashed: { ratio: 0.51, measured: 'PostgreSQL 15, 200k rows returned: 1.93 s in the database against 0.99 s streaming' },
  },
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
  profile: {
    // Code points, in a UTF8 database (the only encoding that holds every character).
    charLength: (x) => `char_length(${x})`,
    // The row's hash by each value's own hash function (PostgreSQL 14 and later), a BIGINT: its low 32 bits.
    rowHash: (values, seed) => `(hash_record_extended(ROW(${values.join(', ')}), ${seed >>> 0}) & 4294967295)`,
    // The hashes its hash joins and hash aggregates use (text by its bytes, with deterministic collations).
    valueHash: (x, kind) => `(${kind === 'text' ? 'hashtextextended' : 'hashfloat8extended'}(${x}, 0) & 4294967295)`,
  },
  // NUMERIC has up to 131072 digits before the point and 16383 after it.
  exactNumber: (text) => `CAST('${plainDecimal(text).text}' AS NUMERIC)`,
  datePart: (part, x) => DATE_PARTS[part](x),
  // exp() of a double raises "value out of range: underflow" below about -708, and overflow above 709.
  safeExp: (x) => clampedExp(x),
  probabilityAsFloat32: (x) => `CAST(CAST(CASE WHEN ${x} <= ${FLOAT32_HALF_TINIEST} THEN 0 ELSE ${x} END AS REAL) AS DOUBLE PRECISION)`,
  // EVALUATE's aggregates over a compiled model: JIT compilation costs more than it saves there.
  regexpSplit: (text, pattern) => `regexp_split_to_table(${text}, ${pattern})`,
  lowerText: (text) => `lower(${text})`,
  translate: (text, from, to) => `translate(${text}, ${from}, ${to})`,
  regexpReplaceAll: (text, pattern, replacement) => `regexp_replace(${text}, ${pattern}, ${replacement}, 'g')`,
  isFiniteTime: (x) => `isfinite(${x})`,
  textArrays: {
    split: (text, separator) => `string_to_array(${text}, ${separator})`,
    item: (array, index) => `(${array})[${index}]`,
    length: (array) => `cardinality(${array})`,
    series: (first, last) => `generate_series(${first}, ${last})`,
    collect: (x) => `array_agg(${x})`,
    gather: (x) => `array_agg(${x})`,
    sumOver: (array, term) => `(SELECT SUM(${term('sqlml_e.e')}) FROM unnest(${array}) AS sqlml_e(e))`,
    elements: (array) => `unnest(${array})`,
  },
  // Text is its own key (split.partitionKey).
  textKeyConstant: (value) => STANDARD_SPELLING.quoteString(value),
  // The "C" collation orders by memcmp of the bytes, whatever the column's collation.
  textKeyBelow: (key, value) => `${key} < ${STANDARD_SPELLING.quoteString(value)} COLLATE "C"`,
  // As text (a citext would compare ignoring case) in "C", which compares bytes, also where
  // the column's collation is nondeterministic.
  hashedTextKey: (x) => `CAST(${x} AS text) COLLATE "C"`,
  // A cast of a constant is folded when the statement is planned.
  doubleConstant: (x) => `CAST('${roundTrip(x)}' AS DOUBLE PRECISION)`,
  // An array constant is folded once per statement; subscripting it is direct (fixed-width
  // elements, no NULLs). float8in parses the shortest round-trip digits back exactly.
  constantDoubleAt: (values, index) => `('{${values.map((x) => roundTrip(x)).join(',')}}'::float8[])[(${index}) + 1]`,
  // The JIT compiled one score's expressions for 25-38 s per statement (leader and each
  // worker), when the whole 1M-row CREATE TABLE … AS runs in about 1 s without it.
  compiledSettings: ['SET LOCAL jit = off'],
  // "target lists can have at most 1664 entries" (MaxTupleAttributeNumber in htup_details.h).
  maxSelectList: 1664,
  capabilities: { createTableAsSelect: true, transactionalDdl: true, correlatedDerivedTables: true, slowerThanStream: SLOWER_THAN_STREAM },
  // Parallel workers cannot read TEMP tables; UNLOGGED skips the WAL of rows rebuilt every training.
  scratchTable: { create: 'CREATE UNLOGGED TABLE', analyze: (table) => `ANALYZE ${table}`, keepIf: (condition, column) => `CASE WHEN ${condition} THEN ${column} END` },
  clientLogin: { kind: 'upstream', upstreamServer: parsePostgresUrl },
  functions: POSTGRES_FUNCTIONS,
  // The planner's estimate (from the tables' statistics, reltuples): nothing is run.
  rowEstimate: {
    sql: (select) => `EXPLAIN (FORMAT JSON) ${select}`,
    read: (value) => {
      const plan = (typeof value === 'string' ? JSON.parse(value) : value) as { Plan?: { 'Plan Rows'?: number } }[] | undefined;
      return plan?.[0]?.Plan?.['Plan Rows'];
    },
  },
};
