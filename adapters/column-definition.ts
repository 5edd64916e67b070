/**
 * The type `write()` gives a column it creates. A number column read from the same
 * database keeps the type it was read as (BIGINT stays BIGINT, NUMERIC(38,10) stays
 * NUMERIC(38,10)): its values travel exactly (see `NumberColumnData.exact`), and a wider
 * or rounder type would change them. Everything else, and any spelling that is not a
 * plain type name, gets the dialect's type for the sqlml type: text has no length to
 * keep (a bare CHAR is one character), dates and times are carried in milliseconds.
 */
import type { Column, ColumnType } from '../src/data.js';

const OWN_TYPE: ReadonlySet<ColumnType> = new Set(['boolean', 'integer', 'bigint', 'double', 'decimal']);
/** `BIGINT`, `double precision`, `numeric(38,10)`, `DECIMAL(10,2) UNSIGNED`, `TINYINT(1)`. */
const PLAIN_TYPE = /^[A-Za-z][A-Za-z0-9_ ]*(?:\(\d+(?:, ?\d+)?\))?(?: UNSIGNED)?$/;

export function columnDefinitionType(column: Column, dialectType: (type: ColumnType) => string): string {
  return OWN_TYPE.has(column.type) && PLAIN_TYPE.test(column.dbType) ? column.dbType : dialectType(column.type);
}
