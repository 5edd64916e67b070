/**
 * The default L2 amount, chosen on the validation rows: a path of L2 strengths fitted by
 * the full-batch finish, strongest first, each fit warm-started from the one before, and
 * the fit with the lowest validation loss kept — unless the passes' model (the path's
 * start) is better on the validation rows by more than they can tell apart (below), in
 * which case the path changes nothing.
 *
 * The passes' model was itself chosen on the validation rows, as the best of every pass
 * of every step size tried (dozens of snapshots), so its validation loss is optimistic:
 * on small sets it is often a hair below the path's best while clearly worse on new rows.
 * So the start is kept only when its mean validation loss is lower than the path's best
 * by more than one standard error of the paired per-row difference.
 *
 * Why: Amazon ML's default (1e-6) is next to no regularization, and the finish converges
 * to that objective's optimum. On small, wide or nearly separable data that optimum
 * overfits (scikit-learn's LogisticRegression() regularizes by C = 1, i.e. l2 = 1/n here);
 * on large data the validation-optimal amount is tiny and the path changes little.
 *
 * - Strongest first: a strongly regularized objective is well conditioned, so its fit is
 *   a few iterations, and each weaker one starts next to its own optimum. The walk stops
 *   once the validation loss has risen PATH_PATIENCE steps in a row past its best, so the
 *   slow, ill-conditioned weak end is only fitted when the data asks for it.
 * - The validation rows are the carve-out of the training rows early stopping watches;
 *   the held-out rows never choose anything. Once they have chosen, they are training
 *   rows again: the kept fit is refitted on both (see the refit below).
 * - The path's own step cap no longer needs a separate fit-on of the kept step: the refit
 *   runs to the finish's cap from it.
 * - Pure and deterministic: the same objective and start give the same choice.
 *
 * When the validation rows are few (crossValidates below), they cannot choose: the
 * start-kept rule above then keeps the passes' model by selection bias (with ~7 validation
 * rows, the best of dozens of snapshots looks better than it is), and one path walked on
 * them picks an amount by noise. There, the amount is chosen by k-fold cross-validation
 * over the training and validation rows together (crossValidatedPath): each fold's rows
 * held out in turn, the rest fitted along the same path and then at the half decades
 * around the best amount, and the weakest amount within one standard error of the lowest
 * pooled held-out loss refitted on every row. The passes' model is not a candidate there
 * (it has no held-out estimate to compare: every row trained or chose it).
 */

import type { Objective } from './objective.js';

/** The optimizer of one fit (polish.ts's L-BFGS `minimize`), given so this module needs nothing of polish.ts. */
export type Fit = (
  objective: Objective,
  start: Float64Array,
  maxIterations: number,
  hooks: FitHooks,
  converged?: number,
) => Promise<{ iterations: number; v: Float64Array }>;

export interface FitHooks {
  onIteration?(iteration: number, objective: number): void;
  signal?: AbortSignal;
}

/** The validation rows' mean paired loss difference (fit − start, rows weighted) and its standard error. */
export interface PairedDifference {
  readonly mean: number;
  readonly standardError: number;
}

/** An objective whose L2 amount can change between fits (cached-objective.ts, src/engine/database-objective.ts). */
export interface RegularizedObjective extends Objective {
  setL2(l2: number): void;
  /** The paired difference of the validation losses at `fit` and at `start`; null without validation rows. */
  pairedValidation(start: Float64Array, fit: Float64Array): Promise<PairedDifference | null>;
  /** From now on the objective sums over the validation rows too (the refit). */
  fitValidationToo(): void;
}

/**
 * L2 amounts tried (per example, on the real weights of standardized features), strongest
 * first, a decade apart, down to Amazon ML's 1e-6. scikit-learn's C = 1 is l2 = 1/n,
 * inside the path for 1 to 1,000,000 training rows.
 */
