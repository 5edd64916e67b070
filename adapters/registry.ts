/**
 * Connection URL → adapter. The scheme before the first `:` picks the factory; each
 * factory parses the rest of its own URLs. Adding a database is one line in `FACTORIES`
 * (see adapters/README.md).
 */
import type { Adapter, AdapterFactory } from './adapter.js';
import { SqlmlError } from '../src/errors.js';

/** The database used when neither a URL nor `SQLML_DB` is given: a file in the working directory. */
export const DEFAULT_DATABASE_URL = 'duckdb:sqlml.duckdb';

const ACCEPTED_FORMS = 'duckdb:path/to/file.duckdb, duckdb::memory:, postgres://user:pass@host:5432/db or mysql://user:pass@host:3306/db';

/**
 * Each factory imports its adapter when first used: a driver is loaded only by the
 * processes that connect with it (DuckDB's native library alone adds ~36 MB to the
 * resident memory of a process that only talks to PostgreSQL).
 */
const openDuckDB: AdapterFactory = async (url) => (await import('./duckdb/duckdb-adapter.js')).openDuckDBAdapter(url);
const openPostgres: AdapterFactory = async (url) => (await import('./postgres/postgres-adapter.js')).openPostgresAdapter(url);
const openMySQL: AdapterFactory = async (url) => (await import('./mysql/mysql-adapter.js')).openMySQLAdapter(url);

/** Lower-case URL scheme → factory. */
const FACTORIES: ReadonlyMap<string, AdapterFactory> = new Map([
  ['duckdb', openDuckDB],
  ['postgres', openPostgres],
  ['postgresql', openPostgres],
  ['mysql', openMySQL],
]);

/**
 * Opens the database named by `url`, else by the `SQLML_DB` environment variable, else
 * `DEFAULT_DATABASE_URL`. An empty string counts as not given.
 */
export function openAdapter(url?: string): Promise<Adapter> {
  const chosen = nonEmpty(url) ?? nonEmpty(process.env.SQLML_DB) ?? DEFAULT_DATABASE_URL;
  const scheme = /^([a-z][a-z0-9+.-]*):/i.exec(chosen)?.[1]?.toLowerCase();
  const factory = scheme === undefined ? undefined : FACTORIES.get(scheme);
  if (factory === undefined) {
    return Promise.reject(new SqlmlError('bad_url', `unrecognized database URL "${redactPassword(chosen)}": expected ${ACCEPTED_FORMS}`));
  }
  return factory(chosen);
}

function nonEmpty(value: string | undefined): string | undefined {
  return value === undefined || value.trim() === '' ? undefined : value.trim();
}

/** Messages end up in logs and terminals; a password in a mistyped URL should not. */
export function redactPassword(url: string): string {
  return url.replace(/^([^:/]*:\/\/[^:/@]*):[^@/]*@/, '$1:***@');
}
