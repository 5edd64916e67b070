/**
 * The held-out test of the split (src/learn/split.ts) as a SQL expression, so that an
 * evaluation or a training run inside the database holds out exactly the rows the
 * stream does. Plain integer arithmetic and ROW_NUMBER, the same text in DuckDB,
 * PostgreSQL and MariaDB:
 *
 *   k    = ROW_NUMBER() OVER (PARTITION BY <every column>) - 1      (over rows with a target)
 *   held = (contentHash + k · HOLDOUT_STEP) mod 2^32 ≥ ceil(trainFraction · 2^32)
 *
 * Identical rows are interchangeable, so the partition needs no ORDER BY: whichever copy
 * gets which k, each content has as many held-out copies as in the stream.
 *
 * `contentHash` is an expression worth `hashRow(row, seed)` as an unsigned 32-bit
 * integer: `contentHashSql` computes it from the row alone, in layers of derived tables
 * (each layer names its results, so no expression repeats a long one inside it).
 *
 * The partition must group exactly the rows whose values JavaScript sees as equal:
 * text compared byte for byte (MariaDB's default collations ignore case and trailing
 * spaces, so its columns need a binary collation there), -0 with 0 and NaN with NaN
 * (as PostgreSQL and DuckDB do).
 */
import type { SplitSqlDialect } from '../../adapters/split-sql-dialect.js';
import type { ColumnType } from '../data.js';
import { MIX_1, MIX_2, NULL_VALUE, ROW_PRIME } from '../learn/content-hash.js';
import { mixK } from '../learn/hash.js';
import { HOLDOUT_STEP, RowRole, VALIDATION_SALT, VALIDATION_STEP } from '../learn/split.js';

const TWO_TO_32 = 4294967296;

/**
 * An integer expression, 1 for a held-out row and 0 for a training row, over rows that
 * all have a target. `partitionBy` are the row's columns, quoted by the dialect.
 */
export function heldOutSql(contentHash: string, partitionBy: readonly string[], trainFraction: number): string {
  if (partitionBy.length === 0) throw new Error('the split partitions by at least one column');
  // For an integer u, u / 2^32 ≥ t exactly when u ≥ ceil(t · 2^32) (t · 2^32 is exact in a double).
  const threshold = Math.ceil(trainFraction * TWO_TO_32);
  const occurrence = `(ROW_NUMBER() OVER (PARTITION BY ${partitionBy.join(', ')}) - 1)`;
  return `CASE WHEN (${contentHash} + ${occurrence} * ${HOLDOUT_STEP}) % ${TWO_TO_32} >= ${threshold} THEN 1 ELSE 0 END`;
}

/** The column that `contentHashSql` adds: the row's content hash, 0 ≤ h < 2^32. */
export const CONTENT_HASH_COLUMN = 'sqlml_content_hash';

export interface HashedColumn {
  /** The column as the source relation names it, quoted by the dialect. */
  readonly sql: string;
  readonly type: ColumnType;
}

const TWO_32 = '4294967296';
const MASK_32 = '4294967295';
const INT64_MIN = '-9223372036854775808';
const INT64_END = '9223372036854775808';
const SMALLEST_NORMAL = '2.2250738585072014e-308';
/** The canonical NaN's bits (0x7ff80000 00000000) as a signed 64-bit integer. */
const CANONICAL_NAN_BITS = '9221120237041090560';

/**
 * A SELECT over `source` (a table or a parenthesized subquery with an alias-free column
 * list `columns`) that returns the source's columns plus CONTENT_HASH_COLUMN, the content
 * hash of content-hash.ts for `seed`. Column types that no database reads the same way
 * in SQL and in the stream are refused (`other`: its text is the reader's rendering).
 */