export const L2_PATH: readonly number[] = [1, 0.1, 0.01, 1e-3, 1e-4, 1e-5, 1e-6];
/**
 * Most L-BFGS iterations of one path step: the validation loss settles long before the
 * objective does, and the weak end of the path is ill-conditioned (nearly separable data
 * has no finite optimum at l2 → 0), where every step would otherwise run to the finish's
 * cap. The kept step then runs on to the finish's own cap.
 */
export const PATH_STEP_MAX_ITERATIONS = 30;
/**
 * The path runs only when the training rows are at most this many per coordinate
 * (features × outputs): with many more rows than weights the validation-optimal amount
 * is tiny (scikit-learn's C = 1 is l2 = 1/n), the default's fit is already close to it,
 * and walking the path would cost several finishes for a change in the fourth decimal.
 * Small, wide and nearly separable sets, where regularization matters, are far below it.
 */
export const PATH_MAX_ROWS_PER_COORDINATE = 50;

/** Whether the path is worth walking for `rows` distinct training rows and `coordinates` weights. */
export function pathPays(rows: number, coordinates: number): boolean {
  return rows <= PATH_MAX_ROWS_PER_COORDINATE * coordinates;
}

/** Relative objective change that ends a path step's fit: its validation loss is settled long before. */
export const PATH_STEP_CONVERGED = 1e-9;

/** Consecutive path steps whose validation loss is above the best before the walk stops. */
export const PATH_PATIENCE = 2;

/** An objective whose rows can be split into folds for cross-validation (cached-objective.ts; not the database's, where a fold's fit would cost full scans). */
export interface FoldedObjective extends RegularizedObjective {
  /** Distinct validation rows held. */
  readonly validationRowCount: number;
  /**
   * Deals the training and validation rows into `folds` folds, seeded (folds.ts); false,
   * changing nothing, when there are too few rows for every fold to hold some and fit on the rest.
   */
  assignFolds(folds: number, seed: number): boolean;
  /** From now on evaluate() sums over every fold but `fold`; −1: back to the training rows. */
  holdOut(fold: number): void;
  /** Σ weight·loss and Σ weight over the held-out fold's rows at `v`. */
  heldOutLoss(v: Float64Array): { loss: number; weight: number };
}

/** Folds of the cross-validation: scikit-learn's LogisticRegressionCV default. */
export const CV_FOLDS = 5;
/**
 * Cross-validation chooses the amount when the distinct validation rows are fewer than
 * this (about 1,400 rows in all at the default split). Measured with cross-validation at
 * every size (5 seeds each, medians, sqlml minus scikit-learn's C = 1 on the same split
 * for bench/small-data.ts): where the validation rows are 7 to 21 (its 100- to 300-row
 * shapes) it lifts the median AUC difference from −0.028 to −0.004 (100 rows) and from
 * −0.008 to +0.001 (200 rows); at 121 to 390 (bench/quality.ts's car, obesity, sms_spam)
 * the held-out figures move within their seeds' noise (accuracy −0.004 to +0.008, AUC
 * −0.003 to +0.005 per seed) while the model takes 1.6 to 2.7 times as long. So it runs
 * where it was seen to pay, and the validation rows choose where it was not.
 */
export const CV_MAX_VALIDATION_ROWS = 100;

/** Whether the amount is chosen by cross-validation for `validationRows` distinct validation rows. */
export function crossValidates(validationRows: number): boolean {
  return validationRows < CV_MAX_VALIDATION_ROWS;
}

export interface PathStep {
  readonly l2: number;
  readonly validationLoss: number;
  /** L-BFGS iterations of this step's fit. */
  readonly iterations: number;
}

export interface PathResult {
  /** The kept fit's coordinates, or null when the start's validation loss was lowest (keep the start). */
  readonly v: Float64Array | null;
  /** The kept fit's L2 amount; null with `v`. */
  readonly l2: number | null;
  readonly validationLoss: number;
  readonly tried: readonly PathStep[];
  /** L-BFGS iterations of every fit, the refit's included. */
  readonly iterations: number;
  /** L-BFGS iterations of the refit on the training and validation rows (0 when the start was kept). */
  readonly refitIterations: number;
  /** Folds of the cross-validation that chose, or 0 when the validation rows chose. */
  readonly folds: number;
}

