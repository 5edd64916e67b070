/**
 * CREATE / TRAIN / RETRAIN MODEL with `engine = 'database'`: the training runs as queries
 * inside the database, and what leaves it is aggregates and a bounded sample.
 *
 *   source columns (no row read) → the profile as aggregate queries → label and recipe
 *   (as the stream builds them) → the scratch table (scratch-table.ts: the encoded
 *   features and label, each row's split role as the stream assigns it, a sample key, the
 *   source's columns where read back; one CTAS) → a warm
 *   start: SGD over a seeded sample of at most SAMPLE_ROWS training rows (and the
 *   validation rows drawn alike) streamed out → the full-batch finish (L-BFGS, the L2 path
 *   on the validation rows where the stream walks it) on the objective computed by
 *   aggregate SELECTs over the scratch table → held-out evaluation in the database with
 *   the scoring compiler (role 2 rows) → the stream's atomic save.
 *
 * The scratch table is dropped in a `finally`, so an error, a cancel or a killed
 * connection leaves nothing (a crashed process leaves it to the model's next training),
 * and nothing reaches the catalog unless every step succeeded.
 */
import type { Adapter } from '../../adapters/adapter.js';
import { compileModel } from '../compile/index.js';
import { compileEncoding } from '../compile/objective-sql.js';
import type { Column, ResultTable, RowBatch } from '../data.js';
import { SqlmlError } from '../errors.js';
import { formatBytes } from '../format.js';
import { inferLabel, LabelEncoder, type LabelSpec } from '../learn/label.js';
import { L2_PATH } from '../learn/l2-path.js';
import type { TrainedModel } from '../learn/model.js';
import { serializeModel } from '../learn/model-format.js';
import { checkTuneMetric, DEFAULT_L2, optionsToJson, type TrainingEngine } from '../learn/options.js';
import type { OnlineLearner } from '../learn/sgd.js';
import { POLISH_MAX_ITERATIONS, type PolishResult } from '../learn/polish.js';
import type { Profile } from '../learn/profile.js';
import { permutation } from '../learn/random.js';
import { buildRecipe } from '../learn/recipe.js';
import type { Recipe } from '../learn/recipe-format.js';
import { RowRole } from '../learn/split.js';
import { L2_PATH_MAX_ROWS, train, type ExampleSource } from '../learn/train.js';
import type { ExampleBlock, Task } from '../learn/types.js';
import { FeatureEncoder } from '../learn/encode.js';
import { columnList, findColumn, secondsSince, throwIfAborted, type ExecContext } from './context.js';
import { checkUsableFeatures, excludedBy, trainingAlerts } from './describe-data.js';
import { encodeExamples } from './encode-examples.js';
import { sourceColumns } from './engine-choice.js';
import { evaluateInDatabase } from './evaluate-in-database.js';
import type { Evaluation } from './evaluation.js';
import { driftProfileOf } from './monitor.js';
import { createScratchTable, dropScratchTable, PICK_COLUMN, ROLE_COLUMN, scratchSelect, type ScratchTable } from './scratch-table.js';
import { classWeights, trainingResult, VALIDATION_FRACTION, type TrainingRequest, type TrainingStats } from './train.js';
import { ifBetter, withPromotion } from './versions.js';

/**
 * Most training rows the warm start streams out of the database (the validation rows are
 * drawn at the same rate): enough for SGD to land near the optimum, so the finish needs
 * few full-data iterations, and a bound on what leaves the database whatever the table's size.
 */
export const SAMPLE_ROWS = 100_000;

/** The sample key's range (split-sql.ts sampleKeySql: 0 ≤ key < 2^32). */
const TWO_TO_32 = 4294967296;

/**
 * Where a training runs, for its `engine` option. `'auto'` streams: the database engine
 * pays a scratch table and a query per objective evaluation, and until the bench
 * (bench/train-engines.ts) shows where that beats reading the rows once into a local
 * cache, the stream is the choice that is never slower on the data measured so far.
 * docs/training-in-database.md says so; change the rule here, and there, together.
 */
export function trainingEngine(requested: TrainingEngine): 'stream' | 'database' {
  return requested === 'database' ? 'database' : 'stream';
}

