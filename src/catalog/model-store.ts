/**
 * Versioned model storage in the connected database's own catalog tables: every
 * training adds a version and makes it the active one in a single transaction, so a
 * reader sees either the old active version or the complete new one, never a half.
 * JSON documents (options, recipe, statistics, evaluation) are stored as text.
 *
 * Statements on one model may race from separate processes, so the database decides:
 * storing a version first writes the model's own row (an INSERT for a new model, an
 * UPDATE otherwise), which takes that row's lock until commit; a concurrent store or
 * DROP of the same model waits for it (PostgreSQL, MySQL) or fails with a conflict
 * (DuckDB), and the version number is read only once the lock is held. DROP deletes the
 * model row before its versions, so it waits for a store in flight and then removes
 * the version that store added too. A transaction that loses such a race is explained
 * from the catalog as it is afterwards (the model exists now; the model was dropped)
 * or, where the race left nothing to refuse, simply run again.
 */
import { sql, type Selectable, type Transaction } from 'kysely';
import type { Adapter } from '../../adapters/adapter.js';
import { SqlmlError } from '../errors.js';
import { openCatalogDb, type CatalogDb } from './catalog-db.js';
import { catalogDdl } from './ddl.js';
import { toExported, type ExportedFunction } from './export-store.js';
import type { CatalogDatabase, ModelVersionsTable, TrialsTable } from './schema.js';

/** What a training hands over to be stored. The JSON-valued fields may be any JSON-able value. */
export interface NewModelVersion {
  readonly name: string;
  /** 'binary' | 'multiclass' | 'regression' */
  readonly type: string;
  readonly target: string;
  readonly options: unknown;
  readonly recipe: unknown;
  /** The serialized model, see src/learn/model.ts. */
  readonly model: string;
  readonly trainingStats: unknown;
  readonly evaluation: unknown;
  /** The FROM part as the user wrote it. */
  readonly sourceQuery: string;
  /**
   * Whether the new version replaces the active one, decided inside the storing
   * transaction from the active version as it is then (`promote = 'if_better'`); absent:
   * always. A model without an active version always takes the new one.
   */
  readonly promote?: (active: ActiveVersionFacts) => boolean;
  /** Tuning trials stored with the version (sqlml_trials); none without tuning. */
  readonly trials?: readonly TrialRow[];
}

/** What a promotion rule sees of the active version. */
export interface ActiveVersionFacts {
  readonly version: number;
  readonly type: string;
  readonly evaluation: unknown;
}

/** One line of SHOW VERSIONS: a stored version without its weights. */
export interface VersionSummary {
  readonly version: number;
  readonly status: string;
  readonly type: string;
  readonly createdAt: string;
  readonly options: unknown;
  readonly trainingStats: unknown;
  readonly evaluation: unknown;
  readonly active: boolean;
}

/** One stored tuning trial, without its model and version. */
export type TrialRow = Omit<Selectable<TrialsTable>, 'name' | 'version'>;

/**
 * What must hold for a new version to be stored, checked inside the storing
 * transaction: `new` (CREATE MODEL) wants no model of that name; `any` (CREATE OR
 * REPLACE) takes whatever is there; `existing` (RETRAIN) wants the very model it was
 * trained from, known by its `modelCreatedAt`, so one dropped (and perhaps created
 * again) meanwhile is not silently brought back.
 */
export type VersionBasis =
  | { readonly kind: 'new' }
  | { readonly kind: 'any' }
  | { readonly kind: 'existing'; readonly modelCreatedAt: string };

/** How often a store that lost a race with nothing to refuse is run again. */
const STORE_ATTEMPTS = 3;

/** One stored version, JSON fields parsed back. */
export interface ModelVersion {
  readonly name: string;
  readonly version: number;
  /** 'ready' once stored. */
  readonly status: string;
  readonly type: string;
  readonly target: string;
  readonly options: unknown;
  readonly recipe: unknown;
  readonly model: string;
  readonly trainingStats: unknown;
  readonly evaluation: unknown;
  readonly sourceQuery: string;
  /** ISO-8601 UTC time the version was stored. */
  readonly createdAt: string;
  /** Whether predictions use this version. */
  readonly active: boolean;
  /** When the model itself was created: tells a model apart from one dropped and created again under its name. */
  readonly modelCreatedAt: string;
}

