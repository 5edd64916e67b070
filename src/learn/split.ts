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

/** Fills `roles[0..rowCount)` for a batch; rows whose target is NULL get `Skip`. */
export function assignRoles(batch: RowBatch, targetIndex: number, spec: SplitSpec, roles: Uint8Array): void {
  const target = batch.columns[targetIndex]!;
  for (let row = 0; row < batch.rowCount; row++) {
    const isNull = target.kind === 'number' ? target.nulls[row] === 1 : target.values[row] == null;
    roles[row] = isNull ? RowRole.Skip : roleOf(hashRow(batch, row, spec.seed), spec);
  }
}
