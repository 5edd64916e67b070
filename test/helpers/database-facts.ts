/**
 * What the tests need to know of each database that sqlml itself never asks, so that no
 * adapter's dialect object holds it: how the database behaves where a test checks or
 * provokes something (what its catalog keeps, what it refuses, how it runs beside the
 * test). A test asks for a fact by name, as src/ asks adapters/<db>/dialect.ts, and never
 * branches on the database's name; a new database is one more row here.
 */
import type { DialectName } from '../../adapters/adapter.js';

export interface DatabaseFacts {
  /**
   * It runs inside the test's process (DuckDB): a second Engine.open of its URL is another
   * database (`:memory:`) or refused (a file), no other process can watch a statement in
   * it, and its one connection answers only between statements.
   */
  readonly embedded: boolean;
  /** `VARCHAR(n)` keeps its length in the catalog (DuckDB's VARCHAR has none). */
  readonly varcharKeepsLength: boolean;
  /** A DOUBLE column holds NaN and ±Infinity (MySQL's and MariaDB's hold neither). */
  readonly nonFiniteDoubles: boolean;
  /** The current schema, as SQL (MySQL's is its database). */
  readonly currentSchema: string;
  /** `CREATE DATABASE IF NOT EXISTS` is SQL (not on PostgreSQL). */
  readonly createDatabaseIfNotExists: boolean;
  /** Dropping a function that a view calls is refused (PostgreSQL records the dependency). */
  readonly functionDependencies: boolean;
  /**
   * Another session sees a write's staging table while it is written (MariaDB commits DDL
   * at once; PostgreSQL and DuckDB create it inside the write's transaction).
   */
  readonly stagingVisibleWhileWritten: boolean;
  /** The URL parameter that makes write() use multi-row INSERTs instead of its bulk load, where there is a choice. */
  readonly insertWritesParameter?: string;
}

export const DATABASE_FACTS: Readonly<Record<DialectName, DatabaseFacts>> = {
  duckdb: {
    embedded: true,
    varcharKeepsLength: false,
    nonFiniteDoubles: true,
    currentSchema: 'current_schema()',
    createDatabaseIfNotExists: false,
    functionDependencies: false,
    stagingVisibleWhileWritten: false,
  },
  postgres: {
    embedded: false,
    varcharKeepsLength: true,
    nonFiniteDoubles: true,
    currentSchema: 'current_schema()',
    createDatabaseIfNotExists: false,
    functionDependencies: true,
    stagingVisibleWhileWritten: false,
  },
  mysql: {
    embedded: false,
    varcharKeepsLength: true,
    nonFiniteDoubles: false,
    currentSchema: 'DATABASE()',
    createDatabaseIfNotExists: true,
    functionDependencies: false,
    stagingVisibleWhileWritten: true,
    insertWritesParameter: 'bulk_write=insert',
  },
};

/** The facts of the database a connection URL names (`duckdb:…`, `postgres://…`, `mysql://…`). */
export function factsOfUrl(url: string): DatabaseFacts {
  const scheme = url.slice(0, url.indexOf(':'));
  const dialect: DialectName | undefined = scheme === 'duckdb' ? 'duckdb' : scheme === 'postgres' || scheme === 'postgresql' ? 'postgres' : scheme === 'mysql' ? 'mysql' : undefined;
  if (dialect === undefined) throw new Error(`no database facts for the URL ${url}`);
  return DATABASE_FACTS[dialect];
}
