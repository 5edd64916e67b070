/**
 * The seam between sqlml and a database. Every database sqlml speaks to (DuckDB,
 * PostgreSQL, MySQL/MariaDB, and whatever comes next) implements this one interface;
 * the engine never sees a driver, and an adapter never sees a model.
 *
 * Rules every implementation keeps (checked by test/adapters/conformance.test.ts):
 * - user SELECT text is never rewritten, only wrapped as a parenthesized subquery;
 * - user identifiers are quoted with `sql.quoteIdent`;
 * - `write` is atomic: all rows or none, the previous contents intact on failure;
 * - a failed statement leaves the connection usable.
 */
import type { Dialect as KyselyDialect } from 'kysely';
import type { Column, ResultTable, RowBatch } from '../src/data.js';
import type { ResultLimit } from './result-budget.js';
import type { SqlDialect } from './dialect.js';
import type { Introspection } from './introspect.js';
export type { ResultLimit } from './result-budget.js';

export type { DialectName } from './dialect.js';

/** A table name as the user wrote it: optional schema, name; both unquoted. */
export interface TableRef {
  readonly schema?: string;
  readonly name: string;
}

export type WriteMode = 'replace' | 'append';

/** An existing table (or view) as `describeTable` finds it. */
export interface TableDescription {
  /** The database's own identity of the table: two names denote the same table exactly when their ids are equal. */
  readonly id: string;
  /** Its column names, in table order. */
  readonly columns: readonly string[];
  /**
   * The foreign keys of other tables that reference it (a table's references to itself are
   * left out): deleting its rows would delete, change or be refused for their rows.
   */
  readonly referencedBy: readonly ForeignKeyReference[];
}

/** A foreign key of another table that references the described one. */
export interface ForeignKeyReference {
  /** The constraint's name, as the database's catalog has it. */
  readonly constraint: string;
  /** The referencing table: its name, schema-qualified when it is in another schema than the current one. */
  readonly table: string;
}

/** The rows `writeSelect` writes: a SELECT whose columns are `passed` then `computed`. */
export interface SelectRows {
  /** Any query the database accepts, used only as a parenthesized subquery. */
  readonly select: string;
  /** Its columns carried over with the source's own types (the KEY columns). */
  readonly passed: readonly string[];
  /** Its columns cast to the type `write` would create them with (the predictions). */
  readonly computed: readonly Column[];
}

export interface StreamOptions {
  /** Rows per batch handed to the consumer; also the round-trip size where the driver allows it. */
  readonly batchRows: number;
  /** Aborting cancels the server-side query and ends the stream with a `cancelled` error. */
  readonly signal?: AbortSignal;
  /**
   * The consumer is done with a batch once it asks for the next, so the stream may hand
   * out the same arrays again (a training copies each batch into its row cache at once:
   * fresh arrays per batch were most of the read's garbage).
   */
  readonly reuseBatches?: boolean;
}

/**
 * An open server-side cursor. `columns` is known before the first batch; `batches()`
 * may be iterated once. Breaking out of the loop (or `close()`) releases the cursor.
 */
export interface RowStream {
  readonly columns: readonly Column[];
  /**
   * How the rows are read, for DESCRIBE's training stats: e.g. `duckdb chunks`,
   * `postgres binary COPY`, `postgres cursor`, `mysql streaming query`.
   */
  readonly method: string;
  batches(): AsyncIterable<RowBatch>;
  close(): Promise<void>;
}

export interface QueryOptions {
  readonly limit?: ResultLimit;
  /**
   * Aborting stops the statement on the server (DuckDB: an interrupt while it runs;
   * PostgreSQL: `pg_cancel_backend` of its client's backend; MySQL: `KILL QUERY` of its
   * session's thread), and it then fails with a `cancelled` error; one aborted before it
   * starts (or while it waits for a shared connection) is refused. Never another caller's statement.
   */
  readonly signal?: AbortSignal;
}

/** A lock taken by `Adapter.holdLock`. */
export interface HeldLock {
  /** Frees the lock (and ends the session that held it). Never throws. */
  release(): Promise<void>;
}

