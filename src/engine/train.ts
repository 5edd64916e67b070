/**
 * CREATE MODEL / TRAIN MODEL / RETRAIN MODEL: one read of the source into a local
 * cache while profiling it, one encoding pass into example caches, SGD passes over the
 * cache, evaluation on the held-out split, and an atomic save of the new version. On
 * large sources the profiling and the encoding run in a worker thread (row-pipeline.ts),
 * so reading overlaps profiling and the first pass overlaps encoding.
 * Nothing reaches the catalog unless every step succeeded, so a failed training
 * leaves the previous version active.
 */
import { modelExistsError, type VersionBasis } from '../catalog/model-store.js';
import type { ResultColumn, ResultTable, Value } from '../data.js';
import { SqlmlError } from '../errors.js';
import { formatBytes } from '../format.js';
import { inferLabel } from '../learn/label.js';
import type { TrainedModel } from '../learn/model.js';
import { serializeModel } from '../learn/model-format.js';
import { checkTuneMetric, optionsToJson, resolveOptions, type ModelOptions } from '../learn/options.js';
import { permutation } from '../learn/random.js';
import { buildRecipe, transformText } from '../learn/recipe.js';
import { hasQuantileBins, withQuantileBins } from '../learn/tuner.js';
import { RowRole, type SplitSpec } from '../learn/split.js';
import type { ExampleSource } from '../learn/train.js';
import type { ExampleBlock, Task } from '../learn/types.js';
import type { CreateModel, Identifier, RetrainModel } from '../sql/ast.js';
import type { Transform } from '../learn/clauses.js';
import { nameHashedSlots } from './name-slots.js';
import { CacheDir, EXAMPLE_BLOCK_ROWS, ExampleCache, RowCache } from './cache.js';
import { openTrainingCache } from './cache-dir.js';
import type { EncodingTotals } from './encode-examples.js';
import { BlockQueue, InlinePipeline, RowProcessor, ThreadPipeline, type EncodedExamples, type RowPipeline, type WrittenSplits } from './row-pipeline.js';
import {
  BATCH_ROWS,
  columnList,
  findColumn,
  getModelVersion,
  loadModel,
  modelName,
  secondsSince,
  sourceQuery,
  sourceText,
  throwIfAborted,
  type ExecContext,
} from './context.js';
import { EvaluationCollector, METRIC_COLUMNS, type Evaluation } from './evaluation.js';
import type { DriftProfile } from '../learn/drift.js';
import { checkUsableFeatures, excludedBy, trainingAlerts } from './describe-data.js';
import { driftProfileFrom, DriftScoreSample } from './monitor.js';
import { ifBetter, takePromoteOption, withPromotion, type Promote } from './versions.js';
import { givenOptions, trialRow } from './trials.js';
import { trainModel, type TrialData, type TuneChoice } from './tune.js';
import { estimateRows } from './row-estimate.js';
import { trainInDatabase, trainingEngine } from './train-in-database.js';
import { IN_DATABASE_PARTS } from './in-database-parts.js';

/** Share of the training rows set aside to decide when to stop, when early stopping is on. */
export const VALIDATION_FRACTION = 0.1;