export function contentHashSql(dialect: SplitSqlDialect, source: string, columns: readonly HashedColumn[], seed: number): string {
  const d = dialect;
  const timestampToEpochMs = d.timestampToEpochMs;
  const unhashable = columns.find((c) => c.type === 'other' || (c.type === 'timestamp' && timestampToEpochMs === undefined));
  if (unhashable !== undefined) throw new Error(`column ${unhashable.sql} (${unhashable.type}) cannot be hashed in this database's SQL the way the stream hashes it`);
  const name = (what: string, i: number): string => `sqlml_${what}_${i}`;
  const double = (x: string): string => `CAST(${x} AS ${d.doubleCast})`;
  const pow2 = (e: string): string => `POWER(CAST(2 AS ${d.doubleCast}), ${e})`;
  const mix = (x: string): string => {
    const xorShift = (t: string, by: number): string => d.xor(t, `(${t} >> ${by})`);
    const times = (t: string, m: number): string => lowBits(d, `(${t} * ${m})`, 32);
    return xorShift(times(xorShift(times(xorShift(x, 16), MIX_1), 15), MIX_2), 16);
  };
  const layer = (from: string, select: string[]): string => (select.length === 0 ? from : `(SELECT s.*, ${select.join(', ')} FROM ${from} s${d.layerFence})`);

  const numeric = columns.map((c) => c.type === 'double' || c.type === 'decimal' || c.type === 'bigint' || c.type === 'timestamp');
  // A decimal's double is the one nearest its exact value: parsed from its text, as the
  // stream does with a long decimal's exact text (a database's own DECIMAL-to-DOUBLE cast
  // may round twice).
  const valueOf = (c: HashedColumn): string => (c.type === 'timestamp' ? timestampToEpochMs!(c.sql) : c.type === 'decimal' ? `CAST(${c.sql} AS ${d.textCast})` : c.sql);

  // Where the dialect reads a double's bits out (doubleBits), its words are those bits
  // and layers 1 and 2 are not needed.
  const bitsOf = d.doubleBits;
  // Layer 1: for doubles outside int64's integers, a first guess at the binary exponent.
  const guesses: string[] = [];
  columns.forEach((c, i) => {
    if (!numeric[i] || bitsOf !== undefined) return;
    const x = double(valueOf(c));
    guesses.push(
      `CASE WHEN ${c.sql} IS NULL OR ${d.isNaN(x)} OR ${d.isPositiveInfinity(x)} OR ${d.isNegativeInfinity(x)} OR ${x} = 0 OR ABS(${x}) < ${SMALLEST_NORMAL} THEN NULL ` +
        `ELSE FLOOR(LN(ABS(${x})) / LN(2)) END AS ${name('e0', i)}`,
    );
  });
  // Layer 2: the exact exponent (the logarithm may be one off next to a power of two).
  const exponents = columns.flatMap((c, i) => {
    if (!numeric[i] || bitsOf !== undefined) return [];
    const e0 = name('e0', i);
    const scaled = `ABS(${double(valueOf(c))}) * ${pow2(`-${e0}`)}`;
    return [`${e0} + CASE WHEN ${scaled} >= 2 THEN 1 WHEN ${scaled} < 1 THEN -1 ELSE 0 END AS ${name('e', i)}`];
  });
  // Layer 3: each cell's canonical words, NULL for a NULL cell: (lo, hi) columns, or, for
  // a number where the dialect reads a double's bits, one 64-bit word (`w`) whose halves
  // layer 4 takes: one CASE per cell instead of two, its tests stated once.
  const int64Words = (n: string, i: number): string[] => [
    `(CAST(${n} AS ${d.bigintCast}) & ${MASK_32})`,
    `((CAST(${n} AS ${d.bigintCast}) >> 32) & ${MASK_32})`,
  ];
  const wordOf = (i: number): string => name('w', i);
  const oneWord = columns.map((c) => bitsOf !== undefined && c.type !== 'text');
  const words = columns.flatMap((c, i) => {
    const lo = name('lo', i);
    const hi = name('hi', i);
    const as = ([l, h]: string[]): string[] => [`CAST(${l} AS ${d.bigintCast}) AS ${lo}`, `CAST(${h} AS ${d.bigintCast}) AS ${hi}`];
    const asWord = (w: string): string[] => [`CAST(${w} AS ${d.bigintCast}) AS ${wordOf(i)}`];
    switch (c.type) {
      case 'text':
        return as([d.md5Word(c.sql, 0), d.md5Word(c.sql, 1)]);
      case 'integer':
        return oneWord[i] ? asWord(c.sql) : as(int64Words(c.sql, i));
      case 'boolean':
        return oneWord[i] ? asWord(d.booleanToInteger(c.sql)) : as(int64Words(d.booleanToInteger(c.sql), i));
      case 'date':
        return oneWord[i] ? asWord(d.dateToEpochMs(c.sql)) : as(int64Words(d.dateToEpochMs(c.sql), i));
      default: {
        const v = valueOf(c);
        const x = double(v);
        const exact = c.type === 'double' || c.type === 'timestamp' ? x : c.sql;
        const integral = `NOT ${d.isNaN(x)} AND ${exact} = FLOOR(${exact}) AND ${exact} >= ${INT64_MIN} AND ${exact} < ${INT64_END}`;
        if (bitsOf !== undefined) {
          // An integer's two's complement; every NaN hashes as the canonical one
          // (0x7ff80000 00000000), whatever its sign and payload; any other double, its bits.
          // A NULL fails both tests, and its bits are NULL.
          return asWord(`CASE WHEN ${integral} THEN CAST(${exact} AS ${d.bigintCast}) WHEN ${d.isNaN(x)} THEN ${CANONICAL_NAN_BITS} ELSE ${bitsOf(x)} END`);
        }
        const [intLo, intHi] = int64Words(exact, i);
        const sign = `CASE WHEN ${x} < 0 THEN 2147483648 ELSE 0 END`;
        const e = name('e', i);
        const subnormal = `(ABS(${x}) * ${pow2('537')} * ${pow2('537')})`;
        const fraction = `((ABS(${x}) * ${pow2(`-${e}`)} - 1) * 4503599627370496)`;
        const high = (f: string): string => `FLOOR(${f} / ${TWO_32})`;
        const lowOf = (f: string): string => `(${f} - ${high(f)} * ${TWO_32})`;
        const loExpr =
          `CASE WHEN ${c.sql} IS NULL THEN NULL WHEN ${integral} THEN ${intLo} ` +
          `WHEN ${d.isNaN(x)} OR ${d.isPositiveInfinity(x)} OR ${d.isNegativeInfinity(x)} THEN 0 ` +
          `WHEN ${e} IS NULL THEN ${lowOf(subnormal)} ELSE ${lowOf(fraction)} END`;
        const hiExpr =
          `CASE WHEN ${c.sql} IS NULL THEN NULL WHEN ${integral} THEN ${intHi} ` +
          `WHEN ${d.isNaN(x)} THEN 2146959360 WHEN ${d.isPositiveInfinity(x)} THEN 2146435072 WHEN ${d.isNegativeInfinity(x)} THEN 4293918720 ` +
          `WHEN ${e} IS NULL THEN ${sign} + ${high(subnormal)} ELSE ${sign} + (${e} + 1023) * 1048576 + ${high(fraction)} END`;
        return as([loExpr, hiExpr]);
      }
    }
  });
  // A cell's words from here on: its columns, or its one word's halves.
  const loOf = (i: number): string => (oneWord[i] ? `(${wordOf(i)} & ${MASK_32})` : name('lo', i));
  const hiOf = (i: number): string => (oneWord[i] ? `((${wordOf(i)} >> 32) & ${MASK_32})` : name('hi', i));
  // Layer 4: mix(hi) of each number (and a one-word number's lo); layer 5: each cell's
  // value hash, NULL for a NULL cell (every step of mix keeps a NULL NULL), which the fold
  // reads as NULL_VALUE. (mix states its input 8 times. Naming its steps in layers of
  // their own, as hashLayers does, measured slower here: the scratch table's SELECT over
  // gen.py's 1M rows on PostgreSQL took 17.2-17.5 s against 14.6-15.1 s under EXPLAIN
  // ANALYZE, quiet: each layer copies the row's every column, and these rows are wide by
  // then; hashLayers pays where a 64-fold expression ran serially. Outside a CASE, DuckDB
  // names mix's repeated steps itself, as common subexpressions; inside one it does not:
  // the value layer's CASE WHEN lo IS NULL … ELSE mix(…) took most of DuckDB's hash.)
  const mixedHighs = columns.flatMap((c, i) => (c.type === 'text' ? [] : [...(oneWord[i] ? [`${loOf(i)} AS ${name('lo', i)}`] : []), `${mix(hiOf(i))} AS ${name('mh', i)}`]));
  const values = columns.map((c, i) => {
    const lo = name('lo', i);
    return `${c.type === 'text' ? mix(lo) : mix(d.xor(lo, name('mh', i)))} AS ${name('v', i)}`;
  });
  // Layer 6: the row's fold; layer 7: its finalized hash.
  let fold = `${seed >>> 0}`;
  columns.forEach((_, i) => {
    fold = lowBits(d, `(${fold} * ${ROW_PRIME} + COALESCE(${name('v', i)}, ${NULL_VALUE}))`, 32);
  });
  let from = layer(source.startsWith('(') ? source : `(SELECT * FROM ${source})`, guesses);
  from = layer(from, exponents);
  from = layer(from, words);
  from = layer(from, mixedHighs);
  from = layer(from, values);
  from = layer(from, [`${fold} AS sqlml_fold`]);
  return `SELECT s.*, ${mix('sqlml_fold')} AS ${CONTENT_HASH_COLUMN} FROM ${from} s`;
}

