/**
 * The column profile (src/learn/profile.ts) as aggregate queries the database runs, and
 * their result rows read back into a `Profile`: pure text in, text out (the engine's
 * profile-in-database.ts runs them). The queries, in order:
 *
 * 1. moments — ONE aggregate over one scan for every column (split where the dialect caps
 *    the select list): rows, non-NULL counts, MIN, MAX, AVG, VAR_POP (the databases'
 *    own single-pass algorithms, never Σx² − n·mean²), whether every value is whole, and
 *    a date's year and hour moments. Plain aggregates, so PostgreSQL runs them as Partial
 *    Aggregate → Gather → Finalize. One-pass VAR_POP loses digits to mean²/variance,
 *    so a second such query asks again of the values minus the first mean.
 * 2. distinct — per column, `GROUP BY` its key (what JavaScript sees as one value: text
 *    byte for byte, numbers as doubles, exact text for the long BIGINT/DECIMAL values the
 *    stream keeps as text), at most DISTINCT_CAP + 1 groups read back, with the number of
 *    groups beside them (`COUNT(*) OVER ()` over the grouped rows). A GROUP BY is the
 *    cheapest correct means on all three: it gives the exact counts the profile keeps
 *    anyway, and its group count is the exact distinct number beyond the cap (DuckDB's
 *    approx_count_distinct was 24% off on a million distinct doubles, PostgreSQL and
 *    MariaDB have no sketch). It runs in parallel where the database parallelises a
 *    hash aggregate.
 * 3. text beyond the cap — length in UTF-16 code units and whitespace tokens as
 *    tokenize-text.ts countTokens counts them, summed in SQL for the text columns whose
 *    distinct values overflowed; below the cap they come exactly from the distinct map.
 * 4. the numeric sample beyond the cap — `ORDER BY <seeded row hash>, value LIMIT
 *    SAMPLE_SIZE`: a uniform sample of rows that is the same whatever the physical order
 *    or the plan (equal rows hash alike, and the value breaks ties). Columns with at most
 *    DISTINCT_CAP values need no query: their sample is drawn from the exact counts.
 */
import type { ProfileSqlDialect, SqlDialect } from '../../adapters/dialect.js';
import { isNumberType, needsExactText, type Column, type ColumnType, type Value } from '../data.js';
import { SqlmlError } from '../errors.js';
import { DISTINCT_CAP, SAMPLE_SIZE, valueKey, type ColumnProfile, type MomentSummary, type Profile } from '../learn/profile.js';
import { countTokens } from '../learn/tokenize-text.js';

/**
 * The code points tokenize-text.ts isWhitespace takes for whitespace, as inclusive ranges
 * (test/compile/profile-sql.test.ts checks them against it for every BMP code point).
 */
export const WHITESPACE_RANGES: readonly (readonly [number, number])[] = [
  [0, 32],
  [0x85, 0x85],
  [0xa0, 0xa0],
  [0x1680, 0x1680],
  [0x2000, 0x200b],
  [0x2028, 0x2029],
  [0x202f, 0x202f],
  [0x205f, 0x205f],
  [0x3000, 0x3000],
  [0xfeff, 0xfeff],
];

/** The facts of the dialect profiling reads. */
export type ProfileDialect = Pick<
  SqlDialect,
  'quoteIdent' | 'quoteString' | 'split' | 'profile' | 'isFiniteTime' | 'regexpReplaceAll' | 'datePart' | 'doubleConstant' | 'maxSelectList' | 'capabilities'
>;

/** The source's alias in every query, and the fenced layer's. */
const S = 's';
const P = 'p';

