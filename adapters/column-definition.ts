/**
 * The type `write()` gives a column it creates. A number column keeps the type it was
 * read as (BIGINT stays BIGINT, NUMERIC(38,10) stays NUMERIC(38,10)) when the writing
 * database has that type: its values travel exactly (see `NumberColumnData.exact`), and
 * a wider or rounder type would change them. `dbType` is the spelling of whichever
 * database the rows came from (a DuckDB stream may be written into PostgreSQL), so each
 * dialect lists the spellings it accepts as they are. Everything else gets the dialect's
 * type for the sqlml type: text has no length to keep (a bare CHAR is one character),
 * dates and times are carried in milliseconds.
 */
import type { Column } from '../src/data.js';
import type { DialectTypes } from './dialect.js';

const DECIMAL = /^(?:DECIMAL|NUMERIC)\((\d+), ?(\d+)\)$/;

export function columnDefinitionType(column: Column, dialect: DialectTypes): string {
  const spelled = column.dbType.trim().toUpperCase();
  if (dialect.numberTypes.get(spelled) === column.type) return spelled;
  const decimal = column.type === 'decimal' ? DECIMAL.exec(spelled) : null;
  if (decimal) {
    const precision = Number(decimal[1]);
    const scale = Number(decimal[2]);
    const { name, maxPrecision, maxScale } = dialect.decimal;
    if (precision >= 1 && precision <= maxPrecision && scale <= precision && scale <= maxScale) return `${name}(${precision},${scale})`;
  }
  return dialect.sqlTypeFor[column.type];
}
