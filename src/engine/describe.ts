/**
 * SHOW MODELS, DESCRIBE MODEL and DROP MODEL: what is stored, said plainly. DROP MODEL
 * drops the SQL functions exported from the model too (src/engine/export.ts).
 */
import type { ResultTable, Value } from '../data.js';
import { errorMessage, SqlmlError } from '../errors.js';
import { formatBytes, formatNumber } from '../format.js';
import { describeRecipe, featureName } from '../learn/recipe-describe.js';
import { weightName } from '../learn/weight-names.js';
import type { ExportedFunction, ExportStore } from '../catalog/export-store.js';
import type { DescribeModel, DropModel } from '../sql/ast.js';
import { getModelVersion, loadModel, modelName, type ExecContext } from './context.js';
import type { Evaluation } from './evaluation.js';
import { dropExportedFunction, functionLabel } from './export.js';
import { jobsNamingModel } from './jobs.js';
import type { TrainingStats } from './train.js';

export async function showModels(context: ExecContext): Promise<ResultTable> {
  await context.store.ensureSchema();
  const models = await context.store.list();
  return {
    command: 'SHOW MODELS',
    columns: [
      { name: 'name', type: 'text' },
      { name: 'version', type: 'integer' },
      { name: 'type', type: 'text' },
      { name: 'target', type: 'text' },
      { name: 'created_at', type: 'text' },
      { name: 'metric', type: 'text' },
      { name: 'value', type: 'double', metric: true },
    ],
    rows: models.map((m) => [m.name, m.version, m.type, m.target, m.createdAt, m.headline?.metric ?? null, m.headline?.value ?? null]),
  };
}

/**
 * DROP MODEL: the model, its versions and the functions exported from it, refused while
 * a job names the model — checked inside the drop's transaction, so a concurrent CREATE
 * JOB is either seen (and the drop refused) or comes after (and finds no model). Where
 * DDL is transactional (PostgreSQL, DuckDB) the functions are dropped in that same
 * transaction; where not (MySQL), after it commits, one by one, each forgotten once
 * dropped, and a failure says which remain and that DROP MODEL IF EXISTS drops them.
 */
export async function dropModel(statement: DropModel, context: ExecContext, exports: ExportStore): Promise<ResultTable> {
  await context.store.ensureSchema();
  const name = modelName(statement.name);
  const sqlDialect = context.adapter.sql;
  const outcome = await context.store.drop(name, {
    refuse: (jobs) => {
      const naming = jobsNamingModel(name, jobs, context);
      if (naming.length === 0) return;
      throw new SqlmlError('unsupported', `model ${name} is used by job${naming.length > 1 ? 's' : ''} ${naming.join(', ')}; DROP JOB ${naming[0]} first (SHOW JOBS shows their statements)`);
    },
    dropFunction: sqlDialect.capabilities.transactionalDdl ? (signature) => sqlDialect.functions.drop(signature) : null,
  });
  for (const key of context.loadedModels.keys()) if (key.startsWith(`${name}@`)) context.loadedModels.delete(key);
  const functions = outcome.functions.map((fn) => functionLabel(fn.function));
  functions.push(...(await dropLeftoverFunctions(name, outcome.dropped, outcome.leftover, context, exports)));
  if (!outcome.dropped && !statement.ifExists) {
    throw new SqlmlError('unknown_model', `model ${name} does not exist (DROP MODEL IF EXISTS ignores that)`);
  }
  return {
    command: 'DROP MODEL',
    columns: [
      { name: 'model', type: 'text' },
      { name: 'dropped', type: 'boolean' },
      { name: 'functions', type: 'text' },
    ],
    rows: [[name, outcome.dropped, functions.length > 0 ? functions.join(', ') : null]],
  };
}

/** The functions of a dropped model that its transaction could not drop (MySQL), one by one; an error names those left. */
async function dropLeftoverFunctions(name: string, modelDropped: boolean, leftover: readonly ExportedFunction[], context: ExecContext, exports: ExportStore): Promise<string[]> {
  const dropped: string[] = [];
  for (const [index, fn] of leftover.entries()) {
    try {
      await dropExportedFunction(fn, context, exports);
    } catch (error) {
      const remain = leftover.slice(index).map((left) => functionLabel(left.function)).join(', ');
      const model = modelDropped ? `model ${name} was dropped, but` : `model ${name} does not exist;`;
      throw new SqlmlError('internal', `${model} its exported function${leftover.length - index > 1 ? 's' : ''} ${remain} could not be dropped (${errorMessage(error)}); they remain, and DROP MODEL IF EXISTS ${name} drops them`, { cause: error });
    }
    dropped.push(functionLabel(fn.function));
  }
  return dropped;
}

/** How many of the largest weights DESCRIBE lists. */
const TOP_WEIGHTS = 15;

