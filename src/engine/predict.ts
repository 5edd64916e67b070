/**
 * PREDICT: where `engine` (engine-choice.ts) picks the database, in-database.ts runs the
 * compiled model there; otherwise the stream scores the source batch by batch. Without
 * INTO the rows come back as the result; with INTO they are written through the
 * adapter's atomic bulk write, the key columns passed through untouched (the input
 * batch's own column data, no copy).
 */
import type { Column, ColumnData, NumberColumnData, ResultColumn, ResultTable, RowBatch, TextColumnData, Value } from '../data.js';
import { ResultBudget } from '../../adapters/result-budget.js';
import type { ModelVersion } from '../catalog/model-store.js';
import { valueAt } from '../data.js';
import { SqlmlError } from '../errors.js';
import { FeatureEncoder } from '../learn/encode.js';
import { resolveEvaluateOptions } from '../learn/options.js';
import { isExactLabel } from '../learn/label.js';
import { predictionColumns, type TrainedModel } from '../learn/model.js';
import { createSparseVector } from '../learn/types.js';
import type { OptionAssignment, Predict } from '../sql/ast.js';
import {
  BATCH_ROWS,
  columnList,
  findColumn,
  getModelVersion,
  loadModel,
  secondsSince,
  sourceQuery,
  tableLabel,
  tableRef,
  throwIfAborted,
  type ExecContext,
} from './context.js';
import { chooseEngine, sourceColumns, takeEngineOption, type EngineRequest } from './engine-choice.js';
import { estimateRows } from './row-estimate.js';
import { predictIntoInDatabase, predictIntoResult, predictRowsInDatabase } from './in-database.js';
import { checkPredictTarget } from './predict-target.js';
import { hasExtras, PredictionExtras, takeExtrasOptions, type PredictExtrasOptions } from './predict-extras.js';


/**
 * Scores rows into prediction column data. Label values are converted back to the
 * target's own type (a boolean target predicts booleans, an integer target integers).
 */
export class Scorer {
  readonly #model: TrainedModel;
  readonly #encoder: FeatureEncoder;
  readonly #vector;
  readonly #out: Float64Array;
  /** Class labels as numbers, for numeric targets. */
  readonly #numericLabels: Float64Array | null;
  /** Per class, the exact text of a numeric label a double cannot hold (see `NumberColumnData.exact`); null when no label needs it. */
  readonly #exactLabels: (string | undefined)[] | null;

  /** Explanations and class probabilities, when asked for (their columns follow the prediction's). */
  readonly #extras: PredictionExtras | null;

  constructor(model: TrainedModel, columns: readonly Column[], extras: PredictionExtras | null = null) {
    this.#model = model;
    this.#extras = extras;
    this.#encoder = new FeatureEncoder(model.recipe, columns);
    this.#vector = createSparseVector(Math.max(16, this.#encoder.maxNnz));
    this.#out = new Float64Array(Math.max(1, model.label.classes.length));
    const type = model.target.type;
    this.#numericLabels =
      model.task === 'regression' || type === 'text' || type === 'other'
        ? null
        : Float64Array.from(model.label.classes, (label) => labelToNumber(label, type));
    const exactLabels = this.#numericLabels === null ? [] : model.label.classes.map((label) => (isExactLabel(label, type) ? label : undefined));
    this.#exactLabels = exactLabels.some((label) => label !== undefined) ? exactLabels : null;
  }

  /** Prediction columns for every row of `batch`. */
  score(batch: RowBatch): ColumnData[] {
    const n = batch.rowCount;
    const model = this.#model;
    const out = this.#out;
    const vector = this.#vector;
    const encoded = this.#encoder.encodeBatch(batch);
    const extras = this.#extras;
    extras?.begin(n);
    if (model.task === 'regression') {
      const values = new Float64Array(n);
      for (let row = 0; row < n; row++) {
        encoded.row(row, vector);
        model.learner.predict(vector.indices, vector.values, 0, vector.nnz, out);
        values[row] = out[0]! * model.label.std + model.label.mean;
        extras?.row(row, vector, out, 0);
      }
      return [{ kind: 'number', values, nulls: new Uint8Array(n) }, ...(extras ? extras.finish(n) : [])];
    }
    const scores = new Float64Array(n);
    const classIndex = new Int32Array(n);
    const k = model.label.classes.length;
    for (let row = 0; row < n; row++) {
      encoded.row(row, vector);
      model.learner.predict(vector.indices, vector.values, 0, vector.nnz, out);
      if (model.task === 'binary') {
        const p = out[0]!;
        classIndex[row] = p >= model.options.threshold ? 1 : 0;
        scores[row] = p;
      } else {
        let best = 0;
        for (let c = 1; c < k; c++) if (out[c]! > out[best]!) best = c;
        classIndex[row] = best;
        scores[row] = out[best]!;
      }
      // The binary explanation is of the logit, whichever label wins: output 0.
      extras?.row(row, vector, out, model.task === 'binary' ? 0 : classIndex[row]!);
    }
    // Binary label order is [negative, positive]; multiclass is the classes list.
    const labelData = this.#labelColumn(classIndex, n);
    return [labelData, { kind: 'number', values: scores, nulls: new Uint8Array(n) }, ...(extras ? extras.finish(n) : [])];
  }

