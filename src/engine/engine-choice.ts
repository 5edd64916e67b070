/**
 * Where PREDICT and EVALUATE … ON run (statements.md, "Where the work runs: engine"):
 * `USING engine = 'auto' | 'database' | 'stream'`. One place decides: 'auto' takes the
 * database whenever the model compiles for the connected dialect, else the stream;
 * 'database' with a model that does not compile is an error naming the reason.
 */
import type { Column } from '../data.js';
import { SqlmlError } from '../errors.js';
import { FeatureEncoder } from '../learn/encode.js';
import type { TrainedModel } from '../learn/model.js';
import { compileModel, type CompiledModel } from '../compile/index.js';
import type { OptionAssignment } from '../sql/ast.js';
import type { ExecContext } from './context.js';

export type EngineRequest = 'auto' | 'database' | 'stream';

export type EngineChoice =
  | { readonly engine: 'database'; readonly compiled: CompiledModel; readonly reason: null }
  /** `reason`: why not the database (NULL in EXPLAIN when the stream was asked for by name). */
  | { readonly engine: 'stream'; readonly compiled: null; readonly reason: string };

const ENGINES: readonly EngineRequest[] = ['auto', 'database', 'stream'];

/**
 * Takes `engine = …` out of a statement's options; the others are returned for the
 * statement's own checks. `statement` names it in messages.
 */
export function takeEngineOption(options: readonly OptionAssignment[], statement: string): { engine: EngineRequest; rest: OptionAssignment[] } {
  let engine: EngineRequest = 'auto';
  const rest: OptionAssignment[] = [];
  for (const option of options) {
    if (option.name !== 'engine') {
      rest.push(option);
      continue;
    }
    const value = option.value.kind === 'string' || option.value.kind === 'identifier' ? option.value.value.toLowerCase() : null;
    if (value === null || !ENGINES.includes(value as EngineRequest)) {
      throw new SqlmlError('bad_option', `option engine of ${statement} accepts 'auto', 'database' or 'stream'`);
    }
    engine = value as EngineRequest;
  }
  return { engine, rest };
}

/**
 * Decides the engine for `model` over a source with `columns`. A feature column the
 * source lacks is the same error on both engines (the streaming encoder's).
 * `statementReason`, when given, is why the statement itself cannot run in the database
 * for this model, whatever the compiler says.
 */
export function chooseEngine(
  context: ExecContext,
  model: TrainedModel,
  columns: readonly Column[],
  requested: EngineRequest,
  statementReason: string | null = null,
): EngineChoice {
  // Binding the streaming encoder checks the feature columns, with its message.
  void new FeatureEncoder(model.recipe, columns);
  if (requested === 'stream') return { engine: 'stream', compiled: null, reason: "USING engine = 'stream'" };
  const compilation = statementReason === null ? (context.compileModel ?? compileModel)(model, context.adapter.sql, columns) : { ok: false as const, reason: statementReason };
  if (compilation.ok) {
    return { engine: 'database', compiled: compilation.compiled, reason: null };
  }
  if (requested === 'database') {
    throw new SqlmlError('unsupported', `the model cannot run in the ${context.adapter.sql.name} database (USING engine = 'database'): ${compilation.reason}`);
  }
  return { engine: 'stream', compiled: null, reason: compilation.reason };
}

/** The source's columns (names and types), without reading a row of it. */
export async function sourceColumns(context: ExecContext, query: string): Promise<readonly Column[]> {
  const stream = await context.adapter.openStream(`SELECT * FROM (${query}) AS sqlml_columns LIMIT 0`, {
    batchRows: 1,
    ...(context.signal ? { signal: context.signal } : {}),
  });
  try {
    return stream.columns;
  } finally {
    await stream.close();
  }
}