/** What the pieces built beside this one provide (the profile and the objective as aggregate queries). */
export interface InDatabaseParts {
  profile(adapter: Adapter, source: string, columns: readonly Column[], options: { readonly seed: number; readonly signal?: AbortSignal }): Promise<{ readonly profile: Profile; readonly queries: number; readonly seconds: number }>;
  /** Why the objective of `model` cannot be computed in this database over rows with `columns`, or null when it can. */
  objectiveReason(adapter: Adapter, model: ObjectiveModel, columns: readonly Column[]): string | null;
  /** The finish on the objective over `relation` (rows with ROLE_COLUMN), leaving the learner holding its fit. */
  finish(request: FinishRequest): Promise<{ readonly result: PolishResult | null; readonly queries: number; readonly seconds: number }>;
}

/** What of the model the objective needs. */
export interface ObjectiveModel {
  readonly task: Task;
  readonly label: LabelSpec;
  readonly target: Column;
  readonly recipe: Recipe;
}

export interface FinishRequest extends ObjectiveModel {
  readonly adapter: Adapter;
  /** The scratch table's quoted name. */
  readonly relation: string;
  readonly columns: readonly Column[];
  readonly learner: OnlineLearner;
  readonly l2: number;
  readonly l2Path?: readonly number[];
  readonly classWeights: Float64Array | null;
  /** Rows with the training role: what the objective sums over (the L2 path's size check reads it before the first evaluation). */
  readonly trainingRows: number;
  readonly signal?: AbortSignal;
  onIteration(iteration: number, objective: number): void;
}

/** Why a model with these options cannot train in the database, or null. */
export function optionsReason(request: TrainingRequest): string | null {
  const { options } = request;
  // L-BFGS minimizes a smooth objective; an L1 penalty is not one.
  if (options.l1 > 0) return 'l1 > 0 (the full-batch finish needs a smooth objective)';
  if (options.tune > 0) return 'tune > 0 (tuning trials train on the stream)';
  return null;
}

