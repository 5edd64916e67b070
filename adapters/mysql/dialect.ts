/**
 * MySQL's and MariaDB's SQL (see adapters/dialect.ts). String literals depend on the
 * session's sql_mode: NO_BACKSLASH_ESCAPES makes a backslash an ordinary character, so
 * the dialect is made for the mode the adapter finds when it connects.
 */
import type { ColumnType } from '../../src/data.js';
import { quoteIdentifierWith, type LexicalRules } from '../../src/sql/index.js';
import { clampedExp, decimalCast, identifierQuoting, roundTrip, type FunctionSpelling, type DatePart, type SlowerThanStream, type DialectTypes, type SqlDialect } from '../dialect.js';
import { mysqlSplitSql } from './split-sql-dialect.js';

/** The session modes that change how SQL text reads. */
export interface MySQLModes {
  /** False under sql_mode NO_BACKSLASH_ESCAPES. */
  readonly backslashEscapes: boolean;
}

export const MYSQL_TYPES: DialectTypes = {
  // Decimals become DOUBLE (the values are doubles by then) and `other` LONGTEXT;
  // DATETIME, not TIMESTAMP, because it is stored as written, without the session time
  // zone, and spans years 1000-9999.
  sqlTypeFor: {
    boolean: 'BOOLEAN',
    integer: 'INT',
    bigint: 'BIGINT',
    double: 'DOUBLE',
    decimal: 'DOUBLE',
    date: 'DATE',
    timestamp: 'DATETIME(6)',
    text: 'LONGTEXT',
    other: 'LONGTEXT',
  },
  castTypeFor: {
    boolean: 'SIGNED',
    integer: 'SIGNED',
    bigint: 'SIGNED',
    double: 'DOUBLE',
    decimal: 'DECIMAL(65,30)',
    date: 'DATE',
    timestamp: 'DATETIME(6)',
    text: 'CHAR',
    other: 'CHAR',
  },
  numberTypes: new Map<string, ColumnType>([
    ...['TINYINT', 'SMALLINT', 'MEDIUMINT', 'INT', 'INTEGER', 'YEAR'].flatMap((name): [string, ColumnType][] => [
      [name, 'integer'],
      [`${name} UNSIGNED`, 'integer'],
    ]),
    ['BIGINT', 'bigint'],
    ['BIGINT UNSIGNED', 'bigint'],
    ...['FLOAT', 'DOUBLE', 'REAL', 'DOUBLE PRECISION'].map((name): [string, ColumnType] => [name, 'double']),
    ['TINYINT(1)', 'boolean'],
    ['BOOLEAN', 'boolean'],
  ]),
  // DECIMAL holds at most 65 digits, 30 of them after the point.
  decimal: { name: 'DECIMAL', maxPrecision: 65, maxScale: 30 },
};

/** MySQL's lexical rules under the given modes. */
function lexicalRules(modes: MySQLModes): LexicalRules {
  return Object.freeze({
    identifierQuote: '`',
    doubleQuotedStrings: true,
    backslashEscapes: modes.backslashEscapes,
    escapeStrings: false,
    dollarQuotes: false,
    hashComments: true,
    nestedBlockComments: false,
    dashCommentNeedsSpace: true,
    executableComments: true,
  });
}

const BACKSLASH_ESCAPES: Readonly<Record<string, string>> = {
  '\\': '\\\\',
  "'": "\\'",
  '\0': '\\0',
  '\n': '\\n',
  '\r': '\\r',
  '\x1a': '\\Z',
};

/**
 * A string literal. With backslash escapes (the default sql_mode) quotes, backslashes and
 * the bytes that upset terminals are escaped; under NO_BACKSLASH_ESCAPES a backslash is
 * an ordinary character and only the quote is doubled.
 */
function stringQuoting(modes: MySQLModes): (value: string) => string {
  return modes.backslashEscapes
    ? (value) => `'${value.replace(/[\\'\0\n\r\x1a]/g, (ch) => BACKSLASH_ESCAPES[ch]!)}'`
    : (value) => `'${value.replaceAll("'", "''")}'`;
}

// A DATE would be read as a TIME by HOUR(), so the hour reads a DATETIME.
const DATE_PARTS: Readonly<Record<DatePart, (x: string) => string>> = {
  year: (x) => `YEAR(${x})`,
  month: (x) => `MONTH(${x})`,
  // WEEKDAY: 0 = Monday … 6 = Sunday, as the learner counts.
  weekday: (x) => `WEEKDAY(${x})`,
  hour: (x) => `HOUR(CAST(${x} AS DATETIME))`,
};

