/**
 * The learner's data shapes. Encoded examples travel in CSR blocks so that a whole
 * batch is a handful of typed arrays, never one object per row.
 */

/** One encoded row, reused across rows: the first `nnz` entries of indices/values are live. */
export interface SparseVector {
  indices: Uint32Array;
  values: Float64Array;
  nnz: number;
}

/**
 * A block of encoded examples in compressed-sparse-row form: row r's features are
 * `indices/values[offsets[r] .. offsets[r+1])`. `labels[r]` is 0/1 (binary), the class
 * index (multiclass) or the standardized target (regression).
 */
export interface ExampleBlock {
  readonly count: number;
  readonly labels: Float64Array;
  readonly offsets: Uint32Array;
  readonly indices: Uint32Array;
  readonly values: Float32Array;
}

export type Task = 'binary' | 'multiclass' | 'regression';

export function createSparseVector(capacity: number): SparseVector {
  return { indices: new Uint32Array(capacity), values: new Float64Array(capacity), nnz: 0 };
}
