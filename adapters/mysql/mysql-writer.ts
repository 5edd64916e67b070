/**
 * Atomic bulk writes. Rows travel by `LOAD DATA LOCAL INFILE` fed from a stream, or by
 * multi-row INSERTs where the server forbids local files.
 *
 * Into an existing InnoDB table (LOAD DATA): one transaction DELETEs its rows for replace and
 * loads the new ones straight into it, so the table itself is never dropped (it keeps its
 * keys, grants, triggers, the views on it and the foreign keys that reference it) and no
 * other session sees the rows until COMMIT. DELETE, not TRUNCATE: TRUNCATE commits at
 * once. With LOCAL the server cannot stop the file mid-way, so it turns what it refuses
 * (a duplicate key, a value that does not fit, NULL into NOT NULL) into warnings and goes
 * on; any warning therefore rolls the whole write back. Notes (a DECIMAL rounded, as an
 * INSERT rounds it) are switched off for the load, so they neither fail it nor hide a warning.
 *
 * Otherwise rows go first into a staging table of sqlml's own column types (so loading
 * them cannot fail on a conversion), and one step makes them visible: `RENAME TABLE`
 * turns the staging table into a new table, or (INSERT method) `INSERT ... SELECT` inside
 * a transaction adds them to an existing one (after a DELETE of its rows for replace),
 * where the server's own checks refuse a value that does not fit. Whatever fails, the
 * staging table is dropped and the target is as it was.
 *
 * DDL commits at once in MySQL, so a writer that dies (killed process, lost connection)
 * between creating its staging table and the RENAME leaves that table behind. Each
 * writer therefore holds a named lock for the life of its staging tables, and every write
 * first drops the staging tables of its schema whose lock nobody holds any more (a
 * session's named locks end with it, whichever user it belonged to).
 */
import { randomBytes } from 'node:crypto';
import { Readable, type Writable } from 'node:stream';
import type { TableRef, WriteMode } from '../adapter.js';
import type { SqlDialect } from '../dialect.js';
import { type Column, type ColumnData, type RowBatch } from '../../src/data.js';
import { DatabaseError, SqlmlError } from '../../src/errors.js';
import { dropAbandoned, holdStagingLock, releaseStagingLock } from './mysql-leftovers.js';
import { runQuery, type MySQLConnection } from './mysql-session.js';
import { columnDefinitionType } from './mysql-types.js';
import { checkBatch, checkColumnNames, tableLabel } from '../write-checks.js';
import { civilFromDays, MS_PER_DAY } from '../../src/calendar.js';

export { tableLabel };

/** How rows travel to the server. */
export type LoadMethod = 'load_data' | 'insert';

/** Bytes of LOAD DATA text handed to the driver at once (each becomes one protocol packet, max 16 MB). */
const LOAD_CHUNK_CHARS = 1 << 20;
/** Characters per multi-row INSERT: well under the default 16 MB max_allowed_packet. */
const INSERT_STATEMENT_CHARS = 4 << 20;

/** What the writer needs from the adapter. */
export interface WriteContext {
  readonly connection: MySQLConnection;
  /** The adapter's dialect: quoting of names and strings (in the session's sql_mode). */
  readonly sql: SqlDialect;
  tableExists(table: TableRef): Promise<boolean>;
  /** Turns a driver error into a DatabaseError with the server's message. */
  asError(error: unknown): SqlmlError;
  /** `connection` while it lives, else the connection that replaces it: cleanup after a killed writer runs there. */
  liveConnection(): Promise<MySQLConnection>;
  readonly method: LoadMethod;
}

