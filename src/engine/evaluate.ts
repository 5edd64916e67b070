/**
 * EVALUATE MODEL: the stored held-out evaluation, or a fresh one on new rows (ON ...:
 * in the database when engine-choice.ts picks it, evaluate-in-database.ts), or the
 * held-out split re-scored at another threshold.
 */
import type { CompiledModel } from '../compile/index.js';
import type { Column, ResultColumn, ResultTable, Value } from '../data.js';
import { SqlmlError } from '../errors.js';
import { FeatureEncoder } from '../learn/encode.js';
import { LabelEncoder } from '../learn/label.js';
import type { TrainedModel } from '../learn/model.js';
import { resolveEvaluateOptions } from '../learn/options.js';
import { RowRole, RowSplitter } from '../learn/split.js';
import { createSparseVector, type Task } from '../learn/types.js';
import type { EvaluateModel, Source } from '../sql/ast.js';
import {
  BATCH_ROWS,
  columnList,
  getModelVersion,
  loadModel,
  sourceQuery,
  throwIfAborted,
  type ExecContext,
} from './context.js';
import { chooseEngine, sourceColumns, takeEngineOption, type EngineRequest } from './engine-choice.js';
import { databaseEvaluationReason, evaluateInDatabase } from './evaluate-in-database.js';
import { checkOutput, evaluationTable, takeOutputOption } from './evaluation-tables.js';
import { EvaluationCollector, METRIC_COLUMNS, type Evaluation } from './evaluation.js';
import { queryFromStored } from './train.js';
import { openTrainingCache, type CacheDir } from './cache-dir.js';

export async function evaluateModel(statement: EvaluateModel, context: ExecContext): Promise<ResultTable> {
  const { engine: requested, rest: notEngine } = takeEngineOption(statement.options, 'EVALUATE MODEL');
  const { output, rest } = takeOutputOption(notEngine);
  if (!statement.source && statement.options.some((option) => option.name === 'engine')) {
    throw new SqlmlError('bad_option', 'option engine of EVALUATE MODEL applies to EVALUATE MODEL … ON (…): without ON the held-out evaluation is re-reported or re-scored by the stream');
  }
  const version = await getModelVersion(context, statement.model);
  const { threshold } = resolveEvaluateOptions(rest);
  const task = version.type as Task;
  if (threshold !== null && task !== 'binary') {
    throw new SqlmlError('bad_option', `option threshold applies to binary models only; model ${version.name} is ${task}`);
  }
  if (output !== null) {
    checkOutput(output, task, version.name);
    if (requested === 'database') {
      throw new SqlmlError('bad_option', "EVALUATE MODEL … USING output runs in the stream: the database computes the metrics row only; use engine = 'auto' or 'stream'");
    }
  }
  let evaluation: Evaluation;
  if (statement.source) {
    const model = loadModel(context, version);
    // The tables need every score, which the in-database evaluation does not bring back.
    const inDatabase = requested === 'stream' || output !== null ? null : await databaseEvaluation(context, model, statement.source, requested);
    evaluation = inDatabase
      ? await evaluateInDatabase(context, model, inDatabase.compiled, statement.source, threshold ?? model.options.threshold, inDatabase.columns)
      : await scoreSource(model, sourceQuery(context.adapter, statement.source), threshold ?? model.options.threshold, false, context);
  } else if (threshold !== null) {
    const model = loadModel(context, version);
    if (model.options.split === null) {
      throw new SqlmlError('bad_option', `model ${version.name} was trained with split = none, so it has no held-out rows to re-score; use EVALUATE MODEL ${version.name} ON (...)`);
    }
    evaluation = await scoreSource(model, queryFromStored(version.sourceQuery), threshold, true, context);
  } else {
    const stored = version.evaluation as Evaluation | null;
    if (!stored) {
      throw new SqlmlError('bad_option', `model ${version.name} was trained with split = none and has no stored evaluation; use EVALUATE MODEL ${version.name} ON (...)`);
    }
    evaluation = stored;
  }
  if (output !== null) {
    const missing = `use EVALUATE MODEL ${version.name} ON (…) USING output = '${output}' to compute it from rows`;
    return evaluationTable(output, evaluation, loadModel(context, version).label, missing);
  }
  return evaluationResult(task, evaluation);
}

