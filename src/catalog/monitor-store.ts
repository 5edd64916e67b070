/**
 * The history of MONITOR MODEL, in the catalog table `sqlml_monitor_runs`: one row per
 * run with the drift of every input column and of the score as JSON, so a job running
 * MONITOR builds a history and the model's page can chart it. Runs go with their model
 * (ModelStore.drop deletes them). The catalog tables are created by
 * `ModelStore.ensureSchema`, which callers run first.
 */
import type { Adapter } from '../../adapters/adapter.js';
import { SqlmlError } from '../errors.js';
import { openCatalogDb, type CatalogDb } from './catalog-db.js';

/** One stored run; `results` is the parsed JSON the monitor wrote. */
export interface MonitorRun {
  readonly id: number;
  readonly model: string;
  readonly version: number;
  /** ISO-8601 UTC. */
  readonly runAt: string;
  readonly sourceQuery: string;
  readonly rows: number;
  readonly results: unknown;
}

export class MonitorStore {
  readonly #db: CatalogDb;

  /** `db` is the catalog on `adapter`'s connection: one shared with the engine's other stores, or a fresh one. */
  constructor(adapter: Adapter, db: CatalogDb = openCatalogDb(adapter)) {
    this.#db = db;
  }

  async record(run: Omit<MonitorRun, 'id'>): Promise<void> {
    await this.#db
      .insertInto('sqlml_monitor_runs')
      .values({
        model: run.model,
        version: run.version,
        run_at: run.runAt,
        source_query: run.sourceQuery,
        rows: run.rows,
        results: JSON.stringify(run.results),
      })
      .execute();
  }

  /** The latest `limit` runs of `model`, oldest first. */
  async history(model: string, limit = 50): Promise<MonitorRun[]> {
    const rows = await this.#db
      .selectFrom('sqlml_monitor_runs')
      .selectAll()
      .where('model', '=', model)
      .orderBy('id', 'desc')
      .limit(limit)
      .execute();
    return rows.reverse().map((row) => ({
      id: Number(row.id),
      model: row.model,
      version: Number(row.version),
      runAt: row.run_at,
      sourceQuery: row.source_query,
      rows: Number(row.rows),
      results: parseResults(row.results, model),
    }));
  }
}

function parseResults(text: string, model: string): unknown {
  try {
    return JSON.parse(text);
  } catch (error) {
    throw new SqlmlError('internal', `a stored monitor run of model ${model} is not valid JSON`, { cause: error });
  }
}
