/**
 * The SQL functions EXPORT MODEL created, in the catalog table `sqlml_exports`: which
 * model (and version) each computes and the signature that drops it. A function recorded
 * here is sqlml's, so exporting to its name again replaces it and DROP MODEL drops it;
 * a function of that name not recorded here is the user's and is never touched.
 * The catalog tables are created by `ModelStore.ensureSchema`, which callers run first.
 */
import type { Adapter, TableRef } from '../../adapters/adapter.js';
import { openCatalogDb, type CatalogDb } from './catalog-db.js';

/** One exported function as recorded. */
export interface ExportedFunction {
  readonly function: TableRef;
  readonly model: string;
  readonly version: number;
  /** What identifies it to the dialect's `functions.drop`. */
  readonly signature: string;
}

export class ExportStore {
  readonly #db: CatalogDb;

  /** `db` is the catalog on `adapter`'s connection: one shared with the engine's other stores, or a fresh one. */
  constructor(adapter: Adapter, db: CatalogDb = openCatalogDb(adapter)) {
    this.#db = db;
  }

  /** The record of the function `name`, if sqlml created it. */
  async get(name: TableRef): Promise<ExportedFunction | undefined> {
    const row = await this.#db
      .selectFrom('sqlml_exports')
      .selectAll()
      .where('function_schema', '=', name.schema ?? '')
      .where('function_name', '=', name.name)
      .executeTakeFirst();
    return row && toExported(row);
  }

  /** Every function exported from `model` (any version), by name. */
  async ofModel(model: string): Promise<ExportedFunction[]> {
    const rows = await this.#db.selectFrom('sqlml_exports').selectAll().where('model', '=', model).orderBy('function_name').execute();
    return rows.map(toExported);
  }

  /** Records `exported`, replacing the record of a function of the same name. */
  async record(exported: ExportedFunction): Promise<void> {
    const key = { function_schema: exported.function.schema ?? '', function_name: exported.function.name };
    await this.#db.transaction().execute(async (trx) => {
      await trx.deleteFrom('sqlml_exports').where('function_schema', '=', key.function_schema).where('function_name', '=', key.function_name).execute();
      await trx
        .insertInto('sqlml_exports')
        .values({ ...key, model: exported.model, version: exported.version, signature: exported.signature, created_at: new Date().toISOString() })
        .execute();
    });
  }

  /** Forgets the function `name` (once it has been dropped). */
  async forget(name: TableRef): Promise<void> {
    await this.#db.deleteFrom('sqlml_exports').where('function_schema', '=', name.schema ?? '').where('function_name', '=', name.name).execute();
  }
}

export function toExported(row: { function_schema: string; function_name: string; model: string; version: number; signature: string }): ExportedFunction {
  const fn: TableRef = row.function_schema === '' ? { name: row.function_name } : { schema: row.function_schema, name: row.function_name };
  return { function: fn, model: row.model, version: Number(row.version), signature: row.signature };
}