/** Writes `batches` into `table` as `Adapter.write` promises; returns the rows written. */
export async function writeTable(
  context: WriteContext,
  table: TableRef,
  columns: readonly Column[],
  batches: AsyncIterable<RowBatch>,
  mode: WriteMode,
): Promise<number> {
  checkColumnNames(table, columns);
  const exists = await context.tableExists(table);
  // Resolved before any row is read, so a bad column costs nothing and changes nothing.
  const targetNames = exists ? await targetColumnNames(context, table, columns, mode) : undefined;
  if (targetNames !== undefined && context.method === 'load_data' && (await isTransactional(context, table))) {
    return loadInPlace(context, table, targetNames, columns, batches, mode);
  }
  const tag = randomBytes(6).toString('hex');
  const staging = tableIn(table.schema, `${STAGE_PREFIX}${tag}`);
  const q = (sql: string): Promise<unknown> => runQuery(context.connection, sql).catch((error: unknown) => Promise.reject(context.asError(error)));
  const definitions = columns.map((column) => `${context.sql.quoteIdent(column.name)} ${columnDefinitionType(column)}`);
  await holdStagingLock(context.connection, tag).catch((error: unknown) => Promise.reject(context.asError(error)));
  await dropAbandoned(context.connection, context.sql, table.schema);
  let stagingExists = false;
  try {
    // Set before the CREATE: a session killed while creating can leave the table made on
    // the server without the client hearing so (the cleanup's DROP is IF EXISTS).
    stagingExists = true;
    await q(`CREATE TABLE ${context.sql.quoteTable(staging)} (${definitions.join(', ')}) DEFAULT CHARSET = utf8mb4`);
    const rows = context.method === 'load_data' ? await loadData(context, staging, columns.map((column) => column.name), columns, batches) : await insertRows(context, staging, columns, batches);
    if (targetNames === undefined) {
      await q(`RENAME TABLE ${context.sql.quoteTable(staging)} TO ${context.sql.quoteTable(table)}`);
      stagingExists = false;
    } else {
      const into = targetNames.map((name) => context.sql.quoteIdent(name)).join(', ');
      const from = columns.map((column) => context.sql.quoteIdent(column.name)).join(', ');
      await q('START TRANSACTION');
      try {
        // DELETE, not TRUNCATE (which commits at once): the old rows stay until the new ones are in.
        if (mode === 'replace') await q(`DELETE FROM ${context.sql.quoteTable(table)}`);
        await q(`INSERT INTO ${context.sql.quoteTable(table)} (${into}) SELECT ${from} FROM ${context.sql.quoteTable(staging)}`);
        await q('COMMIT');
      } catch (error) {
        await runQuery(context.connection, 'ROLLBACK').catch(() => undefined);
        throw error;
      }
    }
    return rows;
  } finally {
    // A session killed mid-write took its named lock with it; its staging table stays
    // until dropped, so that is done on the connection that replaces it.
    const cleanup = await context.liveConnection().catch(() => undefined);
    if (cleanup !== undefined) {
      if (stagingExists) await runQuery(cleanup, `DROP TABLE IF EXISTS ${context.sql.quoteTable(staging)}`).catch(() => undefined);
      await releaseStagingLock(cleanup, tag).catch(() => undefined);
    }
  }
}

/**
 * Whether `table`'s engine rolls back (InnoDB): only then may rows go straight into it. Into
 * MyISAM or Aria they go through a staging table, so a source that fails part-way leaves
 * the table untouched.
 */
async function isTransactional(context: WriteContext, table: TableRef): Promise<boolean> {
  const where = table.schema === undefined ? 'DATABASE()' : context.sql.quoteString(table.schema);
  const found = await runQuery(
    context.connection,
    `SELECT engine FROM information_schema.tables WHERE table_schema = ${where} AND table_name = ${context.sql.quoteString(table.name)}`,
  ).catch((error: unknown) => Promise.reject(context.asError(error)));
  return String(found.rows[0]?.[0] ?? '').toUpperCase() === 'INNODB';
}

/** LOAD DATA straight into the existing `table` inside one transaction, after a DELETE of its rows for replace. */
async function loadInPlace(context: WriteContext, table: TableRef, targetNames: readonly string[], columns: readonly Column[], batches: AsyncIterable<RowBatch>, mode: WriteMode): Promise<number> {
  const q = (sql: string): Promise<unknown> => runQuery(context.connection, sql).catch((error: unknown) => Promise.reject(context.asError(error)));
  // Writes that stage still clean up after dead writers; this one must too, or a killed
  // writer's staging table would stay until the next write that stages.
  await dropAbandoned(context.connection, context.sql, table.schema);
  await q('START TRANSACTION');
  try {
    if (mode === 'replace') await q(`DELETE FROM ${context.sql.quoteTable(table)}`);
    await q('SET @sqlml_sql_notes = @@SESSION.sql_notes, SESSION sql_notes = 0');
    let rows: number;
    try {
      rows = await loadData(context, table, targetNames, columns, batches);
    } finally {
      await runQuery(context.connection, 'SET SESSION sql_notes = @sqlml_sql_notes').catch(() => undefined);
    }
    await q('COMMIT');
    return rows;
  } catch (error) {
    // A killed session has rolled back on the server already; this ROLLBACK then just fails.
    await runQuery(context.connection, 'ROLLBACK').catch(() => undefined);
    throw error;
  }
}