/** The value of a number column as the stream's double, NULL where the stream counts a NULL (NaN, ±Infinity, infinite dates). */
function numberValue(d: ProfileDialect, column: Column): string {
  const x = `${S}.${d.quoteIdent(column.name)}`;
  const split = d.split;
  const double = (e: string): string => `CAST(${e} AS ${split.doubleCast})`;
  const finiteTime = (e: string): string => (d.isFiniteTime === undefined ? e : `CASE WHEN ${d.isFiniteTime(x)} THEN ${e} END`);
  const finite = (e: string): string => {
    const test = split.isNonFinite?.(e) ?? [split.isNaN(e), split.isPositiveInfinity(e), split.isNegativeInfinity(e)].filter((t) => t !== 'FALSE').join(' OR ');
    return test === '' ? e : `CASE WHEN ${test} THEN NULL ELSE ${e} END`;
  };
  switch (column.type) {
    case 'integer':
    case 'bigint':
      return double(x);
    case 'double':
      return finite(double(x));
    // The double nearest the exact decimal, parsed from its text as the readers parse it
    // (a database's own DECIMAL-to-DOUBLE cast may round twice); NUMERIC 'NaN' is NULL.
    case 'decimal':
      return finite(double(`CAST(${x} AS ${split.textCast})`));
    case 'boolean':
      return double(split.booleanToInteger(x));
    case 'date':
      return finiteTime(double(split.dateToEpochMs(x)));
    case 'timestamp': {
      const toMs = split.timestampToEpochMs;
      if (toMs === undefined) throw new SqlmlError('unsupported', `this database cannot give timestamp ${column.name} as the stream's milliseconds`);
      return finiteTime(toMs(x));
    }
    default:
      throw new SqlmlError('internal', `column ${column.name} is ${column.type}, not a number`);
  }
}

/** A text column's value: `other` as the database's text of it (the stream has the reader's rendering, which may differ). */
function textValue(d: ProfileDialect, column: Column): string {
  const x = `${S}.${d.quoteIdent(column.name)}`;
  return column.type === 'other' ? `CAST(${x} AS ${d.split.textCast})` : x;
}

/** Whether `type`'s values carry exact text beyond what a double holds (see NumberColumnData.exact). */
function exactKeyed(type: ColumnType): boolean {
  return type === 'bigint' || type === 'decimal';
}

/**
 * The FROM of a query over the fenced layer `items` (each `expr AS name`): the layer
 * computes each value once (PostgreSQL would otherwise repeat a CASE in every aggregate
 * that reads it). Where the dialect materializes a fenced layer (MariaDB: a temporary
 * table of every row), it is left unfenced and merged.
 */
function layer(d: ProfileDialect, source: string, items: readonly string[]): string {
  const fence = d.capabilities.materializedLayers === true ? '' : d.split.layerFence;
  return `(SELECT ${items.join(', ')} FROM ${source} ${S}${fence}) ${P}`;
}

// ---- 1. moments ----

/** One select item of the moments query and what it is. */
type MomentField = 'count' | 'min' | 'max' | 'mean' | 'variance' | 'fraction' | 'yearMean' | 'yearVariance' | 'hourMean' | 'hourVariance';

export interface MomentsQuery {
  readonly sql: string;
  /** Per select item after the first (COUNT(*)), its column and field. */
  readonly fields: readonly { readonly column: number; readonly field: MomentField }[];
}

interface MomentItem {
  readonly column: number;
  readonly field: MomentField;
  readonly aggregate: string;
}

/** A column's share of a moments query: its values in the fenced layer, its aggregates over them. */
interface MomentPart {
  readonly inner: readonly string[];
  readonly items: readonly MomentItem[];
}

/** A number column's values in the layer: `v<i>`, and a date's year `y<i>` and hour `h<i>`. */
function numberLayer(d: ProfileDialect, column: Column, i: number): string[] {
  const inner = [`${numberValue(d, column)} AS v${i}`];
  if (column.type === 'date' || column.type === 'timestamp') {
    const x = `${S}.${d.quoteIdent(column.name)}`;
    const part = (name: 'year' | 'hour'): string => `CASE WHEN ${numberValue(d, column)} IS NOT NULL THEN CAST(${d.datePart(name, x)} AS ${d.split.doubleCast}) END`;
    inner.push(`${part('year')} AS y${i}`, `${part('hour')} AS h${i}`);
  }
  return inner;
}

