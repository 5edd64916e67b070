/**
 * Versions and rollback: SHOW VERSIONS lists every stored version of a model with its
 * headline metrics and which one is active; ACTIVATE MODEL name@v makes another one
 * active (one catalog transaction, ModelStore.activate); `USING promote = 'if_better'`
 * on CREATE / TRAIN / RETRAIN stores the new version but activates it only when its
 * held-out headline metric is at least the active version's (the rule below, applied
 * inside the storing transaction).
 */
import type { ActiveVersionFacts } from '../catalog/model-store.js';
import type { ResultTable, Value } from '../data.js';
import { SqlmlError } from '../errors.js';
import type { OptionAssignment } from '../learn/clauses.js';
import type { ActivateModel, ShowVersions } from '../sql/ast.js';
import { modelName, type ExecContext } from './context.js';
import type { TrainingStats } from './train.js';

export type Promote = 'always' | 'if_better';

/**
 * The metric each task's versions are compared on, and whether higher is better: AUC
 * (binary), accuracy (multiclass: the figure SHOW MODELS heads with; macro F1 is shown
 * beside it), RMSE (regression, lower is better).
 */
export const HEADLINE: Readonly<Record<string, { readonly metric: string; readonly higherIsBetter: boolean }>> = {
  binary: { metric: 'auc', higherIsBetter: true },
  multiclass: { metric: 'accuracy', higherIsBetter: true },
  regression: { metric: 'rmse', higherIsBetter: false },
};

/** The figures SHOW VERSIONS shows per task, headline first. */
const SHOWN_METRICS: Readonly<Record<string, readonly string[]>> = {
  binary: ['auc', 'accuracy', 'log_loss'],
  multiclass: ['accuracy', 'macro_f1', 'log_loss'],
  regression: ['rmse', 'mae', 'r2'],
};

/** Takes `promote` out of a USING list (it is about storing, not learning, so the learner's options never see it). */
export function takePromoteOption(options: readonly OptionAssignment[]): { promote: Promote; rest: OptionAssignment[] } {
  let promote: Promote = 'always';
  const rest: OptionAssignment[] = [];
  for (const option of options) {
    if (option.name !== 'promote') {
      rest.push(option);
      continue;
    }
    const value = option.value.kind === 'string' || option.value.kind === 'identifier' ? option.value.value.toLowerCase() : null;
    if (value !== 'always' && value !== 'if_better') {
      throw new SqlmlError('bad_option', "option promote accepts 'always' or 'if_better'");
    }
    promote = value;
  }
  return { promote, rest };
}

/** A metric of a stored evaluation document (`{ metrics: {...} }`), or null. */
export function storedMetric(evaluation: unknown, metric: string): number | null {
  if (evaluation === null || typeof evaluation !== 'object') return null;
  const metrics = (evaluation as { metrics?: Record<string, unknown> }).metrics;
  const value = metrics?.[metric];
  return typeof value === 'number' && Number.isFinite(value) ? value : null;
}

/**
 * The `if_better` rule for a new version of `type` with held-out `evaluation`: promoted
 * when its headline metric is at least the active version's (ties promote). A new
 * version without a held-out evaluation (split = 'none') cannot show it is better and
 * is not promoted; an active version without one, or of another task, is replaced.
 */
export function ifBetter(type: string, evaluation: unknown): (active: ActiveVersionFacts) => boolean {
  return (active) => {
    const headline = HEADLINE[type];
    if (!headline || active.type !== type) return true;
    const mine = storedMetric(evaluation, headline.metric);
    if (mine === null) return false;
    const theirs = storedMetric(active.evaluation, headline.metric);
    if (theirs === null) return true;
    return headline.higherIsBetter ? mine >= theirs : mine <= theirs;
  };
}

/**
 * A training's result with what it decided about the active version (an `active`
 * column, when USING promote was given) and its data alerts as notices.
 */
export function withPromotion(result: ResultTable, active: boolean | null, alerts: readonly string[]): ResultTable {
  const notices = [...alerts];
  if (active === false) notices.push('the new version is stored but not active: its held-out headline metric is below the active version\'s (ACTIVATE MODEL makes it active)');
  const promoted = active === null ? result : {
    ...result,
    columns: [...result.columns, { name: 'active', type: 'boolean' as const }],
    rows: result.rows.map((row) => [...row, active]),
  };
  return notices.length > 0 ? { ...promoted, notices } : promoted;
}

export async function showVersions(statement: ShowVersions, context: ExecContext): Promise<ResultTable> {
  await context.store.ensureSchema();
  const name = modelName(statement.name);
  const versions = await context.store.versions(name);
  if (versions.length === 0) throw new SqlmlError('unknown_model', `model ${name} does not exist (SHOW MODELS lists the models)`);
  // The columns are the latest version's task's metrics, read by name from every version.
  const shown = SHOWN_METRICS[versions[versions.length - 1]!.type] ?? [];
  const rows: Value[][] = [];
  let previousOptions: Record<string, unknown> | null = null;
  for (const v of versions) {
    const stats = v.trainingStats as Partial<TrainingStats> | null;
    const options = (v.options ?? {}) as Record<string, unknown>;
    rows.push([
      v.version,
      v.active,
      v.status,
      v.type,
      v.createdAt,
      stats?.rows_read ?? null,
      HEADLINE[v.type]?.metric ?? null,
      ...shown.map((metric) => storedMetric(v.evaluation, metric)),
      changedOptions(previousOptions, options),
    ]);
    previousOptions = options;
  }
  return {
    command: 'SHOW VERSIONS',
    columns: [
      { name: 'version', type: 'integer' },
      { name: 'active', type: 'boolean' },
      { name: 'status', type: 'text' },
      { name: 'type', type: 'text' },
      { name: 'created_at', type: 'text' },
      { name: 'rows', type: 'bigint' },
      { name: 'headline', type: 'text' },
      ...shown.map((metric) => ({ name: metric, type: 'double' as const })),
      { name: 'changed_options', type: 'text' },
    ],
    rows,
  };
}

/** The options that differ from the previous version's, as `name=value` pairs; null for the first version or none. */
function changedOptions(previous: Record<string, unknown> | null, current: Record<string, unknown>): string | null {
  if (previous === null) return null;
  const changed: string[] = [];
  for (const [option, value] of Object.entries(current)) {
    if (JSON.stringify(previous[option]) !== JSON.stringify(value)) changed.push(`${option}=${JSON.stringify(value)}`);
  }
  return changed.length > 0 ? changed.join(', ') : null;
}

export async function activateModel(statement: ActivateModel, context: ExecContext): Promise<ResultTable> {
  await context.store.ensureSchema();
  const name = modelName(statement.name);
  const previous = await context.store.activate(name, statement.version);
  return {
    command: 'ACTIVATE MODEL',
    columns: [
      { name: 'model', type: 'text' },
      { name: 'version', type: 'integer' },
      { name: 'previous_version', type: 'integer' },
    ],
    rows: [[name, statement.version, previous]],
  };
}