export async function trainInDatabase(request: TrainingRequest, context: ExecContext, parts: InDatabaseParts): Promise<ResultTable> {
  const { adapter, signal } = context;
  const { options } = request;
  const started = performance.now();
  const unsupported = (why: string): SqlmlError => new SqlmlError('unsupported', `model ${request.name} cannot train in the ${adapter.sql.name} database (USING engine = 'database'): ${why}`);
  const optionsWhy = optionsReason(request);
  if (optionsWhy !== null) throw unsupported(optionsWhy);
  const signalOption = signal ? { signal } : {};

  const columns = await sourceColumns(context, request.query);
  const targetIndex = findColumn(columns, request.target);
  if (targetIndex < 0) {
    throw new SqlmlError('bad_column', `target column ${request.target.value} is not among the source's columns (${columnList(columns)})`);
  }
  context.onProgress?.({ phase: 'read', rows: 0 });
  const profiled = await parts.profile(adapter, request.from, columns, { seed: options.seed, ...signalOption });
  const { profile } = profiled;
  if (profile.rows === 0) throw new SqlmlError('empty_input', `the source of model ${request.name} returned no rows; a model needs rows to learn from`);
  const label = inferLabel(profile.columns[targetIndex]!, options);
  checkUsableFeatures(request.name, profile, targetIndex);
  const task = label.task;
  if (options.tuneMetric !== undefined) checkTuneMetric(options.tuneMetric, task);
  const recipe = buildRecipe(profile, label, request.transforms, options);
  const target = columns[targetIndex]!;
  const objectiveWhy = parts.objectiveReason(adapter, { task, label, target, recipe }, columns);
  if (objectiveWhy !== null) throw unsupported(objectiveWhy);
  throwIfAborted(signal);

  const fractions = { trainFraction: options.split, validationFraction: options.earlyStopping ? VALIDATION_FRACTION : 0 };
  // The encoding (every slot: which are live is the warm start's to tell) is computed once,
  // by the CTAS, so each iteration sums plain columns instead of translating every feature again.
  const encoding = compileEncoding({ task, label, target, recipe, hashedNames: null }, adapter.sql, columns);
  if (!encoding.ok) throw unsupported(encoding.reason);
  const width = encoding.encoding.outer.length + 2 + columns.length;
  if (width > adapter.sql.maxSelectList) throw unsupported(`the scratch table's ${width} columns (the encoded slots, the source's columns) pass ${adapter.sql.name}'s ${adapter.sql.maxSelectList} columns per SELECT`);
  // The source's columns stay on the rows the sample may read: twice the expected training
  // rows' share (readSample never reads past this bound), so the sample is the same as with every row kept.
  const targetProfile = profile.columns[targetIndex]!;
  const expectedTrain = targetProfile.count * (fractions.trainFraction ?? 1) * (1 - fractions.validationFraction);
  const rawBelow = expectedTrain <= 2 * SAMPLE_ROWS ? TWO_TO_32 : Math.floor(((2 * SAMPLE_ROWS) / expectedTrain) * TWO_TO_32);
  const select = scratchSelect(adapter, { source: request.from, columns, targetIndex, fractions, seed: options.seed, encoding: encoding.encoding, rawBelow });
  let scratch: ScratchTable | undefined;
  try {
    scratch = await createScratchTable(adapter, request.name, select, signal);
    const [trainRows, validationRows, holdoutRows] = scratch.roleCounts;
    if (trainRows === 0) {
      throw new SqlmlError('empty_input', `no rows are left to train model ${request.name} on after the split (rows with a target: ${trainRows + validationRows + holdoutRows})`);
    }
    const classCount = task === 'multiclass' ? label.classes.length : task === 'binary' ? 2 : 0;
    let queries = profiled.queries + scratch.queries;
    let weights: Float64Array | null = null;
    if (options.classWeights === 'balanced' && task !== 'regression') {
      weights = classWeights(task, options, await trainClassCounts(adapter, scratch.table, target, label, classCount, signal));
      queries++;
    }

    // The warm start: SGD over the sample, in an order fixed by the sample key.
    const sampleStarted = performance.now();
    const sample = await readSample(adapter, scratch, columns, targetIndex, recipe, label, classCount, rawBelow, excludedBy(request.transforms), signal);
    queries++;
    const sampleSeconds = secondsSince(sampleStarted);
    const earlyStopping = options.earlyStopping && sample.validation.length > 0;
    const warm = await train(
      sampleSource(sample, options.seed, options.shuffle === 'auto'),
      {
        task,
        dimension: recipe.dimension,
        classes: task === 'multiclass' ? label.classes.length : 1,
        l1: 0,
        l2: options.l2 ?? DEFAULT_L2,
        chooseL2: false,
        learningRate: options.learningRate,
        seed: options.seed,
        passes: options.passes,
        earlyStopping,
        shuffle: options.shuffle === 'auto',
        classWeights: weights,
        polish: false,
      },
      {
        ...signalOption,
        onPass: (info) => context.onProgress?.({ phase: 'train', rows: info.rows, pass: info.pass + 1, passes: options.passes, loss: info.validationLoss ?? info.trainLoss }),
      },
    );

    // The finish, on every training row, by aggregate queries.
    const choosesL2 = options.l2 === null && validationRows > 0 && trainRows <= L2_PATH_MAX_ROWS;
    const finished = await parts.finish({
      adapter,
      relation: scratch.table,
      columns,
      recipe,
      label,
      task,
      target,
      learner: warm.learner,
      l2: options.l2 ?? DEFAULT_L2,
      ...(choosesL2 ? { l2Path: L2_PATH } : {}),
      classWeights: weights,
      trainingRows: trainRows,
      ...signalOption,
      onIteration: (iteration, loss) => context.onProgress?.({ phase: 'finish', rows: trainRows, iteration, iterations: POLISH_MAX_ITERATIONS, loss }),
    });
    queries += finished.queries;
    const polish = finished.result;

    const model: TrainedModel = {
      task,
      label,
      target,
      inputColumns: columns.filter((_, i) => i !== targetIndex),
      recipe,
      transforms: request.transforms,
      options,
      learner: warm.learner,
    };
    const evaluateStarted = performance.now();
    let evaluation: Evaluation | null = null;
    if (holdoutRows > 0) {
      const compilation = compileModel(model, adapter.sql, columns);
      if (!compilation.ok) throw unsupported(compilation.reason);
      const held = `SELECT ${columns.map((c) => adapter.sql.quoteIdent(c.name)).join(', ')} FROM ${scratch.table} WHERE ${ROLE_COLUMN} = ${RowRole.Holdout}`;
      context.onProgress?.({ phase: 'evaluate', rows: 0 });
      evaluation = await evaluateInDatabase(context, model, compilation.compiled, { kind: 'query', sql: held, position: { line: 1, column: 1, offset: 0 } }, options.threshold, columns);
      queries++;
    }
    const evaluateSeconds = secondsSince(evaluateStarted);
    // MONITOR's reference scores: the sample's validation rows (never trained on), else its training rows.
    const reference = sample.validation.length > 0 ? sample.validation : sample.train;
    const driftProfile = await driftProfileOf(model, profile, targetIndex, blocksOf(reference), rowsOf(reference));
    const modelText = serializeModel(model);
    if (modelText.length > options.maxModelSize) {
      throw new SqlmlError(
        'training_failed',
        `model ${request.name} needs ${formatBytes(modelText.length)}, over max_model_size ${formatBytes(options.maxModelSize)} (raise max_model_size or exclude high-cardinality columns)`,
      );
    }
    const iterations = polish?.iterations ?? 0;
    const stats: TrainingStats = {
      rows_read: sample.rows,
      rows_trained: trainRows,
      rows_validation: validationRows,
      rows_evaluated: evaluation?.metrics.rows ?? 0,
      rows_skipped: profile.rows - (trainRows + validationRows + holdoutRows),
      passes: warm.passesRun,
      best_pass: warm.bestPass + 1,
      stopped_early: warm.stoppedEarly,
      seconds: secondsSince(started),
      read_seconds: sampleSeconds,
      read_rows_per_second: Math.round(sample.rows / Math.max(sampleSeconds, 1e-9)),
      read_method: 'in-database aggregates and a sample',
      train_seconds: finished.seconds,
      learning_rate: warm.learningRate,
      learning_rate_search: warm.learningRatesTried.map((t) => ({ learning_rate: t.learningRate, validation_loss: t.validationLoss, passes: t.passes })),
      l2: polish?.l2 ?? options.l2 ?? DEFAULT_L2,
      l2_path: (polish?.l2Path ?? []).map((t) => ({ l2: t.l2, validation_loss: t.validationLoss, iterations: t.iterations })),
      task_rule: label.reason,
      ...(polish === null
        ? {}
        : {
            polish: {
              iterations: polish.iterations,
              evaluations: polish.evaluations,
              validation_loss_before: polish.startValidationLoss,
              validation_loss_after: polish.validationLoss,
              kept: polish.kept,
              seconds: polish.seconds,
            },
          }),
      curve: warm.curve.map((p) => ({ pass: p.pass + 1, rows: p.rows, train_loss: p.trainLoss, validation_loss: p.validationLoss, seconds: p.seconds })),
      dimension: recipe.dimension,
      nonzero_weights: warm.learner.nonZeroWeights(),
      model_bytes: modelText.length,
      drift_profile: driftProfile,
      data_alerts: sample.alerts,
      in_database: {
        engine: 'database',
        iterations,
        queries,
        seconds_per_iteration: iterations > 0 ? finished.seconds / iterations : null,
        profile_seconds: profiled.seconds,
        scratch_seconds: scratch.seconds,
        sample_rows: sample.rows,
        evaluate_seconds: evaluateSeconds,
      },
    };
    throwIfAborted(signal);
    const saved = await context.store.saveVersion(
      {
        name: request.name,
        type: task,
        target: target.name,
        options: optionsToJson(options),
        recipe,
        model: modelText,
        trainingStats: stats,
        evaluation,
        sourceQuery: request.from,
        ...(request.promote === 'if_better' ? { promote: ifBetter(task, evaluation) } : {}),
        trials: [],
      },
      request.basis,
    );
    context.loadedModels.set(`${saved.name}@${saved.version}`, model);
    return withPromotion(trainingResult(saved.name, saved.version, task, saved.target, stats, evaluation), request.promote === null ? null : saved.active, sample.alerts);
  } finally {
    if (scratch !== undefined) await dropScratchTable(adapter, scratch);
  }
}

