/**
 * SHOW TRIALS name[@v]: the tuning trials stored with a version (sqlml_trials), one row
 * per trial; and the conversions between tune.ts's trial records and the catalog rows.
 */
import type { TrialRow } from '../catalog/model-store.js';
import type { ResultTable } from '../data.js';
import type { OptionAssignment } from '../learn/clauses.js';
import type { ShowTrials } from '../sql/ast.js';
import { getModelVersion, type ExecContext } from './context.js';
import type { TrialRecord } from './tune.js';

/** The option names a USING clause gave, lower-cased as options are matched. */
export function givenOptions(assignments: readonly OptionAssignment[]): ReadonlySet<string> {
  return new Set(assignments.map((a) => a.name.toLowerCase()));
}

/** A trial as the catalog stores it. */
export function trialRow(trial: TrialRecord): TrialRow {
  return {
    trial: trial.trial,
    rung: trial.rung,
    options: JSON.stringify(trial.options),
    // JSON and the databases hold no NaN: a trial whose loss is not a number stores NULL.
    validation_loss: Number.isFinite(trial.validationLoss) ? trial.validationLoss : null,
    metric: trial.metric,
    metric_value: trial.value,
    passes: trial.passes,
    seconds: Math.round(trial.seconds * 1000) / 1000,
    kept: trial.kept ? 1 : 0,
  };
}

export async function showTrials(statement: ShowTrials, context: ExecContext): Promise<ResultTable> {
  const version = await getModelVersion(context, statement.model);
  const rows = await context.store.trials(version.name, version.version);
  return {
    command: 'SHOW TRIALS',
    columns: [
      { name: 'trial', type: 'integer' },
      { name: 'learning_rate', type: 'text' },
      { name: 'l1', type: 'double' },
      { name: 'l2', type: 'text' },
      { name: 'passes', type: 'integer' },
      { name: 'class_weights', type: 'text' },
      { name: 'quantile_bins', type: 'text' },
      { name: 'rung', type: 'integer' },
      { name: 'passes_run', type: 'integer' },
      { name: 'validation_loss', type: 'double' },
      { name: 'metric', type: 'text' },
      { name: 'value', type: 'double' },
      { name: 'seconds', type: 'double' },
      { name: 'kept', type: 'boolean' },
    ],
    rows: rows.map((row) => {
      const options = JSON.parse(row.options) as Record<string, string | number>;
      return [
        row.trial,
        String(options.learning_rate),
        Number(options.l1),
        String(options.l2),
        Number(options.passes),
        String(options.class_weights),
        // Null when the trials did not vary bin counts (no quantile_bin in the recipe, or trials stored before they could).
        options.quantile_bins === undefined ? null : String(options.quantile_bins),
        row.rung,
        row.passes,
        row.validation_loss,
        row.metric,
        row.metric_value,
        row.seconds,
        row.kept === 1,
      ];
    }),
  };
}