/**
 * DETERMINISTIC stored functions of one RETURN. A routine's parameters take precedence
 * over the columns of its statements, so they get names of sqlml's own. MySQL has no
 * CREATE OR REPLACE FUNCTION (MariaDB has), so replacing drops first.
 */
function mysqlFunctions(quoteTable: SqlDialect['quoteTable'], quoteString: (value: string) => string): FunctionSpelling {
  const parameter = (index: number): string => `sqlml_arg_${index + 1}`;
  return {
    parameter,
    // Stored routine names hold at most 64 characters ("Identifier Length Limits").
    nameFits: (name) => [...name].length <= 64,
    signature: (fn) => quoteTable(fn.name),
    create: (fn) => {
      const parameters = fn.parameterTypes.map((type, i) => `${parameter(i)} ${type}`).join(', ');
      return [
        `DROP FUNCTION IF EXISTS ${quoteTable(fn.name)}`,
        `CREATE FUNCTION ${quoteTable(fn.name)}(${parameters}) RETURNS ${fn.returns} DETERMINISTIC CONTAINS SQL RETURN (${fn.body})`,
      ];
    },
    drop: (signature) => `DROP FUNCTION IF EXISTS ${signature}`,
    existing: (name) =>
      `SELECT ROUTINE_NAME FROM information_schema.ROUTINES WHERE ROUTINE_TYPE = 'FUNCTION' AND ROUTINE_NAME = ${quoteString(name.name)} ` +
      `AND ROUTINE_SCHEMA = ${name.schema === undefined ? 'DATABASE()' : quoteString(name.schema)}`,
    builtIns: {
      // PREPARE resolves the call's name without running it (release_all_locks() must
      // not run). A plain name is written bare, as a user calls it: quoted, `left`() is
      // no longer the LEFT keyword. Any other name cannot be called bare, so cannot collide.
      statement: (name) => `PREPARE sqlml_name_probe FROM ${quoteString(`SELECT ${PLAIN_NAME.test(name) ? name : quoteTable({ name })}()`)}`,
      isBuiltIn: (error) => {
        if (error === null) return true; // a native function of no arguments, such as NOW()
        const errno = (error as { cause?: { errno?: unknown } }).cause?.errno;
        if (errno === ER_SP_DOES_NOT_EXIST) return false;
        if (errno === ER_WRONG_PARAMCOUNT_TO_NATIVE_FCT || errno === ER_PARSE_ERROR) return true;
        return undefined;
      },
    },
  };
}

/** A name MySQL reads as an identifier without quotes ("Schema Object Names"). */
const PLAIN_NAME = /^[A-Za-z_$][A-Za-z0-9_$]*$/;
/** FUNCTION db.name does not exist: no native function, no stored one. */
const ER_SP_DOES_NOT_EXIST = 1305;
/** Incorrect parameter count in the call to native function: the name is a native's. */
const ER_WRONG_PARAMCOUNT_TO_NATIVE_FCT = 1582;
/** A syntax error at `name()`: the name is a keyword function (LEFT, COUNT, CHAR…) or reserved. */
const ER_PARSE_ERROR = 1064;
/**
 * Where MariaDB 10.11 measured slower than the stream (docs/in-database.md, "MySQL and
 * MariaDB": bench/predict-engines.ts, gen.py's binary table, both engines side by side
 * on 2 vCPUs shared with the server; PREDICT without INTO the median of 3 runs at a load
 * average of 22-27, EVALUATE one run): one core runs the statement, and every row of a
 * compiled layer, GROUP BY or window goes through a temporary table. PREDICT … INTO of a
 * dense model is not here: 1M rows, on a quiet machine 1.63x faster in the database (5.5 s
 * against 9.0 s), 2.02x at 10M. With hashed features it is: a later quiet run, side by
 * side, measured 0.62x at 1M and 0.79x at 10M, and the hand-written CREATE TABLE … AS of
 * the same model (the least a statement can do there) 0.69x and 0.84x: md5 per value on
 * one core costs more than the stream's whole round trip.
 */
const SLOWER_THAN_STREAM: SlowerThanStream = {
  predictInto: {
    hashed: { ratio: 0.62, measured: 'MariaDB 10.11, 1M rows: 8.74 s in the database against 5.39 s streaming (10M rows: 94.7 s against 74.8 s)' },
  },
  predict: {
    dense: { ratio: 0.67, measured: 'MariaDB 10.11, 200k rows returned: 8.4 s in the database against 5.6 s streaming' },
    hashed: { ratio: 0.48, measured: 'MariaDB 10.11, 200k rows returned: 9.5 s in the database against 4.6 s streaming' },
  },
  evaluate: {
    dense: { ratio: 0.45, measured: 'MariaDB 10.11, 1M rows: 90.3 s in the database against 40.5 s streaming' },
    hashed: { ratio: 0.19, measured: 'MariaDB 10.11, 1M rows: 128.6 s in the database against 23.9 s streaming' },
  },
};

