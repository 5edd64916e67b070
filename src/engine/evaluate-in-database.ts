/**
 * EVALUATE MODEL … ON with `engine = 'database'`: the metrics by ONE aggregate statement
 * over one scan of the compiled predictions (`compiled.select`, the model's margins and
 * probabilities computed once per row in fenced layers) and the actual label, so no row
 * leaves the database; the numbers are the streaming collector's (evaluation.ts,
 * learn/metrics.ts):
 * - binary: the (label, score) rows to binary-metrics-in-database.ts: confusion counts
 *   and log loss as the stream's, the AUC from a score histogram within a certified 1e-4
 *   of exact (else exact from ranks);
 * - multiclass: rows counted by (actual class, predicted class) and −ln p(actual class),
 *   p the `probability_of` column `compiled.select` adds (from its layers' probabilities,
 *   not a second computation of the margins), summed per cell; the figures from that confusion
 *   matrix by learn/metrics.ts itself;
 * - regression: rmse, mae, r2 (total squares from VAR_POP), baseline_rmse against the
 *   stored training mean.
 * Rows the stream skips are skipped: a NULL (or NaN/±Infinity) target, and for a
 * classifier a label that is none of the model's classes. Labels are matched in SQL in
 * the model's target type, text byte for byte; a source whose target column has another
 * type, and dates or times, are evaluated by the stream (`databaseEvaluationReason`).
 */
import type { CompiledModel } from '../compile/index.js';
import { isClass } from '../compile/outputs.js';
import { doubleLiteral, numericInput } from '../compile/sql-values.js';
import type { Column, ColumnType, Value } from '../data.js';
import { SqlmlError } from '../errors.js';
import { multiclassMetricsFromConfusion } from '../learn/metrics.js';
import type { TrainedModel } from '../learn/model.js';
import type { Source } from '../sql/ast.js';
import { sourceText, type ExecContext } from './context.js';
import { binaryFiguresInDatabase, clippedProbability } from './binary-metrics-in-database.js';
import type { Evaluation } from './evaluation.js';

const NUMBERS: ReadonlySet<ColumnType> = new Set(['integer', 'bigint', 'double', 'decimal']);

/** Whether labels of the model's `target` type are matched in SQL as the stream matches values of the source's `actual` type. */
function sameLabelKind(target: ColumnType, actual: ColumnType): boolean {
  if (NUMBERS.has(target)) return NUMBERS.has(actual);
  return (target === 'text' || target === 'boolean') && actual === target;
}

/**
 * Why this model's evaluation cannot run in the database, or null when it can.
 * `actual` is the source's target column, when known.
 */
export function databaseEvaluationReason(model: TrainedModel, actual?: Column): string | null {
  const type = model.target.type;
  if (model.task === 'regression') {
    if (!NUMBERS.has(type)) return `a ${type} target is parsed by the stream`;
    if (actual && !NUMBERS.has(actual.type)) return `the source's ${actual.name} is ${actual.type}, which the stream parses as numbers`;
    return null;
  }
  if (!NUMBERS.has(type) && type !== 'text' && type !== 'boolean') return `labels of type ${type} are matched by the stream`;
  if (actual && !sameLabelKind(type, actual.type)) return `the source's ${actual.name} is ${actual.type} while the model's labels are ${type}: the stream matches them`;
  return null;
}

/**
 * `sourceColumns` are the source's columns (the scan adds its own next to them, under
 * names none of them has; the target among them).
 */
