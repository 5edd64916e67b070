/**
 * The trained model as one value, and its stored form. Everything prediction needs is
 * here: the label mapping, the recipe, the weights. The stored form is JSON with the
 * weights as base64, so the same training gives the same bytes (no timings inside).
 */
import type { Column } from '../data.js';
import type { Transform } from '../sql/ast.js';
import { SqlmlError } from '../errors.js';
import type { LabelSpec } from './label.js';
import type { ModelOptions } from './options.js';
import type { Recipe } from './recipe.js';
import { OnlineLearner } from './sgd.js';
import type { Task } from './types.js';

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
}

const FORMAT = 'sqlml-model/1';

interface StoredModel {
  format: string;
  task: Task;
  label: LabelSpec;
  target: Column;
  inputColumns: readonly Column[];
  recipe: Recipe;
  transforms: readonly Transform[] | null;
  options: ModelOptions;
  learner: string;
}

export function serializeModel(model: TrainedModel): string {
  const stored: StoredModel = {
    format: FORMAT,
    task: model.task,
    label: model.label,
    target: model.target,
    inputColumns: model.inputColumns,
    recipe: model.recipe,
    transforms: model.transforms,
    options: model.options,
    learner: Buffer.from(model.learner.serialize()).toString('base64'),
  };
  return JSON.stringify(stored);
}

export function deserializeModel(text: string): TrainedModel {
  let stored: StoredModel;
  try {
    stored = JSON.parse(text) as StoredModel;
  } catch (error) {
    throw new SqlmlError('internal', 'the stored model is not valid JSON; retrain it', { cause: error });
  }
  if (stored.format !== FORMAT) {
    throw new SqlmlError('internal', `the stored model has format ${String(stored.format)}, this sqlml reads ${FORMAT}; retrain it`);
  }
  const bytes = Buffer.from(stored.learner, 'base64');
  return {
    task: stored.task,
    label: stored.label,
    target: stored.target,
    inputColumns: stored.inputColumns,
    recipe: stored.recipe,
    transforms: stored.transforms,
    options: stored.options,
    learner: OnlineLearner.deserialize(new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength)),
  };
}
