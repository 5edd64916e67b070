/**
 * A database's SQL, as one object per adapter (`adapter.sql`): how its text is lexed, how
 * it quotes names and strings, how it folds unquoted names, the types `write()` creates,
 * and the spellings the engine, the server and the writers ask for by name. Nothing
 * outside adapters/ branches on which database it is talking to; each database's object
 * is in adapters/<database>/dialect.ts, and every hook has a case in
 * test/adapters/conformance.test.ts that runs it on the database.
 */
import type { ConnectionOptions } from 'node:tls';
import type { ColumnType } from '../src/data.js';
import { SqlmlError } from '../src/errors.js';
import type { LexicalRules, SqlSpelling } from '../src/sql/index.js';
import type { TableRef } from './adapter.js';
import type { SplitSqlDialect } from './split-sql-dialect.js';

/** The databases sqlml speaks to. */
export type DialectName = 'duckdb' | 'postgres' | 'mysql';

/** The calendar fields src/learn's date transform takes from a date or timestamp, in UTC. */
export type DatePart =
  /** The year, e.g. 2024. */
  | 'year'
  /** 1..12. */
  | 'month'
  /** 0 = Monday … 6 = Sunday, as src/learn/profile.ts dayOfWeekOf. */
  | 'weekday'
  /** 0..23. */
  | 'hour';

/** What `write()` creates as written. */
export interface DialectTypes {
  /** The database's type for each sqlml type, when the source's own spelling is not one it has. */
  readonly sqlTypeFor: Readonly<Record<ColumnType, string>>;
  /** The type a CAST to each sqlml type names (MySQL's CAST takes SIGNED, CHAR…, not its column types). */
  readonly castTypeFor: Readonly<Record<ColumnType, string>>;
  /** Number type spellings (upper case) the database has, with the sqlml type each reads back as. */
  readonly numberTypes: ReadonlyMap<string, ColumnType>;
  /** Its exact decimal type's name and limits. */
  readonly decimal: { readonly name: string; readonly maxPrecision: number; readonly maxScale: number };
}

/** Where the wire listener's upstream connects, and as whom (what a database URL says). */
export interface UpstreamServer {
  readonly user: string;
  readonly password: string | undefined;
  readonly host: string;
  readonly port: number;
  readonly database: string;
  /** `false`, or the TLS options for `tls.connect`. */
  readonly ssl: false | ConnectionOptions;
  /** `host:port`, for messages. */
  readonly address: string;
}

/**
 * How clients of the PostgreSQL wire listener log in when there is no token:
 * - `upstream`: the database speaks the same protocol, so the listener forwards each
 *   session to it, logging in as the client (its roles decide);
 * - `passthrough`: each client's user and password open its own connection (its roles decide);
 * - `none`: the database has no roles, so only a token or loopback protects the listener.
 */
export type ClientLogin =
  | { readonly kind: 'upstream'; upstreamServer(url: string): UpstreamServer }
  | { readonly kind: 'passthrough' }
  | { readonly kind: 'none' };

/**
 * Text split into an array and read back by position, with a series of integers to
 * range over the positions: how src/compile reads a text value's words.
 */
export interface TextArrays {
  /** `text` split at every occurrence of the string literal `separator`, as an array value (positions from 1). */
  split(text: string, separator: string): string;
  /** Element `index` (from 1) of `array`; NULL past its end. */
  item(array: string, index: string): string;
  /** How many elements `array` has. */
  length(array: string): string;
  /** A FROM item with one row per integer from `first` to `last` inclusive (none when last < first); the caller names it `AS alias(column)`. */
  series(first: string, last: string): string;
  /**
   * The aggregate of `x` over a group's rows as an array value (item, length read it; any
   * order); NULL or empty over no rows. A multiclass model's text terms' slots are
   * collected once per row so, and each class reads the array instead of hashing again.
   * Absent where that measured slower than each class hashing the terms itself.
   */
  collect?(x: string): string;
  /**
   * The aggregate of `x` over a group's rows as an array value, any order; NULL over no
   * rows. The in-database training's scratch table stores a text's term slots so
   * (src/compile/objective-sql.ts), which is not collect's measured opt-in.
   */
  gather(x: string): string;
  /** The sum of `term(element)` over the elements of `array` (a double; NULL for an empty or NULL array): a text's terms' weights in the objective's margin. */
  sumOver(array: string, term: (element: string) => string): string;
  /**
   * A FROM item with one row per element of `array` (each its own row: repeats kept), which
   * may read the columns of the FROM items before it; the caller names it `AS alias(column)`.
   */
  elements(array: string): string;
}

