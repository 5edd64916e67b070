/**
 * PREDICT with `engine = 'database'`: the compiled model's SELECT runs in the database.
 * Without INTO its rows come back as the result (under the statement's result limit,
 * cancellable on the server); with INTO the adapter builds the table with one CREATE
 * TABLE … AS SELECT and swaps it in (Adapter.writeSelect), so no row leaves the database.
 * The caller (predict.ts) has chosen the engine, and checked the key and target columns
 * as the streaming path does.
 */
import type { WriteMode } from '../../adapters/adapter.js';
import type { CompiledModel } from '../compile/index.js';
import type { Column, ResultTable } from '../data.js';
import type { PredictInto, Source } from '../sql/ast.js';
import { secondsSince, sourceText, tableLabel, tableRef, type ExecContext } from './context.js';
import { checkPredictTarget } from './predict-target.js';

/** What both database paths need: the compiled model, the source, and the columns kept and added. */
export interface DatabasePrediction {
  readonly compiled: CompiledModel;
  readonly source: Source;
  /** Input columns passed through, as the source describes them. */
  readonly keep: readonly Column[];
  /** The prediction columns, as the streaming Scorer makes them. */
  readonly added: readonly Column[];
}

/** The SELECT computing the predictions, pasteable into a view. */
export function predictionSelect(context: ExecContext, prediction: DatabasePrediction): string {
  return prediction.compiled.select(sourceText(context.adapter, prediction.source), prediction.keep.map((column) => column.name));
}

/** PREDICT without INTO: the rows, with the streaming path's column names and types. */
export async function predictRowsInDatabase(context: ExecContext, prediction: DatabasePrediction): Promise<ResultTable> {
  // The settings scoped to the statement: a multi-statement query is one transaction, the SELECT's result answers.
  const result = await context.adapter.query([...context.adapter.sql.compiledSettings, predictionSelect(context, prediction)].join('; '), {
    ...(context.resultLimit ? { limit: context.resultLimit } : {}),
    ...(context.signal ? { signal: context.signal } : {}),
  });
  const columns = [...prediction.keep, ...prediction.added].map((column) => ({ name: column.name, type: column.type }));
  return { command: 'PREDICT', columns, rows: result.rows };
}

/** PREDICT … INTO: the same target checks as the stream, then one CTAS-and-swap. */
export async function predictIntoInDatabase(context: ExecContext, prediction: DatabasePrediction, into: PredictInto, started: number): Promise<ResultTable> {
  const { adapter } = context;
  const target = tableRef(adapter, into.table);
  const mode: WriteMode = into.mode;
  await checkPredictTarget(adapter, target, prediction.source, [...prediction.keep, ...prediction.added], mode);
  const written = await adapter.writeSelect(
    target,
    { select: predictionSelect(context, prediction), passed: prediction.keep.map((column) => column.name), computed: prediction.added },
    mode,
    context.signal ? { signal: context.signal } : {},
  );
  return predictIntoResult(tableLabel(target), written, secondsSince(started), 'database');
}

/** PREDICT … INTO's result row (statements.md): `table, rows_written, seconds, engine`. */
export function predictIntoResult(table: string, written: number, seconds: number, engine: 'database' | 'stream'): ResultTable {
  return {
    command: 'PREDICT',
    columns: [
      { name: 'table', type: 'text' },
      { name: 'rows_written', type: 'bigint' },
      { name: 'seconds', type: 'double', metric: true },
      { name: 'engine', type: 'text' },
    ],
    rows: [[table, written, seconds, engine]],
  };
}
