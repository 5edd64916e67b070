/**
 * The engine, unchanged, on PostgreSQL: the bank marketing data loaded into the server,
 * CREATE MODEL / EVALUATE / PREDICT … INTO … KEY / SHOW / DESCRIBE / DROP, pass-through,
 * errors that leave the connection usable, a failed PREDICT INTO that leaves its table
 * alone, and the held-out AUC against the same training on DuckDB.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Engine } from '../../src/engine/engine.js';
import { Engine as EngineClass } from '../../src/engine/engine.js';
import { SqlmlError } from '../../src/errors.js';
import { firstRow, memoryEngine, rowObject, run } from '../helpers/engine.js';
import { POSTGRES_URL, serverTargets } from '../helpers/servers.js';
import { sharedDataFile, sqlString } from '../helpers/shared-data.js';

const available = (await serverTargets()).some((target) => target.url === POSTGRES_URL);
const BANK_ROWS = 41_188;
/** Unique per run: the server database outlives it, and other test files use it at the same time. */
const tag = `${process.pid.toString(36)}${Date.now().toString(36).slice(-4)}`;
const bank = `eng_pg_bank_${tag}`;
const scores = `eng_pg_scores_${tag}`;
const model = `eng_pg_bank_model_${tag}`;
const scratch = `eng_pg_scratch_${tag}`;

let postgres: Engine;
let duckdb: Engine;
let loaded = false;

beforeAll(async () => {
  if (!available) return;
  const path = sharedDataFile('bank_additional_full.csv');
  postgres = await EngineClass.open(POSTGRES_URL);
  duckdb = await memoryEngine();
  if (!path) return;
  // An id to key predictions by; DuckDB keeps the file's order, and so does the copy.
  await run(duckdb, `CREATE TABLE bank AS SELECT row_number() OVER () AS id, * FROM read_csv(${sqlString(path)});`);
  const stream = await duckdb.adapter.openStream('SELECT * FROM bank ORDER BY id', { batchRows: 8192 });
  expect(await postgres.adapter.write({ name: bank }, stream.columns, stream.batches(), 'replace')).toBe(BANK_ROWS);
  loaded = true;
}, 120_000);

afterAll(async () => {
  if (postgres) {
    await run(postgres, `DROP MODEL IF EXISTS ${model};`).catch(() => undefined);
    for (const table of [bank, scores, scratch]) await postgres.adapter.query(`DROP TABLE IF EXISTS ${table}`).catch(() => undefined);
    await postgres.close();
  }
  await duckdb?.close();
});

