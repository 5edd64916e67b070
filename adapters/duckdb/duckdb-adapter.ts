/**
 * The DuckDB adapter: embedded DuckDB through `@duckdb/node-api`.
 *
 * One database instance per adapter and one connection for everything but streams:
 * pass-through queries, `write()` and the Kysely catalog take turns on it through one
 * lock. Every stream gets a fresh connection of its own, because a pending streaming
 * result is silently cut short when another statement runs on its connection, and the
 * engine writes predictions while it is still reading the source.
 */
import { statSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import {
  DuckDBDateValue,
  DuckDBInstance,
  DuckDBTimestampValue,
  ResultReturnType,
  StatementType,
  type DuckDBAppender,
  type DuckDBConnection,
  type DuckDBDataChunk,
  type DuckDBMaterializedResult,
  type DuckDBResult,
} from '@duckdb/node-api';
import type { Dialect as KyselyDialect } from 'kysely';
import type { Adapter, AdapterFactory, HeldLock, QueryOptions, RowStream, SelectRows, StreamOptions, TableDescription, TableRef, WriteMode } from '../adapter.js';
import { copyFromStagingSql, createStagingSql, matchColumns, stagingTable, writtenNames } from '../select-into.js';
import { duckdbDialect } from './dialect.js';
import { informationSchemaIntrospection, type Introspection } from '../introspect.js';
import { duckdbIntrospection } from './introspect.js';
import type { SqlDialect } from '../dialect.js';
import { checkedLower, probeLetters } from '../lower-probe.js';
import { type Column, type ColumnData, type ResultTable, type RowBatch, type Value } from '../../src/data.js';
import { ResultBudget, isResultTooLarge } from '../result-budget.js';
import { DatabaseError, SqlmlError, errorMessage } from '../../src/errors.js';
import { DuckDBDialect } from './duckdb-kysely.js';
import { CHUNKS_PER_COLLECTION, releaseAbandonedResults, releaseFinishedChunks } from './native-memory.js';
import { columnDefinitionType, columnTypeOf, createColumnDecoder, toColumn, toResultValue, type ColumnDecoder } from './duckdb-types.js';
import { checkBatch, checkColumnNames, tableLabel } from '../write-checks.js';
import { ConnectionLock } from '../connection-lock.js';
import { MS_PER_DAY } from '../../src/calendar.js';
import { asDatabaseError, cancelled, checkBatchRows, refuseNul, streamReadTwice } from '../adapter-errors.js';
import { keywordOf, leadingWords, schemaChangeTag } from '../command-tag.js';
import { OpenStreams } from '../open-streams.js';

const MEMORY = ':memory:';

/**
 * Where a `duckdb:` URL points: `:memory:` (also for `duckdb:` alone) or an absolute file
 * path, resolved against the working directory. A `?key=value&...` suffix is DuckDB
 * configuration (see `duckdbConfig`), not part of the path.
 */
export function duckdbLocation(url: string): string {
  if (!/^duckdb:/i.test(url)) {
    throw new SqlmlError('bad_url', `"${url}" is not a DuckDB URL: expected duckdb:path/to/file.duckdb or duckdb::memory:`);
  }
  const rest = url.slice('duckdb:'.length).split('?')[0]!;
  if (rest === '' || rest === MEMORY) return MEMORY;
  return resolve(rest);
}

/**
 * Why SQL text holding a NUL is refused: node-api hands DuckDB's C API the text as a C
 * string, which ends at the first NUL, so `DELETE FROM t\0 WHERE id = 1` ran as
 * `DELETE FROM t` (test/adapters/nul-text.test.ts). Compiled models spell a NUL in a
 * value as chr(0) (adapters/duckdb/dialect.ts quoteString), never as the character.
 */
const CUT_AT_NUL = "DuckDB reads a statement's text only up to a NUL, so it is refused rather than run cut short (in a string, write chr(0))";

/**
 * DuckDB settings from the URL's query, e.g. `duckdb:shop.duckdb?memory_limit=512MB&threads=2`:
 * an embedded database shares the sqlml process, so its buffer pool is worth capping
 * on a shared machine.
 */
export function duckdbConfig(url: string): Record<string, string> {
  const query = url.indexOf('?');
  if (query < 0) return {};
  return Object.fromEntries(new URLSearchParams(url.slice(query + 1)));
}

/** Opens a DuckDB database from a `duckdb:` URL; a file is created if missing, its directory is not. */
export const openDuckDBAdapter: AdapterFactory = async (url) => {
  const location = duckdbLocation(url);
  if (location !== MEMORY && !isDirectory(dirname(location))) {
    throw new SqlmlError('connection', `cannot open DuckDB database ${location}: the directory ${dirname(location)} does not exist`);
  }
  const config = duckdbConfig(url);
  let instance: DuckDBInstance;
  try {
    // Through DuckDB's instance cache, two adapters on one file in this process share
    // one database (two independent instances would overwrite each other's writes);
    // each holds its own handle, and the database closes with the last one.
    // `:memory:` is never shared.
    instance = await DuckDBInstance.fromCache(location, config);
  } catch (error) {
    const message = errorMessage(error);
    // Another process (most often `sqlml serve`) holds the file: DuckDB lets one process write it.
    const wayOut = /Could not set lock/i.test(message)
      ? ' (another process has it open; if that is `sqlml serve --http`, send your statements to it with `sqlml --server http://HOST:PORT`)'
      : '';
    throw new SqlmlError('connection', `cannot open DuckDB database ${location}: ${message}${wayOut}`, { cause: error });
  }
  const connection = await instance.connect();
  // DuckDB's lower() follows its own Unicode tables: checked letter by letter (lower-probe.ts).
  const lowered = await connection
    .runAndReadAll(`SELECT ${duckdbDialect.lowerText!(duckdbDialect.quoteString(probeLetters()))}`)
    .then((result) => String(result.getRows()[0]?.[0] ?? ''), () => null);
  return new DuckDBAdapter(instance, connection, lowered);
};

function isDirectory(path: string): boolean {
  try {
    return statSync(path).isDirectory();
  } catch {
    return false;
  }
}

/**
 * The locks `holdLock` holds in this process, by name, whatever the database: the names
 * sqlml takes are its scratch tables', random per training, so two databases never share one.
 */
const HELD_LOCKS = new Set<string>();

export class DuckDBAdapter implements Adapter {
  /** DuckDB's SQL; its `lowerText` as checked on connecting (lower-probe.ts). */
  readonly sql: SqlDialect;
  readonly introspect: Introspection = informationSchemaIntrospection((sql, options) => this.query(sql, options), duckdbDialect, duckdbIntrospection);
  readonly #instance: DuckDBInstance;
  readonly #connection: DuckDBConnection;
  readonly #lock = new ConnectionLock();
  readonly #streams = new OpenStreams<DuckDBRowStream>();
  #closed = false;

  /** Takes ownership of `instance` and `connection`; `close()` closes both. Use `openDuckDBAdapter`. */
  constructor(instance: DuckDBInstance, connection: DuckDBConnection, lowered: string | null) {
    this.sql = checkedLower(duckdbDialect, lowered);
    this.#instance = instance;
    this.#connection = connection;
  }

  async openStream(select: string, options: StreamOptions): Promise<RowStream> {
    const { batchRows, signal } = options;
    checkBatchRows(batchRows);
    this.#assertOpen();
    refuseNul(select, CUT_AT_NUL);
    if (signal?.aborted) throw cancelled();
    const connection = await this.#instance.connect();
    // Interrupting the connection stops DuckDB whether it is still planning, computing
    // the first chunk inside stream(), or between chunks.
    const interrupt = (): void => connection.interrupt();
    signal?.addEventListener('abort', interrupt, { once: true });
    let result: DuckDBResult;
    try {
      result = await connection.stream(select);
      if (signal?.aborted) throw cancelled();
    } catch (error) {
      signal?.removeEventListener('abort', interrupt);
      connection.closeSync();
      if (signal?.aborted) throw cancelled();
      throw asDatabaseError(error);
    }
    const stream = new DuckDBRowStream(connection, result, select, options, interrupt, () => this.#streams.delete(stream));
    return this.#streams.admit(stream, () => this.#assertOpen());
  }

  query(sql: string, options: QueryOptions = {}): Promise<ResultTable> {
    const { signal } = options;
    try {
      refuseNul(sql, CUT_AT_NUL);
    } catch (error) {
      return Promise.reject(error);
    }
    return this.#exclusive(async () => {
      // Aborted just as its turn came: it does not start.
      if (signal?.aborted) throw cancelled();
      // The connection is shared (the wire listener's sessions, HTTP requests, the catalog),
      // so it is interrupted only while this statement holds the lock: an abort at any other
      // moment must not stop whatever statement holds it then.
      const interrupt = (): void => this.#connection.interrupt();
      signal?.addEventListener('abort', interrupt, { once: true });
      try {
        // Streamed, not materialized: rows are counted against the limit chunk by chunk,
        // and a result over it stops being computed (DuckDB computes a stream as it is read).
        let result: DuckDBResult;
        try {
          result = await this.#connection.stream(sql);
        } catch (error) {
          throw asDatabaseError(withoutExtractPrefix(error));
        }
        try {
          return await toResultTable(sql, result, new ResultBudget(options.limit));
        } catch (error) {
          if (isResultTooLarge(error)) this.#connection.interrupt();
          // An interrupt ends DuckDB's result as a late failure does: a cancelled statement
          // must not be run again for its message (it may take minutes).
          if (error instanceof LateFailure && !signal?.aborted) {
            // A SELECT whose stream ended as failed but that runs through when read again
            // (seen under the test suite's load, cause not yet known) is answered by that
            // second, complete read; one that fails again reports its message.
            if (error.statementType === StatementType.SELECT) {
              try {
                return await toResultTable(sql, await this.#connection.stream(sql), new ResultBudget(options.limit));
              } catch (again) {
                if (!(again instanceof LateFailure)) throw asDatabaseError(again);
              }
            }
            throw await this.#lateQueryFailure(sql, error.statementType);
          }
          throw asDatabaseError(error);
        }
      } catch (error) {
        throw signal?.aborted ? cancelled() : error;
      } finally {
        signal?.removeEventListener('abort', interrupt);
      }
    }, signal);
  }

  /**
   * DuckDB's message for a streamed SELECT that failed on a late row: the query runs once
   * more, counting every column so that nothing is optimized away and nothing is kept.
   */
  async #lateQueryFailure(sql: string, statementType: StatementType): Promise<SqlmlError> {
    if (statementType === StatementType.SELECT) {
      try {
        await this.#connection.run(`SELECT count(COLUMNS(*)) FROM (${sql}\n) AS sqlml_failed_result`);
      } catch (error) {
        return asDatabaseError(error);
      }
    }
    return new DatabaseError('the query failed part-way through its rows with an error DuckDB did not report (run it again to learn it)');
  }

  tableExists(table: TableRef): Promise<boolean> {
    return this.#exclusive(() => this.#tableExists(table));
  }

  describeTable(table: TableRef): Promise<TableDescription | undefined> {
    return this.#exclusive(async () => {
      // Resolved as #tableExists resolves a name: the temp catalog first, then the database's.
      const where =
        table.schema === undefined
          ? `table_catalog IN (current_database(), 'temp') AND lower(table_schema) = lower(current_schema()) AND lower(table_name) = lower($1)`
          : `table_catalog = current_database() AND lower(table_schema) = lower($1) AND lower(table_name) = lower($2)`;
      const result = await this.#run(
        `SELECT table_catalog || '.' || table_schema || '.' || table_name AS id, column_name
         FROM information_schema.columns WHERE ${where}
         ORDER BY table_catalog = 'temp' DESC, ordinal_position`,
        table.schema === undefined ? [table.name] : [table.schema, table.name],
      );
      const rows = await result.getRows();
      const id = rows[0]?.[0];
      if (id === undefined) return undefined;
      const columns = rows.filter((row) => row[0] === id).map((row) => String(row[1]));
      // DuckDB keeps a foreign key only on the referencing table, and only within one schema
      // (it refuses keys across schemas), naming the referenced table without a schema.
      const references = await this.#run(
        `SELECT DISTINCT constraint_name, table_name FROM duckdb_constraints()
         WHERE constraint_type = 'FOREIGN KEY' AND lower(database_name || '.' || schema_name || '.' || referenced_table) = lower($1)
           AND lower(table_name) <> lower(referenced_table)
         ORDER BY 2, 1`,
        [String(id)],
      );
      const referencedBy = (await references.getRows()).map((row) => ({ constraint: String(row[0]), table: String(row[1]) }));
      return { id: String(id), columns, referencedBy };
    });
  }

  write(table: TableRef, columns: readonly Column[], batches: AsyncIterable<RowBatch>, mode: WriteMode): Promise<number> {
    return this.#exclusive(async () => {
      checkColumnNames(table, columns);
      await this.#run('BEGIN TRANSACTION');
      let appender: DuckDBAppender | undefined;
      try {
        const sources = await this.#prepareTarget(table, columns, mode);
        // The names go to DuckDB as C strings too: a NUL would name another table.
        refuseNul(`${table.schema ?? ''}.${table.name}`, CUT_AT_NUL);
        appender = await this.#connection.createAppender(table.name, table.schema ?? null);
        let rows = 0;
        for await (const batch of batches) {
          checkBatch(columns, batch);
          try {
            appendBatch(appender, sources, columns, batch);
          } catch (error) {
            throw asDatabaseError(error);
          }
          rows += batch.rowCount;
        }
        const finished = appender;
        appender = undefined;
        try {
          // Closing flushes the buffered rows; constraint violations surface here.
          finished.closeSync();
        } catch (error) {
          throw asDatabaseError(error);
        }
        await this.#run('COMMIT');
        return rows;
      } catch (error) {
        discard(appender);
        await this.#run('ROLLBACK').catch(() => undefined);
        throw error;
      }
    });
  }

  /**
   * CTAS-and-swap (Adapter.writeSelect), in one transaction on the adapter's connection:
   * DuckDB's DDL is transactional, so ROLLBACK takes the staging table with everything
   * else. Aborting `signal` interrupts the running statement.
   */
  writeSelect(table: TableRef, rows: SelectRows, mode: WriteMode, options: { readonly signal?: AbortSignal } = {}): Promise<number> {
    const { signal } = options;
    if (signal?.aborted) return Promise.reject(cancelled());
    return this.#exclusive(async () => {
      const written = writtenNames(table, rows);
      await this.#run('BEGIN TRANSACTION');
      // Listening only from here to the finally that stops it: a listener left behind (by
      // a BEGIN that failed) would interrupt whatever statement holds the shared
      // connection when this signal aborts later, another caller's.
      const interrupt = (): void => this.#connection.interrupt();
      signal?.addEventListener('abort', interrupt, { once: true });
      try {
        // Aborted while BEGIN ran: the listener came too late to hear it.
        if (signal?.aborted) throw cancelled();
        const staging = stagingTable(table);
        for (const setting of this.sql.compiledSettings) await this.#run(setting);
        await this.#run(createStagingSql(this.sql, staging, rows, 'cast'));
        const counted = await (await this.#run(`SELECT count(*) FROM ${this.sql.quoteTable(staging)}`)).getRows();
        if (!(await this.#tableExists(table))) {
          await this.#run(`ALTER TABLE ${this.sql.quoteTable(staging)} RENAME TO ${this.sql.quoteIdent(table.name)}`);
        } else {
          const existing = (await this.#run(`SELECT * FROM ${this.sql.quoteTable(table)} LIMIT 0`)).columnNames();
          const names = matchColumns(table, written, existing, mode);
          if (mode === 'replace') await this.#run(`DELETE FROM ${this.sql.quoteTable(table)}`);
          await this.#run(copyFromStagingSql(this.sql, table, staging, written, names));
          await this.#run(`DROP TABLE ${this.sql.quoteTable(staging)}`);
        }
        await this.#run('COMMIT');
        return Number(counted[0]?.[0] ?? 0);
      } catch (error) {
        await this.#run('ROLLBACK').catch(() => undefined);
        if (signal?.aborted) throw cancelled();
        throw error;
      } finally {
        signal?.removeEventListener('abort', interrupt);
      }
    }, signal);
  }

  /**
   * Runs on the adapter's connection under the same lock as `query` and `write`. Inside
   * a Kysely transaction use only the transaction object: anything else on this adapter
   * would wait for the lock the transaction holds.
   */
  kyselyDialect(): KyselyDialect {
    return new DuckDBDialect({ connection: this.#connection, acquire: () => this.#acquire() });
  }

  ensureCatalog(ddl: readonly string[]): Promise<void> {
    return this.#exclusive(async () => {
      await this.#run('BEGIN TRANSACTION');
      try {
        for (const statement of ddl) await this.#run(statement);
        await this.#run('COMMIT');
      } catch (error) {
        await this.#run('ROLLBACK').catch(() => undefined);
        throw error;
      }
    });
  }

  /** In the process: a DuckDB file is open in one process at a time, so this process's locks are all there are. */
  async holdLock(name: string): Promise<HeldLock | null> {
    this.#assertOpen();
    if (HELD_LOCKS.has(name)) return null;
    HELD_LOCKS.add(name);
    return {
      release: async () => {
        HELD_LOCKS.delete(name);
      },
    };
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    await this.#streams.closeAll();
    // Work queued before close() still runs; the lock hands over once it is done.
    const release = await this.#lock.acquire();
    try {
      this.#connection.closeSync();
      this.#instance.closeSync();
    } finally {
      release();
    }
  }

  #assertOpen(): void {
    if (this.#closed) throw new SqlmlError('connection', 'the DuckDB database is closed');
  }

  #acquire(): Promise<() => void> {
    this.#assertOpen();
    return this.#lock.acquire();
  }

  /** Runs `work` holding the lock; aborting `signal` while it waits for its turn fails it at once, and it never runs. */
  async #exclusive<T>(work: () => Promise<T>, signal?: AbortSignal): Promise<T> {
    const release = signal === undefined ? await this.#acquire() : await abortableTurn(this.#acquire(), signal);
    try {
      return await work();
    } finally {
      release();
    }
  }

  /** Runs SQL on the shared connection; the caller holds the lock. */
  async #run(sql: string, values?: (string | null)[]): Promise<DuckDBMaterializedResult> {
    refuseNul(sql, CUT_AT_NUL);
    try {
      return await this.#connection.run(sql, values);
    } catch (error) {
      throw asDatabaseError(error);
    }
  }

  /** DuckDB matches identifiers case-insensitively, quoted or not; temp tables come first on its search path. */
  async #tableExists(table: TableRef): Promise<boolean> {
    const result =
      table.schema === undefined
        ? await this.#run(
            `SELECT count(*) FROM information_schema.tables
             WHERE table_catalog IN (current_database(), 'temp') AND lower(table_schema) = lower(current_schema())
               AND lower(table_name) = lower($1)`,
            [table.name],
          )
        : await this.#run(
            `SELECT count(*) FROM information_schema.tables
             WHERE table_catalog = current_database() AND lower(table_schema) = lower($1) AND lower(table_name) = lower($2)`,
            [table.schema, table.name],
          );
    const rows = await result.getRows();
    return Number(rows[0]?.[0] ?? 0) > 0;
  }

  /**
   * Creates the table if missing, or empties it for `replace`, inside the open transaction, and
   * returns for each table column (in table order) the index of its source column, or
   * -1 for a column that gets NULL.
   */
  async #prepareTarget(table: TableRef, columns: readonly Column[], mode: WriteMode): Promise<Int32Array> {
    const quoted = this.sql.quoteTable(table);
    const exists = await this.#tableExists(table);
    if (exists) {
      const existing = (await this.#run(`SELECT * FROM ${quoted} LIMIT 0`)).columnNames();
      const byName = new Map(columns.map((column, index) => [column.name.toLowerCase(), index]));
      const tableNames = new Set(existing.map((name) => name.toLowerCase()));
      const missing = columns.find((column) => !tableNames.has(column.name.toLowerCase()));
      if (missing) throw new SqlmlError('bad_column', `column ${missing.name} is not in table ${tableLabel(table)}, so rows cannot be ${mode === 'append' ? 'appended to' : 'written into'} it`);
      // The rows are replaced, not the table: it keeps its keys, defaults and the views on it.
      if (mode === 'replace') await this.#run(`DELETE FROM ${quoted}`);
      return Int32Array.from(existing, (name) => byName.get(name.toLowerCase()) ?? -1);
    }
    const definitions = columns.map((column) => `${this.sql.quoteIdent(column.name)} ${columnDefinitionType(column)}`);
    await this.#run(`CREATE TABLE ${quoted} (${definitions.join(', ')})`);
    return Int32Array.from(columns, (_, index) => index);
  }
}

