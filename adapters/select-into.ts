/**
 * The statements of `Adapter.writeSelect` (PREDICT … INTO in the database), spelled from
 * the dialect object so the three adapters run the same plan on their own connections:
 *
 * 1. `CREATE TABLE <staging> AS SELECT …`: the whole result built by the database in one
 *    statement (PostgreSQL runs a CREATE TABLE … AS SELECT with parallel workers; it never
 *    parallelises INSERT … SELECT). The staging table sits in the target's schema, under
 *    a name no user picks.
 * 2. The swap: a missing target is the staging table renamed into place; an existing one
 *    keeps its identity (grants, keys, the views on it): REPLACE deletes its rows, both
 *    modes copy the staging rows in by column name, and the staging table is dropped.
 *
 * Passed-through columns keep the source's own types; the computed ones (the
 * predictions) get the type `write()` would give them (`StagingTyping`), so both engines
 * create the same prediction columns.
 */
import { randomBytes } from 'node:crypto';
import type { Column } from '../src/data.js';
import { SqlmlError } from '../src/errors.js';
import type { SelectRows, TableRef, WriteMode } from './adapter.js';
import { columnDefinitionType } from './column-definition.js';
import type { SqlDialect } from './dialect.js';
import { tableLabel } from './write-checks.js';

/** Every staging table's name starts so (tests look for leftovers by it). */
export const STAGING_PREFIX = 'sqlml_staging_';

/** A fresh staging table beside `table` (same schema). */
export function stagingTable(table: TableRef): TableRef {
  const name = `${STAGING_PREFIX}${randomBytes(6).toString('hex')}`;
  return table.schema === undefined ? { name } : { schema: table.schema, name };
}

/**
 * How the staging CTAS gives the computed columns their types: `cast` them in the
 * SELECT (DuckDB, PostgreSQL), or `declare` them in the CREATE part, which MySQL and
 * MariaDB merge with the SELECT's same-named columns (their CAST accepts only a few
 * types: no INT, BIGINT or TEXT).
 */
export type StagingTyping = 'cast' | 'declare';

/** `CREATE TABLE staging [(typed computed columns)] AS SELECT …` over `rows`. */
export function createStagingSql(sql: SqlDialect, staging: TableRef, rows: SelectRows, typing: StagingTyping): string {
  const passed = rows.passed.map((name) => `sqlml_rows.${sql.quoteIdent(name)}`);
  const computed = rows.computed.map((column) => {
    const name = sql.quoteIdent(column.name);
    return typing === 'cast' ? `CAST(sqlml_rows.${name} AS ${columnDefinitionType(column, sql.types)}) AS ${name}` : `sqlml_rows.${name}`;
  });
  const declared =
    typing === 'declare' ? ` (${rows.computed.map((column) => `${sql.quoteIdent(column.name)} ${columnDefinitionType(column, sql.types)}`).join(', ')})` : '';
  return `CREATE TABLE ${sql.quoteTable(staging)}${declared} AS SELECT ${[...passed, ...computed].join(', ')} FROM (${rows.select}) AS sqlml_rows`;
}

/** The names the written columns have in an existing table (matched as `write` matches them: exactly, else case-insensitively). */
export function matchColumns(table: TableRef, written: readonly string[], existing: readonly string[], mode: WriteMode): string[] {
  return written.map((column) => {
    const name = existing.find((candidate) => candidate === column) ?? existing.find((candidate) => candidate.toLowerCase() === column.toLowerCase());
    if (name === undefined) {
      throw new SqlmlError('bad_column', `column ${column} is not in table ${tableLabel(table)}, so rows cannot be ${mode === 'append' ? 'appended to' : 'written into'} it`);
    }
    return name;
  });
}

/** `INSERT INTO table (its names) SELECT … FROM staging`: the staging rows copied into an existing table. */
export function copyFromStagingSql(sql: SqlDialect, table: TableRef, staging: TableRef, written: readonly string[], targetNames: readonly string[]): string {
  const into = targetNames.map((name) => sql.quoteIdent(name)).join(', ');
  const from = written.map((name) => sql.quoteIdent(name)).join(', ');
  return `INSERT INTO ${sql.quoteTable(table)} (${into}) SELECT ${from} FROM ${sql.quoteTable(staging)}`;
}

/**
 * The column names `rows` writes, in order; refuses none, and two that differ only in
 * case, as `write` does (adapters/write-checks.ts).
 */
export function writtenNames(table: TableRef, rows: SelectRows): string[] {
  const names = [...rows.passed, ...rows.computed.map((column: Column) => column.name)];
  if (names.length === 0) throw new SqlmlError('bad_column', `cannot write table ${tableLabel(table)} without columns`);
  const seen = new Set<string>();
  for (const name of names) {
    if (seen.has(name.toLowerCase())) throw new SqlmlError('bad_column', `column ${name} appears twice in the rows written to table ${tableLabel(table)}`);
    seen.add(name.toLowerCase());
  }
  return names;
}