export interface TrainingStats {
  rows_read: number;
  rows_trained: number;
  rows_validation: number;
  rows_evaluated: number;
  rows_skipped: number;
  passes: number;
  best_pass: number;
  stopped_early: boolean;
  seconds: number;
  read_seconds: number;
  read_rows_per_second: number;
  /** How the database was read (the adapter's RowStream.method). */
  read_method: string;
  train_seconds: number;
  /** The step size the model was trained with; `learning_rate_search` holds what was tried when the learner chose it. */
  learning_rate: number;
  learning_rate_search: { learning_rate: number; validation_loss: number; passes: number }[];
  /** The L2 amount the model was trained with (the path's choice when the learner chose it); absent in models from before 2026-12. */
  l2?: number;
  /** The L2 path the finish walked when the learner chose L2 (l2-path.ts); empty without one. */
  l2_path?: { l2: number; validation_loss: number; iterations: number }[];
  /** Folds of the cross-validation that chose the L2 amount (its `l2_path` losses are then pooled held-out losses); absent or 0: the validation rows chose. */
  l2_folds?: number;
  /** USING tune = N: trials run, the one kept, and their seconds (SHOW TRIALS lists them). */
  tune?: {
    trials: number;
    kept_trial: number;
    seconds: number;
    /** What the trials were compared by ('validation_loss' or the tune_metric), the best on it, and its gain over trial 1 ± standard error (absent before 2026-12). */
    yardstick?: string;
    best_trial?: number;
    gain?: number;
    standard_error?: number;
  };
  task_rule: string;
  curve: { pass: number; rows: number; train_loss: number; validation_loss: number | null; seconds: number }[];
  /** The full-batch finish after the passes (learn/polish.ts); absent when it did not run. */
  polish?: {
    iterations: number;
    evaluations: number;
    /** The iteration the finish kept, in models from before it kept its last one (2026-12). */
    kept_iteration?: number;
    /** Held-out loss of the passes' model and of the finished one; null without validation rows (early_stopping = false). */
    validation_loss_before: number | null;
    validation_loss_after: number | null;
    /** Which model the finish left: its fit, or the passes' model when that was better on the validation rows (2026-12). */
    kept?: 'finish' | 'passes';
    seconds: number;
  };
  dimension: number;
  nonzero_weights: number;
  model_bytes: number;
  /** What MONITOR MODEL compares new rows with (monitor.ts); absent in versions trained before it was stored. */
  drift_profile?: DriftProfile;
  /** The training source's data alerts (describe-data.ts), as `column: alert` lines. */
  data_alerts?: string[];
  /** USING engine = 'database' (train-in-database.ts): what ran in the database; absent for the stream. */
  in_database?: {
    engine: 'database';
    /** Iterations of the full-batch finish, each one or more aggregate queries over every training row. */
    iterations: number;
    /** Queries run in the database: profile, scratch table, sample, objective evaluations, evaluation. */
    queries: number;
    seconds_per_iteration: number | null;
    profile_seconds: number;
    /** Building the scratch table (its CTAS and role counts). */
    scratch_seconds: number;
    /** Rows that left the database: the warm start's sample (also `rows_read`). */
    sample_rows: number;
    evaluate_seconds: number;
  };
}

export interface TrainingRequest {
  readonly name: string;
  /** The FROM clause as stored: `(select ...)` or a quoted table name. */
  readonly from: string;
  readonly query: string;
  readonly target: Identifier;
  readonly transforms: readonly Transform[] | null;
  readonly options: ModelOptions;
  /** Option names the USING clause gave (tuning never changes them). */
  readonly given: ReadonlySet<string>;
  /** What the catalog must hold when the version is stored (a concurrent CREATE or DROP is seen there). */
  readonly basis: VersionBasis;
  /** USING promote (versions.ts); null when not given. */
  readonly promote: Promote | null;
}

export async function createModel(statement: CreateModel, context: ExecContext): Promise<ResultTable> {
  const name = modelName(statement.name);
  await context.store.ensureSchema();
  if (!statement.orReplace && (await context.store.exists(name))) {
    if (statement.ifNotExists) {
      const existing = await context.store.get(name);
      if (existing) return trainingResult(existing.name, existing.version, existing.type, existing.target, existing.trainingStats as TrainingStats, existing.evaluation as Evaluation | null);
    }
    throw modelExistsError(name);
  }
  const { promote, rest } = takePromoteOption(statement.options);
  return runTraining(
    {
      name,
      from: sourceText(context.adapter, statement.source),
      query: sourceQuery(context.adapter, statement.source),
      target: statement.target,
      transforms: statement.recipe,
      options: resolveOptions(rest),
      given: givenOptions(statement.options),
      basis: statement.orReplace ? { kind: 'any' } : { kind: 'new' },
      promote: statement.options.some((o) => o.name === 'promote') ? promote : null,
    },
    context,
  ).catch(async (error: unknown) => {
    // Another process created the model while this one trained: IF NOT EXISTS still means no error.
    if (!(statement.ifNotExists && error instanceof SqlmlError && error.code === 'model_exists')) throw error;
    const existing = await context.store.get(name);
    if (!existing) throw error;
    return trainingResult(existing.name, existing.version, existing.type, existing.target, existing.trainingStats as TrainingStats, existing.evaluation as Evaluation | null);
  });
}

