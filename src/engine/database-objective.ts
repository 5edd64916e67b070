/**
 * The finish's objective summed by the database: each evaluation runs the read-only
 * aggregate SELECTs src/compile/objective-sql.ts writes for the coordinate vector, over
 * the relation holding the rows and their roles, so no training row leaves the
 * database. The coordinates, their scaling and the L2 penalty are the learner's
 * (learn/coordinates.ts), as in memory, so polish.ts's L-BFGS runs on it unchanged.
 */
import type { Adapter } from '../../adapters/adapter.js';
import type { ResultTable } from '../data.js';
import type { CompiledObjective, ObjectiveSums } from '../compile/objective-sql.js';
import { SqlmlError } from '../errors.js';
import type { ObjectiveCoordinates } from '../learn/coordinates.js';
import type { PairedDifference } from '../learn/l2-path.js';
import type { Objective } from '../learn/objective.js';

/**
 * The finish's stop on the database's objective (polish.ts PolishSpec.converged): an
 * iteration that lowers the objective by no more than this share of it ends the fit.
 * Not the stream's 1e-12, which asks for more than these sums can tell apart:
 * - every value the objective reads is a float32 (scratch-table.ts stores them so, as the
 *   encoder does), known to half a unit in the last place, 2^-24 of itself; a relative
 *   change of δ in the values moves each margin, so each row's loss, by about δ of
 *   itself, so objectives that differ by less than 2^-24 of their value differ by less
 *   than the data's own rounding does, and iterations past that fit the rounding;
 * - a sum of N non-negative doubles, added in the order the plan chooses (PostgreSQL's
 *   workers' partial sums combine as they finish), is exact to (N − 1)·2^-53 of itself at
 *   worst, so past 2^29 rows the database's own arithmetic is the coarser bound, and an
 *   Armijo test finer than it compares noise.
 * Measured (bench/train-engines.ts, gen.py binary 1M rows): 61 iterations at 1e-12 → 7,
 * the held-out AUC 0.8590454 → 0.8590453; bank, adult, california and letters in
 * docs/training-in-database.md. Those were measured while the warm start learnt only
 * 4,096 rows of its sample; with the whole sample the hashed gen.py model stops at 7
 * iterations where it took 16. A stop on a step the line search halved was looked at
 * again (stop only on a full step, or only when the next direction's predicted gain is
 * under the share too): gen.py binary 100k, 14 → 17 iterations, the held-out AUC the same
 * (the docs have the figures), so the rule reads the gain alone.
 */
export function databaseConverged(rows: number): number {
  return Math.max(2 ** -24, Math.max(0, rows - 1) * 2 ** -53);
}

export class DatabaseObjective implements Objective {
  evaluations = 0;
  /** Queries run (an evaluation is one unless the sums pass the dialect's select list). */
  queries = 0;
  /** Seconds spent waiting for the database. */
  seconds = 0;
  #distinctRows = 0;

  /**
   * `compiled` is objective-sql.ts's compilation over the relation, made with
   * `coordinates` (the learner's, at the L2 amount to fit); `trainingRows`, when the
   * caller knows it, is `distinctRows` before the first evaluation counts them (the L2
   * path's decision reads it first).
   */
  constructor(
    private readonly adapter: Adapter,
    readonly compiled: CompiledObjective,
    readonly coordinates: ObjectiveCoordinates,
    options: { readonly signal?: AbortSignal; readonly trainingRows?: number } = {},
  ) {
    this.signal = options.signal;
    this.#distinctRows = options.trainingRows ?? 0;
  }

  private readonly signal: AbortSignal | undefined;

  /** Training rows the last evaluation summed over (before the first, the count given; the database folds nothing, so each row counts once). */
  get distinctRows(): number {
    return this.#distinctRows;
  }

  setL2(l2: number): void {
    this.coordinates.setL2(l2);
  }

  /** The L2 path's refit: from now on the sums run over the validation rows too (l2-path.ts). */
  fitValidationToo(): void {
    this.#withValidation = true;
  }

  #withValidation = false;

  fromModel(model: Float64Array): Float64Array {
    return this.coordinates.fromModel(model);
  }

  toModel(v: Float64Array): Float64Array {
    return this.coordinates.toModel(v);
  }

  async evaluate(v: Float64Array, gradient: Float64Array): Promise<number> {
    this.evaluations++;
    const { loss, weight, rows } = this.compiled.readGradient(await this.#run(this.compiled.gradientQueries(v, this.#withValidation)), gradient);
    // The training rows alone, as CachedObjective counts them, also once the refit adds the validation rows.
    if (!this.#withValidation) this.#distinctRows = rows;
    if (!(weight > 0)) throw new SqlmlError('internal', 'the in-database objective found no training rows (sqlml_role = 0)');
    return this.coordinates.regularized(v, loss, weight, gradient);
  }

  async inverseDiagonal(v: Float64Array, out: Float64Array): Promise<void> {
    const { weight } = this.compiled.readCurvature(await this.#run(this.compiled.curvatureQueries(v, this.#withValidation)), out);
    if (!(weight > 0)) throw new SqlmlError('internal', 'the in-database objective found no training rows (sqlml_role = 0)');
    this.coordinates.inverseDiagonal(out, weight);
  }

  /** The L2 path's paired comparison (l2-path.ts), from one pass over the validation rows at both vectors. */
  async pairedValidation(start: Float64Array, fit: Float64Array): Promise<PairedDifference | null> {
    const { weight, sum, squares } = this.compiled.readPairedValidation((await this.#run([this.compiled.pairedValidationQuery(start, fit)]))[0]!);
    if (!(weight > 0)) return null;
    const mean = sum / weight;
    // Σ w·(d − mean)² from the raw sums; cancellation can take it a hair below 0.
    const spread = Math.max(0, squares - sum * mean);
    return { mean, standardError: Math.sqrt(spread / weight / Math.max(1, weight - 1)) };
  }

  async validationLoss(v: Float64Array): Promise<number | null> {
    const sums: ObjectiveSums = this.compiled.readValidation((await this.#run([this.compiled.validationQuery(v)]))[0]!);
    return sums.weight > 0 ? sums.loss / sums.weight : null;
  }

  #options(): { signal?: AbortSignal } {
    return this.signal ? { signal: this.signal } : {};
  }

  async #run(queries: readonly string[]): Promise<ResultTable[]> {
    if (this.signal?.aborted) throw new SqlmlError('cancelled', 'training was cancelled');
    const started = performance.now();
    const results: ResultTable[] = [];
    // The dialect's compiledSettings (PostgreSQL: jit off) share each statement's implicit
    // transaction, as the in-database statements run their compiled SQL.
    const settings = this.adapter.sql.compiledSettings;
    try {
      for (const sql of queries) {
        this.queries++;
        results.push(await this.adapter.query([...settings, sql].join('; '), this.#options()));
      }
    } finally {
      this.seconds += (performance.now() - started) / 1000;
    }
    return results;
  }
}
