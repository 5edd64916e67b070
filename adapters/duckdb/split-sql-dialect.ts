/** DuckDB's spelling of the split's content hash (see adapters/split-sql-dialect.ts). */
import type { SplitSqlDialect } from '../split-sql-dialect.js';

export const duckdbSplitSql: SplitSqlDialect = {
  // DuckDB casts '0x…' text to an integer as hexadecimal.
  md5Word: (text, word) => `CAST(('0x' || substr(md5(${text}), ${8 * word + 1}, 8)) AS BIGINT)`,
  xor: (a, b) => `xor(${a}, ${b})`,
  // DuckDB's % divides (a 64-bit division per value, whatever the constant); & does not.
  lowBits: (x, bits) => `(${x} & ${2 ** bits - 1})`,
  bigintCast: 'BIGINT',
  doubleCast: 'DOUBLE',
  textCast: 'VARCHAR',
  isNaN: (x) => `isnan(${x})`,
  isPositiveInfinity: (x) => `(isinf(${x}) AND ${x} > 0)`,
  isNegativeInfinity: (x) => `(isinf(${x}) AND ${x} < 0)`,
  // isfinite is NULL for NULL and false for NaN and ±Infinity.
  isNonFinite: (x) => `NOT COALESCE(isfinite(${x}), FALSE)`,
  layerFence: '',
  // A DOUBLE cast to BIT is its 64 IEEE 754 bits (sign first), and a BIT cast to BIGINT
  // reads them back as a two's-complement integer: the double's bits, with no arithmetic
  // (the content hash over gen.py's 1M rows: see docs/training-in-database.md).
  doubleBits: (x) => `CAST(CAST(${x} AS BIT) AS BIGINT)`,
  booleanToInteger: (x) => `CAST(${x} AS BIGINT)`,
  dateToEpochMs: (x) => `(CAST((${x} - DATE '1970-01-01') AS BIGINT) * 86400000)`,
  // The reader divides the microseconds by 1000 as a double: one rounding, as here.
  timestampToEpochMs: (x) => `(CAST(epoch_us(${x}) AS DOUBLE) / 1000)`,
  partitionKey: (x) => x,
};