  #labelColumn(classIndex: Int32Array, n: number): ColumnData {
    const classes = this.#model.label.classes;
    if (this.#numericLabels) {
      const values = new Float64Array(n);
      for (let row = 0; row < n; row++) values[row] = this.#numericLabels[classIndex[row]!]!;
      const exactLabels = this.#exactLabels;
      if (exactLabels === null) return { kind: 'number', values, nulls: new Uint8Array(n) } satisfies NumberColumnData;
      const exact = new Array<string | undefined>(n);
      for (let row = 0; row < n; row++) exact[row] = exactLabels[classIndex[row]!];
      return { kind: 'number', values, nulls: new Uint8Array(n), exact } satisfies NumberColumnData;
    }
    const values: string[] = new Array(n);
    for (let row = 0; row < n; row++) values[row] = classes[classIndex[row]!]!;
    return { kind: 'text', values } satisfies TextColumnData;
  }
}

function labelToNumber(label: string, type: Column['type']): number {
  if (type === 'boolean') return label === 'true' ? 1 : 0;
  if (type === 'date' || type === 'timestamp') return Date.parse(label);
  return Number(label);
}

/**
 * `USING threshold = x`: the binary model with another cut-off for this prediction only.
 * Both engines read the cut-off from the model's options (the Scorer, src/compile's
 * outputs), so a copy with it changed is all it takes; the stored model is untouched.
 */
function withThreshold(model: TrainedModel, threshold: number | null, name: string): TrainedModel {
  if (threshold === null) return model;
  if (model.task !== 'binary') {
    throw new SqlmlError('bad_option', `option threshold applies to binary models only; model ${name} is ${model.task}`);
  }
  return { ...model, options: { ...model.options, threshold } };
}

/**
 * Why PREDICT with `explain` or `probabilities` runs on the stream: the SQL a model
 * compiles to computes the label and its score, not each term's share of it nor every
 * class's probability. One line, said by the error of engine = 'database' and by
 * EXPLAIN PREDICT's reason alike.
 */
export const EXTRAS_ON_STREAM_REASON =
  "explain and probabilities are computed on the stream: the model's compiled SQL computes only the label and its score, not each term's contribution or every class's probability";

/** PREDICT's options resolved against its model: the engine asked for, the model (with its threshold), the extras. */
export interface PredictPlan {
  readonly requested: EngineRequest;
  readonly model: TrainedModel;
  readonly extras: PredictExtrasOptions;
  /** Why the statement itself must stream whatever the model compiles to (its extras), or null. */
  readonly streamReason: string | null;
}

/** Reads PREDICT's options (engine, threshold, explain, probabilities) the one way PREDICT and EXPLAIN PREDICT both do. */
export function planPredict(options: readonly OptionAssignment[], context: ExecContext, version: ModelVersion): PredictPlan {
  const { engine: requested, rest: notEngine } = takeEngineOption(options, 'PREDICT');
  const isThreshold = (option: { readonly name: string }) => option.name.toLowerCase() === 'threshold';
  const { threshold } = resolveEvaluateOptions(notEngine.filter(isThreshold));
  const model = withThreshold(loadModel(context, version), threshold, version.name);
  const { extras, rest } = takeExtrasOptions(notEngine.filter((option) => !isThreshold(option)), model);
  const [other] = rest;
  if (other) throw new SqlmlError('bad_option', `option ${other.name} is not accepted by PREDICT (options: engine, threshold, explain, probabilities)`);
  const streamReason = hasExtras(extras) ? EXTRAS_ON_STREAM_REASON : null;
  if (streamReason !== null && requested === 'database') {
    throw new SqlmlError('bad_option', `PREDICT cannot run in the database (USING engine = 'database'): ${streamReason}; use engine = 'auto' or 'stream'`);
  }
  return { requested, model, extras, streamReason };
}