/**
 * What profiling a source inside the database (src/compile/profile-sql.ts) needs spelled
 * beyond the split's facts: text counted in code points, a seeded row hash that orders
 * the rows of the numeric sample, and a value hash for the distinct values' sketch.
 */
export interface ProfileSqlDialect {
  /** The number of characters (Unicode code points) of the text `x`; NULL stays NULL. */
  charLength(x: string): string;
  /**
   * A seeded hash of a row's `values` (expressions, NULLs allowed), an integer in
   * [0, 2^32): equal rows get equal hashes, so `ORDER BY hash, value LIMIT k` picks the
   * same values whatever the physical order or the parallel plan.
   */
  rowHash(values: readonly string[], seed: number): string;
  /**
   * A hash of the value `x` (a double or a text, as `kind` says), an integer in [0, 2^32) spread
   * evenly, cheap enough to compute for every value of every column: the distinct values
   * whose hash is below a threshold are a seeded sample of them, whose count tells a column
   * of millions of values from one of a thousand without grouping them all. Absent where
   * the database has no cheap even hash (every column is then grouped exactly).
   */
  valueHash?(x: string, kind: 'double' | 'text'): string;
}

/** The statements whose compiled SQL `engine = 'auto'` weighs against the stream. */
export type CompiledStatement = 'predictInto' | 'predict' | 'evaluate';

/**
 * The kinds of model whose compiled SQL costs differ: `hashed` has hashed categories or
 * crossings (an md5 and a lookup per value), `dense` has neither.
 */
export type CompiledModelKind = 'dense' | 'hashed';

/** One measurement: stream seconds ÷ database seconds (below 1: the database was slower), and what was measured. */
export interface StreamRatio {
  readonly ratio: number;
  /** Where and how, for the reason EXPLAIN PREDICT gives, e.g. "MariaDB 10.11, 1M rows, bench/predict-engines.ts". */
  readonly measured: string;
}

/** Per statement and kind of model, the figure where the database measured slower than the stream. */
export type SlowerThanStream = {
  readonly [S in CompiledStatement]?: { readonly [K in CompiledModelKind]?: StreamRatio };
};