export interface Adapter {
  /** The database's SQL: its name, quoting and the spellings asked for by name. */
  readonly sql: SqlDialect;

  /** Its schemas, tables, columns and primary keys, from its own catalog (adapters/introspect.ts). */
  readonly introspect: Introspection;

  /**
   * Runs a query and streams its rows in batches of `batchRows`, without buffering the
   * whole result. `select` is any query text the database accepts.
   */
  openStream(select: string, options: StreamOptions): Promise<RowStream>;

  /**
   * Runs one statement as the user wrote it and returns its rows or its row count. With
   * `limit`, rows are counted as they arrive and a result over it fails with
   * `result_too_large` as soon as it is exceeded: the query is stopped on the server,
   * nothing more is buffered, and the adapter stays usable.
   */
  query(sql: string, options?: QueryOptions): Promise<ResultTable>;

  /**
   * Takes the lock named `name` (at most 64 characters) without waiting, held by a
   * session of its own until `release()`, or until the process holding it dies: the
   * server frees a lock with the session that held it (PostgreSQL's advisory locks,
   * MariaDB's GET_LOCK; DuckDB, which one process opens at a time, in the process). Null
   * when a live session holds it. Marks a training's scratch table as in use, so another
   * session can tell it from a crashed one's leftover (src/engine/scratch-table.ts).
   */
  holdLock(name: string): Promise<HeldLock | null>;

  /** Whether a table exists (schema-qualified or on the search path). */
  tableExists(table: TableRef): Promise<boolean>;

  /** The table `table` names, as `tableExists` resolves it; undefined when there is none. */
  describeTable(table: TableRef): Promise<TableDescription | undefined>;

  /**
   * Writes `batches` into `table`, creating it from `columns` if missing. An existing
   * table is never dropped: `replace` swaps its rows (deletes them and adds the new ones
   * in one transaction), `append` adds rows; both match columns by name, so the table
   * keeps its own column types, keys, grants and the views on it.
   * Atomic: if `batches` throws part-way, or the database refuses a row, the table is as
   * it was before the call. Returns the number of rows written.
   */
  write(
    table: TableRef,
    columns: readonly Column[],
    batches: AsyncIterable<RowBatch>,
    mode: WriteMode,
  ): Promise<number>;

  /**
   * PREDICT … INTO in the database (`engine = 'database'`): writes the rows of `rows.select`
   * into `table` without a row leaving the database. ONE `CREATE TABLE <staging> AS SELECT`
   * builds them (parallel where the database parallelises it), then, atomically, a
   * missing `table` is the staging table renamed into place, and an existing one keeps
   * its identity as with `write`: `replace` deletes its rows and copies the staging rows
   * in, `append` copies them in (by column name); the staging table is dropped. The same
   * guarantees as `write`: a failure at any point (the database's own error mid-scan, the
   * connection killed, `signal` aborted) leaves `table` as it was and no staging table
   * behind. Passed-through columns keep the source's types; computed ones get the types
   * `write` gives them. Returns the number of rows written. The statements are spelled by
   * adapters/select-into.ts; the dialect's `compiledSettings` run first (a compiled model's SELECT).
   */
  writeSelect(table: TableRef, rows: SelectRows, mode: WriteMode, options?: { readonly signal?: AbortSignal }): Promise<number>;

  /**
   * A Kysely dialect on this adapter's own connection, for sqlml's catalog tables (models,
   * versions, jobs; src/catalog makes the typed query builder from it). Its statements take
   * turns with the adapter's others as the adapter's own do, a refused one fails with a
   * `DatabaseError`, and `close()` releases what its drivers use: destroying them frees nothing.
   */
  kyselyDialect(): KyselyDialect;

  /**
   * Runs the catalog DDL statements (one statement per string) to create the catalog on
   * first use. Idempotent (`IF NOT EXISTS`).
   */
  ensureCatalog(ddl: readonly string[]): Promise<void>;

  close(): Promise<void>;
}

/** Opens an adapter from a connection URL (`duckdb:...`, `postgres://...`, `mysql://...`). */
export type AdapterFactory = (url: string) => Promise<Adapter>;
