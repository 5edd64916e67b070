/**
 * The held-out test of the split (src/learn/split.ts) as a SQL expression, so that an
 * evaluation or a training run inside the database holds out exactly the rows the
 * stream does. Plain integer arithmetic and ROW_NUMBER, the same text in DuckDB,
 * PostgreSQL and MariaDB:
 *
 *   k    = ROW_NUMBER() OVER (PARTITION BY <every column>) - 1      (over rows with a target)
 *   held = (contentHash + k · HOLDOUT_STEP) mod 2^32 ≥ ceil(trainFraction · 2^32)
 *
 * Identical rows are interchangeable, so the partition needs no ORDER BY: whichever copy
 * gets which k, each content has as many held-out copies as in the stream.
 *
 * `contentHash` must be an expression worth `hashRow(row, seed)` as an unsigned 32-bit
 * integer. No database computes that hash yet (it is MurmurHash3 over JavaScript's view
 * of each value: UTF-16 code units of text, the IEEE-754 bits of numbers); until one
 * does, the caller supplies it, e.g. from a table of hashed contents.
 *
 * The partition must group exactly the rows whose values JavaScript sees as equal:
 * text compared byte for byte (MariaDB's default collations ignore case and trailing
 * spaces, so its columns need a binary collation there), -0 with 0 and NaN with NaN
 * (as PostgreSQL and DuckDB do).
 */
import { HOLDOUT_STEP } from '../learn/split.js';

const TWO_TO_32 = 4294967296;

/**
 * An integer expression, 1 for a held-out row and 0 for a training row, over rows that
 * all have a target. `partitionBy` are the row's columns, quoted by the dialect.
 */
export function heldOutSql(contentHash: string, partitionBy: readonly string[], trainFraction: number): string {
  if (partitionBy.length === 0) throw new Error('the split partitions by at least one column');
  // For an integer u, u / 2^32 ≥ t exactly when u ≥ ceil(t · 2^32) (t · 2^32 is exact in a double).
  const threshold = Math.ceil(trainFraction * TWO_TO_32);
  const occurrence = `(ROW_NUMBER() OVER (PARTITION BY ${partitionBy.join(', ')}) - 1)`;
  return `CASE WHEN (${contentHash} + ${occurrence} * ${HOLDOUT_STEP}) % ${TWO_TO_32} >= ${threshold} THEN 1 ELSE 0 END`;
}
