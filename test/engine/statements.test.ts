import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Engine } from '../../src/engine/engine.js';
import { firstRow, memoryEngine, rowObject, run } from '../helpers/engine.js';
import { rejectionOf } from '../helpers/errors.js';
import { CUSTOMERS_SQL } from '../helpers/tables.js';

let engine: Engine;
beforeAll(async () => {
  engine = await memoryEngine();
  await run(engine, CUSTOMERS_SQL);
});
afterAll(async () => {
  await engine.close();
});

describe('CREATE MODEL', () => {
  it('infers binary from a boolean target, trains, evaluates and reports the spec columns', async () => {
    const result = await run(engine, 'CREATE MODEL churn FROM (SELECT spend, plan, calls, churned FROM customers) PREDICT churned;');
    expect(result.columns.map((c) => c.name)).toEqual([
      'model', 'version', 'type', 'target', 'rows_trained', 'rows_evaluated', 'rows_skipped', 'passes', 'seconds',
      'auc', 'accuracy', 'precision', 'recall', 'f1', 'log_loss', 'threshold',
    ]);
    const row = firstRow(result);
    expect(row.model).toBe('churn');
    expect(row.version).toBe(1);
    expect(row.type).toBe('binary');
    expect((row.rows_trained as number) + (row.rows_evaluated as number)).toBe(4000);
    // 70/30 by hash: the evaluation share is near 30%.
    expect(row.rows_evaluated as number).toBeGreaterThan(1000);
    expect(row.rows_evaluated as number).toBeLessThan(1400);
    expect(row.auc as number).toBeGreaterThan(0.7);
  });

  it('infers regression and multiclass from the target', async () => {
    const reg = firstRow(await run(engine, 'CREATE MODEL rev FROM customers PREDICT revenue RECIPE (exclude(id));'));
    expect(reg.type).toBe('regression');
    expect(reg.r2 as number).toBeGreaterThan(0.95);
    const multi = firstRow(await run(engine, 'CREATE MODEL seg FROM (SELECT spend, calls, segment FROM customers) PREDICT segment;'));
    expect(multi.type).toBe('multiclass');
    expect(multi.accuracy as number).toBeGreaterThan(0.9);
  });

  it('refuses to overwrite an existing model without OR REPLACE, and makes version 2 with it', async () => {
    await expect(run(engine, 'CREATE MODEL churn FROM customers PREDICT churned;')).rejects.toThrow(/model churn already exists/);
    const same = firstRow(await run(engine, 'CREATE MODEL IF NOT EXISTS churn FROM customers PREDICT churned;'));
    expect(same.version).toBe(1);
    const v2 = firstRow(await run(engine, 'CREATE OR REPLACE MODEL churn FROM (SELECT spend, plan, calls, churned FROM customers) PREDICT churned USING passes = 3;'));
    expect(v2.version).toBe(2);
    const v3 = firstRow(await run(engine, 'RETRAIN MODEL churn;'));
    expect(v3.version).toBe(3);
    expect(v3.passes as number).toBeLessThanOrEqual(3);
  });
});

describe('CREATE MODEL on a heavy-tailed column', () => {
  // Byte counts log-uniform from 1 to 22,026, with four 1e9 outliers in 20,000 rows (the
  // middle 98% spans 0.002% of the range): the label follows ln(bytes), as traffic does.
  const TRAFFIC = `CREATE OR REPLACE TABLE traffic AS
    SELECT i AS id, CASE WHEN i % 5003 = 0 THEN 1e9 + i ELSE round(exp((hash(i, 1) % 10007) / 10007.0 * 10)) END AS bytes,
      (hash(i, 2) % 1000) / 1000.0 AS noise
    FROM range(20000) t(i);
    CREATE OR REPLACE TABLE traffic AS SELECT *, ln(1 + bytes) + 3 * (noise - 0.5) > 5 AS big FROM traffic;`;

  it('reads it on a log scale by default, where plain standardization leaves the bulk in a sliver of its range', async () => {
    await engine.runAll(TRAFFIC);
    const byDefault = firstRow(await run(engine, 'CREATE OR REPLACE MODEL traffic FROM traffic PREDICT big RECIPE (exclude(id));'));
    const plain = firstRow(await run(engine, 'CREATE OR REPLACE MODEL traffic_plain FROM traffic PREDICT big RECIPE (exclude(id), normalize(bytes));'));
    expect(byDefault.auc as number).toBeGreaterThan(0.99);
    expect(plain.auc as number).toBeLessThan(0.8);
    const described = await run(engine, 'DESCRIBE MODEL traffic;');
    expect(described.rows.map((r) => r.join(' ')).join('\n')).toMatch(/bytes: heavy-tailed, read as sign\(x\)·ln\(1\+\|x\|\)/);
  });
});