/** An unsigned 32-bit integer as a SQL literal (parenthesized by the caller's operators). */
function u32(n: number): string {
  return String(n >>> 0);
}

/**
 * `(x · m) mod 2^32` for an integer 0 ≤ x < 2^32 and a constant m, without a product
 * above 2^48 (x · m itself may pass 2^63, which a SQL BIGINT does not hold): m split into
 * its 16-bit halves, the high half's product reduced mod 2^16 before it is shifted.
 */
function times32(dialect: SplitSqlDialect, x: string, m: number): string {
  const low = (m >>> 0) & 0xffff;
  const high = (m >>> 0) >>> 16;
  return lowBits(dialect, `((${x}) * ${low} + ${lowBits(dialect, `((${x}) * ${high})`, 16)} * 65536)`, 32);
}

/**
 * `x mod 2^bits` for an integer 0 ≤ x < 2^63 (`x` parenthesized): the dialect's cheaper
 * spelling where it has one (SplitSqlDialect.lowBits), else `%`.
 */
function lowBits(dialect: SplitSqlDialect, x: string, bits: number): string {
  return dialect.lowBits === undefined ? `(${x} % ${2 ** bits})` : dialect.lowBits(x, bits);
}

/** `x ^ (x >>> by)` over 0 ≤ x < 2^32. */
function xorShift32(dialect: SplitSqlDialect, x: string, by: number): string {
  return dialect.xor(`(${x})`, `((${x}) >> ${by})`);
}

