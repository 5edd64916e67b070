/**
 * SHOW WEIGHTS name[@v]: one row per learned weight that is not zero, `feature, value,
 * class, weight`, named by what it means (learn/weight-names.ts), in feature order, then
 * the bias row(s) `(bias)`. Weights are as stored: on the standardized feature.
 */
import type { ResultTable, Value } from '../data.js';
import { weightName } from '../learn/weight-names.js';
import type { ShowWeights } from '../sql/ast.js';
import { getModelVersion, loadModel, type ExecContext } from './context.js';

export const BIAS_FEATURE = '(bias)';

export async function showWeights(statement: ShowWeights, context: ExecContext): Promise<ResultTable> {
  const model = loadModel(context, await getModelVersion(context, statement.model));
  const { recipe, learner } = model;
  const multiclass = model.task === 'multiclass';
  const classes = model.label.classes;
  const K = multiclass ? classes.length : 1;
  const weights = learner.modelCopy();
  const names = model.hashedNames ?? null;
  const rows: Value[][] = [];
  for (let index = 0; index < recipe.dimension; index++) {
    let named: ReturnType<typeof weightName> | null = null;
    for (let k = 0; k < K; k++) {
      const weight = weights[index * K + k]!;
      if (weight === 0) continue;
      named ??= weightName(recipe, names, index);
      rows.push([named.feature, named.value, multiclass ? classes[k]! : null, weight]);
    }
  }
  for (let k = 0; k < K; k++) rows.push([BIAS_FEATURE, null, multiclass ? classes[k]! : null, weights[recipe.dimension * K + k]!]);
  return {
    command: 'SHOW WEIGHTS',
    columns: [
      { name: 'feature', type: 'text' },
      { name: 'value', type: 'text' },
      { name: 'class', type: 'text' },
      { name: 'weight', type: 'double' },
    ],
    rows,
  };
}