export async function evaluateInDatabase(
  context: ExecContext,
  model: TrainedModel,
  compiled: CompiledModel,
  source: Source,
  threshold: number,
  sourceColumns: readonly Column[],
): Promise<Evaluation> {
  const dialect = context.adapter.sql;
  const q = (name: string): string => dialect.quoteIdent(name);
  const taken = new Set(sourceColumns.map((c) => c.name.toLowerCase()));
  const fresh = (name: string): string => {
    let candidate = name;
    while (taken.has(candidate.toLowerCase())) candidate = `_${candidate}`;
    taken.add(candidate.toLowerCase());
    return candidate;
  };
  const actualName = fresh('sqlml_actual');
  const column = (name: string): string => `sqlml_src.${q(name)}`;
  const actual = column(model.target.name);
  // The source with the actual label passed through under a name of our own (the target
  // may be called `score` or `predicted_label`), then scored once by the compiled layers;
  // multiclass, with the probability of the actual label from the same layers.
  const wrapped = `(SELECT sqlml_src.*, ${actual} AS ${q(actualName)} FROM ${sourceText(context.adapter, source)} AS sqlml_src)`;
  const scored = `(${compiled.select(wrapped, [actualName], model.task === 'multiclass' ? q(actualName) : undefined)}) AS sqlml_scored`;
  const ask = async (text: string): Promise<readonly (readonly Value[])[]> => {
    // The dialect's compiledSettings (PostgreSQL: jit off) share the statement's implicit
    // transaction, as PREDICT's do (in-database.ts), so they last for this statement only.
    const result = await context.adapter.query([...dialect.compiledSettings, text].join('; '), context.signal ? { signal: context.signal } : {});
    return result.rows;
  };
  const number = (value: Value | undefined): number => (value === null || value === undefined ? 0 : Number(value));
  const clip = (p: string): string => clippedProbability(dialect, p);
  const classIndex = (label: string): string =>
    `(CASE ${model.label.classes.map((_, c) => `WHEN ${isClass(dialect, model, label, c)} THEN ${c}`).join(' ')} END)`;

  if (model.task === 'binary') {
    const rows = `(SELECT ${classIndex(q(actualName))} AS sqlml_y, ${q('score')} AS sqlml_p FROM ${scored}) AS sqlml_rows`;
    const figures = await binaryFiguresInDatabase(ask, dialect, rows, threshold);
    if (figures === null) throw noRows();
    const { positives, negatives, tp, fp, tn, fn } = figures;
    const precision = ratio(tp, tp + fp);
    const recall = ratio(tp, tp + fn);
    return {
      task: 'binary',
      metrics: {
        auc: figures.auc,
        accuracy: (tp + tn) / (positives + negatives),
        precision,
        recall,
        f1: precision + recall === 0 ? 0 : (2 * precision * recall) / (precision + recall),
        log_loss: figures.logLoss,
        threshold,
        rows: positives + negatives,
      },
      details: { engine: 'database', confusion: { tp, fp, tn, fn }, auc: figures.aucMethod },
    };
  }

  if (model.task === 'multiclass') {
    const rows = `(SELECT ${classIndex(q(actualName))} AS sqlml_y, ${classIndex(q('predicted_label'))} AS sqlml_k, ${q('probability_of')} AS sqlml_p FROM ${scored}) AS sqlml_rows`;
    const cells = await ask(`SELECT sqlml_y, sqlml_k, COUNT(*), SUM(-LN(${clip('sqlml_p')})) FROM ${rows} WHERE sqlml_y IS NOT NULL GROUP BY sqlml_y, sqlml_k`);
    const k = model.label.classes.length;
    const confusion = Array.from({ length: k }, () => new Array<number>(k).fill(0));
    let lossSum = 0;
    let count = 0;
    for (const [y, predicted, n, loss] of cells) {
      confusion[number(y)]![number(predicted)]! += number(n);
      count += number(n);
      lossSum += number(loss);
    }
    if (count === 0) throw noRows();
    const m = multiclassMetricsFromConfusion(confusion, lossSum / count);
    return {
      task: 'multiclass',
      metrics: { accuracy: m.accuracy, macro_f1: m.macroF1, log_loss: m.logLoss, rows: m.rows },
      details: { engine: 'database', classes: model.label.classes, confusion, per_class: m.perClass.map((c, i) => ({ label: model.label.classes[i], ...c })) },
    };
  }

  const mean = doubleLiteral(dialect, model.label.mean);
  // The stream's reading of the target: NULL, NaN and ±Infinity are no value.
  const actualType = sourceColumns.find((c) => c.name === model.target.name)?.type ?? model.target.type;
  const value = numericInput(dialect, q(actualName), actualType)!;
  const [row = []] = await ask(
    `SELECT COUNT(*), SUM((sqlml_y - sqlml_v) * (sqlml_y - sqlml_v)), SUM(ABS(sqlml_y - sqlml_v)), SUM((sqlml_y - ${mean}) * (sqlml_y - ${mean})), VAR_POP(sqlml_y)
     FROM (SELECT ${value.value} AS sqlml_y, ${q('predicted_value')} AS sqlml_v FROM ${scored} WHERE NOT ${value.missing}) AS sqlml_known`,
  );
  const [count, squared, absolute, baseline, variance] = [0, 1, 2, 3, 4].map((i) => number(row[i]));
  if (count === 0) throw noRows();
  const total = variance * count;
  const r2 = count < 2 ? Number.NaN : total === 0 ? (squared === 0 ? 1 : 0) : 1 - squared / total;
  return {
    task: 'regression',
    metrics: { rmse: Math.sqrt(squared / count), mae: absolute / count, r2, baseline_rmse: Math.sqrt(baseline / count), rows: count },
    details: { engine: 'database' },
  };
}

function ratio(numerator: number, denominator: number): number {
  return denominator === 0 ? 0 : numerator / denominator;
}

function noRows(): SqlmlError {
  return new SqlmlError('empty_input', 'the evaluation source has no rows with a known target value');
}