describe('EVALUATE MODEL', () => {
  it('re-reports the stored evaluation, and scores other rows with ON', async () => {
    const stored = firstRow(await run(engine, 'EVALUATE MODEL churn@1;'));
    const trained = await engine.store.get('churn', 1);
    expect(stored.auc).toBe((trained!.evaluation as { metrics: { auc: number } }).metrics.auc);
    const on = firstRow(await run(engine, 'EVALUATE MODEL churn ON (SELECT * FROM customers WHERE id <= 1000);'));
    expect(on.rows).toBe(1000);
  });

  it('re-scores the held-out rows at another threshold', async () => {
    const base = firstRow(await run(engine, 'EVALUATE MODEL churn@1;'));
    const strict = firstRow(await run(engine, 'EVALUATE MODEL churn@1 USING threshold = 0.9;'));
    expect(strict.rows).toBe(base.rows);
    expect(strict.auc as number).toBeCloseTo(base.auc as number, 10);
    expect(strict.threshold).toBe(0.9);
    expect(strict.recall as number).toBeLessThan(base.recall as number);
  });
});

describe('PREDICT', () => {
  it('returns input columns plus predicted_label and score without INTO', async () => {
    const result = await run(engine, 'PREDICT churn FROM (SELECT * FROM customers WHERE id <= 10);');
    expect(result.rows).toHaveLength(10);
    const names = result.columns.map((c) => c.name);
    expect(names.slice(-2)).toEqual(['predicted_label', 'score']);
    const row = rowObject(result, 0);
    expect(typeof row.predicted_label).toBe('boolean');
    expect(row.score as number).toBeGreaterThanOrEqual(0);
    expect(row.score as number).toBeLessThanOrEqual(1);
    expect(row.predicted_label).toBe((row.score as number) >= 0.5);
  });

  it('writes KEY columns and predictions INTO a table, replacing by default and appending on request', async () => {
    const written = firstRow(await run(engine, 'PREDICT churn FROM customers INTO scores KEY id;'));
    expect(written.rows_written).toBe(4000);
    const columns = await run(engine, "SELECT column_name FROM information_schema.columns WHERE table_name = 'scores' ORDER BY ordinal_position;");
    expect(columns.rows.map((r) => r[0])).toEqual(['id', 'predicted_label', 'score']);
    await run(engine, 'PREDICT churn FROM (SELECT * FROM customers WHERE id <= 100) INTO scores KEY id;');
    expect(firstRow(await run(engine, 'SELECT count(*) AS n FROM scores;')).n).toBe(100);
    await run(engine, 'PREDICT churn FROM (SELECT * FROM customers WHERE id <= 50) INTO scores KEY id APPEND;');
    expect(firstRow(await run(engine, 'SELECT count(*) AS n FROM scores;')).n).toBe(150);
  });

  it('predicts numbers for regression and labels for multiclass, matching the in-database scores', async () => {
    const reg = await run(engine, 'PREDICT rev FROM (SELECT * FROM customers WHERE id <= 200) INTO rev_scores KEY id;');
    expect(firstRow(reg).rows_written).toBe(200);
    const err = firstRow(
      await run(engine, 'SELECT avg(abs(s.predicted_value - c.revenue)) AS mae FROM rev_scores s JOIN customers c USING (id);'),
    );
    expect(err.mae as number).toBeLessThan(10);
    const seg = await run(engine, 'PREDICT seg FROM (SELECT * FROM customers WHERE id <= 5);');
    for (let i = 0; i < 5; i++) expect(['low', 'mid', 'high']).toContain(rowObject(seg, i).predicted_label);
  });

  it('handles unseen categories and NULL features as at training time', async () => {
    const result = await run(engine, "PREDICT churn FROM (SELECT 50.0 AS spend, 'enterprise' AS plan, NULL::INTEGER AS calls);");
    const row = rowObject(result, 0);
    expect(Number.isFinite(row.score)).toBe(true);
  });
});