/** One line of SHOW MODELS: a model and its active version. */
export interface ModelSummary {
  readonly name: string;
  /** The active version. */
  readonly version: number;
  /** How many versions are stored. */
  readonly versions: number;
  readonly type: string;
  readonly target: string;
  /** When the active version was stored (ISO-8601 UTC). */
  readonly createdAt: string;
  /** AUC (binary), accuracy (multiclass) or RMSE (regression) of the stored evaluation; null without one. */
  readonly headline: { readonly metric: string; readonly value: number } | null;
}

const HEADLINE_METRIC: Readonly<Record<string, string>> = {
  binary: 'auc',
  multiclass: 'accuracy',
  regression: 'rmse',
};

export class ModelStore {
  readonly #adapter: Adapter;
  readonly #db: CatalogDb;
  #schema: Promise<void> | undefined;

  /** `db` is the catalog on `adapter`'s connection: one shared with the engine's other stores, or a fresh one. */
  constructor(adapter: Adapter, db: CatalogDb = openCatalogDb(adapter)) {
    this.#adapter = adapter;
    this.#db = db;
  }

  /** Creates the catalog tables if missing; runs the DDL once per store (again after a failure). */
  ensureSchema(): Promise<void> {
    this.#schema ??= this.#adapter.ensureCatalog(catalogDdl(this.#adapter.sql.name)).catch((error: unknown) => {
      this.#schema = undefined;
      throw error;
    });
    return this.#schema;
  }

  /**
   * Stores a new version (number = max existing + 1) and makes it active, in ONE
   * transaction; on any failure the previously active version stays active and nothing
   * of the new one remains. `basis` is checked in that transaction (see VersionBasis):
   * `model_exists` when a `new` model exists by then, `unknown_model` when an `existing`
   * one was dropped.
   */
  async saveVersion(v: NewModelVersion, basis: VersionBasis = { kind: 'any' }): Promise<ModelVersion> {
    for (let attempt = 1; ; attempt++) {
      try {
        return await this.#db.transaction().execute((trx) => storeVersion(trx, v, basis));
      } catch (error) {
        if (error instanceof SqlmlError && error.code !== 'database') throw error;
        // Lost a race (duplicate key, deadlock, write conflict) or failed outright: what
        // the catalog holds now says which, without reading driver error codes.
        // A catalog that cannot be read now (connection lost) keeps the store's own error.
        const createdAt = await this.#modelCreatedAt(v.name).catch(() => Promise.reject(error));
        if (basis.kind === 'new' && createdAt !== undefined) throw modelExistsError(v.name, error);
        if (basis.kind === 'existing' && createdAt !== basis.modelCreatedAt) throw modelDropped(v.name, error);
        if (attempt >= STORE_ATTEMPTS) throw error;
        // DuckDB refuses a conflicting write at once rather than waiting for the lock.
        await new Promise((resolve) => setTimeout(resolve, 20 * attempt + Math.random() * 30));
      }
    }
  }

  /** A version of `name`: the given one, or the active one when `version` is omitted. */
  async get(name: string, version?: number): Promise<ModelVersion | undefined> {
    let query = this.#db
      .selectFrom('sqlml_model_versions as v')
      .innerJoin('sqlml_models as m', 'm.name', 'v.name')
      .selectAll('v')
      .select(['m.active_version', 'm.created_at as model_created_at'])
      .where('v.name', '=', name);
    query = version === undefined ? query.whereRef('v.version', '=', 'm.active_version') : query.where('v.version', '=', version);
    const row = await query.executeTakeFirst();
    if (!row) return undefined;
    const { active_version: activeVersion, model_created_at: modelCreatedAt, ...stored } = row;
    return toModelVersion(stored, activeVersion !== null && Number(activeVersion) === Number(stored.version), modelCreatedAt);
  }

  async #modelCreatedAt(name: string): Promise<string | undefined> {
    const row = await this.#db.selectFrom('sqlml_models').select('created_at').where('name', '=', name).executeTakeFirst();
    return row?.created_at;
  }

  async exists(name: string): Promise<boolean> {
    const row = await this.#db.selectFrom('sqlml_models').select('name').where('name', '=', name).executeTakeFirst();
    return row !== undefined;
  }

  /** Every model with its active version, by name. */
  async list(): Promise<ModelSummary[]> {
    const rows = await this.#db
      .selectFrom('sqlml_models as m')
      .innerJoin('sqlml_model_versions as v', (join) => join.onRef('v.name', '=', 'm.name').onRef('v.version', '=', 'm.active_version'))
      .select((eb) => [
        'm.name',
        'v.version',
        'v.type',
        'v.target',
        'v.created_at',
        'v.evaluation',
        eb
          .selectFrom('sqlml_model_versions as c')
          .select((count) => count.fn.countAll().as('n'))
          .whereRef('c.name', '=', 'm.name')
          .as('versions'),
      ])
      .orderBy('m.name')
      .execute();
    return rows.map((row) => ({
      name: row.name,
      version: Number(row.version),
      versions: Number(row.versions ?? 0),
      type: row.type,
      target: row.target,
      createdAt: row.created_at,
      headline: headline(row.type, parseJson(row.evaluation, row.name, 'evaluation')),
    }));
  }

  /** Every stored version of `name`, oldest first (the weights are not read); empty when there is no such model. */
  async versions(name: string): Promise<VersionSummary[]> {
    const rows = await this.#db
      .selectFrom('sqlml_model_versions as v')
      .innerJoin('sqlml_models as m', 'm.name', 'v.name')
      .select(['v.version', 'v.status', 'v.type', 'v.created_at', 'v.options', 'v.training_stats', 'v.evaluation', 'm.active_version'])
      .where('v.name', '=', name)
      .orderBy('v.version')
      .execute();
    return rows.map((row) => ({
      version: Number(row.version),
      status: row.status,
      type: row.type,
      createdAt: row.created_at,
      options: parseJson(row.options, name, 'options'),
      trainingStats: parseJson(row.training_stats, name, 'training statistics'),
      evaluation: parseJson(row.evaluation, name, 'evaluation'),
      active: row.active_version !== null && Number(row.active_version) === Number(row.version),
    }));
  }

  /**
   * Makes `version` of `name` the active one, in one transaction (the model row is
   * written first, so a concurrent store or DROP waits for it); `unknown_model` when the
   * model or the version does not exist, `bad_version` when the version is not ready.
   * Returns the version that was active before.
   */
  async activate(name: string, version: number): Promise<number | null> {
    return this.#db.transaction().execute(async (trx) => {
      const now = new Date().toISOString();
      const touched = await trx.updateTable('sqlml_models').set({ updated_at: now }).where('name', '=', name).executeTakeFirst();
      if (Number(touched.numUpdatedRows) === 0) throw new SqlmlError('unknown_model', `model ${name} does not exist (SHOW MODELS lists the models)`);
      const model = await trx.selectFrom('sqlml_models').select('active_version').where('name', '=', name).executeTakeFirstOrThrow();
      const stored = await trx
        .selectFrom('sqlml_model_versions')
        .select('status')
        .where('name', '=', name)
        .where('version', '=', version)
        .executeTakeFirst();
      if (!stored) throw new SqlmlError('unknown_model', `model ${name} has no version ${version} (SHOW VERSIONS ${name} lists them)`);
      if (stored.status !== 'ready') {
        throw new SqlmlError('unknown_model', `version ${version} of model ${name} is '${stored.status}', not 'ready'; only a ready version can be active`);
      }
      await trx.updateTable('sqlml_models').set({ active_version: version }).where('name', '=', name).execute();
      return model.active_version === null ? null : Number(model.active_version);
    });
  }

  /** The tuning trials stored with `name`@`version`, by trial number; none for a version trained without tuning. */
  async trials(name: string, version: number): Promise<TrialRow[]> {
    const rows = await this.#db.selectFrom('sqlml_trials').selectAll().where('name', '=', name).where('version', '=', version).orderBy('trial').execute();
    return rows.map(({ name: _name, version: _version, ...row }) => ({
      ...row,
      trial: Number(row.trial),
      rung: Number(row.rung),
      passes: Number(row.passes),
      kept: Number(row.kept),
      seconds: Number(row.seconds),
      validation_loss: row.validation_loss === null ? null : Number(row.validation_loss),
      metric_value: row.metric_value === null ? null : Number(row.metric_value),
    }));
  }

  /**
   * Removes every version of `name`, with the functions exported from it, in one
   * transaction. The model row goes first: its lock makes the drop wait for a version
   * being stored, whose row the versions' delete then sees and removes (deleting versions
   * first would miss it and leave it behind without its model), and for a CREATE JOB
   * naming the model (JobStore.save takes the same row's lock), whose job `guard.refuse`
   * then sees among the jobs and refuses; a job created after the drop commits finds no
   * model. `guard.dropFunction` spells the drop of an exported function where the
   * database's DDL is transactional: those are dropped inside the transaction, all or
   * none with the model. Without it the functions come back as `leftover`, their records
   * kept, for the caller to drop after the commit (MySQL commits implicitly before DDL).
   */
  async drop(name: string, guard: DropGuard): Promise<DropOutcome> {
    return this.#db.transaction().execute(async (trx) => {
      const deleted = await trx.deleteFrom('sqlml_models').where('name', '=', name).executeTakeFirst();
      // Only a model there is protected: with none, no job can lose it.
      if (Number(deleted.numDeletedRows) > 0) guard.refuse(await trx.selectFrom('sqlml_jobs').select(['name', 'statement']).orderBy('name').execute());
      await trx.deleteFrom('sqlml_model_versions').where('name', '=', name).execute();
      await trx.deleteFrom('sqlml_monitor_runs').where('model', '=', name).execute();
      await trx.deleteFrom('sqlml_trials').where('name', '=', name).execute();
      const exported = (await trx.selectFrom('sqlml_exports').selectAll().where('model', '=', name).orderBy('function_name').execute()).map(toExported);
      const dropFunction = guard.dropFunction;
      if (dropFunction === null) return { dropped: Number(deleted.numDeletedRows) > 0, functions: [], leftover: exported };
      for (const fn of exported) {
        await sql.raw(dropFunction(fn.signature)).execute(trx);
        await trx.deleteFrom('sqlml_exports').where('function_schema', '=', fn.function.schema ?? '').where('function_name', '=', fn.function.name).execute();
      }
      return { dropped: Number(deleted.numDeletedRows) > 0, functions: exported, leftover: [] };
    });
  }
}

