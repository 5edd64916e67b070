/**
 * Each database's dialect in its default session modes, by name: for code that has SQL
 * text of a database it has no connection to (tests, benchmarks). An open adapter's
 * own `adapter.sql` honours its session's modes and is the one to use when there is one.
 */
import type { DialectName, SqlDialect } from './dialect.js';
import { duckdbDialect } from './duckdb/dialect.js';
import { MYSQL_DIALECT } from './mysql/dialect.js';
import { postgresDialect } from './postgres/dialect.js';

export const DIALECTS: Readonly<Record<DialectName, SqlDialect>> = Object.freeze({
  duckdb: duckdbDialect,
  postgres: postgresDialect,
  mysql: MYSQL_DIALECT,
});
