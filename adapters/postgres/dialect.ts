/** PostgreSQL's SQL (see adapters/dialect.ts). */
import { identifierQuoting, type SqlDialect } from '../dialect.js';

export const postgresDialect: SqlDialect = {
  name: 'postgres',
  ...identifierQuoting('"'),
};
