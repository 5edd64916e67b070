/** PostgreSQL's spelling of the split's content hash (see adapters/split-sql-dialect.ts). */
import type { SplitSqlDialect } from '../split-sql-dialect.js';

export const postgresSplitSql: SplitSqlDialect = {
  // bit(32) to bigint reads the 32 bits as an unsigned number.
  md5Word: (text, word) => `CAST(CAST(('x' || substr(md5(${text}), ${8 * word + 1}, 8)) AS bit(32)) AS BIGINT)`,
  xor: (a, b) => `(${a} # ${b})`,
  bigintCast: 'BIGINT',
  doubleCast: 'DOUBLE PRECISION',
  textCast: 'TEXT',
  isNaN: (x) => `(${x} = 'NaN'::float8)`,
  isPositiveInfinity: (x) => `(${x} = 'Infinity'::float8)`,
  isNegativeInfinity: (x) => `(${x} = '-Infinity'::float8)`,
  // PostgreSQL pulls a subquery up into its parent unless it has an OFFSET. NULL, not 0:
  // the planner lets a parallel plan through a fenced subquery only when it can see the
  // OFFSET needs no Limit node before folding constants, and `0` is an integer cast to
  // bigint there (a function call), while NULL is a bigint constant — with `OFFSET 0` an
  // aggregate over the layers never runs in the workers (no Partial Aggregate → Gather).
  layerFence: ' OFFSET NULL',
  // float8send is the double's 8 bytes, big-endian; bit(64) to bigint reads them as two's complement.
  doubleBits: (x) => `CAST(CAST(('x' || encode(float8send(${x}), 'hex')) AS bit(64)) AS BIGINT)`,
  booleanToInteger: (x) => `CAST(CAST(${x} AS INTEGER) AS BIGINT)`,
  dateToEpochMs: (x) => `(CAST((${x} - DATE '1970-01-01') AS BIGINT) * 86400000)`,
  // The readers divide the double nearest the whole microseconds by 1000 (see
  // src/calendar.ts epochMsFromMicros); ±infinity read as ±Infinity. The count is an
  // exact NUMERIC (the latest timestamps are beyond a BIGINT of microseconds since 1970),
  // and NUMERIC to DOUBLE PRECISION rounds to nearest: whole seconds (an integer below
  // 2^53; PostgreSQL's own EXTRACT(EPOCH) misses microseconds there, and before 14 gives a
  // double, within 0.5 of the whole seconds, which ROUND absorbs) and the microseconds
  // within the second (zone offsets are whole seconds, so the session's zone does not
  // change them).
  timestampToEpochMs: (x) =>
    `(CASE WHEN ${x} = 'infinity' THEN CAST('Infinity' AS DOUBLE PRECISION) WHEN ${x} = '-infinity' THEN CAST('-Infinity' AS DOUBLE PRECISION) ` +
    `ELSE CAST(CAST(ROUND(EXTRACT(EPOCH FROM date_trunc('second', ${x}))) AS NUMERIC) * 1000000 + CAST(EXTRACT(MICROSECONDS FROM ${x}) AS BIGINT) % 1000000 AS DOUBLE PRECISION) / 1000 END)`,
  partitionKey: (x) => x,
};
