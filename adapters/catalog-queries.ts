/**
 * The catalog queries of the command line's `\dt`, `\d name` and its tab completion: the
 * tables and columns a session sees, asked of the database's own catalog. All three
 * databases have `information_schema`; they differ in which schemas a session sees
 * unqualified and in how a column's type is best spelled, which each dialect passes in.
 */
import type { TableRef } from './adapter.js';

export interface CatalogQueries {
  /** The tables and views the session sees: columns `table_schema`, `table_name`, `table_type`, sorted. */
  tables(): string;
  /**
   * The columns of `table` (of every table `tables()` lists when undefined): columns
   * `table_name`, `column_name`, `data_type`, `is_nullable`, in table order.
   */
  columns(table?: TableRef): string;
}

export interface CatalogSpelling {
  /** A predicate on `table_schema`: the schemas the session sees unqualified. */
  readonly visibleSchemas: string;
  /** The information_schema.columns column that spells a type as DDL does (MySQL's COLUMN_TYPE has the length). */
  readonly typeColumn: string;
  readonly quoteString: (value: string) => string;
}

export function informationSchemaCatalog(spelling: CatalogSpelling): CatalogQueries {
  const { visibleSchemas, typeColumn, quoteString } = spelling;
  const schemaOf = (table: TableRef | undefined): string =>
    table?.schema === undefined ? visibleSchemas : `table_schema = ${quoteString(table.schema)}`;
  return {
    tables: () =>
      `SELECT table_schema AS table_schema, table_name AS table_name, table_type AS table_type ` +
      `FROM information_schema.tables WHERE ${visibleSchemas} ORDER BY table_schema, table_name`,
    columns: (table) =>
      `SELECT table_name AS table_name, column_name AS column_name, ${typeColumn} AS data_type, is_nullable AS is_nullable ` +
      `FROM information_schema.columns WHERE ${schemaOf(table)}` +
      (table === undefined ? '' : ` AND table_name = ${quoteString(table.name)}`) +
      ` ORDER BY table_schema, table_name, ordinal_position`,
  };
}
