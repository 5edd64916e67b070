/**
 * Staging tables a dead writer left on MySQL/MariaDB, found and dropped by the next write.
 * MySQL commits DDL as it goes, so a sqlml process killed between creating a staging
 * table and swapping it in leaves the table behind (PostgreSQL and DuckDB roll theirs
 * back with the transaction). Each writer holds the named lock `sqlml_write_<tag>` on the
 * session that creates `sqlml_stage_<tag>` (the streaming write, mysql-writer.ts) or
 * `sqlml_staging_<tag>` (the CTAS of PREDICT … INTO in the database, select-into.ts) for
 * as long as the table lives; the server frees the lock when that session ends, however
 * it ends. A table of that name whose lock is free is therefore abandoned.
 */
import type { SqlDialect } from '../dialect.js';
import { runQuery, type MySQLConnection } from './mysql-session.js';

const LOCK_PREFIX = 'sqlml_write_';
/** `sqlml_old_<tag>` tables are collected too: writers that swapped tables by RENAME could die before dropping the replaced one. */
const LEFTOVER = /^sqlml_(?:stage|staging|old)_([0-9a-f]{12})$/;
const LIKE = ["'sqlml\\_stage\\_%'", "'sqlml\\_staging\\_%'", "'sqlml\\_old\\_%'"];

/** The tag of a staging table named `<prefix><12 hex digits>`, or undefined when the name is not one of sqlml's. */
export function leftoverTag(name: string): string | undefined {
  return LEFTOVER.exec(name)?.[1];
}

/** Takes the lock that marks the staging table tagged `tag` as alive, on the session that creates it (0 s wait: tags are random). */
export async function holdStagingLock(connection: MySQLConnection, tag: string): Promise<void> {
  await runQuery(connection, `SELECT GET_LOCK('${LOCK_PREFIX}${tag}', 0)`);
}

export async function releaseStagingLock(connection: MySQLConnection, tag: string): Promise<void> {
  await runQuery(connection, `SELECT RELEASE_LOCK('${LOCK_PREFIX}${tag}')`);
}

/**
 * Drops the staging (and replaced) tables of `schema` (the session's database when
 * undefined) whose writer's lock is free: that writer has ended without cleaning up.
 * Best effort: a user who may not list or drop them still gets the write done.
 */
export async function dropAbandoned(connection: MySQLConnection, sql: SqlDialect, schema: string | undefined): Promise<void> {
  try {
    const where = schema === undefined ? 'DATABASE()' : sql.quoteString(schema);
    const listed = await runQuery(
      connection,
      `SELECT table_name FROM information_schema.tables WHERE table_schema = ${where} AND (${LIKE.map((like) => `table_name LIKE ${like}`).join(' OR ')})`,
    );
    for (const [name] of listed.rows) {
      const tag = typeof name === 'string' ? leftoverTag(name) : undefined;
      if (tag === undefined) continue;
      const free = await runQuery(connection, `SELECT IS_FREE_LOCK('${LOCK_PREFIX}${tag}')`);
      if (Number(free.rows[0]?.[0]) !== 1) continue;
      const table = sql.quoteTable(schema === undefined ? { name: name as string } : { schema, name: name as string });
      await runQuery(connection, `DROP TABLE IF EXISTS ${table}`);
    }
  } catch {
    // Listing or dropping needs privileges the writing itself may not: leave them.
  }
}
