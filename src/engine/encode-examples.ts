/**
 * The encoding pass: cached raw rows → encoded example blocks, one stream per split role.
 * The same function runs on the main thread or in the encoding worker
 * (encode-worker.ts), and both read the row cache in the same seeded batch order, so a
 * training gives the same model bytes whichever thread encoded it.
 */
import type { ColumnData, RowBatch } from '../data.js';
import type { FeatureEncoder } from '../learn/encode.js';
import type { LabelEncoder } from '../learn/label.js';
import { RowRole } from '../learn/split.js';
import { createSparseVector, type ExampleBlock } from '../learn/types.js';
import { EXAMPLE_BLOCK_ROWS, ExampleBlockBuilder, type BlockArrays } from './cache.js';

export interface EncodingTotals {
  /** Rows without a usable label or with the Skip role. */
  skipped: number;
  /** Training rows per class (binary: 2, multiclass: K, regression: empty). */
  trainCounts: Float64Array;
  rows: number;
}

/**
 * Encodes every row of `batches`, emitting finished blocks as `emit(role, block)`; the
 * blocks of one role come out in row order. `afterBatch` runs after each raw batch (for
 * progress and cancellation). Without `spare` a block is valid only until `emit` returns
 * (cache.ts ExampleBlockBuilder): a receiver that keeps blocks passes a `spare`.
 */
export function encodeExamples(
  batches: Iterable<{ batch: RowBatch; roles: Uint8Array }>,
  encoder: FeatureEncoder,
  labels: LabelEncoder,
  targetIndex: number,
  classCount: number,
  emit: (role: RowRole, block: ExampleBlock) => void,
  afterBatch?: (totals: EncodingTotals) => void,
  spare: (() => BlockArrays | null) | null = null,
): EncodingTotals {
  const builders = [RowRole.Train, RowRole.Validation, RowRole.Holdout].map(
    (role) => new ExampleBlockBuilder((block) => emit(role, block), EXAMPLE_BLOCK_ROWS, spare),
  );
  const vector = createSparseVector(Math.max(16, encoder.maxNnz));
  const totals: EncodingTotals = { skipped: 0, trainCounts: new Float64Array(classCount), rows: 0 };
  for (const { batch, roles } of batches) {
    const targetData = batch.columns[targetIndex]!;
    const encoded = encoder.encodeBatch(batch);
    for (let row = 0; row < batch.rowCount; row++) {
      const role = roles[row]!;
      if (role === RowRole.Skip) {
        totals.skipped++;
        continue;
      }
      const y = labels.encode(targetData, row);
      if (Number.isNaN(y)) {
        totals.skipped++;
        continue;
      }
      encoded.row(row, vector);
      builders[role]!.add(vector.indices, vector.values, vector.nnz, y);
      if (role === RowRole.Train && classCount > 0) totals.trainCounts[y]! += 1;
    }
    totals.rows += batch.rowCount;
    afterBatch?.(totals);
  }
  for (const builder of builders) builder.flush();
  return totals;
}

/**
 * The rows of each batch whose role `keep` marks (one byte per RowRole), in order,
 * gathered into scratch columns that the next batch overwrites; a batch kept whole passes
 * through as it is. Encoding a gathered row gives what encoding it in its batch gives:
 * the encoders work row by row.
 */
export function* rowsWithRoles(
  batches: Iterable<{ batch: RowBatch; roles: Uint8Array }>,
  keep: Uint8Array,
): Generator<{ batch: RowBatch; roles: Uint8Array }> {
  let scratch: ColumnData[] = [];
  let scratchRoles = new Uint8Array(0);
  let kept = new Int32Array(0);
  for (const { batch, roles } of batches) {
    const n = batch.rowCount;
    if (kept.length < n) {
      kept = new Int32Array(n);
      scratchRoles = new Uint8Array(n);
      scratch = batch.columns.map((data): ColumnData =>
        data.kind === 'number' ? { kind: 'number', values: new Float64Array(n), nulls: new Uint8Array(n) } : { kind: 'text', values: new Array<string | null>(n).fill(null) },
      );
    }
    let count = 0;
    for (let row = 0; row < n; row++) {
      if (keep[roles[row]!] !== 0) {
        scratchRoles[count] = roles[row]!;
        kept[count++] = row;
      }
    }
    if (count === n) {
      yield { batch, roles };
      continue;
    }
    if (count === 0) continue;
    for (let c = 0; c < batch.columns.length; c++) {
      const from = batch.columns[c]!;
      const into = scratch[c]!;
      if (from.kind === 'number' && into.kind === 'number') {
        gatherNumbers(from.values, from.nulls, into.values, into.nulls, kept, count);
        // Exact texts (rare: wide BIGINT and DECIMAL values) are gathered into a fresh array.
        if (from.exact !== undefined || into.exact !== undefined) {
          const exact = from.exact === undefined ? undefined : Array.from({ length: count }, (_, i) => from.exact![kept[i]!]);
          scratch[c] = exact === undefined ? { kind: 'number', values: into.values, nulls: into.nulls } : { kind: 'number', values: into.values, nulls: into.nulls, exact };
        }
      } else if (from.kind === 'text' && into.kind === 'text') gatherTexts(from.values, into.values as (string | null)[], kept, count);
    }
    yield { batch: { rowCount: count, columns: scratch }, roles: scratchRoles.subarray(0, count) };
  }
}

function gatherNumbers(values: Float64Array, nulls: Uint8Array, intoValues: Float64Array, intoNulls: Uint8Array, rows: Int32Array, count: number): void {
  for (let i = 0; i < count; i++) {
    const row = rows[i]!;
    intoValues[i] = values[row]!;
    intoNulls[i] = nulls[row]!;
  }
}

function gatherTexts(values: readonly (string | null)[], into: (string | null)[], rows: Int32Array, count: number): void {
  for (let i = 0; i < count; i++) into[i] = values[rows[i]!]!;
}