/** Training rows per class (role 0, labels as the encoder reads them): one GROUP BY. */
async function trainClassCounts(adapter: Adapter, table: string, target: Column, label: LabelSpec, classCount: number, signal: AbortSignal | undefined): Promise<Float64Array> {
  const column = adapter.sql.quoteIdent(target.name);
  const stream = await adapter.openStream(`SELECT ${column}, COUNT(*) FROM ${table} WHERE ${ROLE_COLUMN} = ${RowRole.Train} GROUP BY ${column}`, { batchRows: 4096, ...(signal ? { signal } : {}) });
  const labels = new LabelEncoder(label, stream.columns[0]!);
  const counts = new Float64Array(classCount);
  for await (const batch of stream.batches()) {
    const n = batch.columns[1]!;
    if (n.kind !== 'number') throw new Error('internal: COUNT(*) is a number');
    for (let row = 0; row < batch.rowCount; row++) {
      const y = labels.encode(batch.columns[0]!, row);
      if (!Number.isNaN(y)) counts[y]! += n.values[row]!;
    }
  }
  return counts;
}

interface Sample {
  readonly train: ExampleBlock[];
  readonly validation: ExampleBlock[];
  /** Rows read out of the database. */
  readonly rows: number;
  /** The data alerts of the sample's rows (describe-data.ts trainingAlerts), as the stream finds them in its cached rows. */
  readonly alerts: string[];
}