describe.skipIf(!available)('the engine on PostgreSQL', () => {
  it('loads the data set with its reserved-word column intact', async () => {
    if (!loaded) return;
    const counts = firstRow(await run(postgres, `SELECT count(*) AS n, count(*) FILTER (WHERE "default" = 'no') AS default_no FROM ${bank};`));
    const reference = firstRow(await run(duckdb, `SELECT count(*) AS n, count(*) FILTER (WHERE "default" = 'no') AS default_no FROM bank;`));
    expect(counts).toEqual(reference);
    expect(counts.n).toBe(BANK_ROWS);
  });

  it('trains and evaluates through binary COPY, with the held-out AUC of DuckDB within 0.005', async () => {
    if (!loaded) return;
    const created = firstRow(await run(postgres, `CREATE MODEL ${model} FROM ${bank} PREDICT y USING seed = 11;`));
    expect(created).toBeDefined();
    const onPostgres = firstRow(await run(postgres, `EVALUATE MODEL ${model};`));
    await run(duckdb, 'CREATE MODEL bank_model FROM bank PREDICT y USING seed = 11;');
    const onDuckDB = firstRow(await run(duckdb, 'EVALUATE MODEL bank_model;'));
    expect(onPostgres.auc as number).toBeGreaterThan(0.9);
    expect(Math.abs((onPostgres.auc as number) - (onDuckDB.auc as number))).toBeLessThanOrEqual(0.005);
    expect(onPostgres.rows).toBe(onDuckDB.rows);
  }, 120_000);

  it('describes the model with the read path, and lists it in SHOW MODELS', async () => {
    if (!loaded) return;
    const described = await run(postgres, `DESCRIBE MODEL ${model};`);
    const readMethod = described.rows.find((row) => row[0] === 'training' && row[1] === 'read_method');
    expect(readMethod?.[2]).toBe('postgres binary COPY');
    const shown = await run(postgres, 'SHOW MODELS;');
    const listed = shown.rows.map((_, index) => rowObject(shown, index)).find((row) => row.name === model);
    expect(listed).toMatchObject({ version: 1, metric: 'auc' });
  });

  it('writes predictions INTO a server table by KEY, which SQL can then join', async () => {
    if (!loaded) return;
    const written = firstRow(await run(postgres, `PREDICT ${model} FROM ${bank} INTO ${scores} KEY id;`));
    expect(written.rows_written).toBe(BANK_ROWS);
    const joined = firstRow(
      await run(
        postgres,
        `SELECT count(*) AS n, count(*) FILTER (WHERE s.predicted_label = (b.y = 'yes')) AS agree, min(s.score) AS low, max(s.score) AS high
         FROM ${scores} s JOIN ${bank} b USING (id);`,
      ),
    );
    expect(joined.n).toBe(BANK_ROWS);
    // A model with AUC > 0.9 on a 11%-positive set labels most rows right.
    expect((joined.agree as number) / BANK_ROWS).toBeGreaterThan(0.85);
    expect(joined.low as number).toBeGreaterThanOrEqual(0);
    expect(joined.high as number).toBeLessThanOrEqual(1);
  }, 60_000);

  it('leaves the target table as it was when PREDICT INTO fails part-way', async () => {
    if (!loaded) return;
    const before = firstRow(await run(postgres, `SELECT count(*) AS n, sum(score) AS total FROM ${scores};`));
    // The server fails at row 30000, long after the first batches were written.
    const failing = `PREDICT ${model} FROM (SELECT b.*, 1 / (b.id - 30000) AS boom FROM ${bank} b) INTO ${scores} KEY id;`;
    const error = await run(postgres, failing).then(
      () => undefined,
      (caught: unknown) => caught,
    );
    expect(error).toBeInstanceOf(SqlmlError);
    expect((error as SqlmlError).code).toBe('database');
    expect((error as Error).message).toMatch(/division by zero/);
    expect(firstRow(await run(postgres, `SELECT count(*) AS n, sum(score) AS total FROM ${scores};`))).toEqual(before);
    const appending = `PREDICT ${model} FROM (SELECT b.*, 1 / (b.id - 30000) AS boom FROM ${bank} b) INTO ${scores} KEY id APPEND;`;
    await expect(run(postgres, appending)).rejects.toThrow(/division by zero/);
    expect(firstRow(await run(postgres, `SELECT count(*) AS n, sum(score) AS total FROM ${scores};`))).toEqual(before);
  }, 60_000);

  it('passes other statements through, and a server error leaves the connection usable', async () => {
    const created = await run(postgres, `CREATE TABLE ${scratch} (id INTEGER PRIMARY KEY, note TEXT);`);
    expect(created.command).toBe('CREATE TABLE');
    expect((await run(postgres, `INSERT INTO ${scratch} VALUES (1, 'a'), (2, 'b');`)).rowsAffected).toBe(2);
    const duplicate = await run(postgres, `INSERT INTO ${scratch} VALUES (1, 'again');`).then(
      () => undefined,
      (caught: unknown) => caught,
    );
    expect((duplicate as SqlmlError).code).toBe('database');
    expect((duplicate as Error).message).toMatch(/duplicate key/);
    expect((await run(postgres, `SELECT note FROM ${scratch} ORDER BY id;`)).rows).toEqual([['a'], ['b']]);
    await expect(run(postgres, 'SELECT * FROM eng_pg_no_such_table;')).rejects.toThrow(/eng_pg_no_such_table/);
    expect(firstRow(await run(postgres, 'SELECT 40 + 2 AS answer;')).answer).toBe(42);
  });

  it('drops the model and all its versions', async () => {
    if (!loaded) return;
    await run(postgres, `DROP MODEL ${model};`);
    await expect(run(postgres, `EVALUATE MODEL ${model};`)).rejects.toThrow(new RegExp(`model ${model} does not exist`));
    expect(await postgres.store.exists(model)).toBe(false);
  });
});