/** A job as DROP MODEL's check reads it, inside the drop's transaction. */
export interface StoredJobStatement {
  readonly name: string;
  readonly statement: string;
}

/** What DROP MODEL checks and drops besides the model's own rows (ModelStore.drop). */
export interface DropGuard {
  /** Throws to refuse the drop (nothing is dropped), given every job as stored once the model row is locked (called only when the model exists). */
  refuse(jobs: readonly StoredJobStatement[]): void;
  /** The statement dropping an exported function by its signature, where DDL is transactional; null where it is not. */
  readonly dropFunction: ((signature: string) => string) | null;
}

export interface DropOutcome {
  /** Whether the model existed. */
  readonly dropped: boolean;
  /** The exported functions dropped in the transaction. */
  readonly functions: readonly ExportedFunction[];
  /** The exported functions still there (DDL not transactional), for the caller to drop and forget. */
  readonly leftover: readonly ExportedFunction[];
}

/** One attempt at saveVersion's transaction. */
async function storeVersion(trx: Transaction<CatalogDatabase>, v: NewModelVersion, basis: VersionBasis): Promise<ModelVersion> {
  const now = new Date().toISOString();
  // The model row is written before anything is read, so its lock is held from here on.
  let modelCreatedAt = now;
  if (basis.kind === 'new') {
    await trx.insertInto('sqlml_models').values({ name: v.name, active_version: null, created_at: now, updated_at: now }).execute();
  } else {
    let update = trx.updateTable('sqlml_models').set({ updated_at: now }).where('name', '=', v.name);
    if (basis.kind === 'existing') update = update.where('created_at', '=', basis.modelCreatedAt);
    const updated = await update.executeTakeFirst();
    if (Number(updated.numUpdatedRows) > 0) {
      const model = await trx.selectFrom('sqlml_models').select('created_at').where('name', '=', v.name).executeTakeFirstOrThrow();
      modelCreatedAt = model.created_at;
    } else if (basis.kind === 'existing') {
      throw modelDropped(v.name);
    } else {
      await trx.insertInto('sqlml_models').values({ name: v.name, active_version: null, created_at: now, updated_at: now }).execute();
    }
  }
  const latest = await trx
    .selectFrom('sqlml_model_versions')
    .select((eb) => eb.fn.max('version').as('version'))
    .where('name', '=', v.name)
    .executeTakeFirst();
  const row: Selectable<ModelVersionsTable> = {
    name: v.name,
    version: Number(latest?.version ?? 0) + 1,
    status: 'ready',
    type: v.type,
    target: v.target,
    options: toJson(v.options),
    recipe: toJson(v.recipe),
    model: v.model,
    training_stats: toJson(v.trainingStats),
    evaluation: toJson(v.evaluation),
    source_query: v.sourceQuery,
    created_at: now,
  };
  await trx.insertInto('sqlml_model_versions').values(row).execute();
  if (v.trials !== undefined && v.trials.length > 0) {
    await trx.insertInto('sqlml_trials').values(v.trials.map((trial) => ({ name: v.name, version: row.version, ...trial }))).execute();
  }
  if (!(await promoted(trx, v))) return toModelVersion(row, false, modelCreatedAt);
  await trx.updateTable('sqlml_models').set({ active_version: row.version }).where('name', '=', v.name).execute();
  return toModelVersion(row, true, modelCreatedAt);
}

