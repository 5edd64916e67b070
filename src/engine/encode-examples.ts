/**
 * The encoding pass: cached raw rows → encoded example blocks, one stream per split role.
 * The same function runs on the main thread or in the encoding worker
 * (encode-worker.ts), and both read the row cache in the same seeded batch order, so a
 * training gives the same model bytes whichever thread encoded it.
 */
import type { RowBatch } from '../data.js';
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
 * progress and cancellation).
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
