/**
 * The trained model as one value: everything prediction needs (the label mapping, the
 * recipe, the weights) and what RETRAIN needs to train it again. Its stored form is in
 * model-format.ts.
 */
import type { Column } from '../data.js';
import type { Transform } from './clauses.js';
import type { LabelSpec } from './label.js';
import type { ModelOptions } from './options.js';
import type { Recipe } from './recipe-format.js';
import type { OnlineLearner } from './sgd.js';
import type { Task } from './types.js';
import type { HashedNames } from './weight-names.js';

export interface TrainedModel {
  readonly task: Task;
  readonly label: LabelSpec;
  /** The target column as the source described it (its type decides how labels are written back). */
  readonly target: Column;
  /** The input columns the model was trained on (for messages). */
  readonly inputColumns: readonly Column[];
  readonly recipe: Recipe;
  /** The RECIPE clause as written, so RETRAIN can rebuild the recipe on new data. */
  readonly transforms: readonly Transform[] | null;
  readonly options: ModelOptions;
  readonly learner: OnlineLearner;
  /** The values seen in each hashed slot at training (weight-names.ts); absent in models stored before they were kept. */
  readonly hashedNames?: HashedNames | null;
}

/**
 * The prediction columns a model adds, per statements.md: `predicted_label` in the
 * target's own database type (a table PREDICT INTO creates holds the labels exactly:
 * BIGINT stays BIGINT) and `score` for classifiers, `predicted_value` for regression. The
 * doubles have no database spelling of their own (''), so each adapter gives them its
 * double type. The streaming Scorer and the compiled SQL both make exactly these.
 */
export function predictionColumns(model: TrainedModel): Column[] {
  if (model.task === 'regression') return [{ name: 'predicted_value', type: 'double', dbType: '' }];
  const labelType = model.target.type === 'other' ? 'text' : model.target.type;
  return [
    { name: 'predicted_label', type: labelType, dbType: model.target.dbType },
    { name: 'score', type: 'double', dbType: '' },
  ];
}
