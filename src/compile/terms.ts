/**
 * What every feature translation shares: the model's weights as literals, the input
 * columns as SQL, and the shape of a translation's answer. A feature contributes, per
 * output, a list of terms (doubles; 0 where the encoder writes nothing) in the order the
 * encoder pushes them, so the margin is summed in the streaming Scorer's order.
 */
import type { Column } from '../data.js';
import type { SqlDialect } from '../../adapters/dialect.js';
import type { ColumnExpressions } from './index.js';
import { doubleLiteral } from './sql-values.js';

export interface ModelWeights {
  /** Outputs per feature (classes for multiclass, else 1). */
  readonly outputs: number;
  /** Weight of feature `index` for output `k` (index·K + k, as OnlineLearner.modelCopy lays them out). */
  weight(index: number, k: number): number;
}

export interface FeatureScope {
  readonly dialect: SqlDialect;
  readonly weights: ModelWeights;
  /** The source column bound to a recipe input name (as the encoder binds it). */
  column(name: string): Column;
  /** The SQL reference of a source column. */
  readonly columns: ColumnExpressions;
}

/** Per output, the feature's terms in push order. */
export type FeatureTerms = string[][];

/** A translation, or why the feature cannot be expressed. */
export type Translated = { readonly ok: true; readonly terms: FeatureTerms } | { readonly ok: false; readonly reason: string };

/** The weight of dense slot `index` for output `k` as a literal. */
export function weightLiteral(scope: FeatureScope, index: number, k: number): string {
  return doubleLiteral(scope.dialect, scope.weights.weight(index, k));
}

/** `CASE WHEN <cond> THEN <w> … ELSE <otherwise> END` over `(condition, slot)` pairs, one per output. */
export function slotChoice(scope: FeatureScope, cases: readonly (readonly [string, number | null])[], otherwise: number | null): FeatureTerms {
  const zero = doubleLiteral(scope.dialect, 0);
  return perOutput(scope, (k) => {
    const value = (slot: number | null): string => (slot === null ? zero : weightLiteral(scope, slot, k));
    const whens = cases.map(([condition, slot]) => `WHEN ${condition} THEN ${value(slot)}`).join(' ');
    return [`(CASE ${whens} ELSE ${value(otherwise)} END)`];
  });
}

/** The same translation for every output `k`. */
export function perOutput(scope: FeatureScope, terms: (k: number) => string[]): FeatureTerms {
  return Array.from({ length: scope.weights.outputs }, (_, k) => terms(k));
}

/** Clipped as src/learn/encode.ts clips a standardized value (±MAX_ABS_VALUE). */
export function clipped(scope: FeatureScope, z: string, maxAbs: number): string {
  return `GREATEST(${doubleLiteral(scope.dialect, -maxAbs)}, LEAST(${doubleLiteral(scope.dialect, maxAbs)}, ${z}))`;
}

/** (v - center) / scale, clipped. */
export function standardized(scope: FeatureScope, v: string, center: number, scale: number, maxAbs: number): string {
  const { dialect } = scope;
  return clipped(scope, `((${v} - ${doubleLiteral(dialect, center)}) / ${doubleLiteral(dialect, scale)})`, maxAbs);
}