describe('SHOW, DESCRIBE, DROP', () => {
  it('lists models with their headline metric', async () => {
    const result = await run(engine, 'SHOW MODELS;');
    const churn = result.rows.map((_, i) => rowObject(result, i)).find((r) => r.name === 'churn')!;
    expect(churn.version).toBe(3);
    expect(churn.metric).toBe('auc');
  });

  it('describes features, options, training curve, metrics and the largest weights', async () => {
    const result = await run(engine, 'DESCRIBE MODEL churn@1;');
    const sections = new Set(result.rows.map((r) => r[0]));
    for (const s of ['model', 'options', 'recipe', 'training', 'evaluation', 'weights']) expect(sections).toContain(s);
    const weights = result.rows.filter((r) => r[0] === 'weights').map((r) => String(r[1]));
    expect(weights.some((w) => w.startsWith('spend'))).toBe(true);
  });

  it('drops a model and its versions', async () => {
    await run(engine, 'DROP MODEL seg;');
    await expect(run(engine, 'EVALUATE MODEL seg;')).rejects.toThrow(/model seg does not exist/);
    await run(engine, 'DROP MODEL IF EXISTS seg;');
  });
});

describe('pass-through', () => {
  it('runs every other statement on the database unchanged', async () => {
    const result = await run(engine, 'SELECT 40 + 2 AS answer;');
    expect(firstRow(result).answer).toBe(42);
  });
});

describe('jobs', () => {
  it('stores a job, runs it on demand, records each run, and drops it', async () => {
    const created = firstRow(await run(engine, "CREATE JOB nightly EVERY '1 day' AS RETRAIN MODEL churn;"));
    expect(created).toEqual({ job: 'nightly', schedule: "EVERY '1 day'" });
    await expect(run(engine, "CREATE JOB nightly EVERY '2 days' AS RETRAIN MODEL churn;")).rejects.toThrow(/job nightly already exists/);
    const before = firstRow(await run(engine, 'SHOW MODELS;'));
    const ran = firstRow(await run(engine, 'RUN JOB nightly;'));
    expect(ran.version).toBe((before.version as number) + 1);
    const listed = firstRow(await run(engine, 'SHOW JOBS;'));
    expect(listed).toMatchObject({ name: 'nightly', statement: 'RETRAIN MODEL churn', runs: 1, last_outcome: 'succeeded', running_on: null });
    // RUN JOB by hand leaves the schedule alone: the next slot is a day after CREATE JOB.
    expect(Date.parse(listed.next_run as string) - Date.now()).toBeGreaterThan(86_400_000 - 60_000);
    await run(engine, "CREATE OR REPLACE JOB nightly SCHEDULE '0 3 * * *' AS EVALUATE MODEL no_such_model;");
    await expect(run(engine, 'RUN JOB nightly;')).rejects.toThrow(/job nightly failed: model no_such_model does not exist/);
    // Replacing a job keeps its run history; the failed run is recorded with its error.
    expect(firstRow(await run(engine, 'SHOW JOBS;'))).toMatchObject({ runs: 2, last_outcome: 'failed', last_error: 'model no_such_model does not exist (SHOW MODELS lists the models)' });
    await expect(run(engine, "CREATE JOB bad EVERY 'sometimes' AS SHOW MODELS;")).rejects.toThrow(/EVERY 'sometimes' is not an interval/);
    await expect(run(engine, "CREATE JOB bad SCHEDULE 'at noon' AS SHOW MODELS;")).rejects.toThrow(/SCHEDULE 'at noon' is not a cron expression/);
    await run(engine, 'DROP JOB nightly;');
    expect((await run(engine, 'SHOW JOBS;')).rows).toHaveLength(0);
  });

  it('refuses DROP MODEL while a job names the model, naming the job; the model stays', async () => {
    await run(engine, 'CREATE MODEL "Kept" FROM (SELECT spend, calls, churned FROM customers) PREDICT churned;');
    await run(engine, `CREATE JOB "Scores" EVERY '1 day' AS PREDICT "Kept"@1 FROM customers INTO kept_scores KEY id;`);
    await run(engine, `CREATE JOB other EVERY '1 day' AS PREDICT kept FROM customers;`);
    const error = await rejectionOf(run(engine, 'DROP MODEL "Kept";'));
    expect(error.message).toBe('model Kept is used by job Scores; DROP JOB Scores first (SHOW JOBS shows their statements)');
    expect(firstRow(await run(engine, 'DESCRIBE MODEL "Kept";'))).toBeDefined();
    await run(engine, 'DROP JOB "Scores"; DROP JOB other;');
    expect(firstRow(await run(engine, 'DROP MODEL "Kept";'))).toMatchObject({ model: 'Kept', dropped: true });
  });
});

