/**
 * PostgreSQL runs a compiled model as a parallel plan: the SELECT that EXPLAIN PREDICT
 * gives for a model with a hashed category (its weights looked up in a constant array) is
 * planned under a Gather with workers when the settings favour parallelism, it answers
 * as the stream does under that plan, and the dialect's compiledSettings keep the JIT
 * from compiling it (25-38 s per statement before); EVALUATE's binary aggregate over the
 * same SELECT is a partial aggregate in the workers under the Gather.
 */
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Value } from '../../src/data.js';
import { binaryFiguresInDatabase } from '../../src/engine/binary-metrics-in-database.js';
import { Engine } from '../../src/engine/engine.js';
import { deserializeModel } from '../../src/learn/model-format.js';
import { firstRow, run } from '../helpers/engine.js';
import { serverTargets } from '../helpers/servers.js';

const TARGETS = (await serverTargets()).filter((target) => target.label === 'postgres');
const ROWS = 3000;
/** The forced-parallel settings: any table is worth workers. */
const FORCE_PARALLEL = ['parallel_setup_cost = 0', 'parallel_tuple_cost = 0', 'min_parallel_table_scan_size = 0', 'max_parallel_workers_per_gather = 2'];

describe.each(TARGETS)('$label: compiled models in parallel plans', ({ url }) => {
  let engine: Engine;
  let client: pg.Client;
  const tag = `${process.pid.toString(36)}${Date.now().toString(36).slice(-4)}`;
  const [src, model, out] = [`par_src_${tag}`, `par_model_${tag}`, `par_out_${tag}`];
  let select: string;

  beforeAll(async () => {
    engine = await Engine.open(url);
    client = new pg.Client({ connectionString: url });
    await client.connect();
    // 400 category values: above one-hot's limit, so the category is hashed.
    await engine.adapter.query(
      `CREATE TABLE ${src} AS SELECT i AS id, CASE WHEN i % 11 = 0 THEN NULL ELSE (i % 89) * 0.25 END AS x, ` +
        `CASE WHEN i % 13 = 0 THEN NULL ELSE 'c' || ((i * 7919) % 400) END AS cat, ` +
        `CASE WHEN (i % 89) > 40 OR (i * 7919) % 400 < 90 THEN 1 ELSE 0 END AS y FROM generate_series(1, ${ROWS}) AS i`,
    );
    await run(engine, `CREATE MODEL ${model} FROM (SELECT x, cat, y FROM ${src}) PREDICT y USING passes = 2;`);
    const stored = deserializeModel((await engine.store.get(model))!.model);
    expect(stored.recipe.features.map((feature) => feature.kind)).toContain('hashed_category');
    const explained = firstRow(await run(engine, `EXPLAIN PREDICT ${model} FROM ${src} USING engine = 'database';`));
    expect(explained).toMatchObject({ engine: 'database', reason: null });
    select = String(explained.sql);
  }, 120_000);

  afterAll(async () => {
    await client?.end();
    if (!engine) return;
    await engine.adapter.query(`DROP TABLE IF EXISTS ${src}`).catch(() => undefined);
    await run(engine, `DROP MODEL IF EXISTS ${model};`).catch(() => undefined);
    await engine.close();
  });

  /** `body` inside a transaction with `settings` SET LOCAL, rolled back. */
  async function inTransaction<T>(settings: readonly string[], body: () => Promise<T>): Promise<T> {
    await client.query('BEGIN');
    try {
      for (const setting of settings) await client.query(setting.startsWith('SET ') ? setting : `SET LOCAL ${setting}`);
      return await body();
    } finally {
      await client.query('ROLLBACK');
    }
  }

  const plan = async (sql: string): Promise<string> => (await client.query<{ 'QUERY PLAN': string }>(sql)).rows.map((row) => row['QUERY PLAN']).join('\n');

  it("PREDICT INTO's CREATE TABLE … AS is planned under a Gather with workers, and answers as the stream does", async () => {
    const stream = await run(engine, `PREDICT ${model} FROM ${src} USING engine = 'stream';`);
    const [idAt, labelAt, scoreAt] = ['id', 'predicted_label', 'score'].map((name) => stream.columns.findIndex((column) => column.name === name));
    const expected = new Map<number, readonly Value[]>(stream.rows.map((row) => [Number(row[idAt!]), row]));
    const written = await inTransaction([...engine.adapter.sql.compiledSettings, ...FORCE_PARALLEL], async () => {
      const explained = await plan(`EXPLAIN CREATE TABLE ${out} AS ${select}`);
      expect(explained).toMatch(/Gather/);
      expect(explained).toMatch(/Workers Planned: 2/);
      // Run under that plan: the workers compute the margins.
      await client.query(`CREATE TABLE ${out} AS ${select}`);
      return (await client.query({ text: `SELECT id, predicted_label, score FROM ${out}`, rowMode: 'array' })).rows as Value[][];
    });
    expect(written).toHaveLength(ROWS);
    for (const [id, label, score] of written) {
      const want = expected.get(Number(id))!;
      expect(Number(label), `row ${String(id)}`).toBe(Number(want[labelAt!]));
      expect(Math.abs(Number(score) - Number(want[scoreAt!])), `row ${String(id)}`).toBeLessThan(1e-9);
    }
  }, 120_000);

  it("EVALUATE's aggregate over the compiled layers runs in the workers (Partial Aggregate → Gather → Finalize), with the stream's figures", async () => {
    const stream = firstRow(await run(engine, `EVALUATE MODEL ${model} ON ${src} USING engine = 'stream';`));
    const plans: string[] = [];
    const rows = `(SELECT CASE WHEN y = 1 THEN 1 WHEN y = 0 THEN 0 END AS sqlml_y, score AS sqlml_p FROM (${select}) AS scored) AS sqlml_rows`;
    const figures = await inTransaction([...engine.adapter.sql.compiledSettings, ...FORCE_PARALLEL], () =>
      binaryFiguresInDatabase(
        async (text) => {
          plans.push(await plan(`EXPLAIN ${text}`));
          return (await client.query({ text, rowMode: 'array' })).rows as Value[][];
        },
        engine.adapter.sql,
        rows,
        0.5,
      ),
    );
    // The layers' OFFSET NULL fences let the partial aggregate below the Gather (OFFSET 0 did not).
    expect(plans[0]).toMatch(/Finalize (Hash|Group)Aggregate[\s\S]*Gather[\s\S]*Partial HashAggregate/);
    expect(figures!.tp + figures!.fp + figures!.tn + figures!.fn).toBe(ROWS);
    expect((figures!.tp + figures!.tn) / ROWS).toBe(stream.accuracy);
    expect(Math.abs(figures!.auc - Number(stream.auc))).toBeLessThanOrEqual(1e-4);
    expect(Math.abs(figures!.logLoss - Number(stream.log_loss))).toBeLessThanOrEqual(1e-9);
  }, 120_000);

  it('compiledSettings keep the JIT off even where the server would JIT everything', async () => {
    const analyze = `EXPLAIN (ANALYZE) SELECT * FROM (${select}) AS scored`;
    const jitted = await inTransaction(['jit = on', 'jit_above_cost = 0'], () => plan(analyze));
    // The server has LLVM JIT (else this test would prove nothing).
    expect(jitted).toMatch(/^JIT:/m);
    expect(engine.adapter.sql.compiledSettings).toContain('SET LOCAL jit = off');
    const compiled = await inTransaction(['jit = on', 'jit_above_cost = 0', ...engine.adapter.sql.compiledSettings], () => plan(analyze));
    expect(compiled).not.toMatch(/^JIT:/m);
  }, 120_000);
});