export interface SqlDialect extends SqlSpelling {
  readonly name: DialectName;
  /** How its text is lexed: the tokenizer's, splitter's and parser's input. */
  readonly lexical: LexicalRules;
  /** Quotes one identifier (`"a""b"` / `` `a``b` ``). */
  quoteIdent(name: string): string;
  /** Quotes a possibly schema-qualified table name. */
  quoteTable(table: TableRef): string;
  /** A string literal that the session reads back as exactly `value` (its modes honoured). */
  quoteString(value: string): string;
  /**
   * The text `value` as a constant expression where quoteString's literal cannot carry it
   * (DuckDB reads a statement only up to a NUL: there `('a' || chr(0) || 'b')`); absent,
   * quoteString. src/compile writes a model's labels with it (and categories through
   * textKeyConstant), so a value holding NUL compiles to itself.
   */
  textConstant?(value: string): string;
  /** The name an identifier denotes: PostgreSQL folds unquoted ones to lower case; the others keep them as written. */
  foldIdentifier(value: string, quoted: boolean): string;
  /** The types `write()` gives the columns it creates (adapters/column-definition.ts). */
  readonly types: DialectTypes;
  /** The split's content hash in plain SQL (src/engine/split-sql.ts). */
  readonly split: SplitSqlDialect;
  /** What the profile's aggregate queries need (src/compile/profile-sql.ts). */
  readonly profile: ProfileSqlDialect;
  /** An exact numeric literal for the decimal `text` (e.g. `-12.5`, `1e-3`): every digit kept, never rounded to a double. */
  exactNumber(text: string): string;
  /** A calendar field of the date or timestamp `x` as an integer, as the learner computes it (UTC). */
  datePart(part: DatePart, x: string): string;
  /**
   * exp(x) that neither overflows nor underflows to an error: where the database raises
   * one, the argument is clamped to what a double can take (`x` is then repeated in the
   * text, so pass a column or a value computed in an inner SELECT); where it gives 0 and
   * Infinity as Math.exp does (DuckDB), plain exp. NULL stays NULL. src/compile calls it
   * only where the result is at most 1.
   */
  safeExp(x: string): string;
  /**
   * The probability `x` (a double in [0, 1]; repeated in the text, so a column) rounded to
   * a 32-bit float as JavaScript's Math.fround rounds it, read back as a double: the
   * streaming evaluation keeps binary scores as float32 (src/engine/evaluation.ts), so
   * EVALUATE in the database rounds them alike to give the same ties and the same AUC.
   */
  probabilityAsFloat32(x: string): string;
  /**
   * Any double `x` (either sign, NULL staying NULL) rounded to a 32-bit float as
   * Math.fround rounds it, kept as the database's own 4-byte float, where it has one that
   * rounds so and reads back as the same double in arithmetic with doubles: the training's
   * encoded values (src/compile/objective-sql.ts), stored in half the bytes of a double.
   * Absent: probabilityAsFloat32 on the magnitude, read back as a double.
   */
  float32Value?(x: string): string;
  /** A set-returning split of `text` at the matches of the regular expression `pattern` (one row per piece); absent where the database has none. */
  regexpSplit?(text: string, pattern: string): string;
  /**
   * `text` lower-cased letter by letter as JavaScript's toLowerCase does (src/compile's
   * lowercase(), which adds the two context rules); absent where the database's lower()
   * does not (adapters/lower-probe.ts checks it on connecting), `lowerTextGap` then saying why.
   */
  lowerText?(text: string): string;
  /** Why `lowerText` is absent, for the compiler's reason. */
  readonly lowerTextGap?: string;
  /** `text` with each character of the string literal `from` replaced by the one at the same place in `to` (SQL's translate); absent where the database has none. */
  translate?(text: string, from: string, to: string): string;
  /**
   * `text` with every match of the regular expression `pattern` (a string literal; bracket
   * expressions hold literal characters, `\1` in `replacement` is the first group)
   * replaced by `replacement`; absent where the database has none.
   */
  regexpReplaceAll?(text: string, pattern: string, replacement: string): string;
  /** A boolean: the date or timestamp `x` (not NULL) is finite, not ±infinity ('TRUE' where the database has no infinite dates). */
  isFiniteTime?(x: string): string;
  /**
   * The finite double `x` as a constant of the database's double type that it reads back
   * bit for bit, and reads once per statement, not once per row (compiled models hold
   * hundreds of them in every row's expression).
   */
  doubleConstant(x: number): string;
  /**
   * The text `value` as a constant equal to `split.partitionKey(column, 'text')` of a
   * column holding it (so a one-hot's categories compare byte for byte), read once per
   * statement rather than converted per row.
   */
  textKeyConstant(value: string): string;
  /**
   * A boolean: `key` (`split.partitionKey(column, 'text')` of a non-NULL text) sorts
   * before the text `value` in byte order: UTF-8's, the order of code points, in which
   * src/compile sorts what it searches (terms.ts byteOrder): a hashed category's known
   * values, whose miss takes md5's answer, and a one-hot's categories when all are ASCII,
   * which every server encoding orders as UTF-8 does. Where the database can compare so cheaply, a one-hot over many
   * categories compiles to a binary search over them instead of one comparison per
   * category (PostgreSQL: 60 categories cost 0.6 µs per row as a CASE, 0.15 µs searched).
   */
  textKeyBelow?(key: string, value: string): string;
  /**
   * The text `x` (NOT NULL) as the bytes split.md5Word hashes it by, UTF-8, compared byte for
   * byte by `=` with textKeyConstant and by textKeyBelow (whatever the column's collation or
   * character set): src/compile looks a hashed value up in a dictionary of the keys known at
   * compile time, whose slots it computed with the learner's md5, and hashes only the others.
   * Used with textKeyBelow; absent where searching measured no faster than hashing every
   * value (DuckDB: 3× slower; MariaDB: no gain; docs/in-database.md).
   */
  hashedTextKey?(x: string): string;
  /**
   * Element `index` (an integer expression, from 0) of the constant list of doubles
   * `values`, each read back bit for bit; NULL past its end. src/compile looks up a hashed
   * slot's weight with it: the database indexes the list, where a CASE over every non-zero
   * weight compared each row against them one by one (1,168 branches: 20k rows/s on DuckDB).
   */
  constantDoubleAt(values: readonly number[], index: string): string;
  /**
   * Where the database looks a value up in a constant list faster than a CASE compares it
   * with each: the position (from 0) of the text `x` among the constants `keys`
   * (textKeyConstant spellings, compared as the CASE would), NULL where it is none of
   * them. src/compile then reads a one-hot's weight by position (constantDoubleAt): a
   * CASE over 60 categories tests each row against them one after the other.
   */
  constantKeyPosition?(keys: readonly string[], x: string): string;
  /**
   * Statements run first in the transaction of each statement sqlml compiles a model into
   * (a multi-statement query is one transaction), each scoped to it (SET LOCAL): what the
   * database needs to run those long expressions well. Empty where nothing is needed.
   */
  readonly compiledSettings: readonly string[];
  /** Arrays of text, for the words of text features; absent where the database has none. */
  textArrays?: TextArrays;
  /** Most expressions one SELECT list may have. */
  readonly maxSelectList: number;
  readonly capabilities: {
    /** CREATE TABLE … AS SELECT. */
    readonly createTableAsSelect: boolean;
    /** DDL inside a transaction is undone by ROLLBACK (MySQL commits implicitly before DDL). */
    readonly transactionalDdl: boolean;
    /** A derived table inside a scalar subquery may read the outer row's columns (MariaDB: no); src/compile computes margins once that way. */
    readonly correlatedDerivedTables?: boolean;
    /**
     * Every fenced derived table (SplitSqlDialect.layerFence) is written to a temporary
     * table row by row (MariaDB/MySQL), so src/compile keeps as few layers as it can.
     */
    readonly materializedLayers?: boolean;
    /**
     * Where compiled scoring measured SLOWER in this database than on the stream, per
     * statement and per kind of model: `engine = 'auto'` streams those
     * (src/engine/engine-choice.ts), and EXPLAIN PREDICT's reason quotes the figure.
     * Absent: the database is the faster place for every statement.
     */
    readonly slowerThanStream?: SlowerThanStream;
  };
  /** How wire-listener clients log in without a token. */
  readonly clientLogin: ClientLogin;
  /**
   * How training in the database (src/engine/scratch-table.ts) materializes its rows once:
   * the words that begin the `CREATE … TABLE name AS SELECT`. A table the database may
   * read with parallel workers (PostgreSQL's cannot read TEMP tables, so an UNLOGGED
   * regular one there) and need not make durable. Not a TEMP table anywhere: the adapters
   * stream on connections of their own, which would not see it. `analyze`, where the
   * planner needs the new table's statistics to plan its scans (PostgreSQL: without them
   * it estimates too few rows to be worth parallel workers). `keepIf`, where a column can
   * be kept on some rows only (NULL on the others) with its type unchanged: the scratch
   * table keeps the source's columns only on the rows read back as they are (the sample,
   * the held-out rows), so the objective's scans of a row store pass narrower rows; absent,
   * every row keeps them (MariaDB: a CASE turns a BOOLEAN's TINYINT(1) into TINYINT(4),
   * which reads back as a number).
   */
  readonly scratchTable: { readonly create: string; analyze?(table: string): string; keepIf?(condition: string, column: string): string };
  /** The SQL functions EXPORT MODEL creates and DROP MODEL drops (src/engine/export.ts). */
  readonly functions: FunctionSpelling;
  /**
   * How many rows a query will give, for progress with a percentage: the query that asks
   * (one row, one column) and how to read its answer. An estimate is fine; absent where the
   * database gives nothing worth showing.
   */
  readonly rowEstimate?: { sql(select: string): string; read(value: unknown): number | undefined };
}