export async function retrainModel(statement: RetrainModel, context: ExecContext): Promise<ResultTable> {
  const version = await getModelVersion(context, statement.model);
  const previous = loadModel(context, version);
  const from = statement.source ? sourceText(context.adapter, statement.source) : version.sourceQuery;
  const query = statement.source ? sourceQuery(context.adapter, statement.source) : queryFromStored(version.sourceQuery);
  const { promote, rest } = takePromoteOption(statement.options);
  return runTraining(
    {
      name: version.name,
      from,
      query,
      target: { value: previous.target.name, quoted: true, position: statement.start },
      transforms: previous.transforms,
      options: resolveOptions(rest, previous.options),
      given: givenOptions(statement.options),
      basis: { kind: 'existing', modelCreatedAt: version.modelCreatedAt },
      promote: statement.options.some((o) => o.name === 'promote') ? promote : null,
    },
    context,
  );
}

/** The query for a stored FROM clause (see TrainingRequest.from). */
export function queryFromStored(from: string): string {
  return from.startsWith('(') ? `SELECT * FROM ${from} AS sqlml_source` : `SELECT * FROM ${from}`;
}

export const TRAINING_COLUMNS: readonly ResultColumn[] = [
  { name: 'model', type: 'text' },
  { name: 'version', type: 'integer' },
  { name: 'type', type: 'text' },
  { name: 'target', type: 'text' },
  { name: 'rows_trained', type: 'bigint' },
  { name: 'rows_evaluated', type: 'bigint' },
  { name: 'rows_skipped', type: 'bigint' },
  { name: 'passes', type: 'integer' },
  { name: 'seconds', type: 'double', metric: true },
];

export function trainingResult(
  name: string,
  version: number,
  type: string,
  target: string,
  stats: TrainingStats,
  evaluation: Evaluation | null,
): ResultTable {
  const metricNames = METRIC_COLUMNS[type as Task].filter((m) => m !== 'rows');
  const columns: ResultColumn[] = [...TRAINING_COLUMNS, ...metricNames.map((m) => ({ name: m, type: 'double' as const, metric: true }))];
  const row: Value[] = [
    name,
    version,
    type,
    target,
    stats.rows_trained + stats.rows_validation,
    stats.rows_evaluated,
    stats.rows_skipped,
    stats.passes,
    stats.seconds,
    ...metricNames.map((m) => evaluation?.metrics[m] ?? null),
  ];
  return { command: 'CREATE MODEL', columns, rows: [row] };
}

/**
 * Example caches for each role, plus what the learner's source interface needs. Pass 0
 * reads the training blocks in the order they were encoded — from the cache, or, when
 * the encoding runs in a worker, straight from it as the blocks arrive (`feed`); later
 * passes read the cache's blocks in a seeded random order.
 */
class ExampleSplits implements ExampleSource {
  // Written here, or replaced by the caches an encoding worker wrote (adoptTraining, adopt).
  train: ExampleCache;
  validationCache: ExampleCache;
  holdout: ExampleCache;
  #adoptedTraining = false;
  readonly trainRows: number;
  readonly validationRows: number;
  readonly #seed: number;
  readonly #shuffle: boolean;
  /** Pass 0's training blocks while the encoding worker is still producing them. */
  feed: AsyncIterable<ExampleBlock> | null = null;

