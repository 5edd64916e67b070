/**
 * The prediction columns a model adds, as the streaming Scorer names and types them
 * (src/engine/predict.ts predictionColumns, which the engine layer above owns):
 * `predicted_label` in the target's own type and `score` for classifiers,
 * `predicted_value` for regression.
 */
import type { Column } from '../data.js';
import type { TrainedModel } from '../learn/model.js';

export function predictionColumnsOf(model: TrainedModel): Column[] {
  if (model.task === 'regression') return [{ name: 'predicted_value', type: 'double', dbType: '' }];
  const labelType = model.target.type === 'other' ? 'text' : model.target.type;
  return [
    { name: 'predicted_label', type: labelType, dbType: model.target.dbType },
    { name: 'score', type: 'double', dbType: '' },
  ];
}