/** Staging tables are `sqlml_stage_<tag>`, their writer holding lock `sqlml_write_<tag>` (mysql-leftovers.ts). */
const STAGE_PREFIX = 'sqlml_stage_';

function tableIn(schema: string | undefined, name: string): TableRef {
  return schema === undefined ? { name } : { schema, name };
}

/** The target's own spelling of each given column (MySQL matches column names case-insensitively). */
async function targetColumnNames(context: WriteContext, table: TableRef, columns: readonly Column[], mode: WriteMode): Promise<string[]> {
  const probe = await runQuery(context.connection, `SELECT * FROM ${context.sql.quoteTable(table)} LIMIT 0`).catch((error: unknown) => Promise.reject(context.asError(error)));
  const byName = new Map((probe.fields ?? []).map((field) => [field.name.toLowerCase(), field.name]));
  return columns.map((column) => {
    const name = byName.get(column.name.toLowerCase());
    if (name === undefined) throw new SqlmlError('bad_column', `column ${column.name} is not in table ${tableLabel(table)}, so rows cannot be ${mode === 'append' ? 'appended to' : 'written into'} it`);
    return name;
  });
}

/** Loads `batches` into `into`, the batch's columns into the table's `names`; fails on any warning the load reports. */
async function loadData(context: WriteContext, into: TableRef, names: readonly string[], columns: readonly Column[], batches: AsyncIterable<RowBatch>): Promise<number> {
  let rows = 0;
  let sourceError: unknown;
  let infile: Readable | undefined;
  const socket = (context.connection as unknown as { stream?: Writable }).stream;
  async function* text(): AsyncGenerator<Buffer> {
    try {
      for await (const batch of batches) {
        checkBatch(columns, batch);
        for (const chunk of loadDataChunks(columns, batch, rows)) {
          yield Buffer.from(chunk, 'utf8');
          // The driver writes every chunk at once; wait for the socket rather than queue the whole table in memory.
          if (socket?.writableNeedDrain) await drainedOrClosed(socket);
        }
        rows += batch.rowCount;
      }
    } catch (error) {
      sourceError = error;
      throw error;
    }
  }
  // The default field and line format (tab, newline, backslash escapes) needs no literal that sql_mode could change.
  const sql = `LOAD DATA LOCAL INFILE 'sqlml-rows' INTO TABLE ${context.sql.quoteTable(into)} CHARACTER SET utf8mb4 (${names.map((name) => context.sql.quoteIdent(name)).join(', ')})`;
  const openInfile = (): Readable => {
    infile = Readable.from(text(), { objectMode: false });
    // mysql2 stops listening to the file when its connection fails; a source error after that must not go unheard.
    infile.on('error', () => undefined);
    return infile;
  };
  let outcome;
  try {
    outcome = await runQuery(context.connection, sql, { infileStreamFactory: openInfile });
  } catch (error) {
    // The statement failed (a refused file, a killed connection) while the file may still be
    // mid-way: stop reading the source rather than leave it suspended.
    infile?.destroy();
    if (sourceError !== undefined) throw sourceError;
    throw context.asError(error);
  }
  if (sourceError !== undefined) throw sourceError;
  // With LOCAL the server cannot stop the file mid-way, so it turns refusals into warnings.
  if ((outcome.header?.warningStatus ?? 0) > 0) {
    const warnings = await runQuery(context.connection, 'SHOW WARNINGS LIMIT 1');
    const message = warnings.rows[0]?.[2];
    const target = into.name.startsWith(STAGE_PREFIX) ? 'a staging table' : `table ${tableLabel(into)}`;
    throw new DatabaseError(`loading rows into ${target} failed: ${typeof message === 'string' ? message : 'the server reported a warning'}`);
  }
  return rows;
}