describe('PREDICT without INTO', () => {
  it('passes through timestamps at ±infinity, on either engine, as the database spells them', async () => {
    await run(engine, `CREATE TABLE inf_ts AS SELECT i AS id, i % 7 AS x, (i % 2 = 0) AS y, CASE WHEN i = 5 THEN 'infinity'::TIMESTAMP WHEN i = 6 THEN '-infinity'::TIMESTAMP ELSE TIMESTAMP '2024-01-01 10:00:00.000125' END AS ts FROM range(200) r(i)`);
    await run(engine, 'CREATE MODEL inf_ts_m FROM (SELECT id, x, y FROM inf_ts) PREDICT y');
    const stream = await run(engine, "PREDICT inf_ts_m FROM inf_ts USING engine = 'stream'");
    const database = await run(engine, "PREDICT inf_ts_m FROM inf_ts USING engine = 'database'");
    const column = stream.columns.findIndex((c) => c.name === 'ts');
    expect(stream.rows.slice(5, 8).map((row) => row[column])).toEqual(['infinity', '-infinity', '2024-01-01T10:00:00.000125Z']);
    expect(database.rows.map((row) => row[column])).toEqual(stream.rows.map((row) => row[column]));
  });
});

describe('engine = auto with text features', () => {
  it('streams (and says why) a model whose text terms are slower in SQL; engine = database still runs it there alike', async () => {
    await run(engine, "CREATE TABLE hashed_src AS SELECT i AS id, 'w' || (i % 40) || ' w' || (i % 13) AS body, i % 3 = 0 AS y FROM range(300) r(i)");
    await run(engine, 'CREATE MODEL hashed_m FROM (SELECT id, body, y FROM hashed_src) PREDICT y RECIPE (exclude(id), ngram(body, 2))');
    const explained = firstRow(await run(engine, 'EXPLAIN PREDICT hashed_m FROM hashed_src'));
    expect(explained.engine).toBe('stream');
    expect(String(explained.reason)).toContain('text features');
    const stream = await run(engine, 'PREDICT hashed_m FROM hashed_src');
    const database = await run(engine, "PREDICT hashed_m FROM hashed_src USING engine = 'database'");
    const score = stream.columns.findIndex((c) => c.name === 'score');
    const byId = (rows: readonly (readonly unknown[])[]) => [...rows].sort((a, b) => Number(a[0]) - Number(b[0]));
    const [s, d] = [byId(stream.rows), byId(database.rows)];
    expect(d).toHaveLength(300);
    d.forEach((row, i) => expect(Math.abs(Number(row[score]) - Number(s[i]![score]))).toBeLessThan(1e-9));
  });
});

