/**
 * Fold assignment for k-fold cross-validation (l2-path.ts chooses the L2 amount by it
 * when the validation rows are few): each row gets a fold number, seeded, and — for
 * classification — stratified by label, so every fold holds each class in about the
 * share the rows do. Pure and deterministic: the same labels, folds and seed give the
 * same assignment.
 *
 * Why stratified: the sets that need cross-validation have a few hundred rows or fewer,
 * where an unstratified fold can miss a rare class altogether, and a fold's held-out
 * loss would then say nothing about that class's weights.
 */

import { permutation } from './random.js';

/**
 * The fold (0..folds−1) of each of the first `count` rows of `labels`: the rows in a
 * seeded random order, stable-sorted by label when `stratify`, dealt out round-robin.
 * Fold sizes differ by at most one (per label, when stratified).
 */
export function assignFolds(labels: Float64Array, count: number, folds: number, seed: number, stratify: boolean): Uint8Array {
  if (!(folds >= 1 && folds <= 255 && Number.isInteger(folds))) throw new RangeError(`folds must be an integer in 1..255, got ${folds}`);
  const order = permutation(count, seed);
  if (stratify) {
    // Stable: rows of one label keep their seeded order. Labels are class numbers here.
    const rank = new Uint32Array(count);
    for (let i = 0; i < count; i++) rank[order[i]!] = i;
    order.sort((a, b) => labels[a]! - labels[b]! || rank[a]! - rank[b]!);
  }
  const fold = new Uint8Array(count);
  for (let i = 0; i < count; i++) fold[order[i]!] = i % folds;
  return fold;
}