/**
 * The validation test's hash in SQL: `hashCombine(contentHash, VALIDATION_SALT)` of
 * src/learn/hash.ts (one MurmurHash3 block, then its finalizer, over 0 ≤ h < 2^32).
 * The block is a constant, so its scramble (mixK) is folded here; the rest is xors,
 * shifts and multiplications mod 2^32. `contentHash` is best a column: it is repeated.
 */
export function validationHashSql(dialect: SplitSqlDialect, contentHash: string): string {
  return inline(validationHashSteps(dialect, contentHash));
}

/** validationHashSql as steps, for hashLayers. */
export function validationHashSteps(dialect: SplitSqlDialect, contentHash: string): HashSteps {
  // mixH(h, k): h ^= mixK(k); h = rotl(h, 13); h = h · 5 + 0xe6546b64.
  const mixed = dialect.xor(`(${contentHash})`, u32(mixK(VALIDATION_SALT)));
  const rotated = `(${lowBits(dialect, `(${mixed})`, 19)} * 8192 + ((${mixed}) >> 19))`;
  return {
    first: lowBits(dialect, `(${rotated} * 5 + ${u32(0xe6546b64)})`, 32),
    // finalize(h, 4): the length, then fmix32.
    steps: [
      (h) => dialect.xor(h, '4'),
      (h) => xorShift32(dialect, h, 16),
      (h) => times32(dialect, h, 0x85ebca6b),
      (h) => xorShift32(dialect, h, 13),
      (h) => times32(dialect, h, 0xc2b2ae35),
      (h) => xorShift32(dialect, h, 16),
    ],
  };
}

/**
 * A hash of 32-bit integers as SQL: `first`, then each step applied to the result of the
 * one before. A step states its input twice or more (x ^ (x >> 16)), so written as one
 * expression the chain repeats its first value 2^steps times: 64 copies for the
 * validation hash, which PostgreSQL evaluated in the serial part of the scratch table's
 * plan (above the window). hashLayers names the intermediate results instead: on gen.py's
 * 1M rows on PostgreSQL (quiet 2-vCPU AMD EPYC) the scratch table's CREATE TABLE … AS went
 * from 19.1 s to 15.5 s (bench/train-engines.ts); under EXPLAIN ANALYZE, whose timing
 * inflates every layer, its WindowAgg node went from 13.4 s to 1.0 s.
 */
export interface HashSteps {
  readonly first: string;
  readonly steps: readonly ((x: string) => string)[];
}

/** The steps as one expression (tests, and where it is evaluated once). */
function inline(hash: HashSteps): string {
  return hash.steps.reduce((x, step) => step(x), hash.first);
}

/** Steps per layer in hashLayers: each layer states its input at most 4 times. */
const STEPS_PER_LAYER = 2;

/**
 * `from` (a parenthesized subquery) with the hash's value as column `name`, computed in
 * layers of derived tables behind the dialect's fence, each naming its result
 * (`<name>_<i>`, columns the layers above carry along), so no expression repeats a long one.
 */
