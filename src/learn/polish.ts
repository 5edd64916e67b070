/**
 * The full-batch finish after the SGD passes: limited-memory BFGS on an Objective (the
 * training rows' regularized mean loss), started from the model SGD left and run until
 * an iteration no longer lowers the objective.
 *
 * Why: per-coordinate adaptive SGD reaches a converged solver's held-out quality within
 * a few passes on most data, but not on the weights that few rows move (a rare class's
 * rows are a sliver of each pass, and every pass moves the large classes' weights
 * against them). A quasi-Newton step uses the whole gradient at once, so such directions
 * converge at the rate of the problem's curvature, not of their rows' frequency.
 *
 * - The objective is the one the SGD learner heads for: importance-weighted mean loss
 *   plus ½·l2·Σw² on the real weights, biases unpenalized. L1 is not smooth, so a model
 *   with l1 > 0 is left as SGD made it.
 * - The coordinates are normalized (w·scale), so columns of any units are equally easy
 *   to move, and the initial inverse Hessian is the inverse of the Hessian's diagonal,
 *   recomputed every DIAGONAL_REFRESH iterations and scaled by sᵀy / yᵀD⁻¹y. A rare
 *   class needs the diagonal: its probabilities are near 0 on most rows, so its
 *   curvature is tiny.
 * - The last iterate is kept unless the passes' model has a lower validation loss: the
 *   finish never leaves the model worse on the validation rows than it found it. When
 *   the L2 amount is the learner's to choose, the finish walks l2-path.ts's path instead
 *   of fitting one amount, and the validation rows choose the amount (or, when they are
 *   few, cross-validation over the training and validation rows together).
 * - The objective sums in a fixed block order, so the same seed gives the same bytes.
 */

import { CachedObjective, type ObjectiveRows } from './cached-objective.js';
import {
  crossValidatedPath,
  crossValidates,
  CV_FOLDS,
  pathPays,
  regularizationPath,
  type FoldedObjective,
  type PathResult,
  type PathStep,
  type RegularizedObjective,
} from './l2-path.js';
import type { Objective } from './objective.js';
import type { OnlineLearner } from './sgd.js';
import type { Task } from './types.js';

/** Curvature pairs kept by L-BFGS. */
const MEMORY = 8;
/**
 * Most L-BFGS iterations of one finish: most data sets converge well before it, and
 * many-class sets with rare classes still gain held-out quality up to it.
 */
export const POLISH_MAX_ITERATIONS = 100;
/** An iteration that lowers the objective by less than this share of it ends the finish. */
const CONVERGED = 1e-12;
/** Iterations between two computations of the Hessian's diagonal (the preconditioner). */
const DIAGONAL_REFRESH = 10;
/** Backtracking halvings before a line search gives up. */
const MAX_HALVINGS = 20;
/**
 * Most coordinates (live features + 1) × outputs: the finish keeps 2·MEMORY + 6 vectors
 * of this length, 2 MB each at the cap.
 */
export const POLISH_MAX_COORDINATES = 1 << 18;

/**
 * Largest training set that gets the finish: above it the passes alone come close to
 * the converged fit, and each iteration would cost as much as a pass.
 */
export const POLISH_MAX_ROWS = 500_000;

/**
 * Most distinct (row, feature) entries the finish holds in memory (8 bytes each, so
 * 96 MB at the cap); past it the finish does not run.
 */
export const POLISH_MAX_NNZ = 12_000_000;

export interface PolishSpec {
  readonly task: Task;
  /** L2 per example on the real weights, as the learner's spec has it. */
  readonly l2: number;
  /** Per-class importance weights, or null. */
  readonly classWeights: Float64Array | null;
  /** The pass number whose block order the objective is summed in (any fixed number). */
  readonly pass: number;
  readonly maxIterations?: number;
  /** L2 amounts to choose from on the validation rows (l2-path.ts), strongest first; absent or empty: fit `l2` alone. */
  readonly l2Path?: readonly number[];
  /** Budget of distinct (row, feature) entries held in memory; default POLISH_MAX_NNZ. */
  readonly maxNnz?: number;
  /**
   * The share of the objective an iteration must lower it by to go on (default CONVERGED,
   * the stream's): an objective computed elsewhere may know its own precision
   * (src/engine/database-objective.ts).
   */
  readonly converged?: number;
  /** Seed of the folds when the path cross-validates (l2-path.ts crossValidates); default 0. */
  readonly seed?: number;
  /**
   * false: the validation rows choose the L2 amount however few they are — the rule the
   * database's objective follows (it cannot hold folds), so the two can be compared on
   * the same rows. Default true.
   */
  readonly crossValidate?: boolean;
}

