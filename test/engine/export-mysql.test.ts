/**
 * MySQL/MariaDB only: EXPORT MODEL asks the server whether a built-in answers to the
 * function's name by PREPAREing a call of it, and a prepared statement that is never
 * deallocated counts against the server-wide max_prepared_stmt_count for as long as the
 * session lives (a `sqlml serve` session lives for days). The probe must leave none.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Engine } from '../../src/engine/engine.js';
import { run } from '../helpers/engine.js';
import { MYSQL_URL, serverTargets } from '../helpers/servers.js';

const available = (await serverTargets()).some((target) => target.url === MYSQL_URL);
const tag = `${process.pid.toString(36)}${Date.now().toString(36).slice(-4)}`;

describe.skipIf(!available)('EXPORT MODEL on MySQL: the built-in name probe', () => {
  let engine: Engine;
  const table = `probe_rows_${tag}`;
  const model = `probe_model_${tag}`;

  /** Prepared statements on the whole server: SQL PREPAREs and binary-protocol ones alike. */
  const preparedCount = async (): Promise<number> =>
    Number((await engine.adapter.query("SHOW GLOBAL STATUS LIKE 'Prepared_stmt_count'")).rows[0]![1]);

  beforeAll(async () => {
    engine = await Engine.open(MYSQL_URL);
    const values = Array.from({ length: 60 }, (_, i) => `(${i}, ${(i * 7) % 11}, ${(i * 7) % 11 > 5 ? 1 : 0})`).join(', ');
    await run(engine, `CREATE TABLE ${table} (id INT, x INT, y INT); INSERT INTO ${table} VALUES ${values};`);
    await run(engine, `CREATE MODEL ${model} FROM (SELECT x, y FROM ${table}) PREDICT y USING type = 'binary';`);
  });

  afterAll(async () => {
    await run(engine, `DROP MODEL IF EXISTS ${model}; DROP TABLE IF EXISTS ${table};`).catch(() => undefined);
    await engine.close();
  });

  it('the counter sees a prepared statement while it exists (so it can see a leak)', async () => {
    const before = await preparedCount();
    await engine.adapter.query("PREPARE sqlml_test_prepared FROM 'SELECT 1'");
    expect(await preparedCount()).toBe(before + 1);
    await engine.adapter.query('DEALLOCATE PREPARE sqlml_test_prepared');
    expect(await preparedCount()).toBe(before);
  });

  it('leaves no prepared statement after refusing built-in names or accepting a free one', async () => {
    const before = await preparedCount();
    // The free name: no such function, the PREPARE fails. left: a parse error. now() and abs():
    // the PREPARE succeeds (a built-in answers), last, since a failing PREPARE of the same
    // name would free what an earlier one left.
    await run(engine, `EXPORT MODEL ${model} AS FUNCTION probe_free_${tag};`);
    for (const fn of ['left', 'abs', 'now']) {
      await expect(run(engine, `EXPORT MODEL ${model} AS FUNCTION ${fn};`), fn).rejects.toThrow(/is the name of a built-in function/);
      expect(await preparedCount(), fn).toBe(before);
    }
    // And on the session itself, whatever other clients of the server did meanwhile: nothing of the probe's name is left.
    await expect(engine.adapter.query('EXECUTE sqlml_name_probe')).rejects.toThrow(/Unknown prepared statement handler/);
  });
});