  /**
   * `expected` are pass 0's role counts (an upper bound: rows with an unusable label drop
   * out when encoded); `prefix` names the cache files of a tuning trial's own encoding.
   */
  constructor(dir: CacheDir, seed: number, shuffle: boolean, expected: { train: number; validation: number }, prefix = '') {
    this.train = new ExampleCache(dir.file(`${prefix}train.bin`), EXAMPLE_BLOCK_ROWS, 'write', dir.budget);
    this.validationCache = new ExampleCache(dir.file(`${prefix}validation.bin`), EXAMPLE_BLOCK_ROWS, 'write', dir.budget);
    this.holdout = new ExampleCache(dir.file(`${prefix}holdout.bin`), EXAMPLE_BLOCK_ROWS, 'write', dir.budget);
    this.trainRows = expected.train;
    this.validationRows = expected.validation;
    this.#seed = seed;
    this.#shuffle = shuffle;
  }

  cacheFor(role: number): ExampleCache {
    return role === RowRole.Train ? this.train : role === RowRole.Validation ? this.validationCache : this.holdout;
  }

  trainingPass(pass: number): AsyncIterable<ExampleBlock> {
    if (pass === 0 && this.feed !== null) {
      const feed = this.feed;
      this.feed = null;
      return feed;
    }
    const order = this.#shuffle && pass > 0 ? permutation(this.train.blockCount, this.#seed * 7919 + pass) : undefined;
    return this.train.blocks(order);
  }

  validation(): AsyncIterable<ExampleBlock> {
    return this.validationCache.blocks();
  }

  /** Takes the training and validation caches an encoding worker wrote (before pass 1 reads them). */
  adoptTraining(written: WrittenSplits): void {
    this.train.close();
    this.validationCache.close();
    this.train = ExampleCache.opened(written.train);
    this.validationCache = ExampleCache.opened(written.validation);
    this.#adoptedTraining = true;
  }