export interface PolishResult {
  /** L-BFGS iterations run. */
  readonly iterations: number;
  /** Objective evaluations (passes over the training rows), line searches included. */
  readonly evaluations: number;
  /** Validation loss of the SGD model the finish started from; null without validation rows (early_stopping = false). */
  readonly startValidationLoss: number | null;
  /** Validation loss of the model the learner holds afterwards; null without validation rows. */
  readonly validationLoss: number | null;
  readonly seconds: number;
  /** Distinct training rows the finish summed over (duplicates folded). */
  readonly distinctRows: number;
  /** The L2 amount of the model kept: the path's choice, else the spec's. */
  readonly l2: number;
  /** The path's steps (amount, validation loss, iterations); empty without a path. */
  readonly l2Path: readonly PathStep[];
  /** L-BFGS iterations of the path's refit on the training and validation rows together (0 without one). */
  readonly refitIterations: number;
  /** Folds of the cross-validation that chose the L2 amount; 0 when the validation rows chose it (or nothing did). */
  readonly l2Folds: number;
  /** Whether the learner holds the finish's fit ('finish') or the passes' model it started from ('passes'). */
  readonly kept: 'finish' | 'passes';
}

export interface PolishHooks {
  /** After each iteration: its number (1-based) and the objective (regularized mean training loss). */
  onIteration?(iteration: number, objective: number): void;
  signal?: AbortSignal;
}

/** Whether `polish` can run on this learner: a smooth objective and a model small enough. */
export function canPolish(learner: OnlineLearner): boolean {
  if (learner.spec.l1 > 0 || !learner.isFreshModel()) return false;
  const scales = learner.featureScales();
  let live = 1;
  for (let i = 0; i < scales.length; i++) if (scales[i]! > 0) live++;
  return live * (learner.spec.task === 'multiclass' ? learner.spec.classes : 1) <= POLISH_MAX_COORDINATES;
}

/**
 * Runs the finish on `learner` (which has completed its passes and has no restored
 * weights): the learner ends up holding the last iterate. Validation rows are only
 * reported on (the finish chooses nothing by them), so it runs without them too. Returns
 * null, leaving the learner as it was, when there are no training rows or they pass the
 * memory budget.
 */
export async function polish(
  learner: OnlineLearner,
  source: ObjectiveRows,
  spec: PolishSpec,
  hooks: PolishHooks = {},
): Promise<PolishResult | null> {
  const started = performance.now();
  const objective = await CachedObjective.load(
    learner,
    source,
    { task: spec.task, l2: spec.l2, classWeights: spec.classWeights, pass: spec.pass, maxNnz: spec.maxNnz ?? POLISH_MAX_NNZ },
    hooks.signal,
  );
  if (objective === null) return null;
  return finish(learner, objective, spec, hooks, started);
}

/**
 * The finish on a given objective (e.g. the database's, src/engine/database-objective.ts,
 * made from `learner`'s coordinates) instead of rows loaded into memory: the same L-BFGS
 * and the same keep-the-better-on-validation rule as `polish`. The L2 path (spec.l2Path)
 * is walked only on an objective that can set its amount and compare two fits on the
 * validation rows (l2-path.ts RegularizedObjective); on another, `spec.l2` is fitted alone.
 * `objective` starts at `spec.l2`.
 */
export async function polishObjective(
  learner: OnlineLearner,
  objective: Objective,
  spec: Omit<PolishSpec, 'pass' | 'maxNnz'>,
  hooks: PolishHooks = {},
): Promise<PolishResult> {
  return finish(learner, objective, spec, hooks, performance.now());
}

function isRegularized(objective: Objective): objective is RegularizedObjective {
  const candidate = objective as Partial<RegularizedObjective>;
  return typeof candidate.setL2 === 'function' && typeof candidate.pairedValidation === 'function';
}

function isFolded(objective: RegularizedObjective): objective is FoldedObjective {
  const candidate = objective as Partial<FoldedObjective>;
  return typeof candidate.assignFolds === 'function' && typeof candidate.holdOut === 'function';
}