/**
 * The queries of `parts` over `source`, as few as the select-list cap allows (split
 * between columns, by the longer of the layer's list and the aggregates' with COUNT(*)).
 */
function splitQueries(d: ProfileDialect, source: string, parts: readonly MomentPart[]): MomentsQuery[] {
  const cap = Math.max(2, Math.min(d.maxSelectList, 100_000));
  const queries: MomentsQuery[] = [];
  let inner: string[] = [];
  let items: MomentItem[] = [];
  const flush = (): void => {
    const from = inner.length > 0 ? layer(d, source, inner) : `${source} ${S}`;
    queries.push({ sql: `SELECT ${['COUNT(*)', ...items.map((item) => item.aggregate)].join(', ')} FROM ${from}`, fields: items.map(({ column, field }) => ({ column, field })) });
    inner = [];
    items = [];
  };
  for (const part of parts) {
    if (items.length > 0 && (items.length + part.items.length + 1 > cap || inner.length + part.inner.length > cap)) flush();
    inner.push(...part.inner);
    items.push(...part.items);
  }
  if (items.length > 0 || queries.length === 0) flush();
  return queries;
}

/**
 * The moments of every column, in as few queries as the select-list cap allows (one,
 * except past PostgreSQL's 1,664 entries). Each query's first item is COUNT(*).
 */
export function momentsQueries(d: ProfileDialect, source: string, columns: readonly Column[]): MomentsQuery[] {
  const parts = columns.map((column, i): MomentPart => {
    const v = `${P}.v${i}`;
    if (!isNumberType(column.type)) {
      return { inner: [`${textValue(d, column)} AS v${i}`], items: [{ column: i, field: 'count', aggregate: `COUNT(${v})` }] };
    }
    const inner = numberLayer(d, column, i);
    const items: MomentItem[] = [
      { column: i, field: 'count', aggregate: `COUNT(${v})` },
      { column: i, field: 'min', aggregate: `MIN(${v})` },
      { column: i, field: 'max', aggregate: `MAX(${v})` },
      { column: i, field: 'mean', aggregate: `AVG(${v})` },
      { column: i, field: 'variance', aggregate: `VAR_POP(${v})` },
    ];
    // Whole numbers: a decimal by its exact value (a long one's double may be whole when it is not).
    if (column.type === 'double' || column.type === 'timestamp' || column.type === 'decimal') {
      const exact = `${S}.${d.quoteIdent(column.name)}`;
      if (column.type === 'decimal') inner.push(`CASE WHEN ${numberValue(d, column)} IS NULL THEN NULL WHEN ${exact} = FLOOR(${exact}) THEN 0 ELSE 1 END AS f${i}`);
      const fraction = column.type === 'decimal' ? `${P}.f${i}` : `CASE WHEN ${v} = FLOOR(${v}) THEN 0 WHEN ${v} IS NOT NULL THEN 1 END`;
      items.push({ column: i, field: 'fraction', aggregate: `MAX(${fraction})` });
    }
    if (column.type === 'date' || column.type === 'timestamp') {
      items.push(
        { column: i, field: 'yearMean', aggregate: `AVG(${P}.y${i})` },
        { column: i, field: 'yearVariance', aggregate: `VAR_POP(${P}.y${i})` },
        { column: i, field: 'hourMean', aggregate: `AVG(${P}.h${i})` },
        { column: i, field: 'hourVariance', aggregate: `VAR_POP(${P}.h${i})` },
      );
    }
    return { inner, items };
  });
  return splitQueries(d, source, parts);
}