export async function describeModel(statement: DescribeModel, context: ExecContext): Promise<ResultTable> {
  const version = await getModelVersion(context, statement.model);
  const model = loadModel(context, version);
  const stats = version.trainingStats as TrainingStats;
  const evaluation = version.evaluation as Evaluation | null;
  const rows: Value[][] = [];
  const add = (section: string, property: string, value: Value): void => {
    rows.push([section, property, value]);
  };

  add('model', 'name', version.name);
  add('model', 'version', version.version);
  add('model', 'active', version.active);
  add('model', 'type', version.type);
  add('model', 'type_rule', stats.task_rule);
  add('model', 'target', version.target);
  if (model.task === 'binary') {
    add('model', 'positive_label', model.label.positive);
    add('model', 'negative_label', model.label.negative);
  } else if (model.task === 'multiclass') {
    add('model', 'classes', model.label.classes.join(', '));
  } else {
    add('model', 'target_mean', model.label.mean);
  }
  add('model', 'created_at', version.createdAt);
  add('model', 'source', version.sourceQuery);
  add('model', 'size', formatBytes(stats.model_bytes));

  for (const [option, value] of Object.entries(version.options as Record<string, unknown>)) {
    add('options', option, value === null || value === undefined ? null : typeof value === 'object' ? JSON.stringify(value) : (value as Value));
  }
  describeRecipe(model.recipe).forEach((line, i) => add('recipe', `feature ${i + 1}`, line));

  add('training', 'rows_read', stats.rows_read);
  add('training', 'rows_trained', stats.rows_trained);
  add('training', 'rows_validation', stats.rows_validation);
  add('training', 'rows_evaluated', stats.rows_evaluated);
  add('training', 'rows_skipped', stats.rows_skipped);
  add('training', 'passes', stats.passes);
  add('training', 'best_pass', stats.best_pass);
  add('training', 'stopped_early', stats.stopped_early);
  // Versions stored before the step-size search have no learning_rate in their stats.
  if (stats.learning_rate !== undefined) add('training', 'learning_rate', stats.learning_rate);
  for (const tried of stats.learning_rate_search ?? []) {
    add('training', `learning_rate_tried_${tried.learning_rate}`, `validation loss ${formatNumber(tried.validation_loss)} after ${tried.passes} passes`);
  }
  if (stats.polish !== undefined) {
    // Three short lines: the CLI cuts a cell at 60 characters.
    const p = stats.polish;
    add('training', 'finish', `${p.iterations} L-BFGS iterations (${p.evaluations} passes, ${formatNumber(p.seconds)} s)`);
    if (p.kept_iteration !== undefined) add('training', 'finish_kept', p.kept_iteration === 0 ? "none: the passes' model" : `iteration ${p.kept_iteration}`);
    if (p.kept === 'passes') add('training', 'finish_kept', "none: the passes' model (lower validation loss)");
    if (p.validation_loss_before !== null && p.validation_loss_after !== null) {
      // After cross-validation the second figure is the kept amount's pooled held-out loss over the folds, not the validation rows'.
      const after = (stats.l2_folds ?? 0) > 0 ? ' (cross-validated)' : '';
      add('training', 'finish_held_out_loss', `${formatNumber(p.validation_loss_before)} → ${formatNumber(p.validation_loss_after)}${after}`);
    }
  }
  // The L2 amount trained with, and the path the learner chose it on (absent in older versions).
  if (stats.l2 !== undefined) add('training', 'l2', stats.l2);
  // Who chose the amount: few validation rows hand the choice to cross-validation (l2-path.ts).
  const folds = stats.l2_folds ?? 0;
  if ((stats.l2_path ?? []).length > 0) {
    add('training', 'l2_chosen_by', folds > 0 ? `${folds}-fold cross-validation (training + validation rows)` : 'the validation rows');
  }
  for (const tried of stats.l2_path ?? []) {
    const loss = folds > 0 ? 'cross-validated loss' : 'validation loss';
    add('training', `l2_tried_${tried.l2}`, `${loss} ${formatNumber(tried.validation_loss)} after ${tried.iterations} iterations`);
  }
  if (stats.tune !== undefined) {
    add('training', 'tune', `${stats.tune.trials} trials in ${formatNumber(stats.tune.seconds)} s, trial ${stats.tune.kept_trial} kept (SHOW TRIALS)`);
    const t = stats.tune;
    if (t.yardstick !== undefined && t.best_trial !== undefined) {
      // Why this trial: the yardstick, and whether the best beat the untuned model by more than its noise.
      const verdict =
        t.best_trial === 1
          ? 'trial 1 (untuned) was the best'
          : `best trial ${t.best_trial} ${t.kept_trial === t.best_trial ? 'beat' : 'did not clearly beat'} trial 1 (untuned): gain ${formatNumber(t.gain ?? NaN)} ± ${formatNumber(t.standard_error ?? NaN)}`;
      add('training', 'tune_yardstick', `${t.yardstick} on the validation rows; ${verdict}`);
    }
  }
  // Where the training ran: the stream, or the database (its iterations, queries and what left it).
  add('training', 'engine', stats.in_database?.engine ?? 'stream');
  if (stats.in_database !== undefined) {
    const d = stats.in_database;
    add('training', 'iterations', d.iterations);
    add('training', 'queries', d.queries);
    add('training', 'seconds_per_iteration', d.seconds_per_iteration);
    add('training', 'profile_seconds', d.profile_seconds);
    add('training', 'scratch_seconds', d.scratch_seconds);
    add('training', 'evaluate_seconds', d.evaluate_seconds);
  }
  add('training', 'seconds', stats.seconds);
  add('training', 'read_rows_per_second', stats.read_rows_per_second);
  add('training', 'read_method', stats.read_method ?? null);
  add('training', 'dimension', stats.dimension);
  add('training', 'nonzero_weights', stats.nonzero_weights);
  for (const p of stats.curve) {
    const validation = p.validation_loss === null ? '' : `, held-out loss ${formatNumber(p.validation_loss)}`;
    add('training', `pass ${p.pass}`, `train loss ${formatNumber(p.train_loss)}${validation}`);
  }

  if (evaluation) {
    for (const [metric, value] of Object.entries(evaluation.metrics)) add('evaluation', metric, value);
    if (evaluation.task === 'multiclass') {
      const details = evaluation.details as {
        classes: string[];
        confusion: number[][];
        per_class: { label: string; precision: number; recall: number; f1: number; support: number }[];
      };
      for (const c of details.per_class) {
        add(
          'per_class',
          c.label,
          `precision ${formatNumber(c.precision)}, recall ${formatNumber(c.recall)}, f1 ${formatNumber(c.f1)}, support ${c.support}`,
        );
      }
      details.confusion.forEach((counts, a) => {
        add('confusion', `actual ${details.classes[a]}`, counts.join(' '));
      });
    } else if (evaluation.task === 'binary') {
      const c = (evaluation.details as { confusion: { tp: number; fp: number; tn: number; fn: number } }).confusion;
      add('confusion', 'true_positive', c.tp);
      add('confusion', 'false_positive', c.fp);
      add('confusion', 'true_negative', c.tn);
      add('confusion', 'false_negative', c.fn);
    }
  }

  for (const w of largestWeights(context, version.name, version.version)) add('weights', w.feature, w.weight);

  return {
    command: 'DESCRIBE MODEL',
    columns: [
      { name: 'section', type: 'text' },
      { name: 'property', type: 'text' },
      { name: 'value', type: 'text' },
    ],
    rows: rows.map(([section, property, value]) => [section!, property!, value === null ? null : typeof value === 'number' ? formatNumber(value) : String(value)]),
  };
}

