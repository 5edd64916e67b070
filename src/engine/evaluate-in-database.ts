/**
 * EVALUATE MODEL … ON with `engine = 'database'`: the metrics by aggregate queries over
 * the compiled predictions and the actual label, so no row leaves the database; the
 * numbers are the streaming collector's (evaluation.ts, learn/metrics.ts):
 * - binary: confusion counts at the threshold and the clipped log loss by one aggregate;
 *   AUC exact from ranks, ties counted half: per distinct score, positives × (negatives
 *   below + negatives equal / 2), the negatives below by a running window sum;
 * - regression: rmse, mae, r2 (total squares from VAR_POP), baseline_rmse against the
 *   stored training mean.
 * Rows whose label is NULL (or, binary, neither class) are skipped, as the stream skips
 * them. Multiclass, and labels that are text, dates or times, are evaluated by the stream
 * (`databaseEvaluationReason` says why).
 */
import type { CompiledModel } from '../compile/index.js';
import { isNumberType, type ColumnType } from '../data.js';
import { SqlmlError } from '../errors.js';
import type { TrainedModel } from '../learn/model.js';
import type { Source } from '../sql/ast.js';
import { sourceText, type ExecContext } from './context.js';
import type { Evaluation } from './evaluation.js';

/** The stream's clipping of a probability in the log loss (learn/metrics.ts). */
const PROBABILITY_FLOOR = '1e-15';

const NUMERIC_LABELS: ReadonlySet<ColumnType> = new Set(['boolean', 'integer', 'bigint', 'double', 'decimal']);

/** Why this model's evaluation cannot run in the database, or null when it can. */
export function databaseEvaluationReason(model: TrainedModel): string | null {
  if (model.task === 'multiclass') return 'a multiclass evaluation needs every class probability, which the stream computes';
  if (model.task === 'binary' && !NUMERIC_LABELS.has(model.target.type)) {
    return `labels of type ${model.target.type} are matched by the stream (database collations may compare text differently)`;
  }
  if (model.task === 'regression' && !isNumberType(model.target.type)) return `a ${model.target.type} target is parsed by the stream`;
  return null;
}

export async function evaluateInDatabase(context: ExecContext, model: TrainedModel, compiled: CompiledModel, source: Source, threshold: number): Promise<Evaluation> {
  const { sql } = context.adapter;
  const column = (name: string): string => `sqlml_src.${sql.quoteIdent(name)}`;
  const outputs = compiled.expressions(column);
  const from = `${sourceText(context.adapter, source)} AS sqlml_src`;
  const actual = column(model.target.name);
  const ask = async (text: string): Promise<number[]> => {
    const result = await context.adapter.query(text, context.signal ? { signal: context.signal } : {});
    return (result.rows[0] ?? []).map((value) => (value === null ? Number.NaN : Number(value)));
  };
  if (model.task === 'binary') {
    const literal = (label: string | null): string => (model.target.type === 'boolean' ? (label === 'true' ? 'TRUE' : 'FALSE') : String(label));
    const known = `SELECT sqlml_y, sqlml_s FROM (SELECT CASE WHEN ${actual} = ${literal(model.label.positive)} THEN 1 WHEN ${actual} = ${literal(model.label.negative)} THEN 0 END AS sqlml_y, ${outputs.score} AS sqlml_s FROM ${from}) AS sqlml_scored WHERE sqlml_y IS NOT NULL`;
    const t = String(threshold);
    const [rows = 0, tp = 0, fp = 0, tn = 0, fn = 0, lossSum = 0] = await ask(
      `SELECT COUNT(*), SUM(CASE WHEN sqlml_s >= ${t} AND sqlml_y = 1 THEN 1 ELSE 0 END), SUM(CASE WHEN sqlml_s >= ${t} AND sqlml_y = 0 THEN 1 ELSE 0 END),
         SUM(CASE WHEN sqlml_s < ${t} AND sqlml_y = 0 THEN 1 ELSE 0 END), SUM(CASE WHEN sqlml_s < ${t} AND sqlml_y = 1 THEN 1 ELSE 0 END),
         SUM(-LN(LEAST(1 - ${PROBABILITY_FLOOR}, GREATEST(${PROBABILITY_FLOOR}, CASE WHEN sqlml_y = 1 THEN sqlml_s ELSE 1 - sqlml_s END))))
       FROM (${known}) AS sqlml_known`,
    );
    if (rows === 0) throw noRows();
    const [pairs = 0] = await ask(
      `SELECT SUM(sqlml_p * (COALESCE(sqlml_below, 0) + sqlml_n * 0.5)) FROM (
         SELECT sqlml_p, sqlml_n, SUM(sqlml_n) OVER (ORDER BY sqlml_s ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING) AS sqlml_below FROM (
           SELECT sqlml_s, SUM(sqlml_y) AS sqlml_p, COUNT(*) - SUM(sqlml_y) AS sqlml_n FROM (${known}) AS sqlml_known GROUP BY sqlml_s
         ) AS sqlml_groups
       ) AS sqlml_ranked`,
    );
    const positives = tp + fn;
    const negatives = fp + tn;
    const precision = ratio(tp, tp + fp);
    const recall = ratio(tp, tp + fn);
    return {
      task: 'binary',
      metrics: {
        auc: positives === 0 || negatives === 0 ? Number.NaN : pairs / (positives * negatives),
        accuracy: (tp + tn) / rows,
        precision,
        recall,
        f1: precision + recall === 0 ? 0 : (2 * precision * recall) / (precision + recall),
        log_loss: lossSum / rows,
        threshold,
        rows,
      },
      details: { engine: 'database', confusion: { tp, fp, tn, fn } },
    };
  }
  const mean = String(model.label.mean);
  const [rows = 0, squared = 0, absolute = 0, baseline = 0, variance = 0] = await ask(
    `SELECT COUNT(*), SUM((sqlml_y - sqlml_v) * (sqlml_y - sqlml_v)), SUM(ABS(sqlml_y - sqlml_v)), SUM((sqlml_y - ${mean}) * (sqlml_y - ${mean})), VAR_POP(sqlml_y)
     FROM (SELECT ${actual} AS sqlml_y, ${outputs.predicted_value} AS sqlml_v FROM ${from}) AS sqlml_scored WHERE sqlml_y IS NOT NULL`,
  );
  if (rows === 0) throw noRows();
  const total = variance * rows;
  const r2 = rows < 2 ? Number.NaN : total === 0 ? (squared === 0 ? 1 : 0) : 1 - squared / total;
  return {
    task: 'regression',
    metrics: { rmse: Math.sqrt(squared / rows), mae: absolute / rows, r2, baseline_rmse: Math.sqrt(baseline / rows), rows },
    details: { engine: 'database' },
  };
}

function ratio(numerator: number, denominator: number): number {
  return denominator === 0 ? 0 : numerator / denominator;
}

function noRows(): SqlmlError {
  return new SqlmlError('empty_input', 'the evaluation source has no rows with a known target value');
}
