/**
 * The column profile computed by the database (src/compile/profile-sql.ts spells the
 * queries and reads their rows): what learn/profile.ts's streaming Profiler computes from
 * every row, without a row leaving the database but the bounded results: one moments
 * query over every column, one over its values centered on the means (with the distinct
 * sketches), one GROUP BY per column the sketch does not show past the distinct cap,
 * then only where needed one query for the text columns past the cap and one for the
 * samples of the number columns past it (one more per column with NULLs in most rows).
 * Cancelling `signal` cancels the running query in the database.
 */
import type { Adapter } from '../../adapters/adapter.js';
import {
  assembleProfile,
  centeredQueries,
  columnProfile,
  distinctFromSketch,
  distinctSql,
  momentsQueries,
  readCentered,
  readDistinct,
  readMoments,
  sampleFromCounts,
  sampleFromRows,
  sampleRowsSql,
  sampleSql,
  textMeansFromDistinct,
  textSumsSql,
  type ColumnDistinct,
} from '../compile/profile-sql.js';
import { isNumberType, type Column, type Value } from '../data.js';
import { SqlmlError } from '../errors.js';
import { SAMPLE_SIZE, type Profile } from '../learn/profile.js';

export interface DatabaseProfile {
  readonly profile: Profile;
  /** Statements run. */
  readonly queries: number;
  /** Wall-clock seconds of the whole profile. */
  readonly seconds: number;
}

/**
 * Profiles `source` (a parenthesized subquery or a quoted table name) whose columns are
 * `columns`, in the database. `seed` seeds the numeric sample (as ProfilerOptions.seed).
 */
export async function profileInDatabase(
  adapter: Adapter,
  source: string,
  columns: readonly Column[],
  options: { readonly seed: number; readonly signal?: AbortSignal },
): Promise<DatabaseProfile> {
  const started = performance.now();
  const d = adapter.sql;
  let queries = 0;
  const run = async (sql: string): Promise<readonly (readonly Value[])[]> => {
    queries++;
    return (await adapter.query(sql, { signal: options.signal })).rows;
  };

  const plans = momentsQueries(d, source, columns);
  const momentRows: (readonly Value[])[] = [];
  for (const plan of plans) momentRows.push((await run(plan.sql))[0] ?? []);
  const { rows, moments } = readMoments(columns, plans, momentRows);
  const centered = centeredQueries(d, source, columns, moments);
  const centeredRows: (readonly Value[])[] = [];
  for (const plan of centered) centeredRows.push((await run(plan.sql))[0] ?? []);
  readCentered(moments, centered, centeredRows);

  // A column without values has no distinct values to group: no query.
  // A column its sketch shows past the cap has no GROUP BY either.
  const distinct: ColumnDistinct[] = [];
  for (let i = 0; i < columns.length; i++) {
    const m = moments[i]!;
    if (m.count === 0) distinct.push({ distinct: new Map(), distinctCount: 0, values: isNumberType(columns[i]!.type) ? [] : null });
    else distinct.push(distinctFromSketch(m) ?? readDistinct(columns[i]!, await run(distinctSql(d, source, columns, i))));
  }

  // Text: the means from the distinct values within the cap, by SQL past it.
  const text = new Map<number, { meanLength: number; meanTokens: number }>();
  const overflowedText: number[] = [];
  columns.forEach((c, i) => {
    if (isNumberType(c.type)) return;
    const map = distinct[i]!.distinct;
    if (map !== null) text.set(i, textMeansFromDistinct(map, moments[i]!.count));
    else overflowedText.push(i);
  });
  if (overflowedText.length > 0) {
    const sql = textSumsSql(d, source, columns, overflowedText);
    if (sql === null) throw new SqlmlError('unsupported', `${d.name} cannot measure text in SQL (no regular expression replace): profile ${columns[overflowedText[0]!]!.name} by the stream`);
    const sums = (await run(sql))[0]!;
    overflowedText.forEach((i, k) => {
      const count = moments[i]!.count;
      text.set(i, { meanLength: Number(sums[2 * k]) / count, meanTokens: Number(sums[2 * k + 1]) / count });
    });
  }

  // Numbers: the sample from the exact counts within the cap, by SQL past it: one scan of
  // the rows whose row hash is below a threshold for the columns with values in at least
  // half the rows (about 3·SAMPLE_SIZE values each), each of the others (and any the
  // threshold left short) by its own ORDER BY hash LIMIT SAMPLE_SIZE.
  const samples = new Map<number, Float64Array>();
  const dense: number[] = [];
  const single: number[] = [];
  columns.forEach((c, i) => {
    if (!isNumberType(c.type)) return;
    const values = distinct[i]!.values;
    const count = moments[i]!.count;
    if (values !== null) samples.set(i, sampleFromCounts(values, count));
    else if (count > 3 * SAMPLE_SIZE && 2 * count >= rows) dense.push(i);
    else single.push(i);
  });
  if (dense.length > 0) {
    const least = Math.min(...dense.map((i) => moments[i]!.count));
    const result = await run(sampleRowsSql(d, source, columns, dense, options.seed, ((3 * SAMPLE_SIZE) / least) * 4294967296));
    dense.forEach((i, k) => {
      const sample = sampleFromRows(result, k);
      if (sample === null) single.push(i);
      else samples.set(i, sample);
    });
  }
  for (const i of single) {
    const result = await run(sampleSql(d, source, columns, [i], options.seed));
    samples.set(i, Float64Array.from(result, (row) => Number(row[0])).sort());
  }

  const profiles = columns.map((c, i) => columnProfile(c, moments[i]!, distinct[i]!, text.get(i) ?? null, samples.get(i) ?? null));
  return { profile: assembleProfile(rows, profiles), queries, seconds: (performance.now() - started) / 1000 };
}
