/**
 * Kysely's own MySQL dialect on the adapter's mysql2 pool, with two changes: a statement
 * the server refuses rejects with a `DatabaseError` carrying the server's message, as
 * every other adapter call does (the model store reports `database` errors by code), and
 * destroying the driver leaves the pool to the adapter that owns it.
 */
import {
  MysqlDialect,
  type CompiledQuery,
  type DatabaseConnection,
  type Driver,
  type QueryCompiler,
  type QueryResult,
  type TransactionSettings,
} from 'kysely';
import { asDatabaseError } from '../adapter-errors.js';

/** The MySQL dialect whose driver reports server errors as `DatabaseError`. */
export class MySQLCatalogDialect extends MysqlDialect {
  override createDriver(): Driver {
    return new DatabaseErrorDriver(super.createDriver());
  }
}

/** Wraps each connection; Kysely's driver still does pooling and transactions on the originals. */
class DatabaseErrorDriver implements Driver {
  readonly #inner: Driver;
  readonly #originals = new WeakMap<DatabaseConnection, DatabaseConnection>();

  constructor(inner: Driver) {
    this.#inner = inner;
  }

  init(): Promise<void> {
    return this.#inner.init();
  }

  async acquireConnection(): Promise<DatabaseConnection> {
    const original = await this.#inner.acquireConnection();
    const wrapped: DatabaseConnection = {
      executeQuery: async <R>(query: CompiledQuery): Promise<QueryResult<R>> => {
        try {
          return await original.executeQuery<R>(query);
        } catch (error) {
          throw asDatabaseError(error);
        }
      },
      streamQuery: <R>(query: CompiledQuery, chunkSize?: number): AsyncIterableIterator<QueryResult<R>> => original.streamQuery<R>(query, chunkSize),
    };
    this.#originals.set(wrapped, original);
    return wrapped;
  }

  beginTransaction(connection: DatabaseConnection, settings: TransactionSettings): Promise<void> {
    return this.#inner.beginTransaction(connection, settings);
  }

  commitTransaction(connection: DatabaseConnection): Promise<void> {
    return this.#inner.commitTransaction(connection);
  }

  rollbackTransaction(connection: DatabaseConnection): Promise<void> {
    return this.#inner.rollbackTransaction(connection);
  }

  async savepoint(connection: DatabaseConnection, name: string, compile: QueryCompiler['compileQuery']): Promise<void> {
    await this.#inner.savepoint?.(connection, name, compile);
  }

  async rollbackToSavepoint(connection: DatabaseConnection, name: string, compile: QueryCompiler['compileQuery']): Promise<void> {
    await this.#inner.rollbackToSavepoint?.(connection, name, compile);
  }

  async releaseSavepoint(connection: DatabaseConnection, name: string, compile: QueryCompiler['compileQuery']): Promise<void> {
    await this.#inner.releaseSavepoint?.(connection, name, compile);
  }

  releaseConnection(connection: DatabaseConnection): Promise<void> {
    return this.#inner.releaseConnection(this.#originals.get(connection) ?? connection);
  }

  /** The adapter owns the pool and ends it in `close()`; Kysely's driver would end it here. */
  async destroy(): Promise<void> {}
}