/**
 * The means and variances again, of each value minus the first answer's mean (a
 * constant), so the databases' one-pass updates add small numbers: uncentered, they lose
 * digits to mean²/variance — PostgreSQL's Youngs-Cramer 8e-11 relative on bank's
 * cons_price_idx, and Welford's (DuckDB's, MariaDB's and the stream Profiler's own)
 * 1.4e-11 on bike sharing's years, 0.12 on BIGINTs near 2^53 two apart. Centered, all three
 * agree with a compensated two-pass sum to 1e-12. `readCentered` adds the means back.
 * Empty where no number column has values.
 */
export function centeredQueries(d: ProfileDialect, source: string, columns: readonly Column[], moments: readonly ColumnMoments[]): MomentsQuery[] {
  const parts = columns.flatMap((column, i): MomentPart[] => {
    const m = moments[i]!;
    if (!isNumberType(column.type) || !(m.count > 0) || !Number.isFinite(m.mean)) return [];
    const shifted = (field: 'mean' | 'yearMean' | 'hourMean', value: string, center: number): MomentItem[] => {
      const x = `(${value} - ${d.doubleConstant(center)})`;
      const variance = field === 'mean' ? 'variance' : field === 'yearMean' ? 'yearVariance' : 'hourVariance';
      return [
        { column: i, field, aggregate: `AVG(${x})` },
        { column: i, field: variance, aggregate: `VAR_POP(${x})` },
      ];
    };
    const items = shifted('mean', `${P}.v${i}`, m.mean);
    if (m.year !== null && Number.isFinite(m.year.mean)) items.push(...shifted('yearMean', `${P}.y${i}`, m.year.mean));
    if (m.hour !== null && Number.isFinite(m.hour.mean)) items.push(...shifted('hourMean', `${P}.h${i}`, m.hour.mean));
    return [{ inner: numberLayer(d, column, i), items }];
  });
  return parts.length === 0 ? [] : splitQueries(d, source, parts);
}

/** What the moments queries say of one column. */
export interface ColumnMoments {
  count: number;
  min: number;
  max: number;
  mean: number;
  variance: number;
  integral: boolean;
  year: MomentSummary | null;
  hour: MomentSummary | null;
}

/** The rows of `momentsQueries` (one row each), read into the row count and each column's moments. */
export function readMoments(columns: readonly Column[], queries: readonly MomentsQuery[], results: readonly (readonly Value[])[]): { rows: number; moments: ColumnMoments[] } {
  const moments: ColumnMoments[] = columns.map((c) => {
    const dated = c.type === 'date' || c.type === 'timestamp';
    return {
      count: 0,
      min: Number.NaN,
      max: Number.NaN,
      mean: Number.NaN,
      variance: Number.NaN,
      integral: isNumberType(c.type),
      year: dated ? { mean: Number.NaN, variance: Number.NaN } : null,
      hour: dated ? { mean: Number.NaN, variance: Number.NaN } : null,
    };
  });
  let rows = 0;
  queries.forEach((query, q) => {
    const row = results[q];
    if (row === undefined || row.length !== query.fields.length + 1) throw new SqlmlError('internal', `a profile query gave ${row?.length ?? 0} values for ${query.fields.length + 1} items`);
    rows = numberOf(row[0]!);
    query.fields.forEach(({ column, field }, k) => {
      const m = moments[column]!;
      const value = numberOf(row[k + 1]!);
      switch (field) {
        case 'count':
          m.count = value;
          break;
        case 'fraction':
          m.integral = !(value > 0);
          break;
        case 'yearMean':
        case 'hourMean': {
          const summary = field === 'yearMean' ? 'year' : 'hour';
          m[summary] = { mean: value, variance: m[summary]!.variance };
          break;
        }
        case 'yearVariance':
        case 'hourVariance': {
          const summary = field === 'yearVariance' ? 'year' : 'hour';
          m[summary] = { mean: m[summary]!.mean, variance: Math.max(0, value) };
          break;
        }
        case 'variance':
          // VAR_POP may round a constant column's to a tiny negative; the stream clamps too.
          m.variance = Number.isNaN(value) ? value : Math.max(0, value);
          break;
        default:
          m[field] = value;
      }
    });
  });
  return { rows, moments };
}

