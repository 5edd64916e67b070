/**
 * The database finish's stop (src/engine/database-objective.ts databaseConverged): float32's
 * precision, 2^-24 of the objective, until the sums' own error over N rows, (N − 1)·2^-53,
 * is coarser; and polishObjective stops the fit there (an iteration that gains no more
 * than that share ends it) while the stream's default goes on to 1e-12.
 */
import { describe, expect, it } from 'vitest';
import { databaseConverged } from '../../src/engine/database-objective.js';
import type { Objective } from '../../src/learn/objective.js';
import { minimize } from '../../src/learn/polish.js';

describe('databaseConverged', () => {
  it("is float32's unit roundoff up to 2^29 rows, then the sums' (N − 1)·2^-53", () => {
    expect(databaseConverged(0)).toBe(2 ** -24);
    expect(databaseConverged(1_000_000)).toBe(2 ** -24);
    expect(databaseConverged(2 ** 29 + 1)).toBe(2 ** -24);
    expect(databaseConverged(2 ** 31 + 1)).toBe(2 ** 31 * 2 ** -53);
  });
});

/** An ill-conditioned quadratic, ½·Σ a_i·(v_i − 1)² + 1, whose L-BFGS iterations gain less and less. */
class Quadratic implements Objective {
  evaluations = 0;
  readonly distinctRows = 1;
  constructor(private readonly a: Float64Array) {}
  fromModel(model: Float64Array): Float64Array {
    return Float64Array.from(model);
  }
  toModel(v: Float64Array): Float64Array {
    return Float64Array.from(v);
  }
  async evaluate(v: Float64Array, gradient: Float64Array): Promise<number> {
    this.evaluations++;
    let value = 1;
    for (let i = 0; i < v.length; i++) {
      const d = v[i]! - 1;
      value += 0.5 * this.a[i]! * d * d;
      gradient[i] = this.a[i]! * d;
    }
    return value;
  }
  async inverseDiagonal(_v: Float64Array, out: Float64Array): Promise<void> {
    // A poor preconditioner (the identity), so the fit takes a few dozen iterations.
    out.fill(1);
  }
  async validationLoss(): Promise<number | null> {
    return null;
  }
}

it("minimize stops at the database's share where the stream's goes on, each iteration before the last gaining more than it", async () => {
  const a = Float64Array.from({ length: 40 }, (_, i) => 10 ** (-1 + (2 * i) / 39));
  const gains = async (converged: number | undefined): Promise<number[]> => {
    const values: number[] = [];
    const start = new Float64Array(a.length);
    await minimize(new Quadratic(a), start, 500, { onIteration: (_n, value) => values.push(value) }, converged);
    return values;
  };
  const stream = await gains(undefined);
  const database = await gains(databaseConverged(1_000_000));
  expect(database.length).toBeGreaterThan(1);
  expect(database.length).toBeLessThan(stream.length);
  const gain = (values: number[], n: number): number => values[n - 1]! - values[n]!;
  for (let n = 1; n < database.length - 1; n++) expect(gain(database, n)).toBeGreaterThan(2 ** -24 * database[n]!);
  expect(gain(database, database.length - 1)).toBeLessThanOrEqual(2 ** -24 * database.at(-1)!);
});
