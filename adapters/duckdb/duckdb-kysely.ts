/**
 * A Kysely dialect over one `@duckdb/node-api` connection, for sqlml's catalog.
 *
 * DuckDB speaks PostgreSQL's SQL closely enough (double-quoted identifiers, `$1`
 * parameters, RETURNING, transactional DDL) that Kysely's Postgres adapter, compiler
 * and introspector serve; only the driver is DuckDB's own. It runs every compiled query
 * as a prepared statement on the connection it is given, one at a time: the adapter
 * hands in the lock it also takes for pass-through queries and writes, so a catalog
 * call never lands inside someone else's transaction.
 */
import {
  ResultReturnType,
  type DuckDBConnection,
  type DuckDBPreparedStatement,
  type DuckDBDataChunk,
  type DuckDBResult,
} from '@duckdb/node-api';
import {
  CompiledQuery,
  PostgresAdapter,
  PostgresIntrospector,
  PostgresQueryCompiler,
  type DatabaseConnection,
  type DatabaseIntrospector,
  type Dialect,
  type DialectAdapter,
  type Driver,
  type Kysely,
  type QueryCompiler,
  type QueryResult,
  type TransactionSettings,
} from 'kysely';
import type { Value } from '../../src/data.js';
import { DatabaseError, SqlmlError } from '../../src/errors.js';
import { asDatabaseError, refuseNul } from '../adapter-errors.js';
import { toResultValue } from './duckdb-types.js';

export interface DuckDBDialectConfig {
  /** The connection every query runs on; the dialect never opens or closes it. */
  readonly connection: DuckDBConnection;
  /**
   * Waits until the caller may use `connection` alone and returns the function that
   * gives it back. Held from Kysely's acquire to its release, i.e. for a whole transaction.
   */
  readonly acquire: () => Promise<() => void>;
}

export class DuckDBDialect implements Dialect {
  readonly #config: DuckDBDialectConfig;

  constructor(config: DuckDBDialectConfig) {
    this.#config = Object.freeze({ ...config });
  }

  createDriver(): Driver {
    return new DuckDBDriver(this.#config);
  }

  createQueryCompiler(): QueryCompiler {
    return new PostgresQueryCompiler();
  }

  createAdapter(): DialectAdapter {
    return new PostgresAdapter();
  }

  createIntrospector(db: Kysely<unknown>): DatabaseIntrospector {
    return new PostgresIntrospector(db);
  }
}

class DuckDBDriver implements Driver {
  readonly #config: DuckDBDialectConfig;
  readonly #connection: DuckDBKyselyConnection;
  #release: (() => void) | undefined;

  constructor(config: DuckDBDialectConfig) {
    this.#config = config;
    this.#connection = new DuckDBKyselyConnection(config.connection);
  }

  async init(): Promise<void> {}

  async acquireConnection(): Promise<DatabaseConnection> {
    // The lock admits one holder at a time, so one release slot is enough.
    this.#release = await this.#config.acquire();
    return this.#connection;
  }

  async beginTransaction(connection: DatabaseConnection, settings: TransactionSettings): Promise<void> {
    if (settings.isolationLevel !== undefined || settings.accessMode !== undefined) {
      throw new SqlmlError('unsupported', 'DuckDB transactions take no isolation level or access mode: every transaction is snapshot-isolated');
    }
    await connection.executeQuery(CompiledQuery.raw('BEGIN TRANSACTION'));
  }

  async commitTransaction(connection: DatabaseConnection): Promise<void> {
    await connection.executeQuery(CompiledQuery.raw('COMMIT'));
  }

  async rollbackTransaction(connection: DatabaseConnection): Promise<void> {
    await connection.executeQuery(CompiledQuery.raw('ROLLBACK'));
  }

  async releaseConnection(): Promise<void> {
    const release = this.#release;
    this.#release = undefined;
    release?.();
  }

  /** The adapter owns the connection and closes it; nothing to do here. */
  async destroy(): Promise<void> {}
}

/**
 * For the fault tests only (test/faults/sigkill.test.ts): a catalog statement starting with
 * SQLML_TEST_HOLD_BEFORE is not run; the process says so on stderr and waits there, inside
 * the statement's transaction, to be killed. An embedded database has no session another
 * process could see waiting, as PostgreSQL's and MariaDB's have (the tests hold a row there).
 */
const HOLD_BEFORE = process.env.SQLML_TEST_HOLD_BEFORE?.toLowerCase() || null;

function holdForever(sql: string): Promise<never> {
  process.stderr.write(`sqlml: holding before ${sql}\n`);
  return new Promise(() => setInterval(() => {}, 1 << 30));
}

class DuckDBKyselyConnection implements DatabaseConnection {
  readonly #connection: DuckDBConnection;

