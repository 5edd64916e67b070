/**
 * The PostgreSQL adapter, on `pg`.
 *
 * One pool serves pass-through statements, `write()` and the Kysely catalog (its type
 * parsers turn results into `Value`s and the catalog's BIGINTs into numbers). Every stream
 * opens a client of its own: the engine writes predictions while it reads, and a stream
 * is cancelled by `pg_cancel_backend` of its own backend, sent through the pool.
 *
 * Reading: `COPY (SELECT * FROM (<select>) AS q) TO STDOUT (FORMAT binary)` decoded
 * straight into typed arrays (PostgreSQL ≥ 9.4), or a real cursor (pg-cursor, text values,
 * no per-value parsing by pg) where COPY TO STDOUT is missing (Redshift) or the URL says
 * `?read=cursor`. Either way the columns come from `SELECT * FROM (<select>) AS q LIMIT 0`
 * before the first row.
 *
 * Writing: COPY text format inside one transaction, straight into the table: created if
 * missing, emptied by DELETE first for `replace` (an existing table is never dropped, so
 * it keeps its grants, keys and the views on it). Any failure destroys the connection
 * mid-transaction, so the server rolls everything back.
 */
import type { Socket } from 'node:net';
import { finished } from 'node:stream/promises';
import type { Writable } from 'node:stream';
import { PostgresDialect, type Dialect as KyselyDialect, type PostgresPool, type PostgresPoolClient } from 'kysely';
import pg from 'pg';
import Cursor from 'pg-cursor';
import copyStreams from 'pg-copy-streams';
import { copyOut } from './copy-out-stream.js';
import type { Adapter, AdapterFactory, ForeignKeyReference, HeldLock, QueryOptions, RowStream, SelectRows, StreamOptions, TableDescription, TableRef, WriteMode } from '../adapter.js';
import { copyFromStagingSql, createStagingSql, matchColumns, stagingTable, writtenNames } from '../select-into.js';
import { postgresDialect } from './dialect.js';
import { informationSchemaIntrospection, type Introspection } from '../introspect.js';
import { postgresIntrospection } from './introspect.js';
import type { SqlDialect } from '../dialect.js';
import { type Column, type ResultTable, type RowBatch, type Value } from '../../src/data.js';
import { SqlmlError, errorMessage } from '../../src/errors.js';
import { ResultBudget } from '../result-budget.js';
import { BinaryCopyDecoder, isBinaryDecodable } from './postgres-copy-reader.js';
import { TextRowConverter } from './postgres-cursor-reader.js';
import { Oid, columnDefinitionType, columnTypeOf, rawTextTypes, resultTypes, typeNameOf } from './postgres-types.js';
import { parsePostgresUrl, type PostgresSettings } from './postgres-url.js';
import { CopyTextEncoder } from './postgres-writer.js';
import { checkBatch, checkColumnNames, tableLabel } from '../write-checks.js';
import { asDatabaseError, cancelled, checkBatchRows, refuseNul, streamReadTwice } from '../adapter-errors.js';
import { keywordOf, leadingWords, schemaChangeTag } from '../command-tag.js';
import { checkedLower, probeLetters } from '../lower-probe.js';
import { OpenStreams } from '../open-streams.js';

/** Connections of the shared pool: pass-through, catalog and writes may overlap (the engine writes while it reads). */
const POOL_SIZE = 6;
/** The first key of sqlml's two-key advisory locks ('sqlm' in ASCII), apart from an application's one-key locks. */
const ADVISORY_LOCK_CLASS = 0x73716c6d;
const CONNECT_TIMEOUT_MS = 10_000;
/** A cancel can reach the backend before the query does; it is repeated until the stream ends. */
const CANCEL_RETRY_MS = 250;
/**
 * How far the binary COPY reader may run ahead of the consumer, in chunks of the socket's
 * reads (at most 64 KB each: about 4 MB): bounded, so memory does not grow with rows.
 */
const READ_AHEAD_CHUNKS = 64;
/** Serializes concurrent `ensureCatalog` runs: CREATE TABLE IF NOT EXISTS races in PostgreSQL. */
const CATALOG_LOCK_KEY = 0x5371_6c6d;
/** Fast path minimum: `COPY (query) TO` arrived in 8.2, binary COPY of every type we decode well before 9.4. */
const COPY_MIN_VERSION = 90_400;
/**
 * Why SQL text holding a NUL is refused before it is sent: the protocol carries a
 * statement as a C string, and the server, reading it only to the NUL, ended the session
 * with "invalid message format" (test/adapters/nul-text.test.ts); its text values cannot
 * hold a NUL anyway.
 */
const CANNOT_CARRY_NUL = "PostgreSQL's protocol ends a statement's text at a NUL and its text cannot hold one";

/**
 * Opens a PostgreSQL database from a `postgres://user:password@host:port/database` URL
 * (`?sslmode=…`, `?read=cursor`, see postgres-url.ts); checks the connection and picks
 * the read path from `version()`.
 */