/** A scalar SQL function of one expression, as EXPORT MODEL creates it. */
export interface SqlFunction {
  readonly name: TableRef;
  /** The parameters' types, in order (the dialect's spellings); the body refers to the i-th as `parameter(i)`. */
  readonly parameterTypes: readonly string[];
  /** The result's type (the dialect's spelling). */
  readonly returns: string;
  /** One expression over the parameters: the function's result. */
  readonly body: string;
}

/** How a database spells a scalar SQL function: creating, identifying and dropping it. */
export interface FunctionSpelling {
  /**
   * How the body refers to the 0-based `index`-th parameter: by position where the
   * database has that, else by a name no column of the body's own subqueries can take.
   */
  parameter(index: number): string;
  /** Whether the database keeps `name` whole as a function's name (it truncates or refuses longer names). */
  nameFits(name: string): boolean;
  /** What identifies `fn` for `drop` (argument types too, where functions overload). */
  signature(fn: SqlFunction): string;
  /** The statements that create `fn`, run in order; a function of the same signature is replaced. */
  create(fn: SqlFunction): string[];
  /** The statement that drops the function `signature` identifies; none there is no error. */
  drop(signature: string): string;
  /**
   * A SELECT giving one row per function already callable as `name` in the schema it
   * resolves to (built-in ones included where a new one would shadow them).
   */
  existing(name: TableRef): string;
  /**
   * Where `existing` cannot see the built-in functions (MySQL and MariaDB list native
   * functions in no catalog table, and a stored function of a native's name is created,
   * with a note, but never reached by an unqualified call): how to ask the server itself.
   * Absent where `existing` already counts built-ins (PostgreSQL, DuckDB).
   */
  readonly builtIns?: BuiltInProbe;
}