/**
 * The L2 path on `objective`: cross-validated when its validation rows are few and it can
 * split its rows into folds (held in memory; the database's objective cannot cheaply, and
 * keeps the validation rows' choice), else chosen on the validation rows.
 */
function walkPath(
  objective: RegularizedObjective,
  start: Float64Array,
  startValidation: number,
  spec: Omit<PolishSpec, 'pass' | 'maxNnz'>,
  maxIterations: number,
  hooks: PolishHooks,
): Promise<PathResult> {
  const path = spec.l2Path!;
  if (spec.crossValidate !== false && isFolded(objective) && crossValidates(objective.validationRowCount) && objective.assignFolds(CV_FOLDS, spec.seed ?? 0)) {
    return crossValidatedPath(objective, start, startValidation, CV_FOLDS, path, maxIterations, minimize, hooks);
  }
  return regularizationPath(objective, start, startValidation, path, maxIterations, minimize, hooks, spec.converged);
}

async function finish(
  learner: OnlineLearner,
  objective: Objective,
  spec: Omit<PolishSpec, 'pass' | 'maxNnz'>,
  hooks: PolishHooks,
  started: number,
): Promise<PolishResult> {
  const startModel = objective.fromModel(learner.modelCopy());
  const startValidation = await objective.validationLoss(startModel);
  const maxIterations = spec.maxIterations ?? POLISH_MAX_ITERATIONS;
  let iterations: number;
  let kept: Float64Array | null;
  let l2 = spec.l2;
  let validationLoss: number | null;
  let tried: readonly PathStep[] = [];
  let refitIterations = 0;
  let l2Folds = 0;
  const coordinates = startModel.length;
  if (spec.l2Path !== undefined && spec.l2Path.length > 0 && startValidation !== null && isRegularized(objective) && pathPays(objective.distinctRows, coordinates)) {
    const path = await walkPath(objective, startModel, startValidation, spec, maxIterations, hooks);
    ({ iterations, tried, validationLoss, refitIterations } = path);
    l2Folds = path.folds;
    kept = path.v;
    if (path.l2 !== null) l2 = path.l2;
  } else {
    const fit = await minimize(objective, startModel, maxIterations, hooks, spec.converged ?? CONVERGED);
    iterations = fit.iterations;
    const after = await objective.validationLoss(fit.v);
    const worse = startValidation !== null && after !== null && after > startValidation;
    kept = iterations > 0 && !worse ? fit.v : null;
    validationLoss = worse ? startValidation : after;
  }
  if (kept !== null) learner.adoptModel(objective.toModel(kept));
  return {
    iterations,
    evaluations: objective.evaluations,
    startValidationLoss: startValidation,
    validationLoss,
    distinctRows: objective.distinctRows,
    seconds: (performance.now() - started) / 1000,
    l2,
    l2Path: tried,
    refitIterations,
    l2Folds,
    kept: kept !== null ? 'finish' : 'passes',
  };
}

/**
 * L-BFGS with a diagonal preconditioner and a backtracking (Armijo) line search, from
 * `start` until an iteration lowers the objective by at most `converged` of it, or
 * `maxIterations`: the
 * iterations run and the last iterate (which may be `start` itself, overwritten).
 */
export async function minimize(
  objective: Objective,
  start: Float64Array,
  maxIterations: number,
  hooks: PolishHooks,
  converged = CONVERGED,
): Promise<{ iterations: number; v: Float64Array }> {
  const size = start.length;
  let v: Float64Array = start;
  let g: Float64Array = new Float64Array(size);
  let value = await objective.evaluate(v, g);
  let nextV: Float64Array = new Float64Array(size);
  let nextG: Float64Array = new Float64Array(size);
  const direction = new Float64Array(size);
  const inverseDiagonal = new Float64Array(size);
  const history = new CurvatureHistory(size);
  let iterations = 0;

  while (iterations < maxIterations) {
    if (iterations % DIAGONAL_REFRESH === 0) await objective.inverseDiagonal(v, inverseDiagonal);
    history.direction(g, direction, inverseDiagonal);
    let slope = dot(g, direction);
    if (!(slope < 0)) {
      // Not a descent direction (curvature pairs gone stale): restart from the diagonal Newton step.
      history.clear();
      history.direction(g, direction, inverseDiagonal);
      slope = dot(g, direction);
      if (!(slope < 0)) break;
    }
    let step = 1;
    let nextValue = Infinity;
    let accepted = false;
    for (let halving = 0; halving <= MAX_HALVINGS; halving++) {
      for (let i = 0; i < size; i++) nextV[i] = v[i]! + step * direction[i]!;
      nextValue = await objective.evaluate(nextV, nextG);
      if (nextValue <= value + 1e-4 * step * slope) {
        accepted = true;
        break;
      }
      step *= 0.5;
    }
    if (!accepted) break;
    iterations++;
    history.push(v, nextV, g, nextG);
    [v, nextV] = [nextV, v];
    [g, nextG] = [nextG, g];
    const improvement = value - nextValue;
    value = nextValue;
    hooks.onIteration?.(iterations, value);
    if (improvement <= converged * Math.max(1, Math.abs(value))) break;
  }

  return { iterations, v };
}