/**
 * The rows of `centeredQueries` read into `moments` (those the first queries gave, whose
 * means are the centers): each mean is the center plus the centered values' mean, each
 * variance the centered values' (the same variance, with the digits kept).
 */
export function readCentered(moments: readonly ColumnMoments[], queries: readonly MomentsQuery[], results: readonly (readonly Value[])[]): void {
  queries.forEach((query, q) => {
    const row = results[q];
    if (row === undefined || row.length !== query.fields.length + 1) throw new SqlmlError('internal', `a profile query gave ${row?.length ?? 0} values for ${query.fields.length + 1} items`);
    query.fields.forEach(({ column, field }, k) => {
      const m = moments[column]!;
      const value = numberOf(row[k + 1]!);
      if (field === 'mean') m.mean += value;
      else if (field === 'variance') m.variance = Math.max(0, value);
      else if (field === 'yearMean' || field === 'hourMean') {
        const part = field === 'yearMean' ? 'year' : 'hour';
        m[part] = { mean: m[part]!.mean + value, variance: m[part]!.variance };
      } else if (field === 'yearVariance' || field === 'hourVariance') {
        const part = field === 'yearVariance' ? 'year' : 'hour';
        m[part] = { mean: m[part]!.mean, variance: Math.max(0, value) };
      }
    });
  });
}

/** A result value as a number (NULL as NaN; BIGINT and DECIMAL results may come as text). */
function numberOf(value: Value): number {
  if (value === null) return Number.NaN;
  if (typeof value === 'boolean') return value ? 1 : 0;
  return Number(value);
}

// ---- 2. distinct values ----

/**
 * The distinct non-NULL values of column `index` with their occurrences (the first
 * DISTINCT_CAP + 1 groups) and, in the third column, how many groups there are in all.
 * The first column is the value: text for text and exactly keyed numbers, the stream's
 * double for the other numbers.
 */
export function distinctSql(d: ProfileDialect, source: string, columns: readonly Column[], index: number): string {
  const column = columns[index]!;
  const x = `${S}.${d.quoteIdent(column.name)}`;
  const inner: string[] = [];
  let select: string;
  const group: string[] = [`${P}.k`];
  if (!isNumberType(column.type)) {
    const value = textValue(d, column);
    inner.push(`${value} AS k`);
    // Grouped by bytes where the database's own comparison folds case or trailing spaces
    // (split.partitionKey): values equal byte for byte are one group, and one value.
    const key = d.split.partitionKey(value, 'text');
    if (key !== value) {
      inner.push(`${key} AS b`);
      group.push(`${P}.b`);
    }
    select = `${P}.k`;
  } else if (exactKeyed(column.type)) {
    // The exact value: two BIGINTs near 2^63 are two values, not one double.
    inner.push(`CASE WHEN ${numberValue(d, column)} IS NOT NULL THEN ${x} END AS k`);
    select = `CAST(${P}.k AS ${d.split.textCast})`;
  } else {
    inner.push(`${numberValue(d, column)} AS k`);
    select = `${P}.k`;
  }
  return `SELECT ${select}, COUNT(*), COUNT(*) OVER () FROM ${layer(d, source, inner)} WHERE ${P}.k IS NOT NULL GROUP BY ${group.join(', ')} LIMIT ${DISTINCT_CAP + 1}`;
}

/** What the distinct query says of one column. */
export interface ColumnDistinct {
  /** Keyed by the profile's canonical text, in the order the profiler gives; null past the cap. */
  readonly distinct: Map<string, number> | null;
  /** The exact number of distinct values (past the cap: the groups the database counted). */
  readonly distinctCount: number;
  /** Number columns within the cap: each distinct double with its occurrences, ascending (the sample is drawn from them). */
  readonly values: readonly (readonly [number, number])[] | null;
}

