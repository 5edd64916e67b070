/**
 * The MySQL/MariaDB adapter on mysql2.
 *
 * Three kinds of connection, each for one job:
 * - the session: pass-through statements, `tableExists` and `write()` take turns on it
 *   through one lock, so a user's `SET`/temporary tables persist between statements and
 *   no statement lands inside a write's transaction;
 * - one fresh connection per stream, because a streaming result occupies its connection
 *   until the last row, and the engine writes predictions while still reading;
 * - a pool for the Kysely catalog and for `KILL CONNECTION` when a stream is cancelled.
 * Every connection runs in UTC (`time_zone = '+00:00'`) so TIMESTAMPs round-trip, and in
 * the URL's `sql_mode` where it gives one.
 */
import mysql, { type Connection, type ConnectionOptions, type FieldPacket, type Pool, type ResultSetHeader } from 'mysql2';
import type { Dialect as KyselyDialect } from 'kysely';
import type { Adapter, AdapterFactory, HeldLock, QueryOptions, RowStream, SelectRows, StreamOptions, TableDescription, TableRef, WriteMode } from '../adapter.js';
import { copyFromStagingSql, createStagingSql, matchColumns, stagingTable, writtenNames } from '../select-into.js';
import { mysqlDialect } from './dialect.js';
import { informationSchemaIntrospection, type Introspection } from '../introspect.js';
import { mysqlIntrospection } from './introspect.js';
import type { SqlDialect } from '../dialect.js';
import type { Column, ResultTable, RowBatch, Value } from '../../src/data.js';
import { ResultBudget } from '../result-budget.js';
import { DatabaseError, SqlmlError, errorMessage } from '../../src/errors.js';
import { MySQLCatalogDialect } from './mysql-kysely.js';
import { MySQLRowStream, asFields } from './mysql-reader.js';
import { asDatabaseError, cancelled, checkBatchRows, nulAt, nulInStatement } from '../adapter-errors.js';
import { Tokenizer, type LexicalRules } from '../../src/sql/index.js';
import { keywordOf, leadingWords, schemaChangeTag } from '../command-tag.js';
import { checkedLower, probeLetters } from '../lower-probe.js';
import { OpenStreams } from '../open-streams.js';
import { dropAbandoned, holdStagingLock, leftoverTag, releaseStagingLock } from './mysql-leftovers.js';
import { runQuery, type QueryOutcome } from './mysql-session.js';
import { cellDecoderFor, columnTypeOf, resultValue, type MySQLField } from './mysql-types.js';
import { connectionError, parseMySQLUrl, type MySQLSettings } from './mysql-url.js';
import { writeTable, type LoadMethod } from './mysql-writer.js';
import { ConnectionLock } from '../connection-lock.js';

/** What every connection runs first: UTC, and the URL's sql_mode where it gives one (mode names only, checked by parseMySQLUrl). */
function sessionSetup(settings: MySQLSettings): string {
  return `SET time_zone = '+00:00'${settings.sqlMode === undefined ? '' : `, sql_mode = '${settings.sqlMode}'`}`;
}
/** Server errors of a statement stopped on the server: `KILL QUERY` (1317), max_execution_time (3024). */
const QUERY_INTERRUPTED = new Set([1317, 3024]);
/** A KILL QUERY can reach the server before the statement does; it is repeated until the statement ends. */
const CANCEL_RETRY_MS = 250;
/** MariaDB's ER_CONNECTION_KILLED: `KILL CONNECTION` ended the session. */
const CONNECTION_KILLED = 1927;

