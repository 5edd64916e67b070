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
    return { v: null, l2: null, validationLoss: startValidation, tried, iterations, refitIterations: 0 };
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
  return { v: refit.v, l2: bestL2, validationLoss: bestLoss, tried, iterations, refitIterations: refit.iterations };
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
