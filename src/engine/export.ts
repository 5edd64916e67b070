/**
 * EXPORT MODEL name[@v] AS FUNCTION f: the model compiled into SQL functions of the
 * connected database, so any query or BI tool can call `f(tenure, plan)`. `f` returns
 * `predicted_label` (or `predicted_value`); a classifier's `f_score` returns `score`.
 * Their parameters are the model's input columns in recipe order, typed as the source
 * typed them. How a function is spelled, named and dropped is the dialect's
 * (`adapter.sql.functions`); which functions are sqlml's is the catalog's
 * (src/catalog/export-store.ts): those are replaced on export and dropped with their
 * model, any other function of the name is the user's and is never replaced.
 */
import type { TableRef } from '../../adapters/adapter.js';
import { columnDefinitionType } from '../../adapters/column-definition.js';
import type { BuiltInProbe, SqlFunction } from '../../adapters/dialect.js';
import type { ExportedFunction, ExportStore } from '../catalog/export-store.js';
import type { CompileModel } from '../compile/index.js';
import type { Column, ResultTable } from '../data.js';
import { DatabaseError, SqlmlError, errorMessage } from '../errors.js';
import type { ExportModel } from '../sql/ast.js';
import { getModelVersion, loadModel, tableRef, type ExecContext } from './context.js';

/** Appended to the function's name for a classifier's score function. */
export const SCORE_SUFFIX = '_score';

/** One function to create, and the signature that identifies it to DROP. */
interface PlannedFunction {
  readonly fn: SqlFunction;
  readonly signature: string;
}

/** Runs EXPORT MODEL with `compile` (src/compile's compiler); one result row per function created. */
export async function exportModel(statement: ExportModel, context: ExecContext, exports: ExportStore, compile: CompileModel): Promise<ResultTable> {
  const { adapter } = context;
  const dialect = adapter.sql;
  const version = await getModelVersion(context, statement.model);
  const model = loadModel(context, version);
  const inputs = model.recipe.inputs.map(
    (input): Column => model.inputColumns.find((c) => c.name === input.name) ?? { name: input.name, type: input.type, dbType: '' },
  );

  const compilation = compile(model, dialect, inputs);
  if (!compilation.ok) {
    throw new SqlmlError('unsupported', `model ${version.name} cannot be exported as a function on ${dialect.name}: ${compilation.reason}`);
  }
  const { compiled } = compilation;
  const expressions = compiled.expressions((column) => {
    const index = inputs.findIndex((input) => input.name === column);
    if (index < 0) throw new SqlmlError('internal', `the compiled model reads column ${column}, which is not one of its inputs`);
    return dialect.functions.parameter(index);
  });

  const name = tableRef(adapter, statement.function);
  const parameterTypes = inputs.map((input) => columnDefinitionType(input, dialect.types));
  const planned = compiled.outputs.map((output): PlannedFunction => {
    const body = expressions[output.name];
    if (body === undefined) throw new SqlmlError('internal', `the compiled model has no expression for ${output.name}`);
    const functionName: TableRef = output.name === 'score' ? { ...name, name: `${name.name}${SCORE_SUFFIX}` } : name;
    const fn: SqlFunction = { name: functionName, parameterTypes, returns: columnDefinitionType(output, dialect.types), body };
    return { fn, signature: dialect.functions.signature(fn) };
  });

  // Every name is checked before anything is created, so a refusal leaves nothing behind.
  for (const { fn } of planned) {
    if (!dialect.functions.nameFits(fn.name.name)) {
      throw new SqlmlError('unsupported', `the function name ${functionLabel(fn.name)} is longer than ${dialect.name} keeps whole; choose a shorter one`);
    }
  }
  const previous = await Promise.all(planned.map(({ fn }) => recordedOrFree(context, exports, fn.name)));
  for (const [i, { fn, signature }] of planned.entries()) {
    const before = previous[i];
    if (before !== undefined && before.signature !== signature) await run(context, dialect.functions.drop(before.signature));
    for (const sql of dialect.functions.create(fn)) await run(context, sql);
    await exports.record({ function: fn.name, model: version.name, version: version.version, signature });
  }

  const argumentList = inputs.map((input, i) => `${input.name} ${parameterTypes[i]}`).join(', ');
  return {
    command: 'EXPORT MODEL',
    columns: [
      { name: 'function', type: 'text' },
      { name: 'arguments', type: 'text' },
      { name: 'returns', type: 'text' },
    ],
    rows: planned.map(({ fn }) => [functionLabel(fn.name), argumentList, fn.returns]),
  };
}

/**
 * Drops every function exported from `model` and forgets it; returns their names. Run
 * by DROP MODEL, so the functions do not outlive the model they compute.
 */
/** Drops one function exported from a model and forgets it (once dropped, so a failure leaves its record for the next try). */
export async function dropExportedFunction(exported: ExportedFunction, context: ExecContext, exports: ExportStore): Promise<void> {
  await run(context, context.adapter.sql.functions.drop(exported.signature));
  await exports.forget(exported.function);
}

/** `schema.name` or `name`, as the database knows the function. */
export function functionLabel(name: TableRef): string {
  return name.schema === undefined ? name.name : `${name.schema}.${name.name}`;
}

/** sqlml's record of the function `name`; undefined when there is no function of that name at all; an error when there is one sqlml did not create. */
async function recordedOrFree(context: ExecContext, exports: ExportStore, name: TableRef): Promise<{ signature: string } | undefined> {
  const recorded = await exports.get(name);
  if (recorded !== undefined) return recorded;
  const { functions, name: database } = context.adapter.sql;
  const existing = await query(context, functions.existing(name));
  if (existing.rows.length > 0) {
    throw new SqlmlError(
      'unsupported',
      `a function ${functionLabel(name)} already exists and sqlml did not create it; it is left alone (export under another name, or drop it first)`,
    );
  }
  if (functions.builtIns !== undefined && (await isBuiltIn(context, functions.builtIns, name.name))) {
    throw new SqlmlError(
      'unsupported',
      `${name.name} is the name of a built-in function (or keyword) of ${database}: a call ${name.name}(…) would reach it, not the exported model; choose another name`,
    );
  }
  return undefined;
}

/** Asks the database whether a built-in answers to `name`: the probe's error is its answer. */
async function isBuiltIn(context: ExecContext, probe: BuiltInProbe, name: string): Promise<boolean> {
  let outcome: unknown = null;
  try {
    await context.adapter.query(probe.statement(name), context.signal ? { signal: context.signal } : {});
  } catch (error) {
    outcome = error;
  }
  if (outcome === null && probe.release !== undefined) {
    await context.adapter.query(probe.release).catch(() => undefined);
  }
  const builtIn = probe.isBuiltIn(outcome);
  if (builtIn === undefined) throw outcome instanceof SqlmlError ? outcome : new DatabaseError(errorMessage(outcome), outcome);
  return builtIn;
}

async function run(context: ExecContext, sql: string): Promise<void> {
  await query(context, sql);
}

async function query(context: ExecContext, sql: string): Promise<ResultTable> {
  try {
    return await context.adapter.query(sql, context.signal ? { signal: context.signal } : {});
  } catch (error) {
    if (error instanceof SqlmlError) throw error;
    throw new DatabaseError(errorMessage(error), error);
  }
}
