/** DuckDB's SQL (see adapters/dialect.ts). */
import { identifierQuoting, type SqlDialect } from '../dialect.js';

export const duckdbDialect: SqlDialect = {
  name: 'duckdb',
  ...identifierQuoting('"'),
};
