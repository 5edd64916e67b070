/**
 * Training in the database on PostgreSQL under parallel plans: with the issue's forced
 * parallel settings (any table worth workers) the objective's aggregates over the
 * scratch table (an UNLOGGED regular table, which parallel workers can read) run in
 * parallel workers, and the model equals the one trained with parallelism off, weight
 * for weight within floating-point tolerance (the workers' partial sums add up in
 * another order).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Engine } from '../../src/engine/engine.js';
import { SCRATCH_PREFIX } from '../../src/engine/scratch-table.js';
import { firstRow } from '../helpers/engine.js';
import { ownDatabase, serverTargets } from '../helpers/servers.js';

const TARGETS = (await serverTargets()).filter((target) => target.label === 'postgres');
const ROWS = 60_000;
const FORCE_PARALLEL = ['parallel_setup_cost = 0', 'parallel_tuple_cost = 0', 'min_parallel_table_scan_size = 0', 'max_parallel_workers_per_gather = 2'];

describe.each(TARGETS)('$label: training in the database under parallel plans', ({ url }) => {
  const engines: Record<'serial' | 'parallel', Engine | undefined> = { serial: undefined, parallel: undefined };
  const model = `tidp_${process.pid.toString(36)}`;

  beforeAll(async () => {
    for (const kind of ['serial', 'parallel'] as const) {
      const own = await ownDatabase(url, `tid_${kind}`);
      const engine = await Engine.open(own);
      const database = engine.adapter.sql.quoteIdent(decodeURIComponent(new URL(own).pathname.slice(1)));
      // Database defaults reach every session the adapter's pool opens from here on.
      for (const setting of kind === 'parallel' ? FORCE_PARALLEL : ['max_parallel_workers_per_gather = 0']) await engine.adapter.query(`ALTER DATABASE ${database} SET ${setting}`);
      await engine.close();
      engines[kind] = await Engine.open(own);
      await engines[kind]!.adapter.query('DROP TABLE IF EXISTS tidp_src');
      await engines[kind]!.adapter.query(
        `CREATE TABLE tidp_src AS SELECT (i % 97) * 0.5 AS x1, ((i * 31) % 89) * 0.25 AS x2, 'k' || (i % 5) AS cat, ` +
          `CASE WHEN (i % 97) * 0.5 + ((i * 31) % 89) * 0.25 + (i % 5) * 3 + ((i * 7) % 13) > 50 THEN 1 ELSE 0 END AS y FROM generate_series(1, ${ROWS}) AS i`,
      );
    }
  }, 300_000);
  afterAll(async () => {
    for (const engine of Object.values(engines)) {
      if (!engine) continue;
      await engine.runAll(`DROP MODEL IF EXISTS ${model};`).catch(() => undefined);
      await engine.adapter.query('DROP TABLE IF EXISTS tidp_src').catch(() => undefined);
      await engine.close();
    }
  });

  it("runs the objective in parallel workers and gives the serial plan's model", async () => {
    const weights: Record<string, Map<string, number>> = {};
    let workersSeen = 0;
    for (const kind of ['serial', 'parallel'] as const) {
      const engine = engines[kind]!;
      let done = false;
      // Parallel workers show in pg_stat_activity with the leader's query while they run.
      const watcher = (async () => {
        while (!done) {
          const seen = await engine.adapter.query(`SELECT COUNT(*) FROM pg_stat_activity WHERE backend_type = 'parallel worker' AND query LIKE '%${SCRATCH_PREFIX}%'`);
          if (kind === 'parallel') workersSeen += Number(seen.rows[0]![0]);
          else expect(Number(seen.rows[0]![0])).toBe(0);
          await new Promise((resolve) => setTimeout(resolve, 10));
        }
      })();
      try {
        firstRow((await engine.runAll(`CREATE OR REPLACE MODEL ${model} FROM tidp_src PREDICT y USING engine = 'database', l2 = 0.001;`)).at(-1)!);
      } finally {
        done = true;
        await watcher;
      }
      const shown = (await engine.runAll(`SHOW WEIGHTS ${model};`)).at(-1)!;
      weights[kind] = new Map(shown.rows.map((row) => [`${row[0]}|${row[1]}|${row[2]}`, Number(row[3])]));
    }
    expect(workersSeen).toBeGreaterThan(0);
    const serial = weights.serial!;
    const parallel = weights.parallel!;
    expect([...parallel.keys()].sort()).toEqual([...serial.keys()].sort());
    const scale = Math.max(...[...serial.values()].map(Math.abs));
    expect(scale).toBeGreaterThan(0.1);
    for (const [key, w] of serial) expect(Math.abs(parallel.get(key)! - w), key).toBeLessThanOrEqual(1e-6 * scale);
  }, 600_000);
});
