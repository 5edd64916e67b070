/** MySQL's and MariaDB's SQL (see adapters/dialect.ts). */
import { identifierQuoting, type SqlDialect } from '../dialect.js';

export const mysqlDialect: SqlDialect = {
  name: 'mysql',
  ...identifierQuoting('`'),
};
