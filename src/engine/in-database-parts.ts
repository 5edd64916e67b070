/**
 * The profile and the objective as aggregate queries, as train-in-database.ts asks for
 * them: src/engine/profile-in-database.ts, and the finish (src/learn/polish.ts
 * polishObjective) on src/engine/database-objective.ts over src/compile/objective-sql.ts.
 */
import { compileObjective } from '../compile/objective-sql.js';
import { SqlmlError } from '../errors.js';
import { ObjectiveCoordinates } from '../learn/coordinates.js';
import { polishObjective } from '../learn/polish.js';
import { OnlineLearner } from '../learn/sgd.js';
import { databaseConverged, DatabaseObjective } from './database-objective.js';
import { profileInDatabase } from './profile-in-database.js';
import type { InDatabaseParts } from './train-in-database.js';

export const IN_DATABASE_PARTS: InDatabaseParts = {
  profile: profileInDatabase,

  objectiveReason: (adapter, model, columns) => {
    // A learner before training: the compiler refuses a feature by its kind, whatever the weights.
    const learner = new OnlineLearner({ task: model.task, dimension: model.recipe.dimension, classes: model.task === 'multiclass' ? model.label.classes.length : 1, l1: 0, l2: 0, learningRate: null, seed: 1 });
    const compilation = compileObjective({ model: { ...model, hashedNames: null }, dialect: adapter.sql, sourceColumns: columns, relation: '(SELECT 1) AS sqlml_none', coordinates: new ObjectiveCoordinates(learner, 0), classWeights: null });
    return compilation.ok ? null : compilation.reason;
  },

  finish: async (request) => {
    const coordinates = new ObjectiveCoordinates(request.learner, request.l2);
    const compilation = compileObjective({
      model: { task: request.task, label: request.label, target: request.target, recipe: request.recipe, hashedNames: null },
      dialect: request.adapter.sql,
      sourceColumns: request.columns,
      // The scratch table holds the encoded columns (scratch-table.ts), so the queries read them as they are.
      relation: request.relation,
      encoded: true,
      coordinates,
      classWeights: request.classWeights,
    });
    if (!compilation.ok) throw new SqlmlError('unsupported', compilation.reason);
    const objective = new DatabaseObjective(request.adapter, compilation.objective, coordinates, {
      trainingRows: request.trainingRows,
      ...(request.signal ? { signal: request.signal } : {}),
    });
    const result = await polishObjective(
      request.learner,
      objective,
      { task: request.task, l2: request.l2, classWeights: request.classWeights, converged: databaseConverged(request.trainingRows), ...(request.l2Path ? { l2Path: request.l2Path } : {}) },
      { ...(request.signal ? { signal: request.signal } : {}), onIteration: request.onIteration },
    );
    return { result, queries: objective.queries, seconds: objective.seconds };
  },
};
