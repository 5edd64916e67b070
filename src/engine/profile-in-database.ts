/**
 * The column profile computed by the database (src/compile/profile-sql.ts spells the
 * queries and reads their rows): what learn/profile.ts's streaming Profiler computes from
 * every row, without a row leaving the database but the bounded results — one moments
 * query over every column and one over its values centered on the means, one GROUP BY per column for its distinct values, then only
 * where needed one query for the text columns past the distinct cap and the samples of
 * the number columns past it. Cancelling `signal` cancels the running query in the database.
 */
import type { Adapter } from '../../adapters/adapter.js';
import {
  assembleProfile,
  centeredQueries,
  columnProfile,
  distinctSql,
  momentsQueries,
  readCentered,
  readDistinct,
  readMoments,
  sampleFromCounts,
  sampleSql,
  textMeansFromDistinct,
  textSumsSql,
  type ColumnDistinct,
} from '../compile/profile-sql.js';
import { isNumberType, type Column, type Value } from '../data.js';
import { SqlmlError } from '../errors.js';
import type { Profile } from '../learn/profile.js';

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
  const distinct: ColumnDistinct[] = [];
  for (let i = 0; i < columns.length; i++) {
    distinct.push(moments[i]!.count === 0 ? { distinct: new Map(), distinctCount: 0, values: isNumberType(columns[i]!.type) ? [] : null } : readDistinct(columns[i]!, await run(distinctSql(d, source, columns, i))));
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

  // Numbers: the sample from the exact counts within the cap, by SQL past it (one query
  // for the columns without NULLs, one for each column with some).
  const samples = new Map<number, Float64Array>();
  const whole: number[] = [];
  const partial: number[] = [];
  columns.forEach((c, i) => {
    if (!isNumberType(c.type)) return;
    const values = distinct[i]!.values;
    if (values !== null) samples.set(i, sampleFromCounts(values, moments[i]!.count));
    else if (moments[i]!.count === rows) whole.push(i);
    else partial.push(i);
  });
  const sampleGroups = [...(whole.length > 0 ? [whole] : []), ...partial.map((i) => [i])];
  for (const group of sampleGroups) {
    const result = await run(sampleSql(d, source, columns, group, options.seed));
    group.forEach((i, k) => {
      const sample = new Float64Array(result.length);
      for (let r = 0; r < result.length; r++) sample[r] = Number(result[r]![k]);
      samples.set(i, sample.sort());
    });
  }

  const profiles = columns.map((c, i) => columnProfile(c, moments[i]!, distinct[i]!, text.get(i) ?? null, samples.get(i) ?? null));
  return { profile: assembleProfile(rows, profiles), queries, seconds: (performance.now() - started) / 1000 };
}