/**
 * Walks `path` (strongest first) from `start` (left untouched), fitting each amount with
 * `fit` to at most `maxIterations` iterations: what was tried and the fit with the lowest validation loss,
 * or none when no fit beats `startValidation`.
 */
export async function regularizationPath(
  objective: RegularizedObjective,
  start: Float64Array,
  startValidation: number,
  path: readonly number[],
  maxIterations: number,
  fit: Fit,
  hooks: FitHooks = {},
  /** The refit's stop (the fit's own default when absent); a path step stops at the looser of it and PATH_STEP_CONVERGED. */
  converged?: number,
): Promise<PathResult> {
  const tried: PathStep[] = [];
  let v: Float64Array = Float64Array.from(start);
  let best: Float64Array | null = null;
  let bestL2: number | null = null;
  let bestLoss = Infinity;
  let stale = 0;
  let total = 0;
  for (const l2 of path) {
    objective.setL2(l2);
    const fitted = await fit(objective, v, Math.min(maxIterations, PATH_STEP_MAX_ITERATIONS), {
      ...(hooks.signal ? { signal: hooks.signal } : {}),
      onIteration: (_iteration, value) => hooks.onIteration?.(++total, value),
    }, Math.max(PATH_STEP_CONVERGED, converged ?? 0));
    v = fitted.v;
    const loss = (await objective.validationLoss(v)) ?? Infinity;
    tried.push({ l2, validationLoss: loss, iterations: fitted.iterations });
    if (loss < bestLoss) {
      bestLoss = loss;
      bestL2 = l2;
      best = best === null || best.length !== v.length ? Float64Array.from(v) : (best.set(v), best);
      stale = 0;
    } else if (++stale >= PATH_PATIENCE) {
      break;
    }
  }
  let iterations = tried.reduce((sum, step) => sum + step.iterations, 0);
  if (best === null || bestL2 === null || (await startClearlyBetter(objective, start, best))) {
    return { v: null, l2: null, validationLoss: startValidation, tried, iterations, refitIterations: 0, folds: 0 };
  }
  // The refit: the amount chosen, the validation rows join the training rows, and the fit
  // runs on from the kept step to the finish's cap. On small sets the carve-out is a tenth
  // of the few rows there are, and a fit without them is measurably worse on new rows
  // (bench/small-data.ts: scikit-learn's C = 1 on the training rows without the carve-out
  // loses 0.004 AUC and 0.010 accuracy, median over shapes, to the same on all of them).
  objective.setL2(bestL2);
  objective.fitValidationToo();
  const refit = await fit(objective, Float64Array.from(best), maxIterations, {
    ...(hooks.signal ? { signal: hooks.signal } : {}),
    onIteration: (_iteration, value) => hooks.onIteration?.(++total, value),
  }, converged);
  iterations += refit.iterations;
  return { v: refit.v, l2: bestL2, validationLoss: bestLoss, tried, iterations, refitIterations: refit.iterations, folds: 0 };
}