/** A streaming result on its own connection, re-cut from DuckDB's chunks into `batchRows` batches. */
class DuckDBRowStream implements RowStream {
  readonly columns: readonly Column[];
  readonly method = 'duckdb result chunks';
  readonly #decoders: readonly ColumnDecoder[];
  readonly #connection: DuckDBConnection;
  /** Dropped on close(), so that an unfinished result can be collected (see releaseAbandonedResults). */
  #result: DuckDBResult | null;
  /** DuckDB ended the result cleanly (its last chunk): it no longer holds the connection's context. */
  #ended = false;
  readonly #select: string;
  readonly #batchRows: number;
  readonly #signal: AbortSignal | undefined;
  readonly #interrupt: () => void;
  readonly #onClose: () => void;
  #iterated = false;
  #closed = false;
  #fetching: Promise<unknown> | undefined;
  readonly #reuse: boolean;
  /** The last batch, whose arrays the next one is decoded into when the consumer allows it. */
  #reused: RowBatch | null = null;

  constructor(connection: DuckDBConnection, result: DuckDBResult, select: string, options: StreamOptions, interrupt: () => void, onClose: () => void) {
    this.#connection = connection;
    this.#result = result;
    this.#select = select;
    this.#batchRows = options.batchRows;
    this.#reuse = options.reuseBatches === true;
    this.#signal = options.signal;
    this.#interrupt = interrupt;
    this.#onClose = onClose;
    const types = result.columnTypes();
    this.columns = result.columnNames().map((name, index) => toColumn(name, types[index]!));
    this.#decoders = types.map((type) => createColumnDecoder(type));
  }

