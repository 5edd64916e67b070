/**
 * The engine runs sqlml scripts: it splits and parses the text, runs each statement
 * (sqlml's own, or passed through to the database verbatim) and hands back one result
 * table per statement. It is the only module that knows both SQL and learning.
 */
import type { Adapter } from '../../adapters/adapter.js';
import { openAdapter } from '../../adapters/registry.js';
import { openCatalogDb, type CatalogDb } from '../catalog/catalog-db.js';
import { ExportStore } from '../catalog/export-store.js';
import { JobStore } from '../catalog/job-store.js';
import { ModelStore } from '../catalog/model-store.js';
import { MonitorStore } from '../catalog/monitor-store.js';
import { compileModel } from '../compile/index.js';
import type { ResultTable } from '../data.js';
import { DatabaseError, SqlmlError, errorMessage } from '../errors.js';
import type { TrainedModel } from '../learn/model.js';
import type { Statement } from '../sql/ast.js';
import { parseStatement, splitScript, type ScriptPart } from '../sql/index.js';
import type { ExecContext, ExecOptions } from './context.js';
import { describeModel, dropModel, showModels } from './describe.js';
import { describeData } from './describe-data.js';
import { monitorModel } from './monitor.js';
import { activateModel, showVersions } from './versions.js';
import { evaluateModel } from './evaluate.js';
import { exportModel } from './export.js';
import { createJob, dropJob, runJob, showJobs } from './jobs.js';
import { explainPredict } from './explain-predict.js';
import { predict } from './predict.js';
import { showWeights } from './show-weights.js';
import { createModel, retrainModel } from './train.js';
import { showTrials } from './trials.js';

export interface EngineOptions {
  /** Where training spill files go (default: SQLML_CACHE_DIR, else the OS temp dir). */
  readonly cacheParent?: string;
  /** SQLML_CACHE_LIMIT's form: the most one training may write there (default: SQLML_CACHE_LIMIT, else '50%' of the free space). */
  readonly cacheLimit?: string;
  /** See ExecContext.encodeWorker. */
  readonly encodeWorker?: 'auto' | 'always' | 'never';
}

export class Engine {
  readonly adapter: Adapter;
  /** sqlml's catalog tables on the adapter's connection, shared by the stores. */
  readonly catalog: CatalogDb;
  readonly store: ModelStore;
  readonly jobs: JobStore;
  /** The SQL functions EXPORT MODEL created. */
  readonly exports: ExportStore;
  /** MONITOR MODEL's stored runs. */
  readonly monitors: MonitorStore;
  readonly #options: EngineOptions;
  readonly #loadedModels = new Map<string, TrainedModel>();

  constructor(adapter: Adapter, options: EngineOptions = {}) {
    this.adapter = adapter;
    this.catalog = openCatalogDb(adapter);
    this.store = new ModelStore(adapter, this.catalog);
    this.jobs = new JobStore(adapter, this.catalog);
    this.exports = new ExportStore(adapter, this.catalog);
    this.monitors = new MonitorStore(adapter, this.catalog);
    this.#options = options;
  }

  /** Opens the database named by `url` (or SQLML_DB, or the embedded default). */
  static async open(url?: string, options?: EngineOptions): Promise<Engine> {
    return new Engine(await openAdapter(url), options);
  }

  /** Splits a script into statements; a syntax error in the splitting stops everything before anything runs. */
  split(script: string): ScriptPart[] {
    return splitScript(script, this.adapter.sql.lexical);
  }

  parse(part: ScriptPart): Statement {
    return parseStatement(part, this.adapter.sql.lexical);
  }

  /**
   * Runs a script statement by statement, yielding each result. The first failing
   * statement throws; the statements after it are not run.
   */
  async *run(script: string, options: ExecOptions = {}): AsyncGenerator<ResultTable> {
    for (const part of this.split(script)) {
      yield await this.execute(this.parse(part), options);
    }
  }

  /** Runs a whole script and returns every result (convenience for tests and the API). */
  async runAll(script: string, options: ExecOptions = {}): Promise<ResultTable[]> {
    const results: ResultTable[] = [];
    for await (const result of this.run(script, options)) results.push(result);
    return results;
  }

  async execute(statement: Statement, options: ExecOptions = {}): Promise<ResultTable> {
    const context: ExecContext = {
      adapter: this.adapter,
      store: this.store,
      loadedModels: this.#loadedModels,
      ...(this.#options.cacheParent ? { cacheParent: this.#options.cacheParent } : {}),
      ...(this.#options.cacheLimit ? { cacheLimit: this.#options.cacheLimit } : {}),
      ...(this.#options.encodeWorker ? { encodeWorker: this.#options.encodeWorker } : {}),
      ...options,
    };
    try {
      return await this.#dispatch(statement, context);
    } catch (error) {
      if (error instanceof SqlmlError) throw error;
      // Anything else is a bug or a driver failure; keep it as the cause of one clear message.
      throw new SqlmlError('internal', `internal error: ${errorMessage(error)}`, { cause: error });
    }
  }

  #dispatch(statement: Statement, context: ExecContext): Promise<ResultTable> {
    switch (statement.kind) {
      case 'create_model':
        return createModel(statement, context);
      case 'retrain_model':
        return retrainModel(statement, context);
      case 'evaluate_model':
        return evaluateModel(statement, context);
      case 'predict':
        return predict(statement, context);
      case 'explain_predict':
        return explainPredict(statement, context);
      case 'show_models':
        return showModels(context);
      case 'describe_model':
        return describeModel(statement, context);
      case 'show_weights':
        return showWeights(statement, context);
      case 'drop_model':
        return dropModel(statement, context, this.exports);
      case 'export_model':
        return exportModel(statement, context, this.exports, compileModel);
      case 'create_job':
        return createJob(statement, this.jobs, context);
      case 'show_jobs':
        return showJobs(this.jobs, context);
      case 'drop_job':
        return dropJob(statement, this.jobs, context);
      case 'show_trials':
        return showTrials(statement, context);
      case 'run_job':
        return runJob(statement, this.jobs, context, (text, signal) =>
          this.runJobStatement(text, {
            ...(signal ? { signal } : {}),
            ...(context.onProgress ? { onProgress: context.onProgress } : {}),
            ...(context.resultLimit ? { resultLimit: context.resultLimit } : {}),
          }),
        );
      case 'show_versions':
        return showVersions(statement, context);
      case 'activate_model':
        return activateModel(statement, context);
      case 'describe_data':
        return describeData(statement, context);
      case 'monitor_model':
        return monitorModel(statement, context, this.monitors);
      case 'pass_through':
        return this.#passThrough(statement.text, context);
    }
  }

  /** Runs a job's stored statement, as RUN JOB and the scheduler do: exactly one statement. */
  async runJobStatement(text: string, options: ExecOptions = {}): Promise<ResultTable> {
    const parts = this.split(text);
    if (parts.length !== 1) throw new SqlmlError('syntax', 'a job runs exactly one statement');
    return this.execute(this.parse(parts[0]!), options);
  }

  async #passThrough(sql: string, context: ExecContext): Promise<ResultTable> {
    try {
      return await this.adapter.query(sql, {
        ...(context.resultLimit ? { limit: context.resultLimit } : {}),
        ...(context.signal ? { signal: context.signal } : {}),
      });
    } catch (error) {
      if (error instanceof SqlmlError) throw error;
      throw new DatabaseError(errorMessage(error), error);
    }
  }

  async close(): Promise<void> {
    await this.adapter.close();
  }
}