/** Opens a MySQL/MariaDB database from a `mysql://user:password@host:port/database` URL. */
export const openMySQLAdapter: AdapterFactory = async (url) => {
  const settings = parseMySQLUrl(url);
  const options = connectionOptions(settings);
  let session: Connection;
  let probe: QueryOutcome;
  try {
    session = await connect(options, sessionSetup(settings));
    probe = await runQuery(session, 'SELECT @@GLOBAL.local_infile, @@SESSION.sql_mode');
  } catch (error) {
    throw connectionError(settings, error);
  }
  const [localInfile, sqlMode] = probe.rows[0] ?? [];
  const method: LoadMethod = settings.bulkWrite !== 'auto' ? settings.bulkWrite : Number(localInfile) === 1 ? 'load_data' : 'insert';
  const backslashEscapes = !String(sqlMode ?? '').includes('NO_BACKSLASH_ESCAPES');
  // LOWER() follows the collation's Unicode tables: checked letter by letter (lower-probe.ts).
  const dialect = mysqlDialect({ backslashEscapes });
  const lowered = await runQuery(session, `SELECT ${dialect.lowerText!(dialect.quoteString(probeLetters()))}`).then(
    (outcome) => (outcome.rows[0]?.[0] === undefined || outcome.rows[0][0] === null ? null : String(outcome.rows[0][0])),
    () => null,
  );
  return new MySQLAdapter(settings, options, session, method, checkedLower(dialect, lowered));
};

/**
 * Driver settings that make decoding cheap: BIGINT and DECIMAL arrive as numbers, dates
 * and JSON as the server's text (no Date or parsed object per cell).
 */
function connectionOptions(settings: MySQLSettings): ConnectionOptions {
  return {
    host: settings.host,
    port: settings.port,
    user: settings.user,
    password: settings.password,
    database: settings.database,
    ...(settings.ssl ? { ssl: {} } : {}),
    supportBigNumbers: true,
    bigNumberStrings: false,
    // DECIMAL as text: parsed once by the reader, and kept where a double cannot hold it.
    decimalNumbers: false,
    dateStrings: true,
    jsonStrings: true,
    // Doubles from the server's own digits: the driver's parser of the text protocol's
    // digits is not correctly rounded (900930.4489990189 came back as …188, one unit in
    // the last place off), where Number() of the same digits is exact to the value sent.
    typeCast: (field, next) => {
      if (field.type !== 'DOUBLE' && field.type !== 'FLOAT') return next();
      const digits = field.string();
      return digits === null ? null : Number(digits);
    },
    timezone: 'Z',
    charset: 'UTF8MB4_GENERAL_CI',
    connectTimeout: 10_000,
  };
}

/** A connected connection that has run `setup` (sessionSetup); rejects with the driver's error. */
function connect(options: ConnectionOptions, setup: string): Promise<Connection> {
  return new Promise((resolve, reject) => {
    const connection = mysql.createConnection(options);
    connection.query(setup, (error) => {
      if (error) {
        connection.destroy();
        reject(error);
      } else {
        resolve(connection);
      }
    });
  });
}

export class MySQLAdapter implements Adapter {
  /** The session's SQL, in the sql_mode found on connecting. */
  readonly sql: SqlDialect;
  readonly introspect: Introspection;
  /** How `write()` loads rows: `LOAD DATA LOCAL INFILE`, or multi-row INSERTs where the server forbids it. */
  readonly loadMethod: LoadMethod;
  readonly #settings: MySQLSettings;
  readonly #options: ConnectionOptions;
  readonly #pool: Pool;
  readonly #lock = new ConnectionLock();
  readonly #streams = new OpenStreams<MySQLRowStream>();
  #session: Connection | undefined;
  #closed = false;