export async function predict(statement: Predict, context: ExecContext): Promise<ResultTable> {
  const started = performance.now();
  const version = await getModelVersion(context, statement.model);
  const { requested, model, extras: extraOptions, streamReason } = planPredict(statement.options, context, version);
  const withExtras = streamReason !== null;
  const { adapter, signal } = context;
  const query = sourceQuery(adapter, statement.source);
  if (requested !== 'stream' && !withExtras) {
    const columns = await sourceColumns(context, query);
    const choice = chooseEngine(context, model, columns, requested, statement.into ? 'predictInto' : 'predict');
    if (choice.engine === 'database') {
      const added = predictionColumns(model);
      const keep = keyColumns(statement, columns, added).map((index) => columns[index]!);
      const prediction = { compiled: choice.compiled, source: statement.source, keep, added };
      return statement.into ? predictIntoInDatabase(context, prediction, statement.into, started) : predictRowsInDatabase(context, prediction);
    }
  }
  const totalRows = await estimateRows(context, query);
  const stream = await adapter.openStream(query, {
    batchRows: BATCH_ROWS,
    ...(signal ? { signal } : {}),
  });
  let scorer: Scorer;
  let keep: number[];
  const extras = withExtras ? new PredictionExtras(model, extraOptions) : null;
  const added = [...predictionColumns(model), ...(extras ? extras.columns : [])];
  try {
    scorer = new Scorer(model, stream.columns, extras);
    keep = keyColumns(statement, stream.columns, added);
  } catch (error) {
    await stream.close();
    throw error;
  }
  const outputColumns: Column[] = [...keep.map((i) => stream.columns[i]!), ...added];
  let rows = 0;
  async function* scored(): AsyncGenerator<RowBatch> {
    for await (const batch of stream.batches()) {
      throwIfAborted(signal);
      const predictions = scorer.score(batch);
      rows += batch.rowCount;
      context.onProgress?.({ phase: 'predict', rows, ...(totalRows ? { totalRows } : {}), rowsPerSecond: rows / ((performance.now() - started) / 1000) });
      yield { rowCount: batch.rowCount, columns: [...keep.map((i) => batch.columns[i]!), ...predictions] };
    }
  }

  if (!statement.into) {
    const resultRows: Value[][] = [];
    const budget = new ResultBudget(context.resultLimit);
    try {
      for await (const batch of scored()) {
        for (let row = 0; row < batch.rowCount; row++) {
          const values = outputColumns.map((column, c) => valueAt(column, batch.columns[c]!, row));
          budget.admit(values);
          resultRows.push(values);
        }
      }
    } finally {
      // A result over the budget stops reading: the source query must not run on without it.
      await stream.close();
    }
    const columns: ResultColumn[] = outputColumns.map((c) => ({ name: c.name, type: c.type }));
    return { command: 'PREDICT', columns, rows: resultRows };
  }

  const target = tableRef(adapter, statement.into.table);
  let written: number;
  try {
    await checkPredictTarget(adapter, target, statement.source, outputColumns, statement.into.mode);
    written = await adapter.write(target, outputColumns, scored(), statement.into.mode);
  } finally {
    // A refused target, or a write that fails (its connection killed, a refused row), may
    // stop reading before the source's last row, or before its first: the source query
    // must not run on without it.
    await stream.close();
  }
  return predictIntoResult(tableLabel(target), written, secondsSince(started), 'stream');
}

/** Indices of the input columns to carry into the output: KEY columns, or all. */
export function keyColumns(statement: Pick<Predict, 'into'>, columns: readonly Column[], added: readonly Column[]): number[] {
  const addedNames = new Set(added.map((c) => c.name.toLowerCase()));
  let keep: number[];
  if (statement.into && statement.into.key.length > 0) {
    keep = statement.into.key.map((id) => {
      const index = findColumn(columns, id);
      if (index < 0) {
        throw new SqlmlError('bad_column', `KEY column ${id.value} is not among the source's columns (${columnList(columns)})`);
      }
      return index;
    });
  } else {
    keep = columns.map((_, i) => i);
  }
  for (const i of keep) {
    const name = columns[i]!.name;
    if (addedNames.has(name.toLowerCase())) {
      throw new SqlmlError(
        'bad_column',
        `input column ${name} has the same name as a prediction column; select it under another name or list KEY columns`,
      );
    }
  }
  return keep;
}
