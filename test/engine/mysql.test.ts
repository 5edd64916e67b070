/**
 * The engine end to end on MariaDB/MySQL: the bank marketing data set loaded into the
 * server, then every statement kind against it, and the same training on DuckDB for a
 * held-out metric that must agree. Model and table names carry the run's tag so reruns
 * and parallel test files never meet.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Engine } from '../../src/engine/engine.js';
import { SqlmlError } from '../../src/errors.js';
import { firstRow, memoryEngine, run } from '../helpers/engine.js';
import { MYSQL_URL, serverTargets } from '../helpers/servers.js';
import { sharedDataFile, sqlString } from '../helpers/shared-data.js';
import { Engine as EngineClass } from '../../src/engine/engine.js';

const available = (await serverTargets()).some((target) => target.url === MYSQL_URL);
const bankFile = available ? sharedDataFile('bank_additional_full.csv') : null;
const RUN = Date.now().toString(36);
const BANK = `bank_${RUN}`;
const SCORES = `bank_scores_${RUN}`;
const MODEL = `bank_model_${RUN}`;
const BANK_ROWS = 41_188;

async function failure(promise: Promise<unknown>): Promise<SqlmlError> {
  try {
    await promise;
  } catch (error) {
    expect(error).toBeInstanceOf(SqlmlError);
    return error as SqlmlError;
  }
  throw new Error('expected a failure');
}

describe.skipIf(bankFile === null)('engine on mysql', () => {
  let mysql: Engine;
  let duck: Engine;

  beforeAll(async () => {
    mysql = await EngineClass.open(MYSQL_URL);
    duck = await memoryEngine();
    // An id to key predictions by; the DuckDB table and the server's copy hold the same rows in the same order.
    await run(duck, `CREATE TABLE bank AS SELECT row_number() OVER () AS id, * FROM read_csv(${sqlString(bankFile!)});`);
    const stream = await duck.adapter.openStream('SELECT * FROM bank', { batchRows: 8192 });
    expect(await mysql.adapter.write({ name: BANK }, stream.columns, stream.batches(), 'replace')).toBe(BANK_ROWS);
  }, 60_000);

  afterAll(async () => {
    await mysql?.runAll(`DROP MODEL IF EXISTS ${MODEL}; DROP TABLE IF EXISTS ${BANK}; DROP TABLE IF EXISTS ${SCORES};`).catch(() => undefined);
    await mysql?.close();
    await duck?.close();
  });

  it('trains on the server with the same held-out AUC as DuckDB on the same rows and seed', async () => {
    const train = (table: string, model: string): string => `CREATE MODEL ${model} FROM ${table} PREDICT y RECIPE (exclude(id)) USING seed = 7;`;
    const onServer = firstRow(await run(mysql, train(BANK, MODEL)));
    const inDuck = firstRow(await run(duck, train('bank', 'bank_model')));
    expect(onServer.type).toBe('binary');
    expect((onServer.rows_trained as number) + (onServer.rows_evaluated as number)).toBe(BANK_ROWS);
    expect(onServer.rows_evaluated).toBe(inDuck.rows_evaluated);
    expect(onServer.auc as number).toBeGreaterThan(0.9);
    expect(Math.abs((onServer.auc as number) - (inDuck.auc as number))).toBeLessThan(0.005);
    console.info(`bank AUC: mysql ${onServer.auc}, duckdb ${inDuck.auc}`);
  }, 120_000);

  it('re-reports the stored evaluation and describes the read method', async () => {
    const stored = firstRow(await run(mysql, `EVALUATE MODEL ${MODEL};`));
    expect(stored.auc as number).toBeGreaterThan(0.9);
    const described = await run(mysql, `DESCRIBE MODEL ${MODEL};`);
    const method = described.rows.find((row) => row[0] === 'training' && row[1] === 'read_method');
    expect(method?.[2]).toBe('mysql streaming query');
  });

  it('writes predictions into a server table by key and reads them back with SQL', async () => {
    const written = firstRow(await run(mysql, `PREDICT ${MODEL} FROM ${BANK} INTO ${SCORES} KEY id;`));
    expect(written.rows_written).toBe(BANK_ROWS);
    const summary = firstRow(await run(mysql, `SELECT COUNT(*) AS n, COUNT(DISTINCT id) AS ids, MIN(score) AS lo, MAX(score) AS hi FROM ${SCORES};`));
    expect(summary).toMatchObject({ n: BANK_ROWS, ids: BANK_ROWS });
    expect(summary.lo as number).toBeGreaterThanOrEqual(0);
    expect(summary.hi as number).toBeLessThanOrEqual(1);
    const labels = await run(mysql, `SELECT predicted_label, COUNT(*) FROM ${SCORES} GROUP BY predicted_label ORDER BY predicted_label;`);
    // yes/no targets are read as booleans, so the label column is BOOLEAN on the server.
    expect(labels.rows.map((row) => row[0])).toEqual([false, true]);
  }, 60_000);

  it('leaves the INTO table as it was when the source fails part-way through a PREDICT', async () => {
    const before = firstRow(await run(mysql, `SELECT COUNT(*) AS n, SUM(score) AS total FROM ${SCORES};`));
    // The subquery returns two rows only once id passes 30000: the server fails mid-stream.
    const source = `SELECT id, age, CASE WHEN id > 30000 THEN (SELECT 'x' UNION SELECT 'y') ELSE job END AS job, marital, education, \`default\`,
      housing, loan, contact, month, day_of_week, duration, campaign, pdays, previous, poutcome, emp_var_rate, cons_price_idx,
      cons_conf_idx, euribor3m, nr_employed FROM ${BANK}`;
    const error = await failure(run(mysql, `PREDICT ${MODEL} FROM (${source}) INTO ${SCORES} KEY id;`));
    expect(error.code).toBe('database');
    expect(error.message).toMatch(/more than 1 row/);
    expect(firstRow(await run(mysql, `SELECT COUNT(*) AS n, SUM(score) AS total FROM ${SCORES};`))).toEqual(before);
  }, 60_000);

  it('passes statements through, quoting the reserved column `default`, and agrees with DuckDB', async () => {
    const onServer = firstRow(await run(mysql, `SELECT COUNT(*) AS n FROM ${BANK} WHERE \`default\` = 'unknown';`));
    const inDuck = firstRow(await run(duck, `SELECT COUNT(*) AS n FROM bank WHERE "default" = 'unknown';`));
    expect(onServer.n).toBe(inDuck.n);
    expect(onServer.n as number).toBeGreaterThan(0);
    const updated = await run(mysql, `UPDATE ${SCORES} SET score = 0 WHERE id <= 10;`);
    expect(updated).toMatchObject({ command: 'UPDATE', rowsAffected: 10 });
  });

  it('reports a server error with its message and keeps the connection usable', async () => {
    const error = await failure(run(mysql, `SELECT * FROM no_such_table_${RUN};`));
    expect(error.code).toBe('database');
    expect(error.message).toContain(`no_such_table_${RUN}`);
    expect(firstRow(await run(mysql, 'SELECT 1 AS one;'))).toEqual({ one: 1 });
  });

  it('lists the model in SHOW MODELS and forgets it after DROP MODEL', async () => {
    const listed = await run(mysql, 'SHOW MODELS;');
    const nameColumn = listed.columns.findIndex((column) => column.name === 'name');
    expect(listed.rows.map((row) => row[nameColumn])).toContain(MODEL);
    await run(mysql, `DROP MODEL ${MODEL};`);
    const after = await run(mysql, 'SHOW MODELS;');
    expect(after.rows.map((row) => row[nameColumn])).not.toContain(MODEL);
    expect((await failure(run(mysql, `EVALUATE MODEL ${MODEL};`))).code).toBe('unknown_model');
  });
});