export function hashLayers(dialect: SplitSqlDialect, from: string, name: string, hash: HashSteps): string {
  let layer = `(SELECT s.*, ${hash.first} AS ${name}_0 FROM ${from} s${dialect.layerFence})`;
  let current = `${name}_0`;
  for (let i = 0; i < hash.steps.length; i += STEPS_PER_LAYER) {
    const value = hash.steps.slice(i, i + STEPS_PER_LAYER).reduce((x, step) => step(x), `s.${current}`);
    const last = i + STEPS_PER_LAYER >= hash.steps.length;
    const out = last ? name : `${name}_${i + 1}`;
    layer = `(SELECT s.*, ${value} AS ${out} FROM ${layer} s${dialect.layerFence})`;
    current = out;
  }
  return layer;
}

/** The occurrence k of a row among the rows of the same content (see heldOutSql), from 0. */
export function occurrenceSql(partitionBy: readonly string[]): string {
  if (partitionBy.length === 0) throw new Error('the split partitions by at least one column');
  return `(ROW_NUMBER() OVER (PARTITION BY ${partitionBy.join(', ')}) - 1)`;
}

/** The split's fractions as `roleOf` takes them (src/learn/split.ts SplitSpec without its seed: the seed is in the hash). */
export interface RoleFractions {
  readonly trainFraction: number | null;
  readonly validationFraction: number;
}

/**
 * A row's RowRole (0 train, 1 validation, 2 held out) as one integer expression, equal
 * to `roleOf(contentHash, spec, occurrence)` for every row with a target: the held-out
 * test first (as heldOutSql), then the validation carve-out's second Weyl sequence over
 * the same occurrence. The three inputs are expressions (best columns of a layer below:
 * each is repeated): `validationHash` is `validationHashSql(contentHash)`, and may be
 * null when the validation fraction is 0; `occurrence` is `occurrenceSql(...)`'s k.
 */
export function roleSql(inputs: { readonly contentHash: string; readonly validationHash: string | null; readonly occurrence: string }, fractions: RoleFractions): string {
  const cases: string[] = [];
  if (fractions.trainFraction !== null) {
    // For an integer u, u / 2^32 ≥ t exactly when u ≥ ceil(t · 2^32).
    const held = Math.ceil(fractions.trainFraction * TWO_TO_32);
    cases.push(`WHEN ((${inputs.contentHash}) + (${inputs.occurrence}) * ${HOLDOUT_STEP}) % ${TWO_TO_32} >= ${held} THEN ${RowRole.Holdout}`);
  }
  if (fractions.validationFraction > 0) {
    if (inputs.validationHash === null) throw new Error('a validation carve-out needs the validation hash');
    // u / 2^32 < f exactly when u < ceil(f · 2^32), for an integer u.
    const below = Math.ceil(fractions.validationFraction * TWO_TO_32);
    cases.push(`WHEN ((${inputs.validationHash}) + (${inputs.occurrence}) * ${VALIDATION_STEP}) % ${TWO_TO_32} < ${below} THEN ${RowRole.Validation}`);
  }
  return cases.length === 0 ? String(RowRole.Train) : `CASE ${cases.join(' ')} ELSE ${RowRole.Train} END`;
}

/** Salt and step of the sample key (below): any constants independent of the split's. */
const SAMPLE_SALT = 0x2545f491;
const SAMPLE_STEP = 0x3c6ef372;

/**
 * A row's sample key, 0 ≤ key < 2^32: a hash of its content hash and occurrence,
 * independent of both split tests (so a sample of training rows by `key < t · 2^32` is a
 * fair share of them), and the same for the same content and occurrence in any plan or
 * row order. `contentHash` and `occurrence` are repeated: best columns.
 */
export function sampleKeySql(dialect: SplitSqlDialect, contentHash: string, occurrence: string): string {
  return inline(sampleKeySteps(dialect, contentHash, occurrence));
}

/** sampleKeySql as steps, for hashLayers. */
export function sampleKeySteps(dialect: SplitSqlDialect, contentHash: string, occurrence: string): HashSteps {
  return {
    first: lowBits(dialect, `(${dialect.xor(`(${contentHash})`, u32(SAMPLE_SALT))} + (${occurrence}) * ${SAMPLE_STEP})`, 32),
    // content-hash.ts's finalizer (mix), with the products kept under 2^48.
    steps: [(x) => xorShift32(dialect, x, 16), (x) => times32(dialect, x, MIX_1), (x) => xorShift32(dialect, x, 15), (x) => times32(dialect, x, MIX_2), (x) => xorShift32(dialect, x, 16)],
  };
}