/**
 * The warm start's rows: the training and validation rows whose sample key is under
 * SAMPLE_ROWS / (training rows) of 2^32, in the key's order (then the row's values, for
 * the rare equal keys), so the same rows come out in the same order from any plan.
 */
async function readSample(
  adapter: Adapter,
  scratch: ScratchTable,
  columns: readonly Column[],
  targetIndex: number,
  recipe: Recipe,
  label: LabelSpec,
  classCount: number,
  rawBelow: number,
  excluded: (name: string) => boolean,
  signal: AbortSignal | undefined,
): Promise<Sample> {
  const q = (name: string): string => adapter.sql.quoteIdent(name);
  const trainRows = scratch.roleCounts[RowRole.Train];
  // Never past the rows that kept the source's columns (only short of SAMPLE_ROWS if the split's training rows came out under half the expected count).
  const wanted = trainRows <= SAMPLE_ROWS ? TWO_TO_32 : Math.floor((SAMPLE_ROWS / trainRows) * TWO_TO_32);
  const below = Math.min(wanted, rawBelow) >= TWO_TO_32 ? null : Math.min(wanted, rawBelow);
  const order = [PICK_COLUMN, ROLE_COLUMN, ...columns.map((c) => adapter.sql.split.partitionKey(q(c.name), c.type))];
  const select =
    `SELECT ${[...columns.map((c) => q(c.name)), ROLE_COLUMN].join(', ')} FROM ${scratch.table} ` +
    `WHERE ${ROLE_COLUMN} IN (${RowRole.Train}, ${RowRole.Validation})${below === null ? '' : ` AND ${PICK_COLUMN} < ${below}`} ORDER BY ${order.join(', ')}`;
  const stream = await adapter.openStream(select, { batchRows: 4096, ...(signal ? { signal } : {}) });
  const batches: { batch: RowBatch; roles: Uint8Array }[] = [];
  let rows = 0;
  for await (const batch of stream.batches()) {
    const role = batch.columns[columns.length]!;
    if (role.kind !== 'number') throw new Error('internal: the role is a number');
    batches.push({ batch, roles: Uint8Array.from(role.values.subarray(0, batch.rowCount)) });
    rows += batch.rowCount;
    throwIfAborted(signal);
  }
  const encoder = new FeatureEncoder(recipe, stream.columns.slice(0, columns.length));
  const labels = new LabelEncoder(label, stream.columns[targetIndex]!);
  const train: ExampleBlock[] = [];
  const validation: ExampleBlock[] = [];
  // The sample keeps every block, so each is built in arrays of its own (`spare` giving
  // none to reuse): without `spare` the builder goes on in the arrays of the block it just
  // emitted, and every kept block would be a view of the same arrays, the warm start
  // learning the last 4,096 rows over and over.
  encodeExamples(batches, encoder, labels, targetIndex, classCount, (role, block) => (role === RowRole.Train ? train : validation).push(block), undefined, () => null);
  // The alerts look at the raw rows, which are dropped once encoded: so here, over the sample.
  const alerts = trainingAlerts(stream.columns.slice(0, columns.length), targetIndex, batches.length, (b) => withoutRole(batches[b]!.batch, columns.length), excluded);
  return { train, validation, rows, alerts };
}

/** A sample batch without the role column the scratch table adds after the source's. */
function withoutRole(batch: RowBatch, sourceColumns: number): RowBatch {
  return { ...batch, columns: batch.columns.slice(0, sourceColumns) };
}

/** The sample as the learner's source: pass 0 in the key's order, later passes in a seeded block order. */
function sampleSource(sample: Sample, seed: number, shuffle: boolean): ExampleSource {
  return {
    trainRows: rowsOf(sample.train),
    validationRows: rowsOf(sample.validation),
    trainingPass: (pass) => {
      const order = shuffle && pass > 0 ? permutation(sample.train.length, seed * 7919 + pass) : null;
      return blocksOf(order === null ? sample.train : Array.from(order, (i) => sample.train[i]!));
    },
    validation: () => blocksOf(sample.validation),
  };
}

function rowsOf(blocks: readonly ExampleBlock[]): number {
  return blocks.reduce((sum, block) => sum + block.count, 0);
}

async function* blocksOf(blocks: readonly ExampleBlock[]): AsyncIterable<ExampleBlock> {
  yield* blocks;
}