/** L-BFGS's last MEMORY curvature pairs (s = Δv, y = Δg) in preallocated ring slots. */
class CurvatureHistory {
  private readonly s: Float64Array[] = [];
  private readonly y: Float64Array[] = [];
  private readonly rho = new Float64Array(MEMORY);
  private readonly alpha = new Float64Array(MEMORY);
  private spareS: Float64Array | null = null;
  private spareY: Float64Array | null = null;
  /** Ring position of the oldest pair. */
  private first = 0;
  length = 0;

  constructor(private readonly size: number) {}

  clear(): void {
    this.first = 0;
    this.length = 0;
  }

  push(v: Float64Array, nextV: Float64Array, g: Float64Array, nextG: Float64Array): void {
    // Computed into the spare pair, so a rejected pair overwrites nothing kept.
    const s = (this.spareS ??= new Float64Array(this.size));
    const y = (this.spareY ??= new Float64Array(this.size));
    for (let i = 0; i < this.size; i++) {
      s[i] = nextV[i]! - v[i]!;
      y[i] = nextG[i]! - g[i]!;
    }
    const sy = dot(s, y);
    // A pair without positive curvature would break the inverse-Hessian estimate: drop it.
    if (!(sy > 1e-12 * Math.sqrt(dot(s, s) * dot(y, y)))) return;
    const slot = this.length < MEMORY ? (this.first + this.length) % MEMORY : this.first;
    // The slot's old arrays (if any) become the spare pair.
    this.spareS = this.s[slot] ?? null;
    this.spareY = this.y[slot] ?? null;
    this.s[slot] = s;
    this.y[slot] = y;
    this.rho[slot] = 1 / sy;
    if (this.length < MEMORY) this.length++;
    else this.first = (this.first + 1) % MEMORY;
  }

  /**
   * The two-loop recursion: `direction` = −H·g, the initial inverse Hessian being
   * diag(`inverseDiagonal`) (the inverse of the Hessian's diagonal).
   */
  direction(g: Float64Array, direction: Float64Array, inverseDiagonal: Float64Array): void {
    direction.set(g);
    for (let n = this.length - 1; n >= 0; n--) {
      const slot = (this.first + n) % MEMORY;
      const a = this.rho[slot]! * dot(this.s[slot]!, direction);
      this.alpha[slot] = a;
      axpy(-a, this.y[slot]!, direction);
    }
    // H0 = γ·D⁻¹ with γ = sᵀy / yᵀD⁻¹y from the last pair, so that a step of 1 is usually accepted.
    let gamma = 1;
    if (this.length > 0) {
      const last = (this.first + this.length - 1) % MEMORY;
      const y = this.y[last]!;
      let yDy = 0;
      for (let i = 0; i < y.length; i++) yDy += y[i]! * y[i]! * inverseDiagonal[i]!;
      gamma = 1 / (this.rho[last]! * yDy);
    }
    for (let i = 0; i < direction.length; i++) direction[i] = direction[i]! * gamma * inverseDiagonal[i]!;
    for (let n = 0; n < this.length; n++) {
      const slot = (this.first + n) % MEMORY;
      const b = this.rho[slot]! * dot(this.y[slot]!, direction);
      axpy(this.alpha[slot]! - b, this.s[slot]!, direction);
    }
    for (let i = 0; i < direction.length; i++) direction[i] = -direction[i]!;
  }
}

function dot(a: Float64Array, b: Float64Array): number {
  let sum = 0;
  for (let i = 0; i < a.length; i++) sum += a[i]! * b[i]!;
  return sum;
}

function axpy(a: number, x: Float64Array, y: Float64Array): void {
  for (let i = 0; i < x.length; i++) y[i] = y[i]! + a * x[i]!;
}