/** Whether the version being stored becomes active: always, unless its promotion rule says no to the active one. */
async function promoted(trx: Transaction<CatalogDatabase>, v: NewModelVersion): Promise<boolean> {
  if (!v.promote) return true;
  const active = await trx
    .selectFrom('sqlml_models as m')
    .innerJoin('sqlml_model_versions as a', (join) => join.onRef('a.name', '=', 'm.name').onRef('a.version', '=', 'm.active_version'))
    .select(['a.version', 'a.type', 'a.evaluation'])
    .where('m.name', '=', v.name)
    .executeTakeFirst();
  if (!active) return true;
  return v.promote({ version: Number(active.version), type: active.type, evaluation: parseJson(active.evaluation, v.name, 'evaluation') });
}

/** CREATE MODEL over an existing model, whether seen before training or when storing. */
export function modelExistsError(name: string, cause?: unknown): SqlmlError {
  return new SqlmlError('model_exists', `model ${name} already exists (CREATE OR REPLACE MODEL or RETRAIN MODEL ${name} trains a new version)`, { cause });
}

function modelDropped(name: string, cause?: unknown): SqlmlError {
  return new SqlmlError('unknown_model', `model ${name} was dropped while it was being retrained; nothing was stored`, { cause });
}

/** `undefined` (a missing document) is stored as JSON null rather than refused by NOT NULL. */
function toJson(value: unknown): string {
  return JSON.stringify(value ?? null);
}

