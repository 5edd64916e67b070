/**
 * The deterministic train / evaluation split. A row's role comes from a seeded hash of
 * its values, not its position, so the same rows land on the same side whatever order
 * the database returns them in, and a later EVALUATE can find the held-out rows again.
 */
import type { RowBatch } from '../data.js';
import { hashCombine, hashNumber, hashString, hashToUnit } from './hash.js';

/** What a row is used for; one byte per row in the row cache. */
export const RowRole = {
  Train: 0,
  /** Training rows set aside to decide when to stop (never trained on). */
  Validation: 1,
  /** The evaluation split. */
  Holdout: 2,
  /** Not used (target NULL). */
  Skip: 3,
} as const;
export type RowRole = (typeof RowRole)[keyof typeof RowRole];

export interface SplitSpec {
  /** Training fraction, or null to train on every row (no evaluation split). */
  readonly trainFraction: number | null;
  /** Fraction of the training rows kept aside for early stopping (0 = none). */
  readonly validationFraction: number;
  readonly seed: number;
}

const NULL_HASH = 0x6e756c6c;
const VALIDATION_SALT = 0x9e3779b9;

/** Seeded hash of row `row`'s values across all columns. */
export function hashRow(batch: RowBatch, row: number, seed: number): number {
  let h = seed | 0;
  for (const data of batch.columns) {
    let v: number;
    if (data.kind === 'number') v = data.nulls[row] === 1 ? NULL_HASH : hashNumber(data.values[row]!, seed);
    else {
      const text = data.values[row];
      v = text === null || text === undefined ? NULL_HASH : hashString(text, seed);
    }
    h = hashCombine(h, v);
  }
  return h;
}

/** The role of a row from its hash. */
export function roleOf(hash: number, spec: SplitSpec): RowRole {
  if (spec.trainFraction !== null && hashToUnit(hash) >= spec.trainFraction) return RowRole.Holdout;
  if (spec.validationFraction > 0 && hashToUnit(hashCombine(hash, VALIDATION_SALT)) < spec.validationFraction) {
    return RowRole.Validation;
  }
  return RowRole.Train;
}

/**
 * Fills `roles[0..rowCount)` for a batch; rows whose target is NULL get `Skip`.
 * Equivalent to `roleOf(hashRow(batch, row, seed))` per row, computed column by column
 * so each column's type is looked at once per batch, not once per row.
 */
export function assignRoles(batch: RowBatch, targetIndex: number, spec: SplitSpec, roles: Uint8Array): void {
  const n = batch.rowCount;
  const hashes = hashRows(batch, spec.seed);
  const target = batch.columns[targetIndex]!;
  for (let row = 0; row < n; row++) {
    const isNull = target.kind === 'number' ? target.nulls[row] === 1 : target.values[row] == null;
    roles[row] = isNull ? RowRole.Skip : roleOf(hashes[row]!, spec);
  }
}

/** Reused between batches: the running hash of every row of the batch being split. */
let rowHashes = new Int32Array(0);

/** `hashRow` of every row of the batch, in a scratch array valid until the next call. */
function hashRows(batch: RowBatch, seed: number): Int32Array {
  const n = batch.rowCount;
  if (rowHashes.length < n) rowHashes = new Int32Array(n);
  const hashes = rowHashes;
  hashes.fill(seed | 0, 0, n);
  for (const data of batch.columns) {
    if (data.kind === 'number') combineNumbers(data.values, data.nulls, n, seed, hashes);
    else combineTexts(data.values, n, seed, hashes);
  }
  return hashes;
}

function combineNumbers(values: Float64Array, nulls: Uint8Array, n: number, seed: number, hashes: Int32Array): void {
  for (let row = 0; row < n; row++) {
    const v = nulls[row] === 1 ? NULL_HASH : hashNumber(values[row]!, seed);
    hashes[row] = hashCombine(hashes[row]!, v);
  }
}

function combineTexts(values: readonly (string | null)[], n: number, seed: number, hashes: Int32Array): void {
  for (let row = 0; row < n; row++) {
    const text = values[row];
    const v = text === null || text === undefined ? NULL_HASH : hashString(text, seed);
    hashes[row] = hashCombine(hashes[row]!, v);
  }
}