/** Resolves when the socket can take more, or will never again (a dead connection must not leave the writer waiting). */
function drainedOrClosed(socket: Writable): Promise<void> {
  return new Promise((resolve) => {
    if (socket.destroyed) {
      resolve();
      return;
    }
    const done = (): void => {
      socket.off('drain', done);
      socket.off('close', done);
      resolve();
    };
    socket.once('drain', done);
    socket.once('close', done);
  });
}

async function insertRows(context: WriteContext, staging: TableRef, columns: readonly Column[], batches: AsyncIterable<RowBatch>): Promise<number> {
  const head = `INSERT INTO ${context.sql.quoteTable(staging)} (${columns.map((column) => context.sql.quoteIdent(column.name)).join(', ')}) VALUES `;
  // Between INSERTs the session is idle: killed while the source is slow, it fails the
  // write then, not when the source next delivers.
  const lost = connectionLost(context);
  const source = batches[Symbol.asyncIterator]();
  let rows = 0;
  try {
    for (;;) {
      const next = await Promise.race([source.next(), lost.failed]);
      if (next.done === true) break;
      const batch = next.value;
      checkBatch(columns, batch);
      for (const values of insertValueLists(columns, batch, context.sql.quoteString, rows)) {
        await runQuery(context.connection, head + values).catch((error: unknown) => Promise.reject(context.asError(error)));
      }
      rows += batch.rowCount;
    }
  } catch (error) {
    // Let go of the source as a for-await would; not awaited, since a source still waiting
    // for its next batch answers only once that arrives (the caller closes its stream).
    source.return?.().catch(() => undefined);
    throw error;
  } finally {
    lost.dispose();
  }
  return rows;
}

/** Rejects with the adapter's error when the writer's connection reports a failure while idle (mysql2 emits 'error' then). */
function connectionLost(context: WriteContext): { failed: Promise<never>; dispose(): void } {
  let onError: (error: unknown) => void = () => undefined;
  const failed = new Promise<never>((_, reject) => {
    onError = (error) => reject(context.asError(error));
  });
  failed.catch(() => undefined);
  context.connection.on('error', onError);
  return { failed, dispose: () => context.connection.off('error', onError) };
}

/** How a column's numbers are spelled in text. */
type NumberFormat = 'number' | 'boolean' | 'date' | 'timestamp';

function numberFormat(column: Column): NumberFormat {
  return column.type === 'boolean' || column.type === 'date' || column.type === 'timestamp' ? column.type : 'number';
}

/** A finite number cell as MySQL reads it. */
export function formatNumberCell(format: NumberFormat, value: number): string {
  switch (format) {
    case 'boolean':
      return value !== 0 ? '1' : '0';
    case 'date':
      return formatDate(value);
    case 'timestamp':
      return formatDateTime(value);
    default:
      return String(value);
  }
}

function pad(value: number, width: number): string {
  return String(value).padStart(width, '0');
}

/** Epoch milliseconds → `YYYY-MM-DD` (UTC). */
export function formatDate(ms: number): string {
  const [year, month, day] = civilFromDays(Math.floor(ms / MS_PER_DAY));
  return `${pad(year, 4)}-${pad(month, 2)}-${pad(day, 2)}`;
}

/** Epoch milliseconds (microseconds as a fraction) → `YYYY-MM-DD HH:MM:SS.ffffff` (UTC). */
export function formatDateTime(ms: number): string {
  const days = Math.floor(ms / MS_PER_DAY);
  let micros = Math.round((ms - days * MS_PER_DAY) * 1000);
  let dayNumber = days;
  if (micros >= MS_PER_DAY * 1000) {
    dayNumber += 1;
    micros -= MS_PER_DAY * 1000;
  }
  const seconds = Math.floor(micros / 1_000_000);
  const fraction = micros - seconds * 1_000_000;
  const time = `${pad(Math.floor(seconds / 3600), 2)}:${pad(Math.floor(seconds / 60) % 60, 2)}:${pad(seconds % 60, 2)}.${pad(fraction, 6)}`;
  return `${formatDate(dayNumber * MS_PER_DAY)} ${time}`;
}

