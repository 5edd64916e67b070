/**
 * DROP MODEL raced against CREATE JOB naming the model, for real, many times, on every
 * database: two engines (two connections) on PostgreSQL and MySQL, one engine running
 * both statements at once on DuckDB (single-process: the engine's own serialization).
 * The invariant: never a job naming a model dropped under it. Each iteration has exactly
 * one of two outcomes: CREATE JOB saw the model (no notice) and DROP MODEL was refused,
 * naming the job; or DROP MODEL came first and CREATE JOB says the model does not exist.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Engine } from '../../src/engine/engine.js';
import { SqlmlError } from '../../src/errors.js';
import { run } from '../helpers/engine.js';
import { serverTargets } from '../helpers/servers.js';
import { DATABASE_FACTS } from '../helpers/database-facts.js';

const TARGETS = [{ label: 'duckdb', url: 'duckdb::memory:' }, ...(await serverTargets())].filter((target) => !target.label.includes('cursor'));
const ITERATIONS = 40;

describe.each(TARGETS)('DROP MODEL against CREATE JOB on $label', ({ label, url }) => {
  const tag = `${process.pid.toString(36)}${Date.now().toString(36).slice(-4)}`;
  const table = `race_rows_${tag}`;
  const model = `race_model_${tag}`;
  const job = `race_job_${tag}`;
  let a: Engine;
  let b: Engine;

  beforeAll(async () => {
    a = await Engine.open(url);
    // An embedded database is one engine's: the two sessions are one there.
    b = DATABASE_FACTS[a.adapter.sql.name].embedded ? a : await Engine.open(url);
    const { integer, boolean } = a.adapter.sql.types.sqlTypeFor;
    await a.adapter.query(`CREATE TABLE ${table} (x ${integer}, y ${boolean})`);
    await a.adapter.query(`INSERT INTO ${table} VALUES ${Array.from({ length: 40 }, (_, i) => `(${i}, ${i % 3 === 0 ? 'TRUE' : 'FALSE'})`).join(', ')}`);
  }, 60_000);

  afterAll(async () => {
    await a.runAll(`DROP JOB IF EXISTS ${job}; DROP MODEL IF EXISTS ${model};`).catch(() => undefined);
    await a.adapter.query(`DROP TABLE IF EXISTS ${table}`).catch(() => undefined);
    await a.close();
    if (b !== a) await b.close();
  });

  it(`never leaves a job naming a dropped model (${ITERATIONS} races)`, async () => {
    const seen = { dropRefused: 0, jobAfterDrop: 0 };
    for (let i = 0; i < ITERATIONS; i++) {
      await run(a, `CREATE OR REPLACE MODEL ${model} FROM (SELECT x, y FROM ${table}) PREDICT y USING passes = 1;`);
      // Alternate which statement is sent first, so both orders are tried.
      const drop = (): Promise<unknown> => run(a, `DROP MODEL ${model};`);
      const create = (): ReturnType<typeof run> => run(b, `CREATE JOB ${job} EVERY '1 day' AS PREDICT ${model} FROM ${table};`);
      const [dropped, created] =
        i % 2 === 0
          ? await Promise.allSettled([drop(), create()])
          : await Promise.allSettled([create(), drop()]).then(([c, d]) => [d, c] as const);
      // CREATE JOB never fails here: a job may be made before its model, with a notice.
      expect(created.status, created.status === 'rejected' ? String(created.reason) : '').toBe('fulfilled');
      const notices = created.status === 'fulfilled' ? (created.value.notices ?? []) : [];
      const sawNoModel = notices.some((notice) => notice.startsWith(`model ${model} does not exist`));
      const modelLeft = (await a.runAll('SHOW MODELS;'))[0]!.rows.some((row) => row[0] === model);
      if (dropped.status === 'rejected') {
        // The job was stored first: the drop saw it, named it, and dropped nothing.
        expect(dropped.reason).toBeInstanceOf(SqlmlError);
        expect((dropped.reason as SqlmlError).message).toBe(`model ${model} is used by job ${job}; DROP JOB ${job} first (SHOW JOBS shows their statements)`);
        expect(sawNoModel, 'CREATE JOB said the model was missing, yet DROP MODEL saw its job').toBe(false);
        expect(modelLeft).toBe(true);
        seen.dropRefused++;
      } else {
        // The drop committed first: the job was stored after it, and said the model is gone.
        expect(sawNoModel, `iteration ${i}: CREATE JOB saw the model, yet DROP MODEL dropped it under the job`).toBe(true);
        expect(modelLeft).toBe(false);
        seen.jobAfterDrop++;
      }
      await run(a, `DROP JOB ${job};`);
      await run(a, `DROP MODEL IF EXISTS ${model};`);
    }
    console.log(JSON.stringify({ figure: 'DROP MODEL vs CREATE JOB races', database: label, iterations: ITERATIONS, ...seen }));
    expect(seen.dropRefused + seen.jobAfterDrop).toBe(ITERATIONS);
  }, 600_000);
});