  batches(): AsyncIterable<RowBatch> {
    if (this.#iterated) throw streamReadTwice();
    this.#iterated = true;
    return this.#read();
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    this.#signal?.removeEventListener('abort', this.#interrupt);
    if (this.#fetching) {
      this.#connection.interrupt();
      await this.#fetching.catch(() => undefined);
    }
    this.#connection.closeSync();
    // An unfinished result holds the closed connection's context, and with it the database.
    this.#result = null;
    if (!this.#ended) await releaseAbandonedResults();
    this.#onClose();
  }

  async *#read(): AsyncGenerator<RowBatch> {
    try {
      // Slices of chunks waiting to fill the next batch; chunks stay valid while referenced.
      const pending: ChunkSlice[] = [];
      let pendingRows = 0;
      let fetched = 0;
      // DuckDB produces the next chunk on libuv's thread pool while this thread decodes
      // the current one and the consumer works on the batch: one fetch is always in flight.
      let next = this.#prefetch();
      for (let chunk = await this.#receive(next); chunk !== null; chunk = await this.#receive(next)) {
        next = this.#prefetch();
        if (++fetched % CHUNKS_PER_COLLECTION === 0) releaseFinishedChunks();
        for (let from = 0; from < chunk.rowCount; ) {
          const count = Math.min(chunk.rowCount - from, this.#batchRows - pendingRows);
          pending.push({ chunk, from, count });
          pendingRows += count;
          from += count;
          if (pendingRows === this.#batchRows) {
            const batch = this.#assemble(pending, pendingRows);
            pending.length = 0;
            pendingRows = 0;
            yield batch;
          }
        }
      }
      if (pendingRows > 0) yield this.#assemble(pending, pendingRows);
    } finally {
      await this.close();
    }
  }

  /** Starts fetching the next chunk; close() interrupts and awaits it if it is still out. */
  #prefetch(): Promise<DuckDBDataChunk | null> {
    this.#check();
    const fetching = this.#result!.fetchChunk();
    this.#fetching = fetching;
    // Its failure is reported where it is received; until then it must not count as unhandled.
    fetching.catch(() => undefined);
    return fetching;
  }

  async #receive(fetching: Promise<DuckDBDataChunk | null>): Promise<DuckDBDataChunk | null> {
    let chunk: DuckDBDataChunk | null;
    try {
      chunk = await fetching;
    } catch (error) {
      this.#check();
      throw asDatabaseError(error);
    } finally {
      if (this.#fetching === fetching) this.#fetching = undefined;
    }
    // An interrupt between chunks ends DuckDB's result quietly, as if it were complete.
    this.#check();
    if (chunk !== null && chunk.rowCount > 0) return chunk;
    // So does an error on a late row: DuckDB's C API ends a failed stream like a finished
    // one and keeps the error inside the result, which only shows it by its return type
    // turning INVALID (@duckdb/node-api has no call that reads the message).
    // A failed result keeps holding its context like an unfinished one: only a clean end counts.
    if (this.#result!.returnType === ResultReturnType.INVALID) throw await this.#lateFailure();
    this.#ended = true;
    return null;
  }

  /**
   * The error of a stream that failed part-way. For DuckDB's own message the query runs
   * once more, unstreamed and counting every column so that no expression is optimized
   * away; this costs a second read, but only of a query that has already failed. A
   * failure that does not repeat (memory, an interrupted read) is reported without it.
   */
  async #lateFailure(): Promise<SqlmlError> {
    const recheck = this.#connection.run(`SELECT count(COLUMNS(*)) FROM (${this.#select}\n) AS sqlml_failed_stream`);
    this.#fetching = recheck;
    try {
      await recheck;
    } catch (error) {
      this.#check();
      return asDatabaseError(error);
    } finally {
      if (this.#fetching === recheck) this.#fetching = undefined;
    }
    this.#check();
    return new DatabaseError('the query failed part-way through its rows with an error DuckDB did not report (run again to learn it, the query succeeded)');
  }

  #check(): void {
    if (this.#signal?.aborted) throw cancelled();
    if (this.#closed) throw new SqlmlError('connection', 'the row stream was closed before its last row');
  }

  /** Fresh arrays per batch (the consumer may keep a batch after asking for the next), unless the consumer said it does not (reuseBatches). */
  #assemble(slices: readonly ChunkSlice[], rows: number): RowBatch {
    const reused = this.#reused;
    const columns = this.#decoders.map((decoder, column): ColumnData => {
      let at = 0;
      const previous = reused?.columns[column];
      if (decoder.kind === 'number') {
        const fits = previous?.kind === 'number' && previous.values.length === rows;
        const values = fits ? previous.values : new Float64Array(rows);
        const nulls = fits ? previous.nulls : new Uint8Array(rows);
        // An exact decoder writes every slot, so a reused array needs no clearing.
        const exact = decoder.exact ? ((fits ? previous.exact : undefined) ?? new Array<string | undefined>(rows)) : undefined;
        for (const slice of slices) {
          decoder.decode(slice.chunk, column, slice.from, slice.count, values, nulls, at, exact);
          at += slice.count;
        }
        return exact ? { kind: 'number', values, nulls, exact } : { kind: 'number', values, nulls };
      }
      const values = previous?.kind === 'text' && previous.values.length === rows ? (previous.values as (string | null)[]) : new Array<string | null>(rows);
      for (const slice of slices) {
        decoder.decode(slice.chunk, column, slice.from, slice.count, values, at);
        at += slice.count;
      }
      return { kind: 'text', values };
    });
    const batch = { rowCount: rows, columns };
    if (this.#reuse) this.#reused = batch;
    return batch;
  }
}

interface ChunkSlice {
  readonly chunk: DuckDBDataChunk;
  readonly from: number;
  readonly count: number;
}

/** How a column's values go into the appender. */
type CellKind = 'text' | 'boolean' | 'number' | 'decimal' | 'date' | 'timestamp';

function cellKind(column: Column): CellKind {
  switch (column.type) {
    case 'boolean':
    case 'date':
    case 'timestamp':
    case 'decimal':
      return column.type;
    case 'text':
    case 'other':
      return 'text';
    default:
      return 'number';
  }
}

/**
 * Appends a batch row by row in table column order. Numbers go in as doubles and text as
 * VARCHAR; the appender casts them to the table's column types (so appending into an
 * existing INTEGER or DECIMAL column works, and a value that does not fit is an error).
 * A value with exact text (see `NumberColumnData.exact`) goes in as that text, and so do
 * decimals: DuckDB's double-to-DECIMAL cast scales the double and may miss the last
 * digit, where the shortest text of the double is the decimal it was read from.
 */
function appendBatch(appender: DuckDBAppender, sources: Int32Array, columns: readonly Column[], batch: RowBatch): void {
  const kinds = columns.map(cellKind);
  for (let row = 0; row < batch.rowCount; row++) {
    for (let position = 0; position < sources.length; position++) {
      const source = sources[position]!;
      const data = source < 0 ? undefined : batch.columns[source]!;
      if (data === undefined) {
        appender.appendNull();
      } else if (data.kind === 'text') {
        const text = data.values[row] ?? null;
        if (text === null) appender.appendNull();
        else appender.appendVarchar(text);
      } else if (data.nulls[row] === 1) {
        appender.appendNull();
      } else if (data.exact?.[row] !== undefined) {
        appender.appendVarchar(data.exact[row]!);
      } else {
        const value = data.values[row]!;
        switch (kinds[source]) {
          case 'boolean':
            appender.appendBoolean(value !== 0);
            break;
          case 'date':
            // NaN is a DOUBLE value but no date or time: it travels as NULL there.
            if (Number.isNaN(value)) appender.appendNull();
            else appender.appendDate(dateValue(value));
            break;
          case 'timestamp':
            if (Number.isNaN(value)) appender.appendNull();
            else appender.appendTimestamp(timestampValue(value));
            break;
          case 'decimal':
            if (Number.isFinite(value)) appender.appendVarchar(String(value));
            else appender.appendDouble(value);
            break;
          default:
            appender.appendDouble(value);
        }
      }
    }
    appender.endRow();
  }
}

function dateValue(ms: number): DuckDBDateValue {
  if (ms === Infinity) return DuckDBDateValue.PosInf;
  if (ms === -Infinity) return DuckDBDateValue.NegInf;
  return new DuckDBDateValue(Math.floor(ms / MS_PER_DAY));
}

function timestampValue(ms: number): DuckDBTimestampValue {
  if (ms === Infinity) return DuckDBTimestampValue.PosInf;
  if (ms === -Infinity) return DuckDBTimestampValue.NegInf;
  // Milliseconds may carry microseconds as a fraction (see duckdb-types.ts).
  return new DuckDBTimestampValue(BigInt(Math.round(ms * 1000)));
}

/** Drops the appender's unflushed rows without writing them; the transaction is rolled back next. */
function discard(appender: DuckDBAppender | undefined): void {
  if (!appender) return;
  try {
    appender.clear();
    appender.closeSync();
  } catch {
    // The rollback that follows undoes whatever the appender did flush.
  }
}




async function toResultTable(sql: string, result: DuckDBResult, budget: ResultBudget): Promise<ResultTable> {
  // Read now: a stream that fails on a late row reports its statement type as INVALID too.
  const statementType = result.statementType;
  const command = commandTag(sql, result.statementType);
  if (result.returnType === ResultReturnType.CHANGED_ROWS) {
    return { command, columns: [], rows: [], rowsAffected: result.rowsChanged };
  }
  if (result.returnType !== ResultReturnType.QUERY_RESULT) return { command, columns: [], rows: [] };
  const types = result.columnTypes();
  const columns = result.columnNames().map((name, index) => ({ name, type: columnTypeOf(types[index]!) }));
  const rows: Value[][] = [];
  for (;;) {
    const chunk = await result.fetchChunk();
    if (chunk === null || chunk.rowCount === 0) break;
    for (const raw of chunk.getRows()) {
      const row = raw.map(toResultValue);
      budget.admit(row);
      rows.push(row);
    }
  }
  // A stream that failed on a late row ends like a finished one; its type says it failed.
  if ((result.returnType as ResultReturnType) === ResultReturnType.INVALID) throw new LateFailure(statementType);
  return { command, columns, rows };
}

/**
 * node-api splits a streamed script itself and prefixes a parser error with its own words;
 * without them the message is DuckDB's, as `run` reports it (the wire protocol maps
 * `Parser Error:` to SQLSTATE 42601).
 */
function withoutExtractPrefix(error: unknown): unknown {
  const prefix = 'Failed to extract statements: ';
  return error instanceof Error && error.message.startsWith(prefix) ? new Error(error.message.slice(prefix.length), { cause: error }) : error;
}

/** A streamed result that ended as failed without its message. */
class LateFailure extends Error {
  constructor(readonly statementType: StatementType) {
    super('late failure');
  }
}

/** Words that may sit between CREATE/DROP/ALTER and the kind of object. */
const OBJECT_MODIFIERS = new Set(['OR', 'REPLACE', 'TEMP', 'TEMPORARY', 'UNIQUE', 'PERSISTENT', 'IF', 'NOT', 'EXISTS']);

/** Statement kinds DuckDB reports for text that does not start with its verb (WITH..., FROM-first, parentheses). */
const VERB_OF_STATEMENT: Partial<Record<StatementType, string>> = {
  [StatementType.SELECT]: 'SELECT',
  [StatementType.INSERT]: 'INSERT',
  [StatementType.UPDATE]: 'UPDATE',
  [StatementType.DELETE]: 'DELETE',
};

/**
 * The command tag of a pass-through statement, as PostgreSQL names them: the first
 * keyword (`SELECT`, `INSERT`), with the object kind for DDL (`CREATE TABLE`, `DROP VIEW`).
 */
function commandTag(sql: string, statementType: StatementType): string {
  const words = leadingWords(sql);
  const first = keywordOf(words[0]);
  if (first === undefined || first === 'WITH' || first === 'FROM') return VERB_OF_STATEMENT[statementType] ?? 'SELECT';
  return schemaChangeTag(words, OBJECT_MODIFIERS) ?? first;
}

/**
 * The lock's turn, or a `cancelled` error as soon as `signal` aborts first; a turn that
 * comes after that is handed straight on (the FIFO lock cannot drop a waiter).
 */
async function abortableTurn(turn: Promise<() => void>, signal: AbortSignal): Promise<() => void> {
  if (signal.aborted) {
    void turn.then((release) => release());
    throw cancelled();
  }
  let onAbort: () => void = () => undefined;
  const aborted = new Promise<'aborted'>((resolve) => {
    onAbort = () => resolve('aborted');
    signal.addEventListener('abort', onAbort, { once: true });
  });
  try {
    const first = await Promise.race([turn, aborted]);
    if (first !== 'aborted') return first;
  } finally {
    signal.removeEventListener('abort', onAbort);
  }
  void turn.then((release) => release());
  throw cancelled();
}