/**
 * Walks `path` (strongest first) once per fold of `objective` (its folds already
 * assigned, `folds` of them), each fold's fits warm-started along the path from `start`
 * (left untouched): each step's validation loss is the pooled held-out loss of its
 * folds' fits (Σ weight·loss over Σ weight, every row held out once). The same patience
 * as the plain path ends the walk. Then the half decades either side of the best amount
 * (halfDecadesAround) are fitted the same way, each fold warm-started from its fit at the
 * nearest amount tried, and the amount kept is the weakest within one standard error of
 * the best (weakestWithinOneStandardError). It is refitted on every row from the mean of
 * its folds' fits, to the finish's cap.
 *
 * Why the half decades and the weaker side, measured on bench/small-data.ts (5 shapes ×
 * 5 seeds binary, 3 × 5 multiclass, each the median over 5 splits of sqlml minus
 * scikit-learn's C = 1 on the same split; docs/tuning.md has the tables): with the
 * decades alone, cross-validation on 60 to 900 rows keeps 0.1 or 0.01 on nearly every
 * split, and the worst seeds were −0.031 AUC (300 × 100) and −0.024 (100 × 30). The
 * half decades alone lifted the 300 × 100 seed to −0.015 and moved the others both ways;
 * adding scikit-learn's 1/n as a candidate changed nothing (its cross-validated loss
 * never won), and the classic one-standard-error rule (the strongest within one standard
 * error) moved further from scikit-learn (100 × 30's worst seed −0.063). The pooled
 * losses of neighbouring amounts are within one standard error of each other on these
 * few rows — the folds cannot tell them apart — and there the weaker one did better on
 * the held-out rows: the worst 100 × 30 seed went from −0.024 to −0.006, 200 × 50's from
 * −0.015 to −0.005.
 */
export async function crossValidatedPath(
  objective: FoldedObjective,
  start: Float64Array,
  startValidation: number,
  folds: number,
  path: readonly number[],
  maxIterations: number,
  fit: Fit,
  hooks: FitHooks = {},
): Promise<PathResult> {
  const tried: PathStep[] = [];
  /** Each tried amount's fold fits (the optimizer may reuse its start's storage, so each fit starts from a copy). */
  const fitsAt = new Map<number, Float64Array[]>();
  /** Each tried amount's mean held-out loss per fold, for the standard error of two amounts' difference. */
  const foldLossesAt = new Map<number, Float64Array>();
  let bestL2: number | null = null;
  let bestLoss = Infinity;
  let total = 0;
  const stepHooks: FitHooks = {
    ...(hooks.signal ? { signal: hooks.signal } : {}),
    onIteration: (_iteration, value) => hooks.onIteration?.(++total, value),
  };
  /** Fits every fold at `l2`, fold k from `from[k]`, and records the step. */
  const step = async (l2: number, from: readonly Float64Array[]): Promise<void> => {
    objective.setL2(l2);
    let loss = 0;
    let weight = 0;
    let stepIterations = 0;
    const fits: Float64Array[] = [];
    const foldLosses = new Float64Array(folds);
    for (let k = 0; k < folds; k++) {
      objective.holdOut(k);
      const fitted = await fit(objective, Float64Array.from(from[k]!), Math.min(maxIterations, PATH_STEP_MAX_ITERATIONS), stepHooks, PATH_STEP_CONVERGED);
      fits.push(fitted.v);
      stepIterations += fitted.iterations;
      const held = objective.heldOutLoss(fitted.v);
      loss += held.loss;
      weight += held.weight;
      foldLosses[k] = held.weight > 0 ? held.loss / held.weight : Infinity;
    }
    fitsAt.set(l2, fits);
    foldLossesAt.set(l2, foldLosses);
    const pooled = weight > 0 ? loss / weight : Infinity;
    tried.push({ l2, validationLoss: pooled, iterations: stepIterations });
    if (pooled < bestLoss) {
      bestLoss = pooled;
      bestL2 = l2;
    }
  };
  let from: readonly Float64Array[] = Array.from({ length: folds }, () => start);
  let stale = 0;
  for (const l2 of path) {
    const before = bestLoss;
    await step(l2, from);
    from = fitsAt.get(l2)!;
    if (bestLoss < before) stale = 0;
    else if (++stale >= PATH_PATIENCE) break;
  }
  if (bestL2 !== null) {
    for (const l2 of halfDecadesAround(bestL2, path)) {
      if (!fitsAt.has(l2)) await step(l2, fitsAt.get(nearestAmount(l2, [...fitsAt.keys()]))!);
    }
  }
  objective.holdOut(-1);
  let iterations = tried.reduce((sum, s) => sum + s.iterations, 0);
  if (bestL2 === null) {
    // Every step's held-out loss was not a number (diverged): the passes' model stays.
    return { v: null, l2: null, validationLoss: startValidation, tried, iterations, refitIterations: 0, folds };
  }
  const chosen = weakestWithinOneStandardError(foldLossesAt, bestL2);
  const mean = new Float64Array(start.length);
  for (const f of fitsAt.get(chosen)!) for (let i = 0; i < mean.length; i++) mean[i] = mean[i]! + f[i]! / folds;
  objective.setL2(chosen);
  objective.fitValidationToo();
  const refit = await fit(objective, mean, maxIterations, stepHooks);
  iterations += refit.iterations;
  const validationLoss = tried.find((s) => s.l2 === chosen)!.validationLoss;
  return { v: refit.v, l2: chosen, validationLoss, tried, iterations, refitIterations: refit.iterations, folds };
}