/** The rows of `distinctSql`, read into the profile's distinct map under the stream's canonical keys. */
export function readDistinct(column: Column, rows: readonly (readonly Value[])[]): ColumnDistinct {
  const groups = rows.length === 0 ? 0 : numberOf(rows[0]![2]!);
  if (groups > DISTINCT_CAP) return { distinct: null, distinctCount: groups, values: null };
  if (!isNumberType(column.type)) {
    const entries = rows.map((row) => [String(row[0]), numberOf(row[1]!)] as const);
    // The stream keeps first-seen order, which a database has none of: code-unit order.
    entries.sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
    return { distinct: new Map(entries), distinctCount: entries.length, values: null };
  }
  // Numbers ascending, as the profiler's finish() orders them; merged by key as it merges
  // them (-0 with 0, timestamps of one millisecond, exact text of equal values).
  const values = rows.map((row) => {
    const text = exactKeyed(column.type) ? String(row[0]) : null;
    const value = numberOf(row[0]!);
    const key = text !== null && needsExactText(text) ? text : valueKey(column.type, value === 0 ? 0 : value);
    return { value, key, count: numberOf(row[1]!) };
  });
  values.sort((a, b) => a.value - b.value);
  const distinct = new Map<string, number>();
  for (const { key, count } of values) distinct.set(key, (distinct.get(key) ?? 0) + count);
  return { distinct, distinctCount: distinct.size, values: values.map(({ value, count }) => [value, count] as const) };
}

// ---- 3. text beyond the cap ----

/** A bracket expression of the code point ranges, in the dialect's escapes; `negated` for [^…]. */
function bracket(p: ProfileSqlDialect, ranges: readonly (readonly [number, number])[], negated: boolean): string {
  const parts = ranges.map(([from, to]) => (from === to ? p.regexpCodePoint(from) : `${p.regexpCodePoint(from)}-${p.regexpCodePoint(to)}`));
  return `[${negated ? '^' : ''}${parts.join('')}]`;
}

/**
 * Text length in UTF-16 code units (String.length): code points, plus one for each beyond
 * the BMP (a surrogate pair), counted as what is left once all others are removed.
 * Whitespace tokens: each run of non-whitespace replaced by one letter, then the
 * whitespace removed, leaves one letter per token. Null where the dialect has no
 * regexpReplaceAll (each of the three has one).
 */
export function textMeasures(d: ProfileDialect, value: string): { length: string; tokens: string } | null {
  const replace = d.regexpReplaceAll;
  if (replace === undefined) return null;
  const p = d.profile;
  const astral = d.quoteString(bracket(p, [[0x10000, 0x10ffff]], true));
  const runs = d.quoteString(`${bracket(p, WHITESPACE_RANGES, true)}+`);
  const spaces = d.quoteString(`${bracket(p, WHITESPACE_RANGES, false)}+`);
  return {
    length: `(${p.charLength(value)} + ${p.charLength(replace(value, astral, "''"))})`,
    tokens: p.charLength(replace(replace(value, runs, "'a'"), spaces, "''")),
  };
}

/**
 * The sums of length and tokens of the text columns `indexes` (those past the cap), one
 * query: per column SUM(length), SUM(tokens). Null when the dialect cannot measure text
 * in SQL (the caller then says so; none of the three is such).
 */
export function textSumsSql(d: ProfileDialect, source: string, columns: readonly Column[], indexes: readonly number[]): string | null {
  const items: string[] = [];
  for (const i of indexes) {
    const m = textMeasures(d, textValue(d, columns[i]!));
    if (m === null) return null;
    items.push(`SUM(${m.length})`, `SUM(${m.tokens})`);
  }
  return `SELECT ${items.join(', ')} FROM ${source} ${S}`;
}

