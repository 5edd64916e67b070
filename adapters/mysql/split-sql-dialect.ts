/** MySQL's and MariaDB's spelling of the split's content hash (see adapters/split-sql-dialect.ts). */
import type { SplitSqlDialect } from '../split-sql-dialect.js';

export const mysqlSplitSql: SplitSqlDialect = {
  // MD5 hashes the string's bytes in its own character set: utf8mb4 makes them UTF-8.
  md5Word: (text, word) => `CAST(CONV(SUBSTRING(MD5(CONVERT(${text} USING utf8mb4)), ${8 * word + 1}, 8), 16, 10) AS UNSIGNED)`,
  xor: (a, b) => `(${a} ^ ${b})`,
  bigintCast: 'SIGNED',
  doubleCast: 'DOUBLE',
  // A DOUBLE column cannot hold NaN or ±Infinity.
  textCast: 'CHAR',
  isNaN: () => 'FALSE',
  isPositiveInfinity: () => 'FALSE',
  isNegativeInfinity: () => 'FALSE',
  // A derived table with a LIMIT is materialized, not merged into its parent (where its
  // expressions would be substituted into the next layer's and evaluated again and again).
  layerFence: ' LIMIT 18446744073709551615',
  booleanToInteger: (x) => `CAST(${x} AS SIGNED)`,
  dateToEpochMs: (x) => `(CAST(DATEDIFF(${x}, '1970-01-01') AS SIGNED) * 86400000)`,
  // The reader divides the double nearest the whole microseconds by 1000 (see
  // src/calendar.ts epochMsFromMicros). A TIMESTAMP compares as the session's
  // (UTC) DATETIME, the text the reader gets.
  timestampToEpochMs: (x) => `(CAST(TIMESTAMPDIFF(MICROSECOND, '1970-01-01 00:00:00', ${x}) AS DOUBLE) / 1000)`,
  // The default collations ignore case, accents and trailing spaces; bytes do not.
  partitionKey: (x, type) => (type === 'text' || type === 'other' ? `CAST(${x} AS BINARY)` : x),
};