const LOAD_DATA_ESCAPES: Readonly<Record<string, string>> = { '\\': '\\\\', '\t': '\\t', '\n': '\\n', '\r': '\\r', '\0': '\\0' };
const LOAD_DATA_SPECIAL = /[\\\t\n\r\0]/;
const LOAD_DATA_SPECIALS = /[\\\t\n\r\0]/g;

/** A text cell in LOAD DATA's default format: backslash escapes for the separators, `\N` for NULL. */
export function escapeLoadDataText(text: string | null): string {
  if (text === null) return '\\N';
  return LOAD_DATA_SPECIAL.test(text) ? text.replace(LOAD_DATA_SPECIALS, (ch) => LOAD_DATA_ESCAPES[ch]!) : text;
}

/**
 * MySQL's DOUBLE has no NaN or infinities. Writing NULL in their place would change a value
 * without a word, so the write fails instead (before its rows become visible).
 * `row` counts from 1 over the whole write.
 */
export function unstorableNumber(column: Column, value: number, row: number): SqlmlError {
  return new SqlmlError('unsupported', `column ${column.name} has ${String(value)} in row ${row}, which MySQL cannot store`);
}

/**
 * A batch as LOAD DATA text (tab between fields, newline after rows), cut into chunks of about
 * LOAD_CHUNK_CHARS; `rowsBefore` is the number of rows written before this batch (for messages).
 */
export function loadDataChunks(columns: readonly Column[], batch: RowBatch, rowsBefore = 0): string[] {
  const formats = columns.map(numberFormat);
  const last = columns.length - 1;
  const chunks: string[] = [];
  let text = '';
  for (let row = 0; row < batch.rowCount; row++) {
    for (let c = 0; c <= last; c++) {
      const data: ColumnData = batch.columns[c]!;
      let cell: string;
      if (data.kind === 'text') {
        cell = escapeLoadDataText(data.values[row] ?? null);
      } else if (data.nulls[row] === 1) {
        cell = '\\N';
      } else if (data.exact?.[row] !== undefined) {
        cell = data.exact[row]!;
      } else {
        const value = data.values[row]!;
        if (!Number.isFinite(value)) throw unstorableNumber(columns[c]!, value, rowsBefore + row + 1);
        cell = formatNumberCell(formats[c]!, value);
      }
      text += c === last ? `${cell}\n` : `${cell}\t`;
    }
    if (text.length >= LOAD_CHUNK_CHARS) {
      chunks.push(text);
      text = '';
    }
  }
  if (text.length > 0) chunks.push(text);
  return chunks;
}

/** A batch as `(…), (…)` value lists for multi-row INSERTs, each under INSERT_STATEMENT_CHARS; `rowsBefore` as for loadDataChunks. */
export function insertValueLists(columns: readonly Column[], batch: RowBatch, quoteString: (value: string) => string, rowsBefore = 0): string[] {
  const formats = columns.map(numberFormat);
  const statements: string[] = [];
  let text = '';
  for (let row = 0; row < batch.rowCount; row++) {
    let tuple = '(';
    for (let c = 0; c < columns.length; c++) {
      const data: ColumnData = batch.columns[c]!;
      let cell: string;
      if (data.kind === 'text') {
        const value = data.values[row] ?? null;
        cell = value === null ? 'NULL' : quoteString(value);
      } else if (data.nulls[row] === 1) {
        cell = 'NULL';
      } else if (data.exact?.[row] !== undefined) {
        cell = data.exact[row]!;
      } else {
        const value = data.values[row]!;
        if (!Number.isFinite(value)) throw unstorableNumber(columns[c]!, value, rowsBefore + row + 1);
        const text = formatNumberCell(formats[c]!, value);
        cell = formats[c] === 'date' || formats[c] === 'timestamp' ? `'${text}'` : text;
      }
      tuple += c === 0 ? cell : `, ${cell}`;
    }
    tuple += ')';
    if (text.length > 0 && text.length + tuple.length > INSERT_STATEMENT_CHARS) {
      statements.push(text);
      text = '';
    }
    text += text.length === 0 ? tuple : `, ${tuple}`;
  }
  if (text.length > 0) statements.push(text);
  return statements;
}