  /** Takes what the encoding wrote, if it wrote the caches itself; the totals. */
  adopt(encoded: EncodedExamples): EncodingTotals {
    const written = encoded.written;
    if (written !== null) {
      // Adopted already, the training cache may be being read: it stays.
      if (!this.#adoptedTraining) this.adoptTraining(written);
      this.holdout.close();
      this.holdout = ExampleCache.opened(written.holdout);
    }
    return encoded.totals;
  }

  close(): void {
    this.train.close();
    this.validationCache.close();
    this.holdout.close();
  }
}

/** Rows read from which profiling and encoding move to a worker thread (below it, starting one costs more than it saves). */
export const ROW_WORKER_MIN_ROWS = 50_000;

export function classWeights(task: Task, options: ModelOptions, counts: Float64Array): Float64Array | null {
  if (options.classWeights === 'none' || task === 'regression') return null;
  const k = counts.length;
  let total = 0;
  for (const c of counts) total += c;
  // scikit-learn's 'balanced': n / (k * n_c), so every class carries the same total weight.
  return counts.map((c) => (c > 0 ? total / (k * c) : 0));
}

async function runTraining(request: TrainingRequest, context: ExecContext): Promise<ResultTable> {
  if (trainingEngine(request.options.engine ?? 'auto') === 'database') return trainInDatabase(request, context, IN_DATABASE_PARTS);
  const { adapter, signal } = context;
  const { options } = request;
  const started = performance.now();
  // Also removes the cache folders of trainings whose process died.
  const dir = await openTrainingCache({ parent: context.cacheParent, limit: context.cacheLimit });
  let rowCache: RowCache | undefined;
  let splits: ExampleSplits | undefined;
  // Tuning trials' own encodings (other quantile-bin counts), closed with the rest.
  const variantSplits: ExampleSplits[] = [];
  let pipeline: RowPipeline | undefined;
  try {
    // Pass 0: the only read of the database.
    // Each batch is copied into the row cache (and profiled or split) before the next is asked for.
    const totalRows = await estimateRows(context, request.query);
    const stream = await adapter.openStream(request.query, { batchRows: BATCH_ROWS, reuseBatches: true, ...(signal ? { signal } : {}) });
    const columns = stream.columns;
    const targetIndex = findColumn(columns, request.target);
    if (targetIndex < 0) {
      await stream.close();
      throw new SqlmlError(
        'bad_column',
        `target column ${request.target.value} is not among the source's columns (${columnList(columns)})`,
      );
    }
    const split: SplitSpec = {
      trainFraction: options.split,
      validationFraction: options.earlyStopping ? VALIDATION_FRACTION : 0,
      seed: options.seed,
    };
    rowCache = new RowCache(dir.file('rows.bin'), columns, 'write', dir.budget);
    // Small sources are profiled on this thread; from ROW_WORKER_MIN_ROWS rows on, a worker
    // takes over (catching up on the blocks cached so far), so decoding the database's
    // rows and profiling them run on two cores.
    // Tuning quantile-bin counts encodes the cached rows again per count, on this thread
    // (the worker encodes once), so then the read stays here too.
    const tunesBins = options.tune > 0 && options.earlyStopping && hasQuantileBins(request.transforms);
    const workerWanted = context.encodeWorker !== 'never' && !tunesBins;
    const workerAt = context.encodeWorker === 'always' ? 0 : ROW_WORKER_MIN_ROWS;
    // Whichever processor sees every row keeps the roles on disk and counts the split's
    // copies there after the read (split-copies.ts), so memory does not grow with the rows;
    // this thread's processor only when no worker will take over.
    const processor = new RowProcessor(
      columns,
      targetIndex,
      split,
      workerWanted ? null : { rolesPath: dir.file('split-roles.bin'), copiesPath: dir.file('split-copies.bin'), expectedRows: totalRows ?? 0, budget: dir.budget },
    );
    pipeline = new InlinePipeline(processor, rowCache);
    let rowsRead = 0;
    for await (const batch of stream.batches()) {
      const block = rowCache.append(batch);
      rowsRead += batch.rowCount;
      if (!pipeline.parallel && workerWanted && rowsRead >= workerAt) {
        pipeline = new ThreadPipeline(
          {
            rowCachePath: dir.file('rows.bin'),
            examplePaths: { train: dir.file('train-worker.bin'), validation: dir.file('validation-worker.bin'), holdout: dir.file('holdout-worker.bin') },
            budget: dir.budget.shared(),
            columns,
            targetIndex,
            split,
            copies: { rolesPath: dir.file('split-roles-worker.bin'), copiesPath: dir.file('split-copies-worker.bin'), expectedRows: totalRows ?? 0 },
          },
          rowCache,
          block + 1,
        );
      } else {
        pipeline.added(batch, block);
      }
      context.onProgress?.({ phase: 'read', rows: rowsRead, ...(totalRows ? { totalRows } : {}), rowsPerSecond: rowsRead / ((performance.now() - started) / 1000) });
    }
    if (rowsRead === 0) {
      throw new SqlmlError('empty_input', `the source of model ${request.name} returned no rows; a model needs rows to learn from`);
    }
    throwIfAborted(signal);
    // While the worker counts the split's copies and finishes the profile (at 1M rows it is
    // the only thread at work then), this one looks for the data alerts in a sample of the
    // cached batches, which need neither.
    const reading = pipeline.finishRead().then((summary) => ({ ...summary, readSeconds: secondsSince(started) }));
    // Awaited below; an alert search that throws first must not leave its failure unhandled.
    reading.catch(() => {});
    const dataAlerts = trainingAlerts(columns, targetIndex, rowCache.batchCount, (block) => rowCache!.batch(block), excludedBy(request.transforms));
    const { profile, roleCounts, readSeconds } = await reading;

    const label = inferLabel(profile.columns[targetIndex]!, options);
    checkUsableFeatures(request.name, profile, targetIndex);
    const task = label.task;
    if (options.tuneMetric !== undefined) {
      checkTuneMetric(options.tuneMetric, task);
      if (request.given.has('tune_metric') && options.tune === 0) {
        throw new SqlmlError('bad_option', 'option tune_metric needs tune of 1 or more (it chooses among the tuning trials)');
      }
    }
    const recipe = buildRecipe(profile, label, request.transforms, options);

    // Encoding pass: rows → sparse examples, once, in a seeded order of the cached
    // batches (pass 0 learns in this order, so it is the first shuffle too).
    splits = new ExampleSplits(dir, options.seed, options.shuffle === 'auto', {
      train: roleCounts[RowRole.Train]!,
      validation: roleCounts[RowRole.Validation]!,
    });
    const classCount = task === 'multiclass' ? label.classes.length : task === 'binary' ? 2 : 0;
    const plan = {
      recipe,
      label,
      classCount,
      order:
        options.shuffle === 'auto' ? permutation(rowCache.batchCount, options.seed * 7919) : Uint32Array.from({ length: rowCache.batchCount }, (_, i) => i),
    };
    const current = splits;
    // The pipeline, narrowed for the release callbacks below.
    const blockSource = pipeline;
    let encoding: Promise<EncodingTotals>;
    // Balanced class weights need the class counts before the first update, so then
    // training waits for the whole encoding pass even when a worker encodes.
    // Tuning trains many times from the caches, so it too waits for them.
    if (pipeline.parallel && pipeline.writesCaches && options.classWeights === 'none' && options.tune === 0) {
      // Training blocks go back to the worker once pass 0 has learnt them.
      const trainBlocks = new BlockQueue((block) => blockSource.release(block));
      // Pass 0 ends with the last training block; the held-out rows are encoded after it, during the next passes.
      encoding = pipeline
        .encode(
          plan,
          (_role, block) => trainBlocks.put(block),
          undefined,
          (written) => {
            if (written !== null) current.adoptTraining(written);
            trainBlocks.complete();
          },
          true,
        )
        .then((encoded) => current.adopt(encoded))
        .finally(() => trainBlocks.end());
      // Awaited after training; until then a failure reaches training through the feed.
      encoding.catch(() => {});
      // Pass 0 trains on the blocks as they arrive; a failed encoding surfaces there too.
      current.feed = trainBlocks.drain(encoding);
    } else {
      encoding = Promise.resolve(
        current.adopt(
          await pipeline.encode(
          plan,
          (role, block) => {
            if (!blockSource.writesCaches) current.cacheFor(role).appendBlock(block);
            blockSource.release(block);
          },
          (totals) => {
            context.onProgress?.({ phase: 'encode', rows: totals.rows });
            throwIfAborted(signal);
          },
          ),
        ),
      );
    }
    const trainCounts = current.feed === null ? (await encoding).trainCounts : new Float64Array(classCount);
    if (current.feed === null && splits.train.rows === 0) {
      throw new SqlmlError('empty_input', `no rows are left to train model ${request.name} on after the split (rows read: ${rowsRead}, skipped: ${(await encoding).skipped})`);
    }

    // SGD passes over the example cache.
    const trainStarted = performance.now();
    // Progress during a pass: rows/s since the pass began, and the loss of the last finished pass.
    let progressPass = -1;
    let passStarted = trainStarted;
    let lastLoss: number | undefined;
    const outputs = task === 'multiclass' ? label.classes.length : 1;
    // A tuning trial's encoding with `bins` quantile bins: the same cached rows, roles and order, another recipe.
    const variants = new Map<number, { recipe: typeof recipe; transforms: Transform[]; splits: ExampleSplits }>();
    const variant = async (bins: number): Promise<TrialData> => {
      const transforms = withQuantileBins(request.transforms ?? [], bins);
      if (transforms.every((t, i) => transformText(t) === transformText(request.transforms![i]!))) return { source: current, dimension: recipe.dimension };
      const binned = buildRecipe(profile, label, transforms, options);
      const own = new ExampleSplits(dir, options.seed, options.shuffle === 'auto', { train: roleCounts[RowRole.Train]!, validation: roleCounts[RowRole.Validation]! }, `bins${bins}-`);
      variantSplits.push(own);
      if (blockSource.writesCaches) throw new Error('internal: quantile-bin trials need the encoding on the main thread');
      await blockSource.encode(
        { ...plan, recipe: binned },
        (role, block) => {
          own.cacheFor(role).appendBlock(block);
          blockSource.release(block);
        },
        () => throwIfAborted(signal),
      );
      variants.set(bins, { recipe: binned, transforms, splits: own });
      return { source: own, dimension: binned.dimension };
    };
    const { result, options: trainedOptions, bins: keptBins, trials, choice } = await trainModel(
      {
        source: splits,
        task,
        label,
        dimension: recipe.dimension,
        classes: outputs,
        options,
        given: request.given,
        earlyStopping: options.earlyStopping && splits.validationRows > 0,
        classWeights: (choice) => classWeights(task, { ...options, classWeights: choice }, trainCounts),
        ...(tunesBins ? { variant } : {}),
      },
      {
        ...(signal ? { signal } : {}),
        onRows: (rows, pass) => {
          if (pass !== progressPass) {
            progressPass = pass;
            passStarted = performance.now();
          }
          context.onProgress?.({
            phase: 'train',
            rows,
            totalRows: current.train.rows,
            pass: pass + 1,
            passes: options.passes,
            ...(lastLoss !== undefined ? { loss: lastLoss } : {}),
            rowsPerSecond: rows / Math.max((performance.now() - passStarted) / 1000, 1e-9),
          });
        },
        onFinishIteration: (iteration, iterations, loss) => {
          context.onProgress?.({ phase: 'finish', rows: current.train.rows, iteration, iterations, loss });
        },
        onPass: (info) => {
          lastLoss = info.validationLoss ?? info.trainLoss;
          context.onProgress?.({
            phase: 'train',
            rows: info.rows,
            pass: info.pass + 1,
            passes: options.passes,
            loss: lastLoss,
            rowsPerSecond: info.rows / Math.max(info.seconds, 1e-9),
          });
        },
      },
    );
    const trainSeconds = secondsSince(trainStarted);
    const { skipped } = await encoding;
    // The kept trial's encoding: the recipe, transforms and held-out rows the model goes with.
    const keptVariant = keptBins === null ? undefined : variants.get(keptBins);
    const keptRecipe = keptVariant?.recipe ?? recipe;
    const keptSplits = keptVariant?.splits ?? splits;

    const unnamed: TrainedModel = {
      task,
      label,
      target: columns[targetIndex]!,
      inputColumns: columns.filter((_, i) => i !== targetIndex),
      recipe: keptRecipe,
      transforms: keptVariant?.transforms ?? request.transforms,
      options: trainedOptions,
      learner: result.learner,
    };
    const model: TrainedModel = { ...unnamed, hashedNames: nameHashedSlots(unnamed, rowCache, columns, options.maxModelSize) };

    // Evaluation on the held-out split.
    // MONITOR's reference scores are a sample of the same held-out rows' scores, taken in the same pass.
    const driftScores = new DriftScoreSample(model, keptSplits.holdout.rows);
    let evaluation: Evaluation | null = null;
    if (keptSplits.holdout.rows > 0) {
      evaluation = await evaluateBlocks(model, keptSplits.holdout.blocks(), options.threshold, context, keptSplits.holdout.rows, dir, driftScores);
    }
    const driftProfile = driftProfileFrom(model, profile, targetIndex, driftScores);
    const modelText = serializeModel(model);
    if (modelText.length > options.maxModelSize) {
      throw new SqlmlError(
        'training_failed',
        `model ${request.name} needs ${formatBytes(modelText.length)}, over max_model_size ${formatBytes(options.maxModelSize)} (raise max_model_size or exclude high-cardinality columns)`,
      );
    }
    const stats: TrainingStats = {
      rows_read: rowsRead,
      rows_trained: splits.train.rows,
      rows_validation: splits.validationCache.rows,
      rows_evaluated: splits.holdout.rows,
      rows_skipped: skipped,
      passes: result.passesRun,
      best_pass: result.bestPass + 1,
      stopped_early: result.stoppedEarly,
      seconds: secondsSince(started),
      read_seconds: readSeconds,
      read_rows_per_second: Math.round(rowsRead / Math.max(readSeconds, 1e-9)),
      read_method: stream.method,
      train_seconds: trainSeconds,
      learning_rate: result.learningRate,
      learning_rate_search: result.learningRatesTried.map((t) => ({ learning_rate: t.learningRate, validation_loss: t.validationLoss, passes: t.passes })),
      l2: result.l2,
      l2_path: (result.polish?.l2Path ?? []).map((t) => ({ l2: t.l2, validation_loss: t.validationLoss, iterations: t.iterations })),
      ...(result.polish !== null && result.polish.l2Folds > 0 ? { l2_folds: result.polish.l2Folds } : {}),
      ...(choice === null ? {} : { tune: tuneStats(choice, trials.reduce((sum, t) => sum + t.seconds, 0), trials.length) }),
      task_rule: label.reason,
      ...(result.polish === null
        ? {}
        : {
            polish: {
              iterations: result.polish.iterations,
              evaluations: result.polish.evaluations,
              validation_loss_before: result.polish.startValidationLoss,
              validation_loss_after: result.polish.validationLoss,
              kept: result.polish.kept,
              seconds: result.polish.seconds,
            },
          }),
      curve: result.curve.map((p) => ({
        pass: p.pass + 1,
        rows: p.rows,
        train_loss: p.trainLoss,
        validation_loss: p.validationLoss,
        seconds: p.seconds,
      })),
      dimension: keptRecipe.dimension,
      nonzero_weights: result.learner.nonZeroWeights(),
      model_bytes: modelText.length,
      drift_profile: driftProfile,
      data_alerts: dataAlerts,
    };
    throwIfAborted(signal);
    const saved = await context.store.saveVersion({
      name: request.name,
      type: task,
      target: columns[targetIndex]!.name,
      options: optionsToJson(trainedOptions),
      recipe: keptRecipe,
      model: modelText,
      trainingStats: stats,
      evaluation,
      sourceQuery: request.from,
      ...(request.promote === 'if_better' ? { promote: ifBetter(task, evaluation) } : {}),
      trials: trials.map(trialRow),
    }, request.basis);
    context.loadedModels.set(`${saved.name}@${saved.version}`, model);
    const trained = trainingResult(saved.name, saved.version, task, saved.target, stats, evaluation);
    return withPromotion(trained, request.promote === null ? null : saved.active, dataAlerts);
  } finally {
    // The worker reads the row cache: stop it before the cache folder goes.
    await pipeline?.stop();
    rowCache?.close();
    splits?.close();
    for (const own of variantSplits) own.close();
    dir.dispose();
  }
}

function tuneStats(choice: TuneChoice, seconds: number, trials: number): NonNullable<TrainingStats['tune']> {
  return {
    trials,
    kept_trial: choice.keptTrial,
    seconds,
    yardstick: choice.yardstick,
    best_trial: choice.bestTrial,
    gain: choice.gain,
    standard_error: choice.standardError,
  };
}

/**
 * Scores cached example blocks and collects the evaluation; what it must keep of the rows
 * past a bound goes to `spill`; given `driftScores`, the drift profile's sample of the
 * scores is taken in the same pass.
 */
export async function evaluateBlocks(
  model: TrainedModel,
  blocks: AsyncIterable<ExampleBlock>,
  threshold: number,
  context: ExecContext,
  expectedRows: number | undefined,
  spill: CacheDir,
  driftScores?: DriftScoreSample,
): Promise<Evaluation> {
  const collector = new EvaluationCollector(model.task, model.label, threshold, { expectedRows, spill });
  try {
    const out = new Float64Array(Math.max(1, model.label.classes.length));
    for await (const block of blocks) {
      for (let r = 0; r < block.count; r++) {
        model.learner.predict(block.indices, block.values, block.offsets[r]!, block.offsets[r + 1]!, out);
        collector.add(block.labels[r]!, out);
        driftScores?.add(out);
      }
      context.onProgress?.({ phase: 'evaluate', rows: collector.rows });
    }
    return collector.finish();
  } finally {
    collector.close();
  }
}