/** Mean length and tokens of a text column within the cap, from its distinct values: exactly the stream's. */
export function textMeansFromDistinct(distinct: ReadonlyMap<string, number>, count: number): { meanLength: number; meanTokens: number } {
  let length = 0;
  let tokens = 0;
  for (const [value, n] of distinct) {
    length += value.length * n;
    tokens += countTokens(value) * n;
  }
  return { meanLength: count > 0 ? length / count : 0, meanTokens: count > 0 ? tokens / count : 0 };
}

// ---- 4. the numeric sample ----

/**
 * The sample of the number columns `indexes` (past the cap): the SAMPLE_SIZE rows first
 * by a seeded hash of the whole row (every column but `other`, which a database may not
 * hash), ties broken by the values, so the same rows in any order give the same sample.
 * Several columns share one query only when none of them has a NULL (`together`); a
 * column with NULLs gets its own, filtered to its values.
 */
export function sampleSql(d: ProfileDialect, source: string, columns: readonly Column[], indexes: readonly number[], seed: number): string {
  const values = indexes.map((i) => `${P}.v${i}`);
  const hashed = columns.flatMap((c) => (c.type === 'other' ? [] : [`${S}.${d.quoteIdent(c.name)}`]));
  const inner = [...indexes.map((i) => `${numberValue(d, columns[i]!)} AS v${i}`), `${d.profile.rowHash(hashed, seed)} AS sqlml_h`];
  const where = indexes.length === 1 ? ` WHERE ${values[0]} IS NOT NULL` : '';
  return `SELECT ${values.join(', ')} FROM ${layer(d, source, inner)}${where} ORDER BY ${P}.sqlml_h, ${values.join(', ')} LIMIT ${SAMPLE_SIZE}`;
}

/** The sorted sample of a number column within the cap, from its exact counts: all values up to SAMPLE_SIZE, else evenly spaced order statistics. */
export function sampleFromCounts(values: readonly (readonly [number, number])[], count: number): Float64Array {
  const size = Math.min(count, SAMPLE_SIZE);
  const sample = new Float64Array(size);
  let slot = 0;
  let below = 0;
  for (const [value, n] of values) {
    below += n;
    // Order statistic of slot i: rank floor((i + ½)·count/size) (every rank when count ≤ SAMPLE_SIZE).
    while (slot < size && Math.floor(((slot + 0.5) * count) / size) < below) sample[slot++] = value;
  }
  return sample;
}

/** One column's profile from what the queries said. */
export function columnProfile(
  column: Column,
  m: ColumnMoments,
  d: ColumnDistinct,
  text: { readonly meanLength: number; readonly meanTokens: number } | null,
  sample: Float64Array | null,
): ColumnProfile {
  const number = isNumberType(column.type);
  const counted = m.count > 0;
  return {
    name: column.name,
    type: column.type,
    count: m.count,
    // The rows' count minus the column's: NULL, and (numbers) NaN or ±Infinity.
    nulls: 0,
    min: number && counted ? m.min : Number.NaN,
    max: number && counted ? m.max : Number.NaN,
    mean: number && counted ? m.mean : Number.NaN,
    variance: number && counted ? m.variance : Number.NaN,
    integral: number && m.integral,
    distinct: d.distinct,
    distinctOverflow: d.distinct === null,
    distinctEstimate: d.distinctCount,
    meanTokens: text?.meanTokens ?? 0,
    meanLength: text?.meanLength ?? 0,
    sample: number ? (sample ?? new Float64Array(0)) : null,
    year: m.year,
    hour: m.hour,
  };
}

/** The profile of `rows` rows from its columns' (whose `nulls` are filled in here). */
export function assembleProfile(rows: number, columns: readonly ColumnProfile[]): Profile {
  return { rows, columns: columns.map((c) => ({ ...c, nulls: rows - c.count })) };
}