/** A statement that resolves a function name without running any function, and how to read its outcome. */
export interface BuiltInProbe {
  /** The statement for a call of `name` as a user would write it (unqualified, unquoted where it can be). */
  statement(name: string): string;
  /**
   * The probe's outcome: `null` when the statement succeeded. True when a built-in
   * function (or a keyword) answers to the name, false when nothing does, and undefined
   * for an error that says neither (the caller reports it as the database's error).
   */
  isBuiltIn(error: unknown): boolean | undefined;
  /**
   * Run after a probe that succeeded, to free what it left on the session (MySQL: the
   * prepared statement, which would otherwise count against the server-wide
   * max_prepared_stmt_count for as long as the session lives). Its failure is ignored:
   * a concurrent probe on the same session prepares under the same name, so one release
   * may free both and the other then finds nothing.
   */
  readonly release?: string;
}

/** `$$ body $$` with a tag the body does not contain (PostgreSQL-style dollar quoting). */
export function dollarQuoted(body: string): string {
  let tag = '';
  for (let n = 0; body.includes(`$${tag}$`); n++) tag = `sqlml${n}`;
  // The spaces keep a body ending in `$` from running into the closing tag.
  return `$${tag}$ ${body} $${tag}$`;
}

/** `quoteIdent`, and `quoteTable` built on it (`schema.name`, each part quoted). */
export function identifierQuoting(quoteIdent: (name: string) => string): Pick<SqlDialect, 'quoteIdent' | 'quoteTable'> {
  return {
    quoteIdent,
    quoteTable: (table) => (table.schema === undefined ? quoteIdent(table.name) : `${quoteIdent(table.schema)}.${quoteIdent(table.name)}`),
  };
}