/** The compiled model and the source's columns when the evaluation runs in the database (engine-choice.ts decides), else null. */
async function databaseEvaluation(
  context: ExecContext,
  model: TrainedModel,
  source: Source,
  requested: EngineRequest,
): Promise<{ compiled: CompiledModel; columns: readonly Column[] } | null> {
  const columns = await sourceColumns(context, sourceQuery(context.adapter, source));
  const actual = columns.find((column) => column.name === model.target.name);
  if (!actual) {
    throw new SqlmlError('bad_column', `evaluating needs the target column ${model.target.name} in the source, which has ${columnList(columns)}`);
  }
  const choice = chooseEngine(context, model, columns, requested, 'evaluate', databaseEvaluationReason(model, actual));
  return choice.engine === 'database' ? { compiled: choice.compiled, columns } : null;
}

export function evaluationResult(task: Task, evaluation: Evaluation): ResultTable {
  const names = METRIC_COLUMNS[task];
  const columns: ResultColumn[] = names.map((name) => (name === 'rows' ? { name, type: 'bigint' } : { name, type: 'double', metric: true }));
  const row: Value[] = names.map((name) => evaluation.metrics[name] ?? null);
  return { command: 'EVALUATE MODEL', columns, rows: [row] };
}

/**
 * Streams a source and scores every row that has a target (or, with `holdoutOnly`, the
 * rows the training split held out: the same split over the same rows holds out the same
 * copies of each content, in whatever order they come).
 */
async function scoreSource(
  model: TrainedModel,
  query: string,
  threshold: number,
  holdoutOnly: boolean,
  context: ExecContext,
): Promise<Evaluation> {
  // Past a bound a binary evaluation keeps its scores (held-out-scores.ts) and a regression
  // its pairs (held-out-pairs.ts) on disk, in a cache folder of its own; multiclass keeps counts.
  const spill = model.task !== 'multiclass' ? await openTrainingCache({ parent: context.cacheParent, limit: context.cacheLimit }) : null;
  try {
    return await scoreRows(model, query, threshold, holdoutOnly, context, spill);
  } finally {
    spill?.dispose();
  }
}

async function scoreRows(
  model: TrainedModel,
  query: string,
  threshold: number,
  holdoutOnly: boolean,
  context: ExecContext,
  spill: CacheDir | null,
): Promise<Evaluation> {
  const stream = await context.adapter.openStream(query, { batchRows: BATCH_ROWS, ...(context.signal ? { signal: context.signal } : {}) });
  const columns = stream.columns;
  const targetIndex = columns.findIndex((c) => c.name === model.target.name);
  if (targetIndex < 0) {
    await stream.close();
    throw new SqlmlError(
      'bad_column',
      `evaluating needs the target column ${model.target.name} in the source, which has ${columnList(columns)}`,
    );
  }
  let encoder: FeatureEncoder;
  try {
    encoder = new FeatureEncoder(model.recipe, columns);
  } catch (error) {
    await stream.close();
    throw error;
  }
  const labels = new LabelEncoder(model.label, columns[targetIndex]!);
  const collector = new EvaluationCollector(model.task, model.label, threshold, { spill });
  try {
    const vector = createSparseVector(Math.max(16, encoder.maxNnz));
    const out = new Float64Array(Math.max(1, model.label.classes.length));
    const splitter = holdoutOnly ? new RowSplitter({ trainFraction: model.options.split, validationFraction: 0, seed: model.options.seed }) : null;
    const roles = new Uint8Array(BATCH_ROWS);
    for await (const batch of stream.batches()) {
      const target = batch.columns[targetIndex]!;
      const encoded = encoder.encodeBatch(batch);
      const batchRoles = batch.rowCount <= roles.length ? roles : new Uint8Array(batch.rowCount);
      splitter?.assign(batch, targetIndex, batchRoles);
      for (let row = 0; row < batch.rowCount; row++) {
        if (splitter !== null && batchRoles[row] !== RowRole.Holdout) continue;
        const y = labels.encode(target, row);
        if (Number.isNaN(y)) continue;
        encoded.row(row, vector);
        model.learner.predict(vector.indices, vector.values, 0, vector.nnz, out);
        collector.add(y, out);
      }
      context.onProgress?.({ phase: 'evaluate', rows: collector.rows });
      throwIfAborted(context.signal);
    }
    if (collector.rows === 0) {
      throw new SqlmlError('empty_input', 'the evaluation source has no rows with a known target value');
    }
    return collector.finish();
  } finally {
    collector.close();
  }
}