function parseJson(text: string, model: string, field: string): unknown {
  try {
    return JSON.parse(text);
  } catch (error) {
    throw new SqlmlError('internal', `the stored ${field} of model ${model} is not valid JSON`, { cause: error });
  }
}

function toModelVersion(row: Selectable<ModelVersionsTable>, active: boolean, modelCreatedAt: string): ModelVersion {
  return {
    name: row.name,
    version: Number(row.version),
    status: row.status,
    type: row.type,
    target: row.target,
    options: parseJson(row.options, row.name, 'options'),
    recipe: parseJson(row.recipe, row.name, 'recipe'),
    model: row.model,
    trainingStats: parseJson(row.training_stats, row.name, 'training statistics'),
    evaluation: parseJson(row.evaluation, row.name, 'evaluation'),
    sourceQuery: row.source_query,
    createdAt: row.created_at,
    active,
    modelCreatedAt,
  };
}

/**
 * The headline figure of an evaluation: the engine stores `{ metrics: { auc, ... } }`;
 * a flat `{ auc, ... }` document is read too.
 */
function headline(type: string, evaluation: unknown): ModelSummary['headline'] {
  const metric = HEADLINE_METRIC[type];
  if (metric === undefined || evaluation === null || typeof evaluation !== 'object') return null;
  const nested = (evaluation as { metrics?: unknown }).metrics;
  const metrics = nested !== null && typeof nested === 'object' ? nested : evaluation;
  const value = (metrics as Record<string, unknown>)[metric];
  return typeof value === 'number' ? { metric, value } : null;
}