/** A decimal as plain digits: its sign, digits without a point, and how many are after the point. */
export interface PlainDecimal {
  /** `-` or ''. */
  readonly sign: string;
  /** At least one digit; leading zeros dropped (but one). */
  readonly digits: string;
  readonly scale: number;
  /** The decimal written out, e.g. `-0.00125`. */
  readonly text: string;
}

const DECIMAL_TEXT = /^([+-]?)(\d*)(?:\.(\d*))?(?:[eE]([+-]?\d+))?$/;

/** `text` (a decimal, possibly with an exponent) as plain digits; throws on anything else. */
export function plainDecimal(text: string): PlainDecimal {
  const m = DECIMAL_TEXT.exec(text.trim());
  if (!m || (m[2] === '' && (m[3] ?? '') === '')) throw new Error(`${JSON.stringify(text)} is not a decimal number`);
  const exponent = Number(m[4] ?? 0);
  let whole = m[2]!;
  let fraction = m[3] ?? '';
  if (exponent > 0) {
    const moved = fraction.padEnd(exponent, '0');
    whole += moved.slice(0, exponent);
    fraction = moved.slice(exponent);
  } else if (exponent < 0) {
    const padded = whole.padStart(-exponent, '0');
    fraction = padded.slice(padded.length + exponent) + fraction;
    whole = padded.slice(0, padded.length + exponent);
  }
  fraction = fraction.replace(/0+$/, '');
  whole = whole.replace(/^0+/, '');
  const digits = (whole + fraction).replace(/^0+(?=\d)/, '') || '0';
  const isZero = /^0*$/.test(whole + fraction);
  const sign = m[1] === '-' && !isZero ? '-' : '';
  return { sign, digits, scale: fraction.length, text: `${sign}${whole || '0'}${fraction ? `.${fraction}` : ''}` };
}

/**
 * `CAST('<digits>' AS <decimal type>(p,s))` holding `text` exactly, with the precision and
 * scale it needs; refused where they are beyond the type's limits (`types.decimal`).
 */
export function decimalCast(text: string, decimal: DialectTypes['decimal'], database: string): string {
  const plain = plainDecimal(text);
  const precision = Math.max(plain.digits.length, plain.scale, 1);
  if (precision > decimal.maxPrecision || plain.scale > decimal.maxScale) {
    throw new SqlmlError('unsupported', `${text} has more digits than ${database}'s ${decimal.name} holds (${decimal.maxPrecision}, ${decimal.maxScale} after the point)`);
  }
  return `CAST('${plain.text}' AS ${decimal.name}(${precision},${plain.scale}))`;
}

/** The largest argument whose exp is a finite double (exp(709.78…) is the largest double). */
export const EXP_MAX_ARGUMENT = 709;
/** The smallest argument whose exp is a normal double; some databases raise an underflow below it. */
export const EXP_MIN_ARGUMENT = -708;

/** exp(x) with x clamped to [EXP_MIN_ARGUMENT, EXP_MAX_ARGUMENT]; `exp` is the database's function name. */
export function clampedExp(x: string, exp = 'EXP'): string {
  return `${exp}(CASE WHEN ${x} < ${EXP_MIN_ARGUMENT} THEN ${EXP_MIN_ARGUMENT} WHEN ${x} > ${EXP_MAX_ARGUMENT} THEN ${EXP_MAX_ARGUMENT} ELSE ${x} END)`;
}

/**
 * The finite double `x` in JavaScript's shortest digits that read back as exactly `x`
 * (-0 as 0); with `exponent`, always in exponent form (MySQL reads such a literal as a
 * DOUBLE, and a plain one as an exact DECIMAL).
 */
export function roundTrip(x: number, exponent = false): string {
  if (!Number.isFinite(x)) throw new Error(`a constant double must be finite, got ${x}`);
  if (x === 0) return exponent ? '0e0' : '0';
  return exponent ? x.toExponential() : String(x);
}
