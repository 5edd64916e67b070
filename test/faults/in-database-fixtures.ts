/**
 * What the fault tests of PREDICT … INTO in the database (in-database-kill, -sigkill) need
 * of each server: a source whose read pauses at one row (so the CREATE TABLE … AS is
 * caught running), the query finding that statement's session, ending one, seeing one,
 * and counting staging tables left behind; and the seeded source table itself.
 */
import type { Adapter, DialectName } from '../../adapters/adapter.js';
import { STAGING_PREFIX } from '../../adapters/select-into.js';
import type { Value } from '../../src/data.js';

export const SOURCE_ROWS = 300;
/** The source row whose read sleeps. */
const PAUSE_AT = 250;
const STAGING_LIKE = `'${STAGING_PREFIX.replaceAll('_', '\\_')}%'`;

export interface InDatabaseFaultFixture {
  /** The source as a subquery whose read sleeps `seconds` at row PAUSE_AT. */
  readonly paused: (table: string) => string;
  /** The client session running sqlml's CREATE TABLE … AS of a staging table now (its id first); none once it stopped. */
  readonly ctas: string;
  /** Ends that session as the server would kill it. */
  readonly kill: (id: Value) => string;
  /** A row while the session exists. */
  readonly session: (id: Value) => string;
  /** How many staging tables the current schema holds. */
  readonly staging: string;
}

/** Per server, its fixture for a source whose read sleeps `seconds`; DuckDB has none (no other session can watch it). */
const FIXTURES: Readonly<Partial<Record<DialectName, (seconds: number) => InDatabaseFaultFixture>>> = {
  postgres: (seconds) => ({
    paused: (table) => `(SELECT id, x1, x2 FROM ${table} WHERE id <> ${PAUSE_AT} OR pg_sleep(${seconds}) IS NOT NULL)`,
    ctas: `SELECT pid FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid() AND backend_type = 'client backend' AND state = 'active' AND query LIKE 'CREATE TABLE %' || ${STAGING_LIKE}`,
    kill: (id) => `SELECT pg_terminate_backend(${Number(id)})`,
    session: (id) => `SELECT 1 FROM pg_stat_activity WHERE pid = ${Number(id)}`,
    staging: `SELECT count(*) FROM pg_tables WHERE schemaname = current_schema() AND tablename LIKE ${STAGING_LIKE}`,
  }),
  mysql: (seconds) => ({
    paused: (table) => `(SELECT id, x1, x2 FROM ${table} WHERE id <> ${PAUSE_AT} OR SLEEP(${seconds}) = 0)`,
    ctas: `SELECT id FROM information_schema.processlist WHERE db = DATABASE() AND id <> CONNECTION_ID() AND command = 'Query' AND info LIKE CONCAT('CREATE TABLE %', ${STAGING_LIKE})`,
    kill: (id) => `KILL CONNECTION ${Number(id)}`,
    session: (id) => `SELECT 1 FROM information_schema.processlist WHERE id = ${Number(id)}`,
    staging: `SELECT COUNT(*) FROM information_schema.tables WHERE table_schema = DATABASE() AND table_name LIKE ${STAGING_LIKE}`,
  }),
};

export function inDatabaseFaultFixture(database: DialectName, seconds: number): InDatabaseFaultFixture {
  const fixture = FIXTURES[database];
  if (fixture === undefined) throw new Error(`no in-database fault fixture for ${database}`);
  return fixture(seconds);
}

/** (Re)creates `table`: SOURCE_ROWS rows of id, two numbers and a 0/1 label, the same every run. */
export async function seedSource(admin: Adapter, table: string): Promise<void> {
  await admin.query(`DROP TABLE IF EXISTS ${table}`);
  await admin.query(`CREATE TABLE ${table} (id INTEGER NOT NULL PRIMARY KEY, x1 DOUBLE PRECISION, x2 DOUBLE PRECISION, y INTEGER)`);
  const rows = Array.from({ length: SOURCE_ROWS }, (_, i) => `(${i + 1}, ${(i * 37) % 100}, ${(i * 53) % 90}, ${(i * 37) % 100 > 50 ? 1 : 0})`);
  await admin.query(`INSERT INTO ${table} VALUES ${rows.join(', ')}`);
}