export const openPostgresAdapter: AdapterFactory = async (url) => {
  const settings = parsePostgresUrl(url);
  const pool = new pg.Pool({ ...clientConfig(settings), types: resultTypes, max: POOL_SIZE });
  // An idle client whose server went away must not crash the process; the next query reports it.
  pool.on('error', () => undefined);
  // A checked-out client whose connection dies (pg_terminate_backend, a restart) emits
  // 'error' as well as failing its query, and pg-pool listens only while a client is idle:
  // unheard, that event is an uncaught exception. The query's own error reports it, and
  // pg-pool drops a client that is no longer queryable when it is released.
  pool.on('connect', (client) => client.on('error', () => undefined));
  let version: string;
  try {
    const result = await pool.query<{ version: string }>('SELECT version() AS version');
    version = result.rows[0]?.version ?? '';
  } catch (error) {
    await pool.end().catch(() => undefined);
    throw connectionError(settings, error);
  }
  // lower() follows the database's ctype (under C or POSIX, ASCII only) and its Unicode
  // tables: checked letter by letter (lower-probe.ts). A database whose encoding cannot
  // hold the letters fails the probe, and lower-casing models stream there.
  const lowered = await pool
    .query<{ lowered: string }>(`SELECT ${postgresDialect.lowerText!('CAST($1 AS text)')} AS lowered`, [probeLetters()])
    .then((result) => result.rows[0]?.lowered ?? null, () => null);
  const fastPath = settings.read === 'auto' && supportsBinaryCopy(version);
  return new PostgresAdapter(settings, pool, fastPath, lowered);
};

/** Whether `version()` names a PostgreSQL with `COPY (query) TO STDOUT (FORMAT binary)`: not Redshift, ≥ 9.4. */
export function supportsBinaryCopy(version: string): boolean {
  if (/redshift/i.test(version)) return false;
  const match = /PostgreSQL (\d+)(?:\.(\d+))?/.exec(version);
  if (match === null) return false;
  const major = Number(match[1]);
  const minor = Number(match[2] ?? 0);
  return (major >= 10 ? major * 10_000 : major * 10_000 + minor * 100) >= COPY_MIN_VERSION;
}

function clientConfig(settings: PostgresSettings): pg.ClientConfig {
  return {
    user: settings.user,
    password: settings.password,
    host: settings.host,
    port: settings.port,
    database: settings.database,
    ssl: settings.ssl,
    connectionTimeoutMillis: CONNECT_TIMEOUT_MS,
    // Dates and timestamps are parsed from text on the cursor path and in pass-through results.
    options: '-c DateStyle=ISO,MDY',
  };
}

/** One sentence for a failed connection attempt, never with the password. */
export function connectionError(settings: PostgresSettings, error: unknown): SqlmlError {
  const code = (error as { code?: unknown } | null)?.code;
  const where = `PostgreSQL at ${settings.address}`;
  const say = (message: string): SqlmlError => new SqlmlError('connection', message, { cause: error });
  switch (code) {
    case 'ECONNREFUSED':
      return say(`cannot connect to ${where}: connection refused`);
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
      return say(`cannot connect to ${where}: the host ${settings.host} was not found`);
    case 'ETIMEDOUT':
      return say(`cannot connect to ${where}: the connection timed out`);
    case '28P01':
      return say(`cannot connect to ${where} as user ${settings.user}: password authentication failed`);
    case '28000':
      return say(`cannot connect to ${where} as user ${settings.user}: ${withoutPassword(errorMessage(error), settings)}`);
    case '3D000':
      return say(`cannot connect to ${where}: database "${settings.database}" does not exist`);
    default: {
      const message = errorMessage(error);
      if (/timeout/i.test(message)) return say(`cannot connect to ${where}: the connection timed out`);
      return say(`cannot connect to ${where}: ${withoutPassword(message, settings)}`);
    }
  }
}

function withoutPassword(message: string, settings: PostgresSettings): string {
  return settings.password ? message.replaceAll(settings.password, '***') : message;
}

export class PostgresAdapter implements Adapter {
  /** PostgreSQL's SQL; its `lowerText` as checked on connecting (lower-probe.ts). */
  readonly sql: SqlDialect;
  readonly introspect: Introspection;
  /** Whether streams use binary COPY (else the cursor). */
  readonly fastPath: boolean;
  readonly #settings: PostgresSettings;
  readonly #pool: pg.Pool;
  readonly #streams = new OpenStreams<PostgresRowStream>();
  #closed = false;

  /** Takes ownership of `pool`; `close()` ends it. Use `openPostgresAdapter`. */
  constructor(settings: PostgresSettings, pool: pg.Pool, fastPath: boolean, lowered: string | null) {
    this.sql = checkedLower(postgresDialect, lowered);
    this.introspect = informationSchemaIntrospection((sql, options) => this.query(sql, options), this.sql, postgresIntrospection);
    this.#settings = settings;
    this.#pool = pool;
    this.fastPath = fastPath;
  }

