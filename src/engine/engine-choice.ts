/**
 * Where PREDICT and EVALUATE … ON run (statements.md, "Where the work runs: engine"):
 * `USING engine = 'auto' | 'database' | 'stream'`. One place decides: 'auto' takes the
 * database whenever the model compiles for the connected dialect, except where that
 * statement with that kind of model measured slower there than the stream (the dialect's
 * capabilities.slowerThanStream) or the model has text features; else the stream;
 * 'database' with a model that does not compile is an error naming the reason.
 */
import type { Column } from '../data.js';
import { SqlmlError } from '../errors.js';
import { FeatureEncoder } from '../learn/encode.js';
import type { TrainedModel } from '../learn/model.js';
import { compileModel, type CompiledModel } from '../compile/index.js';
import type { OptionAssignment } from '../sql/ast.js';
import type { ExecContext } from './context.js';
import type { CompiledModelKind, CompiledStatement, StreamRatio } from '../../adapters/dialect.js';

export type EngineRequest = 'auto' | 'database' | 'stream';

export type EngineChoice =
  | { readonly engine: 'database'; readonly compiled: CompiledModel; readonly reason: null }
  /**
   * `reason`: why not the database. `compiled`: the model's SQL when it compiles all the
   * same (`auto` streams it for speed), for EXPLAIN PREDICT to show.
   */
  | { readonly engine: 'stream'; readonly compiled: CompiledModel | null; readonly reason: string };

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
 * Decides the engine for `model` over a source with `columns`, for `statement` (PREDICT
 * … INTO, PREDICT without INTO, EVALUATE … ON: their costs in SQL differ). A feature
 * column the source lacks is the same error on both engines (the streaming encoder's).
 * `statementReason`, when given, is why the statement itself cannot run in the database
 * for this model, whatever the compiler says.
 */
export function chooseEngine(
  context: ExecContext,
  model: TrainedModel,
  columns: readonly Column[],
  requested: EngineRequest,
  statement: CompiledStatement,
  statementReason: string | null = null,
): EngineChoice {
  // Binding the streaming encoder checks the feature columns, with its message.
  void new FeatureEncoder(model.recipe, columns);
  if (requested === 'stream') return { engine: 'stream', compiled: null, reason: "USING engine = 'stream'" };
  const compilation = statementReason === null ? compileModel(model, context.adapter.sql, columns) : { ok: false as const, reason: statementReason };
  if (compilation.ok) {
    const { compiled } = compilation;
    if (requested === 'auto' && hasText(model)) return { engine: 'stream', compiled, reason: TEXT_IN_SQL_REASON };
    const kind: CompiledModelKind = hasHashed(model) ? 'hashed' : 'dense';
    const slower = context.adapter.sql.capabilities.slowerThanStream?.[statement]?.[kind];
    if (requested === 'auto' && slower !== undefined) return { engine: 'stream', compiled, reason: slowerReason(statement, kind, slower) };
    return { engine: 'database', compiled, reason: null };
  }
  if (requested === 'database') {
    throw new SqlmlError('unsupported', `the model cannot run in the ${context.adapter.sql.name} database (USING engine = 'database'): ${compilation.reason}`);
  }
  return { engine: 'stream', compiled: null, reason: compilation.reason };
}

/**
 * Why `auto` streams a model that compiles: its text features become, per row, a
 * subquery splitting the text and an md5 and a weight lookup per term, which measured
 * 4.7x slower than the stream (DuckDB, 100k rows of 5 words, ngram(body, 2): 25.5 s
 * against 5.4 s), on every database. Hashed categories and crossings, one md5 and one
 * array lookup per row (SqlDialect.constantDoubleAt), run faster in the database except
 * where the dialect's slowerThanStream says otherwise (docs/in-database.md has the
 * figures). `engine = 'database'` still runs text there.
 */
const TEXT_IN_SQL_REASON = "the model has text features, whose terms run slower in SQL than on the stream today; USING engine = 'database' runs it in the database";

function hasText(model: TrainedModel): boolean {
  return model.recipe.features.some((feature) => feature.kind === 'text');
}

const STATEMENT_NAMES: Readonly<Record<CompiledStatement, string>> = {
  predictInto: 'PREDICT … INTO',
  predict: 'PREDICT',
  evaluate: 'EVALUATE MODEL … ON',
};

/** Why `auto` streams where the dialect's figures say the database is slower, with the figure. */
function slowerReason(statement: CompiledStatement, kind: CompiledModelKind, figure: StreamRatio): string {
  const model = kind === 'hashed' ? 'a model with hashed features' : 'a model without hashed or text features';
  return (
    `${STATEMENT_NAMES[statement]} of ${model} measured slower in this database than on the stream ` +
    `(the database at ${figure.ratio}x the stream's speed: ${figure.measured}); USING engine = 'database' runs it in the database`
  );
}

/** Hashed categories and crossings: the `hashed` kind of SqlDialect.capabilities.slowerThanStream. */
function hasHashed(model: TrainedModel): boolean {
  return model.recipe.features.some((feature) => feature.kind === 'hashed_category' || feature.kind === 'cartesian');
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