/** MySQL's dialect for a session with `modes`. */
export function mysqlDialect(modes: MySQLModes): SqlDialect {
  const quoting = identifierQuoting((name) => quoteIdentifierWith('`', name));
  const quoteString = stringQuoting(modes);
  return {
    name: 'mysql',
    lexical: lexicalRules(modes),
    ...quoting,
    quoteString,
    // Table names are case-sensitive where the server's file system is (lower_case_table_names); sqlml passes them as written.
    foldIdentifier: (value) => value,
    types: MYSQL_TYPES,
    split: mysqlSplitSql,
    profile: {
      // CHAR_LENGTH counts characters in the value's character set: code points in utf8mb4.
      charLength: (x) => `CHAR_LENGTH(CONVERT(${x} USING utf8mb4))`,
      // PCRE's escape (REGEXP_REPLACE's library).
      regexpCodePoint: (code) => `\\x{${code.toString(16)}}`,
      // No hash of a row: md5 of its values' text, separated by a control character
      // (CONCAT_WS skips NULLs, so (NULL, 'a') and ('a', NULL) collide: ties the caller's
      // ORDER BY breaks by the value). The first 48 bits as an unsigned integer.
      rowHash: (values, seed) =>
        `CAST(CONV(SUBSTRING(MD5(CONCAT_WS(CHAR(31), ${[String(seed >>> 0), ...values].join(', ')})), 1, 12), 16, 10) AS UNSIGNED)`,
    },
    exactNumber: (text) => decimalCast(text, MYSQL_TYPES.decimal, 'MySQL'),
    datePart: (part, x) => DATE_PARTS[part](x),
    // EXP() of a large argument is an error ("DOUBLE value is out of range").
    safeExp: (x) => clampedExp(x),
    probabilityAsFloat32: (x) => `CAST(CAST(${x} AS FLOAT) AS DOUBLE)`,
    lowerText: (text) => `LOWER(CONVERT(${text} USING utf8mb4))`,
    regexpReplaceAll: (text, pattern, replacement) => `REGEXP_REPLACE(CONVERT(${text} USING utf8mb4), ${pattern}, ${replacement})`,
    isFiniteTime: () => 'TRUE',

    // The bytes CAST('…' AS BINARY) gives, as a literal: MariaDB converted that cast per
    // row and per WHEN (a 1M-row score spent 40% of its time there).
    textKeyConstant: (value) => `_binary${quoteString(value)}`,
    // MariaDB evaluates CAST('…' AS DOUBLE) per row (0.36 µs each here: 1M rows of five
    // took 3.3 s against 1.5 s as literals); a literal with an exponent is a DOUBLE
    // parsed once (a plain one would be an exact DECIMAL). Negatives in parentheses, so
    // no `- -` can run into a comment.
    doubleConstant: (x) => (x < 0 ? `(${roundTrip(x, true)})` : roundTrip(x, true)),
    // No arrays: ELT evaluates only the argument its index picks (NULL past the end), and a
    // literal with an exponent is a DOUBLE, parsed back exactly (a plain one would be a
    // DECIMAL); `0e0 +` keeps ELT's result a double, not its text.
    constantDoubleAt: (values, index) => `(0e0 + ELT((${index}) + 1, ${values.map((x) => roundTrip(x, true)).join(', ')}))`,
    compiledSettings: [],
    // No set-returning split: REGEXP_SUBSTR takes one piece at a time.
    // MySQL's hard limit on the columns of a table, which a SELECT whose result is
    // materialized (derived table, temporary table for GROUP BY or ORDER BY) is held to
    // (MySQL Reference Manual, "Limits on Table Column Count and Row Size"); MariaDB
    // accepts longer plain SELECT lists.
    maxSelectList: 4096,
    // DDL commits the transaction implicitly. MariaDB writes every fenced derived table
    // to a temporary table (on disk past tmp_table_size), so compiled layers are few.
    capabilities: { createTableAsSelect: true, transactionalDdl: false, correlatedDerivedTables: false, materializedLayers: true, slowerThanStream: SLOWER_THAN_STREAM },
    scratchTable: { create: 'CREATE TABLE' },
    clientLogin: { kind: 'passthrough' },
    functions: mysqlFunctions(quoting.quoteTable, quoteString),
  };
}

/** The dialect of a session in the default sql_mode. */
export const MYSQL_DIALECT: SqlDialect = mysqlDialect({ backslashEscapes: true });