  async openStream(select: string, options: StreamOptions): Promise<RowStream> {
    const { batchRows, signal } = options;
    checkBatchRows(batchRows);
    this.#assertOpen();
    refuseNul(select, CANNOT_CARRY_NUL);
    if (signal?.aborted) throw cancelled();
    const config = clientConfig(this.#settings);
    // The rows' order is the order a training learns them in: a scan must start at the
    // table's first page, not where another session's scan of it happens to be (the
    // server's synchronized scans), or the same table and seed would give another model
    // whenever something else reads the table.
    const client = new pg.Client({ ...config, options: `${config.options} -c synchronize_seqscans=off`, types: rawTextTypes });
    client.on('error', () => undefined);
    try {
      await client.connect();
    } catch (error) {
      throw connectionError(this.#settings, error);
    }
    const stream = new PostgresRowStream(client, select, options, this.fastPath, this.#pool, () => this.#streams.delete(stream));
    return this.#streams.admit(stream, () => this.#assertOpen(), () => stream.describe());
  }

  async query(sql: string, options: QueryOptions = {}): Promise<ResultTable> {
    this.#assertOpen();
    refuseNul(sql, CANNOT_CARRY_NUL);
    let results: pg.QueryArrayResult<Value[]> | pg.QueryArrayResult<Value[]>[];
    try {
      results = await this.#boundedQuery(sql, new ResultBudget(options.limit), options.signal);
    } catch (error) {
      throw asPostgresError(error);
    }
    // Several statements in one string run as one simple query; the last one answers.
    const result = Array.isArray(results) ? results[results.length - 1]! : results;
    const command = commandTag(sql, result.command);
    const fields = result.fields ?? [];
    if (fields.length > 0 || command === 'SELECT') {
      return {
        command,
        columns: fields.map((field) => ({ name: field.name, type: columnTypeOf(field.dataTypeID) })),
        rows: result.rows,
      };
    }
    return result.rowCount === null ? { command, columns: [], rows: [] } : { command, columns: [], rows: [], rowsAffected: result.rowCount };
  }

  /**
   * `pool.query` would buffer every row before resolving, so the rows are taken from the
   * query's row events (pg keeps none itself then) and counted against `budget`. A result
   * over it is cancelled on the server (`pg_cancel_backend` of this client's backend) and
   * the rows still in flight are dropped; the client goes back to the pool usable.
   * Aborting `signal` cancels the statement the same way, and it then fails with a
   * `cancelled` error; one aborted before it starts is refused.
   */
  async #boundedQuery(sql: string, budget: ResultBudget, signal?: AbortSignal): Promise<pg.QueryArrayResult<Value[]> | pg.QueryArrayResult<Value[]>[]> {
    if (signal?.aborted) throw cancelled();
    const client = await this.#pool.connect();
    if (signal?.aborted) {
      client.release();
      throw cancelled();
    }
    const cancelBackend = (): Promise<unknown> => {
      const pid = (client as unknown as { processID?: number | null }).processID;
      return this.#pool.query('SELECT pg_cancel_backend($1)', [pid]).catch(() => undefined);
    };
    // A cancel can reach the backend before the statement does: it is repeated until the
    // statement ends, and the client goes back to the pool only after the last one returned.
    let aborting: Promise<unknown> | undefined;
    let abortTimer: NodeJS.Timeout | undefined;
    const onAbort = (): void => {
      aborting = cancelBackend();
      abortTimer = setInterval(() => {
        aborting = cancelBackend();
      }, CANCEL_RETRY_MS);
    };
    signal?.addEventListener('abort', onAbort, { once: true });
    const query = new pg.Query({ text: sql, rowMode: 'array' } as pg.QueryConfig);
    // Each statement of a multi-statement string has its own result object; the last answers.
    const rowsOf = new Map<object, Value[][]>();
    let current: object | undefined;
    let rows: Value[][] = [];
    let overflow: unknown;
    let cancelling: Promise<unknown> | undefined;
    query.on('row', (row: Value[], result?: object) => {
      if (overflow !== undefined || result === undefined) return;
      if (result !== current) {
        current = result;
        rows = [];
        rowsOf.set(result, rows);
        budget.reset();
      }
      try {
        budget.admit(row);
        rows.push(row);
      } catch (error) {
        overflow = error;
        rowsOf.clear();
        rows = [];
        cancelling = cancelBackend();
      }
    });
    const ended = new Promise<unknown>((resolve, reject) => {
      query.on('end', resolve);
      query.on('error', reject);
    });
    let failure: unknown;
    let results: unknown;
    try {
      client.query(query);
      results = await ended;
    } catch (error) {
      failure = error;
    }
    signal?.removeEventListener('abort', onAbort);
    if (abortTimer !== undefined) clearInterval(abortTimer);
    await Promise.all([cancelling, aborting]);
    // A lost connection is not handed out again; a cancelled or failed statement leaves it idle and usable.
    client.release(failure !== undefined && isLostConnection(failure) ? (failure as Error) : undefined);
    if (overflow !== undefined) throw overflow;
    if (failure !== undefined) throw signal?.aborted ? cancelled() : failure;
    const all = (Array.isArray(results) ? results : [results]) as pg.QueryArrayResult<Value[]>[];
    for (const result of all) (result as { rows: Value[][] }).rows = rowsOf.get(result) ?? [];
    return Array.isArray(results) ? all : all[0]!;
  }

  async tableExists(table: TableRef): Promise<boolean> {
    this.#assertOpen();
    try {
      const result = await this.#pool.query<{ found: boolean }>(
        `SELECT EXISTS (SELECT 1 FROM pg_catalog.pg_class WHERE oid = to_regclass($1) AND relkind IN ('r', 'p', 'v', 'm', 'f')) AS found`,
        [this.sql.quoteTable(table)],
      );
      return result.rows[0]?.found === true;
    } catch (error) {
      throw asPostgresError(error);
    }
  }

  async describeTable(table: TableRef): Promise<TableDescription | undefined> {
    this.#assertOpen();
    try {
      const result = await this.#pool.query<{ id: string; name: string | null }>(
        `SELECT c.oid::text AS id, a.attname AS name
         FROM pg_catalog.pg_class c
         LEFT JOIN pg_catalog.pg_attribute a ON a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped
         WHERE c.oid = to_regclass($1) AND c.relkind IN ('r', 'p', 'v', 'm', 'f')
         ORDER BY a.attnum`,
        [this.sql.quoteTable(table)],
      );
      const first = result.rows[0];
      if (first === undefined) return undefined;
      const columns = result.rows.flatMap((row) => (row.name === null ? [] : [row.name]));
      // A partitioned referencing table has a copy of its foreign key on each partition
      // (conparentid), referencing the same table: only the parent's is the user's. A
      // partitioned target's partitions are referenced through copies of the key too, on the
      // referencing table itself: a partition named as the target finds the key that reaches
      // it, named as its user named it (one level up).
      const references = await this.#pool.query<ForeignKeyReference>(
        `SELECT DISTINCT COALESCE(up.conname, k.conname) AS "constraint",
                CASE WHEN pg_catalog.pg_table_is_visible(r.oid) THEN r.relname ELSE n.nspname || '.' || r.relname END AS "table"
         FROM pg_catalog.pg_constraint k
         LEFT JOIN pg_catalog.pg_constraint up ON up.oid = k.conparentid AND up.conrelid = k.conrelid
         JOIN pg_catalog.pg_class r ON r.oid = k.conrelid
         JOIN pg_catalog.pg_namespace n ON n.oid = r.relnamespace
         WHERE k.contype = 'f' AND k.confrelid = $1::oid AND k.conrelid <> k.confrelid
           AND NOT EXISTS (SELECT 1 FROM pg_catalog.pg_constraint p WHERE p.oid = k.conparentid AND p.confrelid = k.confrelid)
         ORDER BY 2, 1`,
        [first.id],
      );
      return { id: first.id, columns, referencedBy: references.rows };
    } catch (error) {
      throw asPostgresError(error);
    }
  }

  async write(table: TableRef, columns: readonly Column[], batches: AsyncIterable<RowBatch>, mode: WriteMode): Promise<number> {
    checkColumnNames(table, columns);
    this.#assertOpen();
    let client: pg.PoolClient;
    try {
      client = await this.#pool.connect();
    } catch (error) {
      throw connectionError(this.#settings, error);
    }
    let committed = false;
    try {
      await run(client, 'BEGIN');
      const plan = await this.#planWrite(client, table, columns, mode);
      const copyStatement = `COPY ${plan.into} (${plan.columnList}) FROM STDIN`;
      refuseNul(copyStatement, CANNOT_CARRY_NUL);
      const copy = client.query(copyStreams.from(copyStatement));
      const rows = await pumpRows(copy, columns, batches, new CopyTextEncoder(columns, plan.sources));
      await run(client, 'COMMIT');
      committed = true;
      return rows;
    } finally {
      // Dropping the connection mid-transaction makes the server roll back everything this
      // write did (staging table included), whatever state the COPY was left in.
      client.release(committed ? undefined : true);
    }
  }

  /**
   * CTAS-and-swap (Adapter.writeSelect), all in one transaction on one pool connection:
   * PostgreSQL's DDL is transactional, so a failure anywhere (or the connection dropped)
   * rolls back the staging table with everything else. Aborting `signal` cancels the
   * running statement on the server (`pg_cancel_backend`).
   */
  async writeSelect(table: TableRef, rows: SelectRows, mode: WriteMode, options: { readonly signal?: AbortSignal } = {}): Promise<number> {
    const { signal } = options;
    const written = writtenNames(table, rows);
    this.#assertOpen();
    if (signal?.aborted) throw cancelled();
    let client: pg.PoolClient;
    try {
      client = await this.#pool.connect();
    } catch (error) {
      throw connectionError(this.#settings, error);
    }
    const pid = (client as unknown as { processID?: number | null }).processID;
    const cancel = (): void => void this.#pool.query('SELECT pg_cancel_backend($1)', [pid]).catch(() => undefined);
    signal?.addEventListener('abort', cancel, { once: true });
    let committed = false;
    try {
      const staging = stagingTable(table);
      await run(client, 'BEGIN');
      for (const setting of this.sql.compiledSettings) await run(client, setting);
      const created = await run(client, createStagingSql(this.sql, staging, rows, 'cast'));
      const found = await run(client, `SELECT 1 FROM pg_catalog.pg_class c WHERE c.oid = to_regclass($1) AND c.relkind IN ('r', 'p', 'f')`, [this.sql.quoteTable(table)]);
      if (found.rows.length === 0) {
        await run(client, `ALTER TABLE ${this.sql.quoteTable(staging)} RENAME TO ${this.sql.quoteIdent(table.name)}`);
      } else {
        const existing = (await run(client, `SELECT * FROM ${this.sql.quoteTable(table)} LIMIT 0`)).fields.map((field) => field.name);
        const names = matchColumns(table, written, existing, mode);
        // DELETE, not TRUNCATE, for the reasons `#planWrite` gives.
        if (mode === 'replace') await run(client, `DELETE FROM ${this.sql.quoteTable(table)}`);
        await run(client, copyFromStagingSql(this.sql, table, staging, written, names));
        await run(client, `DROP TABLE ${this.sql.quoteTable(staging)}`);
      }
      await run(client, 'COMMIT');
      committed = true;
      return created.rowCount ?? 0;
    } catch (error) {
      if (signal?.aborted) throw cancelled();
      throw error;
    } finally {
      signal?.removeEventListener('abort', cancel);
      // Dropping the connection mid-transaction makes the server roll back everything.
      client.release(committed ? undefined : true);
    }
  }

  /** Kysely's PostgresDialect on the adapter's pool; statement errors become `DatabaseError`s. */
  kyselyDialect(): KyselyDialect {
    return new PostgresDialect({ pool: catalogPool(this.#pool) });
  }

  async ensureCatalog(ddl: readonly string[]): Promise<void> {
    this.#assertOpen();
    const client = await this.#pool.connect().catch((error: unknown) => {
      throw connectionError(this.#settings, error);
    });
    let done = false;
    try {
      await run(client, 'BEGIN');
      await run(client, `SELECT pg_advisory_xact_lock(${CATALOG_LOCK_KEY})`);
      for (const statement of ddl) await run(client, statement);
      await run(client, 'COMMIT');
      done = true;
    } finally {
      client.release(done ? undefined : true);
    }
  }

  /**
   * An advisory lock on a connection of its own (the pool's connections come and go, and
   * with them a session lock); the key is sqlml's class number and the name's hashtext.
   */
  async holdLock(name: string): Promise<HeldLock | null> {
    this.#assertOpen();
    const client = new pg.Client(clientConfig(this.#settings));
    client.on('error', () => undefined);
    try {
      await client.connect();
    } catch (error) {
      throw connectionError(this.#settings, error);
    }
    let held = false;
    try {
      const result = await client.query<{ held: boolean }>('SELECT pg_try_advisory_lock($1::integer, hashtext($2)) AS held', [ADVISORY_LOCK_CLASS, name]);
      held = result.rows[0]?.held === true;
    } catch (error) {
      throw asPostgresError(error);
    } finally {
      if (!held) await client.end().catch(() => undefined);
    }
    if (!held) return null;
    // Ending the session frees its advisory locks.
    return { release: () => client.end().catch(() => undefined) };
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    await this.#streams.closeAll();
    await this.#pool.end();
  }

  #assertOpen(): void {
    if (this.#closed) throw new SqlmlError('connection', `the PostgreSQL connection to ${this.#settings.address} is closed`);
  }

  /**
   * Creates what `mode` needs inside the open transaction and says where the COPY goes:
   * always the table itself, created if missing, emptied first for `replace`.
   */
  async #planWrite(client: pg.PoolClient, table: TableRef, columns: readonly Column[], mode: WriteMode): Promise<WritePlan> {
    const found = await run(client, `SELECT n.nspname AS schema FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace WHERE c.oid = to_regclass($1) AND c.relkind IN ('r', 'p', 'f')`, [
      this.sql.quoteTable(table),
    ]);
    const schema = (found.rows[0] as { schema?: string } | undefined)?.schema;
    const definitions = columns.map((column) => `${this.sql.quoteIdent(column.name)} ${columnDefinitionType(column)}`).join(', ');
    const allColumns = columns.map((column) => this.sql.quoteIdent(column.name)).join(', ');
    const inOrder = columns.map((_, index) => index);
    if (schema === undefined) {
      await run(client, `CREATE TABLE ${this.sql.quoteTable(table)} (${definitions})`);
      return { into: this.sql.quoteTable(table), columnList: allColumns, sources: inOrder };
    }
    const existing = (await run(client, `SELECT * FROM ${this.sql.quoteTable(table)} LIMIT 0`)).fields.map((field) => field.name);
    const names = columns.map((column) => {
      const name = existing.find((candidate) => candidate === column.name) ?? existing.find((candidate) => candidate.toLowerCase() === column.name.toLowerCase());
      if (name === undefined) throw new SqlmlError('bad_column', `column ${column.name} is not in table ${tableLabel(table)}, so rows cannot be ${mode === 'append' ? 'appended to' : 'written into'} it`);
      return name;
    });
    // The rows are replaced, not the table: DROP would take its grants, and fail on a view over it.
    // DELETE, not TRUNCATE: TRUNCATE's ACCESS EXCLUSIVE lock, held to COMMIT, would make every
    // reader wait for the whole write instead of seeing the old rows; it also refuses a table
    // that a foreign key references and skips ON DELETE triggers. Measured, it saves little.
    if (mode === 'replace') await run(client, `DELETE FROM ${this.sql.quoteTable(table)}`);
    return { into: this.sql.quoteTable(table), columnList: names.map((name) => this.sql.quoteIdent(name)).join(', '), sources: inOrder };
  }
}

interface WritePlan {
  /** The quoted table the COPY fills. */
  readonly into: string;
  /** Its quoted columns, in COPY order. */
  readonly columnList: string;
  /** For each COPY column, the index of the batch column that fills it. */
  readonly sources: readonly number[];
}

/**
 * Feeds the batches to a `COPY … FROM STDIN` stream with backpressure and waits for the
 * server to accept the data. A failing source passes its error through unchanged (the
 * caller drops the connection, which rolls back); a refused row is a `DatabaseError`, a
 * connection the server ended a `connection` error.
 */
async function pumpRows(copy: Writable, columns: readonly Column[], batches: AsyncIterable<RowBatch>, encoder: CopyTextEncoder): Promise<number> {
  let refused: unknown;
  // The COPY can fail while the source is between batches (its connection killed while the
  // query behind the source is slow): the wait for the next batch races this, so the write
  // fails at once instead of when the source next delivers.
  const failed = new Promise<never>((_, reject) =>
    copy.on('error', (error: unknown) => {
      refused ??= error;
      reject(asPostgresError(error));
    }),
  );
  failed.catch(() => undefined);
  const source = batches[Symbol.asyncIterator]();
  let rows = 0;
  try {
    for (;;) {
      const next = await Promise.race([source.next(), failed]);
      if (next.done === true) break;
      const batch = next.value;
      checkBatch(columns, batch);
      if (batch.rowCount === 0) continue;
      rows += batch.rowCount;
      if (!copy.write(encoder.encode(batch))) {
        await Promise.race([drainedOrClosed(copy), failed]);
      }
      if (refused !== undefined) throw asPostgresError(refused);
    }
  } catch (error) {
    // Let go of the source as a for-await would; not awaited, since a source still waiting
    // for its next batch answers only once that arrives (the caller closes its stream).
    source.return?.().catch(() => undefined);
    throw error;
  }
  copy.end();
  try {
    await finished(copy);
  } catch (error) {
    throw asPostgresError(refused ?? error);
  }
  if (refused !== undefined) throw asPostgresError(refused);
  return rows;
}

/** Resolves when the COPY can take more data or has closed; leaves no listener behind. */
function drainedOrClosed(copy: Writable): Promise<void> {
  return new Promise((resolve) => {
    const done = (): void => {
      copy.off('drain', done);
      copy.off('close', done);
      resolve();
    };
    copy.on('drain', done);
    copy.on('close', done);
  });
}

/** A stream on its own client: binary COPY or cursor, cancellable through the pool. */
class PostgresRowStream implements RowStream {
  columns: readonly Column[] = [];
  readonly method: string;
  readonly #client: pg.Client;
  readonly #select: string;
  readonly #batchRows: number;
  readonly #reuseBatches: boolean;
  readonly #signal: AbortSignal | undefined;
  readonly #fastPath: boolean;
  readonly #pool: pg.Pool;
  readonly #onClose: () => void;
  readonly #onAbort = (): void => this.#startCancelling();
  #oids: readonly number[] = [];
  #cancelTimer: NodeJS.Timeout | undefined;
  #iterated = false;
  #finished = false;
  #closed: Promise<void> | undefined;

  constructor(client: pg.Client, select: string, options: StreamOptions, fastPath: boolean, pool: pg.Pool, onClose: () => void) {
    this.#client = client;
    this.#select = select;
    this.#batchRows = options.batchRows;
    this.#reuseBatches = options.reuseBatches === true;
    this.#signal = options.signal;
    this.#fastPath = fastPath;
    this.#pool = pool;
    this.#onClose = onClose;
    this.method = fastPath ? 'postgres binary COPY' : 'postgres cursor';
    this.#signal?.addEventListener('abort', this.#onAbort, { once: true });
  }

  /** Learns the columns without running the query to its first row. */
  async describe(): Promise<void> {
    try {
      const result = await this.#client.query({ text: `SELECT * FROM (${this.#select}\n) AS q LIMIT 0`, rowMode: 'array' });
      this.#oids = result.fields.map((field) => field.dataTypeID);
      this.columns = result.fields.map((field) => ({ name: field.name, type: columnTypeOf(field.dataTypeID), dbType: typeNameOf(field.dataTypeID, field.dataTypeModifier) }));
    } catch (error) {
      throw this.#failure(error);
    }
    this.#check();
  }

  batches(): AsyncIterable<RowBatch> {
    if (this.#iterated) throw streamReadTwice();
    this.#iterated = true;
    return this.#fastPath ? this.#readCopy() : this.#readCursor();
  }

  close(): Promise<void> {
    this.#closed ??= this.#shutDown();
    return this.#closed;
  }

  async *#readCopy(): AsyncGenerator<RowBatch> {
    try {
      this.#check();
      const binary = this.#oids.map(isBinaryDecodable);
      // Types without a binary decoder travel as text: columns renamed positionally so
      // that duplicate or odd names in the user's query cannot matter.
      const sql = binary.every(Boolean)
        ? `COPY (SELECT * FROM (${this.#select}\n) AS q) TO STDOUT (FORMAT binary)`
        : `COPY (SELECT ${binary.map((ok, i) => (ok ? `q.c${i}` : `q.c${i}::text`)).join(', ')} FROM (${this.#select}\n) AS q(${binary.map((_, i) => `c${i}`).join(', ')})) TO STDOUT (FORMAT binary)`;
      const decoder = new BinaryCopyDecoder(
        this.#oids.map((oid, i) => (binary[i] ? oid : Oid.text)),
        this.#batchRows,
      );
      // A few MB read ahead let the server keep sending while a batch is decoded or consumed.
      // Chunk by chunk (object mode): a byte stream's async iterator hands over everything
      // buffered as one Buffer, concatenated (a copy of up to the whole read-ahead, each
      // time the consumer comes back), and the decoder then fills dozens of batches at once,
      // each in fresh arrays, since none has been handed back to recycle yet.
      const copy = this.#client.query(copyOut(sql, { objectMode: true, highWaterMark: READ_AHEAD_CHUNKS }));
      // Async iteration reads a chunk only when the loop asks: while the consumer works on
      // a batch, the socket is not read and the server waits (backpressure).
      for await (const chunk of copy as AsyncIterable<Buffer>) {
        for (const batch of decoder.push(chunk)) {
          this.#check();
          yield batch;
          // The consumer asked for the next batch: with reuseBatches it is done with this one.
          if (this.#reuseBatches) decoder.recycle(batch);
        }
      }
      const last = decoder.finish();
      this.#check();
      if (last !== null) yield last;
      this.#finished = true;
    } catch (error) {
      throw this.#failure(error);
    } finally {
      await this.close();
    }
  }

  async *#readCursor(): AsyncGenerator<RowBatch> {
    try {
      this.#check();
      const converter = new TextRowConverter(this.columns.map((column, i) => ({ type: column.type, oid: this.#oids[i]! })));
      const cursor = this.#client.query(new Cursor<(string | null)[]>(this.#select, [], { rowMode: 'array', types: rawTextTypes }));
      for (;;) {
        const rows = await cursor.read(this.#batchRows);
        this.#check();
        if (rows.length === 0) break;
        yield converter.convert(rows);
        if (rows.length < this.#batchRows) break;
      }
      await cursor.close();
      this.#finished = true;
    } catch (error) {
      throw this.#failure(error);
    } finally {
      await this.close();
    }
  }

  #check(): void {
    if (this.#signal?.aborted) throw cancelled();
    if (this.#closed !== undefined) throw new SqlmlError('connection', 'the row stream was closed before its last row');
  }

  #failure(error: unknown): SqlmlError {
    if (this.#signal?.aborted) return cancelled();
    if (error instanceof SqlmlError) return error;
    if (this.#closed !== undefined) return new SqlmlError('connection', 'the row stream was closed before its last row', { cause: error });
    return asPostgresError(error);
  }

  #startCancelling(): void {
    if (this.#cancelTimer !== undefined || this.#closed !== undefined) return;
    const cancel = (): void => void this.#cancelBackend();
    cancel();
    this.#cancelTimer = setInterval(cancel, CANCEL_RETRY_MS);
  }

  /** pg's Client has no public cancel: ask the server to cancel this client's backend from a pool connection. */
  async #cancelBackend(): Promise<void> {
    // Set from the server's BackendKeyData at connect; outside pg's typings.
    const pid = (this.#client as unknown as { processID?: number | null }).processID;
    if (pid === null || pid === undefined) return;
    await this.#pool.query('SELECT pg_cancel_backend($1)', [pid]).catch(() => undefined);
  }

  async #shutDown(): Promise<void> {
    this.#signal?.removeEventListener('abort', this.#onAbort);
    if (this.#cancelTimer !== undefined) clearInterval(this.#cancelTimer);
    try {
      if (this.#finished) {
        await this.#client.end();
      } else {
        // The query may still be running (or a COPY paused by backpressure): stop it on
        // the server, then drop the socket rather than wait for output nobody reads.
        await this.#cancelBackend();
        socketOf(this.#client)?.destroy();
        await this.#client.end().catch(() => undefined);
      }
    } catch {
      // The client is being discarded either way.
    } finally {
      this.#onClose();
    }
  }
}

/** pg keeps the socket on `client.connection.stream`, outside its typings. */
function socketOf(client: pg.Client): Socket | undefined {
  return (client as unknown as { connection?: { stream?: Socket } }).connection?.stream;
}

async function run(client: pg.PoolClient, sql: string, values?: unknown[]): Promise<pg.QueryResult> {
  refuseNul(sql, CANNOT_CARRY_NUL);
  try {
    return await client.query(sql, values);
  } catch (error) {
    throw asPostgresError(error);
  }
}

/** The pool as Kysely's PostgresDialect wants it, with statement errors as `DatabaseError`s; the adapter ends the pool. */
function catalogPool(pool: pg.Pool): PostgresPool {
  return {
    async connect(): Promise<PostgresPoolClient> {
      const acquire = (): Promise<pg.PoolClient> =>
        pool.connect().catch((error: unknown) => {
          throw asPostgresError(error);
        });
      let client = await acquire();
      let fresh = true;
      const query = async (sql: string, parameters: readonly unknown[]): Promise<pg.QueryResult> => {
        const first = fresh;
        fresh = false;
        try {
          return await client.query(sql, [...parameters]);
        } catch (error) {
          // A pooled connection the server ended while it sat idle (pg_terminate_backend, a
          // restart) can be handed out before its FATAL has been read: its first query fails
          // without having run. The catalog's statement then runs on a fresh connection.
          if (!first || !isLostConnection(error)) throw asPostgresError(error);
          client.release(true);
          client = await acquire();
          try {
            return await client.query(sql, [...parameters]);
          } catch (retryError) {
            throw asPostgresError(retryError);
          }
        }
      };
      return { query: query as unknown as PostgresPoolClient['query'], release: (destroy?: boolean) => client.release(destroy) };
    },
    end: () => Promise.resolve(),
  };
}

/** Words that may sit between CREATE/DROP/ALTER and the kind of object. */
const OBJECT_MODIFIERS = new Set(['OR', 'REPLACE', 'TEMP', 'TEMPORARY', 'UNLOGGED', 'UNIQUE', 'GLOBAL', 'LOCAL', 'MATERIALIZED', 'IF', 'NOT', 'EXISTS', 'CONCURRENTLY']);

/**
 * The command tag of a pass-through statement: pg reports the tag's first word
 * (`SELECT`, `INSERT`, `CREATE`); DDL gets its object kind from the text (`CREATE TABLE`).
 */
export function commandTag(sql: string, reported: string | null | undefined): string {
  const words = leadingWords(sql);
  const schemaChange = schemaChangeTag(words, OBJECT_MODIFIERS);
  if (schemaChange !== undefined) {
    return schemaChange.endsWith(' VIEW') && words.slice(1).includes('MATERIALIZED') ? schemaChange.replace(/ VIEW$/, ' MATERIALIZED VIEW') : schemaChange;
  }
  if (reported) return reported.toUpperCase();
  const first = keywordOf(words[0]);
  return first === undefined || first === 'WITH' ? 'SELECT' : first;
}




/**
 * A server error keeps its message; the pg error (SQLSTATE in `code`, position, detail) is
 * the cause. A connection the server ended or that broke is a `connection` error: the
 * statement was fine, the session is gone.
 */
function asPostgresError(error: unknown): SqlmlError {
  if (error instanceof SqlmlError) return error;
  if (isLostConnection(error)) return new SqlmlError('connection', `the connection to PostgreSQL was lost: ${errorMessage(error)}`, { cause: error });
  // A parameter holding NUL (a table or model name sent as a value): its own message names only the byte.
  if ((error as { code?: unknown } | null)?.code === '22021' && errorMessage(error).endsWith(': 0x00')) {
    return new SqlmlError('unsupported', `a name or value sent with the statement holds a NUL character (U+0000), which PostgreSQL's text cannot hold`, { cause: error });
  }
  return asDatabaseError(error);
}

/** SQLSTATEs of a session the server ends: admin_shutdown (pg_terminate_backend), crash_shutdown, cannot_connect_now. */
const SESSION_ENDED = new Set(['57P01', '57P02', '57P03']);
const SOCKET_FAILURES = new Set(['ECONNRESET', 'EPIPE', 'ETIMEDOUT']);

function isLostConnection(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  if (typeof code === 'string' && (SESSION_ENDED.has(code) || code.startsWith('08') || SOCKET_FAILURES.has(code))) return true;
  // pg's own errors for a socket that closed under a query carry no code.
  return /^Connection terminated/.test(errorMessage(error));
}