  /** Takes ownership of `session`. Use `openMySQLAdapter`. */
  constructor(settings: MySQLSettings, options: ConnectionOptions, session: Connection, loadMethod: LoadMethod, sql: SqlDialect) {
    this.#settings = settings;
    this.#options = options;
    this.loadMethod = loadMethod;
    this.sql = sql;
    this.introspect = informationSchemaIntrospection((sql, options) => this.query(sql, options), this.sql, mysqlIntrospection);
    this.#adoptSession(session);
    this.#pool = mysql.createPool({ ...options, connectionLimit: 4, maxIdle: 2 });
    this.#pool.on('connection', (connection) => {
      // mysql2's pool listens for one 'error' per connection; a killed connection can
      // report more than one (its error packet, then the closed socket).
      connection.on('error', () => undefined);
      connection.query(sessionSetup(settings));
    });
  }

  async openStream(select: string, options: StreamOptions): Promise<RowStream> {
    const { batchRows, signal } = options;
    checkBatchRows(batchRows);
    this.#assertOpen();
    if (signal?.aborted) throw cancelled();
    let connection: Connection;
    try {
      connection = await connect(this.#options, sessionSetup(this.#settings));
    } catch (error) {
      throw this.#asError(error);
    }
    const query = connection.query({ sql: select, rowsAsArray: true });
    const stream = new MySQLRowStream(connection, query, batchRows, signal, {
      killQuery: (threadId) => this.#killQuery(threadId),
      asError: (error) => this.#asError(error),
      onClose: () => this.#streams.delete(stream),
    });
    return this.#streams.admit(stream, () => this.#assertOpen(), () => stream.open());
  }

  query(sql: string, options: QueryOptions = {}): Promise<ResultTable> {
    const { signal } = options;
    if (signal?.aborted) return Promise.reject(cancelled());
    return this.#exclusive(async (session) => {
      // Aborted while it waited for the session: it never starts.
      if (signal?.aborted) throw cancelled();
      const outcome = await this.#boundedQuery(session, sql, new ResultBudget(options.limit), signal);
      return toResultTable(sql, outcome);
    });
  }

  /**
   * A callback query would buffer every row, so the rows are taken from the query's
   * events (mysql2 keeps none itself then), decoded and counted against `budget` as they
   * arrive. A result over it is stopped with `KILL QUERY` on the session's thread (the
   * session keeps reading, so the server sees the flag at its next row) and the rows
   * still in flight are dropped; the session stays open and usable. Aborting `signal`
   * stops the statement the same way, and it then fails with a `cancelled` error.
   */
  #boundedQuery(session: Connection, sql: string, budget: ResultBudget, signal?: AbortSignal): Promise<DecodedOutcome> {
    return new Promise((resolve, reject) => {
      const query = session.query({ sql, rowsAsArray: true });
      const killQuery = (): Promise<void> => new Promise<void>((done) => this.#pool.query(`KILL QUERY ${Number(session.threadId)}`, () => done()));
      // A KILL QUERY that reaches the server before the statement does stops nothing, so it
      // is repeated until the statement ends; the session is held until the last one returns.
      let killTimer: NodeJS.Timeout | undefined;
      let cancelling: Promise<void> | undefined;
      const onAbort = (): void => {
        cancelling = killQuery();
        killTimer = setInterval(() => {
          cancelling = killQuery();
        }, CANCEL_RETRY_MS);
      };
      signal?.addEventListener('abort', onAbort, { once: true });
      // Each statement of a multi-statement string has its own result; the last answers.
      let outcome: DecodedOutcome = { rows: [], fields: undefined, header: undefined };
      let decode: ((raw: readonly unknown[]) => Value[]) | undefined;
      let overflow: unknown;
      let killing: Promise<void> | undefined;
      query.on('fields', (packets: FieldPacket[] | undefined) => {
        // A statement without a row set announces no fields; its OK packet follows as a 'result'.
        if (packets === undefined) {
          decode = undefined;
          return;
        }
        const fields = asFields(packets);
        const types = fields.map(columnTypeOf);
        const decoders = fields.map(cellDecoderFor);
        decode = (raw) => fields.map((_, index) => resultValue(types[index]!, decoders[index]!, raw[index]));
        outcome = { rows: [], fields, header: undefined };
        budget.reset();
      });
      query.on('result', (item: unknown) => {
        if (overflow !== undefined) return;
        if (!Array.isArray(item) || decode === undefined) {
          outcome = { rows: [], fields: undefined, header: item as ResultSetHeader };
          decode = undefined;
          return;
        }
        try {
          // A row it cannot decode stops the query as one over the budget does.
          const row = decode(item);
          budget.admit(row);
          (outcome.rows as Value[][]).push(row);
        } catch (error) {
          overflow = error;
          outcome = { rows: [], fields: undefined, header: undefined };
          killing = new Promise<void>((done) => this.#pool.query(`KILL QUERY ${Number(session.threadId)}`, () => done()));
        }
      });
      let settled = false;
      const settle = (error: unknown): void => {
        if (settled) return;
        settled = true;
        session.removeListener('error', lost);
        signal?.removeEventListener('abort', onAbort);
        if (killTimer !== undefined) clearInterval(killTimer);
        void Promise.all([killing, cancelling]).then(() => {
          if (overflow !== undefined) reject(overflow);
          else if (error !== undefined) reject(signal?.aborted ? cancelled() : this.#asError(error));
          else resolve(outcome);
        });
      };
      // A query without a callback is not told when its connection dies (KILL CONNECTION, a
      // restart): mysql2 emits that fatal error on the connection instead.
      const lost = (error: Error): void => settle(error);
      session.once('error', lost);
      query.on('error', (error: Error) => settle(error));
      query.on('end', () => settle(undefined));
    });
  }

  tableExists(table: TableRef): Promise<boolean> {
    return this.#exclusive((session) => this.#tableExists(session, table));
  }

  describeTable(table: TableRef): Promise<TableDescription | undefined> {
    return this.#exclusive(async (session) => {
      const outcome = await runQuery(
        session,
        `SELECT CONCAT(table_schema, '.', table_name), column_name, table_schema, table_name
         FROM information_schema.columns WHERE table_schema = COALESCE(?, DATABASE()) AND table_name = ? ORDER BY ordinal_position`,
        { values: [table.schema ?? null, table.name] },
      ).catch((error: unknown) => Promise.reject(this.#asError(error)));
      const first = outcome.rows[0];
      if (first === undefined) return undefined;
      // KEY_COLUMN_USAGE has one row per column of a foreign key; REFERENTIAL_CONSTRAINTS
      // has no schema for the referenced table.
      const references = await runQuery(
        session,
        `SELECT DISTINCT k.CONSTRAINT_NAME, IF(k.TABLE_SCHEMA = DATABASE(), k.TABLE_NAME, CONCAT(k.TABLE_SCHEMA, '.', k.TABLE_NAME))
         FROM information_schema.KEY_COLUMN_USAGE k
         WHERE k.REFERENCED_TABLE_SCHEMA = ? AND k.REFERENCED_TABLE_NAME = ?
           AND NOT (k.TABLE_SCHEMA = k.REFERENCED_TABLE_SCHEMA AND k.TABLE_NAME = k.REFERENCED_TABLE_NAME)
         ORDER BY 2, 1`,
        { values: [first[2], first[3]] },
      ).catch((error: unknown) => Promise.reject(this.#asError(error)));
      return {
        id: String(first[0]),
        columns: outcome.rows.map((row) => String(row[1])),
        referencedBy: references.rows.map((row) => ({ constraint: String(row[0]), table: String(row[1]) })),
      };
    });
  }

  write(table: TableRef, columns: readonly Column[], batches: AsyncIterable<RowBatch>, mode: WriteMode): Promise<number> {
    return this.#exclusive((session) =>
      writeTable(
        {
          connection: session,
          sql: this.sql,
          tableExists: (ref) => this.#tableExists(session, ref),
          asError: (error) => this.#asError(error),
          liveConnection: () => this.#liveSession(),
          method: this.loadMethod,
        },
        table,
        columns,
        batches,
        mode,
      ),
    );
  }

  /**
   * CTAS-and-swap (Adapter.writeSelect) on the session. MySQL commits DDL as it goes, so
   * the atomic steps are statements of their own: the CREATE TABLE … SELECT (a failed one
   * leaves no table), then `RENAME TABLE` for a missing target, or one transaction of
   * DELETE and INSERT … SELECT for an existing one. Whatever fails, the staging table is
   * dropped afterwards, on a fresh session when the server ended this one. Aborting
   * `signal` stops the running statement (`KILL QUERY`).
   */
  writeSelect(table: TableRef, rows: SelectRows, mode: WriteMode, options: { readonly signal?: AbortSignal } = {}): Promise<number> {
    const { signal } = options;
    if (signal?.aborted) return Promise.reject(cancelled());
    return this.#exclusive(async (session) => {
      const written = writtenNames(table, rows);
      const staging = stagingTable(table);
      const quotedStaging = this.sql.quoteTable(staging);
      const run = (sql: string): Promise<QueryOutcome> => runQuery(session, sql).catch((error: unknown) => Promise.reject(signal?.aborted ? cancelled() : this.#asError(error)));
      const kill = (): void => {
        this.#pool.query(`KILL QUERY ${Number(session.threadId)}`, () => undefined);
      };
      signal?.addEventListener('abort', kill, { once: true });
      let done = false;
      // The lock marks the staging table as alive while this session lives: a process killed
      // mid-statement leaves it to the next write (or connect), which drops it (mysql-leftovers.ts).
      const tag = leftoverTag(staging.name)!;
      await holdStagingLock(session, tag).catch((error: unknown) => Promise.reject(this.#asError(error)));
      await dropAbandoned(session, this.sql, table.schema);
      try {
        for (const setting of this.sql.compiledSettings) await run(setting);
        const created = await run(createStagingSql(this.sql, staging, rows, 'declare'));
        const count = Number(created.header?.affectedRows ?? 0);
        if (!(await this.#tableExists(session, table))) {
          await run(`RENAME TABLE ${quotedStaging} TO ${this.sql.quoteTable(table)}`);
        } else {
          const existing = await run(`SELECT * FROM ${this.sql.quoteTable(table)} LIMIT 0`);
          const names = matchColumns(table, written, (existing.fields ?? []).map((field) => field.name), mode);
          await run('START TRANSACTION');
          if (mode === 'replace') await run(`DELETE FROM ${this.sql.quoteTable(table)}`);
          await run(copyFromStagingSql(this.sql, table, staging, written, names));
          await run('COMMIT');
        }
        done = true;
        return count;
      } finally {
        signal?.removeEventListener('abort', kill);
        const live = await this.#liveSession().catch(() => undefined);
        if (live !== undefined) {
          if (!done) await runQuery(live, 'ROLLBACK').catch(() => undefined);
          await runQuery(live, `DROP TABLE IF EXISTS ${quotedStaging}`).catch(() => undefined);
          await releaseStagingLock(live, tag).catch(() => undefined);
        }
      }
    });
  }

  /** Kysely's MysqlDialect on the adapter's pool; BIGINT ids and counts come back as numbers. */
  kyselyDialect(): KyselyDialect {
    return new MySQLCatalogDialect({ pool: this.#pool });
  }

  /** MySQL commits DDL as it goes, so there is no transaction to wrap; every statement is `IF NOT EXISTS`. */
  ensureCatalog(ddl: readonly string[]): Promise<void> {
    return this.#exclusive(async (session) => {
      for (const statement of ddl) await runQuery(session, statement).catch((error: unknown) => Promise.reject(this.#asError(error)));
      // Staging tables of writers killed since the last write, gone before anyone lists tables.
      await dropAbandoned(session, this.sql, undefined);
    });
  }

  /** GET_LOCK on a connection of its own (the pool's connections come and go, and with them a session's locks). */
  async holdLock(name: string): Promise<HeldLock | null> {
    this.#assertOpen();
    let connection: Connection;
    try {
      connection = await connect(this.#options, sessionSetup(this.#settings));
    } catch (error) {
      throw this.#asError(error);
    }
    connection.on('error', () => undefined);
    const end = (): Promise<void> => new Promise((done) => connection.end(() => done()));
    let held = false;
    try {
      const taken = await runQuery(connection, `SELECT GET_LOCK(${this.sql.quoteString(name)}, 0)`);
      held = Number(taken.rows[0]?.[0]) === 1;
    } catch (error) {
      throw this.#asError(error);
    } finally {
      if (!held) await end();
    }
    // Ending the session frees its named locks.
    return held ? { release: end } : null;
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    await this.#streams.closeAll();
    const release = await this.#lock.acquire();
    try {
      const session = this.#session;
      this.#session = undefined;
      if (session) await new Promise<void>((resolve) => session.end(() => resolve()));
      // The catalog's connections are the pool's: ending it closes them, and its idle timer would keep the process alive.
      await new Promise<void>((resolve) => this.#pool.end(() => resolve()));
    } finally {
      release();
    }
  }

  #assertOpen(): void {
    if (this.#closed) throw new SqlmlError('connection', `the connection to the MySQL server at ${this.#settings.host}:${this.#settings.port} is closed`);
  }

  /** Keeps the session; a connection that dies (server restart, timeout) is replaced on next use. */
  #adoptSession(session: Connection): void {
    this.#session = session;
    session.on('error', () => {
      if (this.#session === session) this.#session = undefined;
    });
  }

  async #exclusive<T>(work: (session: Connection) => Promise<T>): Promise<T> {
    this.#assertOpen();
    const release = await this.#lock.acquire();
    try {
      this.#assertOpen();
      return await work(await this.#liveSession());
    } finally {
      release();
    }
  }

  /**
   * The session, replaced by a fresh connection if it has died. mysql2 hands a fatal error
   * to the command that was running and emits no 'error' event then, so a killed session
   * is recognised by its state, not by the event alone. Call with the lock held.
   */
  async #liveSession(): Promise<Connection> {
    const current = this.#session;
    if (current !== undefined && isAlive(current)) return current;
    this.#session = undefined;
    current?.destroy();
    try {
      this.#adoptSession(await connect(this.#options, sessionSetup(this.#settings)));
    } catch (error) {
      throw connectionError(this.#settings, error);
    }
    return this.#session!;
  }

  async #tableExists(session: Connection, table: TableRef): Promise<boolean> {
    const outcome = await runQuery(
      session,
      'SELECT COUNT(*) FROM information_schema.tables WHERE table_schema = COALESCE(?, DATABASE()) AND table_name = ?',
      { values: [table.schema ?? null, table.name] },
    ).catch((error: unknown) => Promise.reject(this.#asError(error)));
    return Number(outcome.rows[0]?.[0] ?? 0) > 0;
  }

  /**
   * Stops a stream's query by ending its connection on the server. `KILL QUERY` only
   * flags the query, and a server thread blocked writing into a paused stream's full
   * socket does not look at the flag until the write times out (net_write_timeout); a
   * stream's connection is its own and is dropped anyway, so `KILL CONNECTION`, which
   * shuts the socket down server-side, stops it at once.
   */
  async #killQuery(threadId: number): Promise<void> {
    await new Promise<void>((resolve) => this.#pool.query(`KILL CONNECTION ${Number(threadId)}`, () => resolve()));
  }

  #asError(error: unknown): SqlmlError {
    if (error instanceof SqlmlError) return error;
    const driver = error as { errno?: unknown; fatal?: unknown; sql?: unknown } | null;
    // The server refused text holding a NUL outside a string (mysql2 keeps the text on its error).
    const stray = typeof driver?.sql === 'string' && typeof driver.errno === 'number' && driver.errno > 0 ? strayNulAt(driver.sql, this.sql.lexical) : -1;
    if (stray >= 0) return nulInStatement(driver!.sql as string, stray, 'MariaDB and MySQL take a NUL only inside a string literal', error);
    const server = `the MySQL server at ${this.#settings.host}:${this.#settings.port}`;
    if (driver?.errno === CONNECTION_KILLED) {
      return new SqlmlError('connection', `${server} ended the connection: ${errorMessage(error)}`, { cause: error });
    }
    if (typeof driver?.errno === 'number' && QUERY_INTERRUPTED.has(driver.errno)) {
      return new DatabaseError(`${server} stopped the query: ${errorMessage(error)}`, error);
    }
    if (driver?.fatal === true && !(typeof driver.errno === 'number' && driver.errno > 0)) {
      return new SqlmlError('connection', `lost the connection to ${server}: ${errorMessage(error)}`, { cause: error });
    }
    return asDatabaseError(error);
  }
}

/** Whether a connection can still run commands (not failed, not closing). */
/**
 * Where `sql` holds a NUL outside its string literals (lexed by the session's `lexical`
 * rules), -1 for nowhere. MariaDB takes a NUL inside a string as data (`'a\0b'` is three
 * characters, as the stream reads them) and refuses one anywhere else, never running the
 * text cut short, but with "syntax error … near ''", naming nothing: #asError names it.
 */
function strayNulAt(sql: string, lexical: LexicalRules): number {
  if (nulAt(sql) < 0) return -1;
  let from = 0;
  try {
    const tokens = new Tokenizer(sql, lexical);
    for (let token = tokens.next(); token.kind !== 'eof'; token = tokens.next()) {
      if (token.kind !== 'string') continue;
      const stray = sql.indexOf('\0', from);
      if (stray >= 0 && stray < token.start.offset) return stray;
      from = token.end;
    }
  } catch {
    // Text the tokenizer cannot read (an unterminated quote): the first NUL is named.
    from = 0;
  }
  return sql.indexOf('\0', from);
}

function isAlive(connection: Connection): boolean {
  const state = connection.state;
  return state !== 'error' && state !== 'disconnected';
}

/** A pass-through statement's answer, its rows already decoded: rows and fields for a row set, `header` for anything else. */
interface DecodedOutcome {
  readonly rows: readonly (readonly Value[])[];
  readonly fields: readonly MySQLField[] | undefined;
  readonly header: ResultSetHeader | undefined;
}

function toResultTable(sql: string, outcome: DecodedOutcome): ResultTable {
  const command = commandTag(sql, outcome.fields !== undefined);
  if (outcome.fields === undefined) {
    const affected = outcome.header?.affectedRows;
    return ROW_COUNT_COMMANDS.has(command) && affected !== undefined ? { command, columns: [], rows: [], rowsAffected: affected } : { command, columns: [], rows: [] };
  }
  return {
    command,
    columns: outcome.fields.map((field) => ({ name: field.name, type: columnTypeOf(field) })),
    rows: outcome.rows,
  };
}

const ROW_COUNT_COMMANDS = new Set(['INSERT', 'UPDATE', 'DELETE', 'REPLACE', 'LOAD']);
/** Leading white space, comments (`-- ` needs the blank in MySQL; `#` too) and opening parentheses. */
const LEADING_NOISE = /^(?:\s+|(?:--\s|#)[^\n]*\n?|\/\*[\s\S]*?\*\/|\()*/;
/** Words that may sit between CREATE/DROP/ALTER and the kind of object. */
const OBJECT_MODIFIERS = new Set(['OR', 'REPLACE', 'TEMPORARY', 'UNIQUE', 'FULLTEXT', 'SPATIAL', 'IF', 'NOT', 'EXISTS', 'ONLINE', 'OFFLINE', 'IGNORE']);

/**
 * The command tag of a pass-through statement, as PostgreSQL names them: the first
 * keyword (`SELECT`, `INSERT`), with the object kind for DDL (`CREATE TABLE`, `DROP VIEW`).
 */
export function commandTag(sql: string, hasRows: boolean): string {
  const words = leadingWords(sql, LEADING_NOISE);
  const first = keywordOf(words[0]);
  if (first === undefined || first === 'WITH' || first === 'VALUES' || first === 'TABLE') return hasRows ? 'SELECT' : (first ?? 'SELECT');
  return schemaChangeTag(words, OBJECT_MODIFIERS) ?? first;
}