/** The largest weights by magnitude, named by feature (and class, for multiclass). */
function largestWeights(context: ExecContext, name: string, version: number): { feature: string; weight: number }[] {
  const model = context.loadedModels.get(`${name}@${version}`)!;
  const outputs = model.task === 'multiclass' ? model.label.classes.length : 1;
  const top: { feature: string; weight: number; index: number; k: number }[] = [];
  let floor = 0;
  for (let k = 0; k < outputs; k++) {
    for (let index = 0; index < model.recipe.dimension; index++) {
      const w = model.learner.weight(index, k);
      if (w === 0 || Math.abs(w) <= floor) continue;
      top.push({ feature: '', weight: w, index, k });
      if (top.length > TOP_WEIGHTS * 4) {
        top.sort((a, b) => Math.abs(b.weight) - Math.abs(a.weight));
        top.length = TOP_WEIGHTS;
        floor = Math.abs(top[TOP_WEIGHTS - 1]!.weight);
      }
    }
  }
  top.sort((a, b) => Math.abs(b.weight) - Math.abs(a.weight) || a.index - b.index || a.k - b.k);
  // A hashed slot whose values were recorded at training reads as them (SHOW WEIGHTS lists every weight).
  const nameOf = (index: number): string => {
    if (index < model.recipe.denseSize || !model.hashedNames) return featureName(model.recipe, index);
    const { feature, value } = weightName(model.recipe, model.hashedNames, index);
    return `${feature}=${value}`;
  };
  return top.slice(0, TOP_WEIGHTS).map((t) => ({
    feature: outputs > 1 ? `${nameOf(t.index)} (class ${model.label.classes[t.k]})` : nameOf(t.index),
    weight: t.weight,
  }));
}