/**
 * The amounts half a decade (×√10) either side of `best`, strongest first, within the
 * path's range and rounded to 3 significant digits (they name DESCRIBE's `l2_tried_…`
 * rows): 0.316 and 0.0316 around 0.1.
 */
export function halfDecadesAround(best: number, path: readonly number[]): number[] {
  const strongest = Math.max(...path);
  const weakest = Math.min(...path);
  return [best * Math.sqrt(10), best / Math.sqrt(10)].map((l2) => Number(l2.toPrecision(3))).filter((l2) => l2 <= strongest && l2 >= weakest);
}

/**
 * Of the amounts in `foldLosses` (each amount's mean held-out loss per fold), the weakest
 * whose mean paired difference to `best`'s over the folds is at most one standard error
 * of that mean: amounts the folds cannot tell from the best. `best` itself when none is
 * weaker.
 */
export function weakestWithinOneStandardError(foldLosses: ReadonlyMap<number, Float64Array>, best: number): number {
  const b = foldLosses.get(best)!;
  const folds = b.length;
  let chosen = best;
  for (const [l2, a] of foldLosses) {
    if (!(l2 < chosen)) continue;
    let mean = 0;
    for (let k = 0; k < folds; k++) mean += (a[k]! - b[k]!) / folds;
    let squares = 0;
    for (let k = 0; k < folds; k++) squares += (a[k]! - b[k]! - mean) ** 2;
    if (mean <= Math.sqrt(squares / Math.max(1, folds - 1) / folds)) chosen = l2;
  }
  return chosen;
}

/** The amount of `amounts` nearest `l2` on a log scale (the first of a tie). */
function nearestAmount(l2: number, amounts: readonly number[]): number {
  let nearest = amounts[0]!;
  for (const a of amounts) if (Math.abs(Math.log(a / l2)) < Math.abs(Math.log(nearest / l2))) nearest = a;
  return nearest;
}

/**
 * Whether `start` has a lower validation loss than `fit` by more than one standard error
 * of the mean paired difference (weighted rows).
 */
export async function startClearlyBetter(objective: RegularizedObjective, start: Float64Array, fit: Float64Array): Promise<boolean> {
  const difference = await objective.pairedValidation(start, fit);
  return difference !== null && difference.mean > difference.standardError;
}

/** The paired difference of per-row losses `b` − `a` (each row's weight in `a.weights`); null when the weights sum to nothing. */
export function pairedDifference(
  a: { readonly losses: Float64Array; readonly weights: Float64Array },
  b: { readonly losses: Float64Array },
): PairedDifference | null {
  let weight = 0;
  let sum = 0;
  for (let r = 0; r < a.losses.length; r++) {
    weight += a.weights[r]!;
    sum += a.weights[r]! * (b.losses[r]! - a.losses[r]!);
  }
  if (!(weight > 0)) return null;
  const mean = sum / weight;
  let squares = 0;
  for (let r = 0; r < a.losses.length; r++) {
    const d = b.losses[r]! - a.losses[r]! - mean;
    squares += a.weights[r]! * d * d;
  }
  const standardError = Math.sqrt(squares / weight / Math.max(1, weight - 1));
  return { mean, standardError };
}