  constructor(connection: DuckDBConnection) {
    this.#connection = connection;
  }

  async executeQuery<R>(compiledQuery: CompiledQuery): Promise<QueryResult<R>> {
    if (HOLD_BEFORE !== null && compiledQuery.sql.toLowerCase().startsWith(HOLD_BEFORE)) await holdForever(compiledQuery.sql);
    try {
      const statement = await this.#prepare(compiledQuery);
      let result: DuckDBResult;
      try {
        result = await statement.run();
      } finally {
        statement.destroySync();
      }
      if (result.returnType === ResultReturnType.CHANGED_ROWS) {
        return { rows: [], numAffectedRows: BigInt(result.rowsChanged) };
      }
      if (result.returnType !== ResultReturnType.QUERY_RESULT) return { rows: [] };
      const names = result.deduplicatedColumnNames();
      const rows: R[] = [];
      for (const chunk of await result.fetchAllChunks()) rows.push(...rowObjects<R>(chunk, names));
      return { rows };
    } catch (error) {
      throw asDatabaseError(error);
    }
  }

  async *streamQuery<R>(compiledQuery: CompiledQuery): AsyncIterableIterator<QueryResult<R>> {
    let result: DuckDBResult;
    try {
      const statement = await this.#prepare(compiledQuery);
      try {
        result = await statement.stream();
      } finally {
        // The pending result keeps what it needs; node-api's own stream() does the same.
        statement.destroySync();
      }
    } catch (error) {
      throw asDatabaseError(error);
    }
    const names = result.deduplicatedColumnNames();
    while (true) {
      let chunk: DuckDBDataChunk | null;
      try {
        chunk = await result.fetchChunk();
      } catch (error) {
        throw asDatabaseError(error);
      }
      if (chunk === null || chunk.rowCount === 0) {
        // DuckDB ends a stream that failed on a late row like a finished one; only the
        // result's return type tells them apart (see DuckDBRowStream in duckdb-adapter.ts).
        if (result.returnType === ResultReturnType.INVALID) {
          throw new DatabaseError('the catalog query failed part-way through its rows with an error DuckDB did not report');
        }
        return;
      }
      yield { rows: rowObjects<R>(chunk, names) };
    }
  }

  async #prepare(compiledQuery: CompiledQuery): Promise<DuckDBPreparedStatement> {
    // The text goes to DuckDB as a C string, cut at a NUL (values go as parameters, whole).
    refuseNul(compiledQuery.sql, "DuckDB reads a statement's text only up to a NUL");
    const statement = await this.#connection.prepare(compiledQuery.sql);
    try {
      compiledQuery.parameters.forEach((value, index) => bindParameter(statement, index + 1, value));
    } catch (error) {
      statement.destroySync();
      throw error;
    }
    return statement;
  }
}

/** Rows as objects of result values: BIGINT as a number (text beyond 2^53), dates as text. */
function rowObjects<R>(chunk: DuckDBDataChunk, names: readonly string[]): R[] {
  const rows: R[] = [];
  for (const values of chunk.getRows()) {
    const row: Record<string, Value> = {};
    for (let c = 0; c < names.length; c++) row[names[c]!] = toResultValue(values[c] ?? null);
    rows.push(row as R);
  }
  return rows;
}

/**
 * Binds Kysely's parameter values by their JavaScript type; DuckDB casts them to the
 * type the statement expects. Dates travel as ISO-8601 text like the catalog's timestamps.
 */
function bindParameter(statement: DuckDBPreparedStatement, index: number, value: unknown): void {
  if (value === null || value === undefined) statement.bindNull(index);
  else if (typeof value === 'string') statement.bindVarchar(index, value);
  else if (typeof value === 'boolean') statement.bindBoolean(index, value);
  else if (typeof value === 'bigint') statement.bindBigInt(index, value);
  else if (typeof value === 'number') {
    if (Number.isInteger(value) && value >= -2_147_483_648 && value <= 2_147_483_647) statement.bindInteger(index, value);
    else if (Number.isSafeInteger(value)) statement.bindBigInt(index, BigInt(value));
    else statement.bindDouble(index, value);
  } else if (value instanceof Date) statement.bindVarchar(index, value.toISOString());
  else if (value instanceof Uint8Array) statement.bindBlob(index, value);
  else throw new SqlmlError('internal', `catalog query parameter $${index} is a ${typeof value}, which the DuckDB driver cannot bind`);
}
