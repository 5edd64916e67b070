/**
 * DESCRIBE DATA FROM source [PREDICT target]: one streaming pass over the source through
 * learn/data-insights.ts, one row per column with its statistics, its univariate strength
 * against the target and its alerts. CREATE MODEL runs the same collector over a sample
 * of the rows it cached and shows the alerts as notices (`trainingAlerts`).
 */
import type { Column, ResultTable, RowBatch, Value } from '../data.js';
import { isNumberType } from '../data.js';
import { SqlmlError } from '../errors.js';
import { InsightCollector, type DataInsights } from '../learn/data-insights.js';
import { valueKey, type Profile } from '../learn/profile.js';
import type { Transform } from '../learn/clauses.js';
import type { DescribeData } from '../sql/ast.js';
import { BATCH_ROWS, columnList, findColumn, sourceQuery, throwIfAborted, type ExecContext } from './context.js';

export async function describeData(statement: DescribeData, context: ExecContext): Promise<ResultTable> {
  const { adapter, signal } = context;
  const stream = await adapter.openStream(sourceQuery(adapter, statement.source), { batchRows: BATCH_ROWS, ...(signal ? { signal } : {}) });
  let insights: DataInsights;
  try {
    const targetIndex = statement.target ? findColumn(stream.columns, statement.target) : -1;
    if (statement.target && targetIndex < 0) {
      throw new SqlmlError('bad_column', `target column ${statement.target.value} is not among the source's columns (${columnList(stream.columns)})`);
    }
    const collector = new InsightCollector(stream.columns, targetIndex);
    for await (const batch of stream.batches()) {
      throwIfAborted(signal);
      collector.add(batch);
    }
    insights = collector.finish();
  } finally {
    await stream.close();
  }
  return describeDataResult(stream.columns, insights, statement.target !== null);
}

function describeDataResult(columns: readonly Column[], insights: DataInsights, withTarget: boolean): ResultTable {
  const rows = insights.columns.map((c, i): Value[] => {
    const p = c.profile;
    const numeric = isNumberType(columns[i]!.type) && p.count > 0;
    const row: Value[] = [
      p.name,
      p.type,
      insights.rows,
      p.nulls,
      p.distinctEstimate,
      numeric ? valueKey(p.type, p.min) : null,
      numeric ? valueKey(p.type, p.max) : null,
      numeric ? p.mean : null,
      numeric ? Math.sqrt(p.variance) : null,
      c.topValues.length > 0 ? c.topValues.map((t) => `${t.value} (${t.count})`).join(', ') : null,
    ];
    if (withTarget) row.push(c.isTarget ? 'target' : insights.metric, c.strength);
    row.push(c.isTarget && insights.targetProblem !== null ? `cannot be a target: ${insights.targetProblem}` : c.alerts.length > 0 ? c.alerts.join('; ') : null);
    return row;
  });
  return {
    command: 'DESCRIBE DATA',
    columns: [
      { name: 'column', type: 'text' },
      { name: 'type', type: 'text' },
      { name: 'rows', type: 'bigint' },
      { name: 'nulls', type: 'bigint' },
      { name: 'distinct', type: 'bigint' },
      { name: 'min', type: 'text' },
      { name: 'max', type: 'text' },
      { name: 'mean', type: 'double' },
      { name: 'stddev', type: 'double' },
      { name: 'top_values', type: 'text' },
      ...(withTarget ? [{ name: 'metric', type: 'text' as const }, { name: 'strength', type: 'double' as const }] : []),
      { name: 'alerts', type: 'text' },
    ],
    rows,
  };
}

/** Batches a training looks at for its alerts: at most this many, spread evenly over the cached ones. */
const ALERT_BATCHES = 10;

/**
 * The data alerts of a training source as `column: alert` lines, from an even spread of
 * its cached batches (`batch(i)` reads block i of `count`); columns the recipe leaves out
 * (`excluded`) raise none: the user has dealt with them.
 */
export function trainingAlerts(
  columns: readonly Column[],
  targetIndex: number,
  count: number,
  batch: (block: number) => RowBatch,
  excluded: (name: string) => boolean = () => false,
): string[] {
  const collector = new InsightCollector(columns, targetIndex);
  const step = Math.max(1, count / ALERT_BATCHES);
  for (let b = 0; b < count; b += step) collector.add(batch(Math.floor(b)));
  const lines: string[] = [];
  for (const c of collector.finish().columns) {
    if (excluded(c.profile.name)) continue;
    for (const alert of c.alerts) lines.push(`${c.profile.name}: ${alert}`);
  }
  return lines;
}

/**
 * Refuses a training whose source has no column a model could learn from: none besides
 * the target, or only constant and all-NULL ones (a model of the bias alone would predict
 * the base rate and look trained).
 */
export function checkUsableFeatures(model: string, profile: Profile, targetIndex: number): void {
  const others = profile.columns.filter((_, i) => i !== targetIndex);
  const target = profile.columns[targetIndex]!.name;
  if (others.length === 0) {
    throw new SqlmlError('bad_column', `model ${model} has no feature column: the source has only the target ${target}; select the columns to learn from too`);
  }
  if (others.some((p) => p.count > 0 && p.distinctEstimate > 1)) return;
  const why = others.map((p) => `${p.name} ${p.count === 0 ? 'is always NULL' : 'has one value only'}`);
  const listed = why.length > 6 ? `${why.slice(0, 6).join(', ')}, ...` : why.join(', ');
  throw new SqlmlError('bad_column', `model ${model} has no usable feature column: every column besides the target ${target} is constant (${listed})`);
}

/** Whether the recipe's exclude(...) leaves a column out (unquoted names match in any case). */
export function excludedBy(transforms: readonly Transform[] | null): (name: string) => boolean {
  const names = (transforms ?? [])
    .filter((t) => t.name === 'exclude')
    .flatMap((t) => t.args.flatMap((arg) => (arg.kind === 'column' ? [arg.name] : [])));
  return (name) => names.some((id) => (id.quoted ? id.value === name : id.value.toLowerCase() === name.toLowerCase()));
}
