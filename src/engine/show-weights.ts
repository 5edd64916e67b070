/**
 * SHOW WEIGHTS name[@v]: one row per learned weight that is not zero, `feature, value,
 * class, weight`, named by what it means (learn/weight-names.ts), in feature order, then
 * the bias row(s) `(bias)`. Weights are as stored: on the standardized feature.
 * `topWeights` is the same naming for the model's page: the largest by |weight|.
 */
import type { ResultTable, Value } from '../data.js';
import type { TrainedModel } from '../learn/model.js';
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

/** One named weight, as SHOW WEIGHTS names it. */
export interface NamedWeight {
  readonly feature: string;
  readonly value: string | null;
  /** The class of a multiclass model's weight; null otherwise. */
  readonly class: string | null;
  readonly weight: number;
}

/** The `count` largest weights by |weight| (ties in feature order), the bias of each output, and how many weights are not zero. */
export function topWeights(model: TrainedModel, count: number): { top: NamedWeight[]; bias: NamedWeight[]; nonZero: number } {
  const { recipe } = model;
  const multiclass = model.task === 'multiclass';
  const classes = model.label.classes;
  const K = multiclass ? classes.length : 1;
  const weights = model.learner.modelCopy();
  const live: number[] = [];
  for (let slot = 0; slot < recipe.dimension * K; slot++) if (weights[slot] !== 0) live.push(slot);
  // Only the weights shown are named: naming is per slot and a hashed model has many.
  const shown = [...live].sort((a, b) => Math.abs(weights[b]!) - Math.abs(weights[a]!) || a - b).slice(0, count);
  const names = model.hashedNames ?? null;
  const top = shown.map((slot) => {
    const named = weightName(recipe, names, Math.floor(slot / K));
    return { feature: named.feature, value: named.value, class: multiclass ? classes[slot % K]! : null, weight: weights[slot]! };
  });
  const bias: NamedWeight[] = [];
  for (let k = 0; k < K; k++) bias.push({ feature: BIAS_FEATURE, value: null, class: multiclass ? classes[k]! : null, weight: weights[recipe.dimension * K + k]! });
  return { top, bias, nonZero: live.length };
}
