/**
 * EXPLAIN PREDICT name FROM source [USING …]: one row `engine, sql, reason`: the engine
 * PREDICT without INTO with those options takes ('auto' unless they say otherwise), the
 * SELECT that computes the predictions from the source (NULL when the model does not
 * compile for this database), and why not the database (NULL when it runs there).
 * Options PREDICT would refuse are refused alike.
 */
import type { ResultTable } from '../data.js';
import type { ExplainPredict } from '../sql/ast.js';
import { getModelVersion, sourceQuery, type ExecContext } from './context.js';
import { chooseEngine, sourceColumns } from './engine-choice.js';
import { predictionSelect } from './in-database.js';
import { predictionColumns } from '../learn/model.js';
import { keyColumns, planPredict } from './predict.js';

export async function explainPredict(statement: ExplainPredict, context: ExecContext): Promise<ResultTable> {
  const { requested, model, streamReason } = planPredict(statement.options, context, await getModelVersion(context, statement.model));
  const columns = await sourceColumns(context, sourceQuery(context.adapter, statement.source));
  const choice = chooseEngine(context, model, columns, requested, 'predict', streamReason);
  const added = predictionColumns(model);
  // PREDICT without INTO keeps every input column: the same check of their names.
  const keep = keyColumns({ into: null }, columns, added).map((index) => columns[index]!);
  // The SQL whenever the model compiles, also where `auto` streams it for speed: it is what a view or a BI tool would run.
  const sql = choice.compiled === null ? null : predictionSelect(context, { compiled: choice.compiled, source: statement.source, keep, added });
  return {
    command: 'EXPLAIN PREDICT',
    columns: [
      { name: 'engine', type: 'text' },
      { name: 'sql', type: 'text' },
      { name: 'reason', type: 'text' },
    ],
    rows: [[choice.engine, sql, choice.reason]],
  };
}
