/**
 * PREDICT and EXPLAIN PREDICT with `engine = 'database'` | 'auto' | 'stream' on DuckDB,
 * PostgreSQL and MariaDB: the database path gives the streaming path's columns, types and
 * answers; EXPLAIN's SQL, pasted into a view, gives PREDICT's rows; PREDICT … INTO in the
 * database creates the table the stream creates (checked in each database's catalog),
 * replaces and appends in place, and a failure mid-CTAS (the database's own error at a
 * late row of an unordered source) leaves the target as it was and no staging table.
 * The models are compiled by src/compile's compiler; the model that does not compile is
 * one stored by an earlier sqlml (test/learn/fixtures/old-hashed-models.json), whose
 * MurmurHash3 hashing no database computes.
 */
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { STAGING_PREFIX } from '../../adapters/select-into.js';
import { MURMUR_REASON } from '../../src/compile/hashed-features.js';
import type { ResultTable, Value } from '../../src/data.js';
import { Engine } from '../../src/engine/engine.js';
import { explainedAuto, firstRow } from '../helpers/engine.js';
import { rejectionOf } from '../helpers/errors.js';
import { ownDatabase, serverTargets } from '../helpers/servers.js';
import { DATABASE_FACTS } from '../helpers/database-facts.js';

const TARGETS = [
  { label: 'duckdb', url: 'duckdb::memory:' },
  ...(await serverTargets()).filter((target) => target.label !== 'postgres (cursor)'),
];
const ROWS = 300;
const BAD_ROW = 250;

/** A binary model stored by an earlier sqlml (MurmurHash3-hashed features), with the rows its source had. */
const OLD = JSON.parse(readFileSync(new URL('../learn/fixtures/old-hashed-models.json', import.meta.url), 'utf8')) as {
  readonly rows: readonly (readonly (string | number | null)[])[];
  readonly models: readonly { readonly name: string; readonly model: string }[];
};
const OLD_BINARY = OLD.models.find((m) => m.name === 'old_hashed_binary')!.model;

describe.each(TARGETS)('$label', ({ url: sharedUrl }) => {
  let engine: Engine;
  const tag = `${process.pid.toString(36)}${Date.now().toString(36).slice(-4)}`;
  const src = `indb_src_${tag}`;
  const bin = `indb_bin_${tag}`;
  const reg = `indb_reg_${tag}`;
  const txt = `indb_txt_${tag}`;
  const txtSrc = `indb_txtsrc_${tag}`;
  const yes = `indb_yes_${tag}`;
  const sql = (text: string): Promise<ResultTable> => engine.adapter.query(text);
  const run = async (text: string): Promise<ResultTable> => (await engine.runAll(text)).at(-1)!;
  const byFirst = (result: ResultTable): (readonly Value[])[] => [...result.rows].sort((a, b) => Number(a[0]) - Number(b[0]));
  const contents = async (table: string): Promise<(readonly Value[])[]> => byFirst(await sql(`SELECT * FROM ${table}`));
  const here = (): string => DATABASE_FACTS[engine.adapter.sql.name].currentSchema;
  const catalogTypes = async (table: string): Promise<Value[][]> =>
    (await sql(`SELECT column_name, data_type FROM information_schema.columns WHERE table_schema = ${here()} AND table_name = '${table}' ORDER BY ordinal_position`)).rows.map((row) => [
      String(row[0]).toLowerCase(),
      String(row[1]).toLowerCase(),
    ]);
  const stagingTables = async (): Promise<number> =>
    Number((await sql(`SELECT count(*) FROM information_schema.tables WHERE table_schema = ${here()} AND table_name LIKE '${STAGING_PREFIX.replaceAll('_', '\\_')}%'`)).rows[0]![0]);
  /** The late row's value that the database refuses to cast (mid-scan: the source has no ORDER BY). */
  const badCast = `CAST(CASE WHEN id = ${BAD_ROW} THEN 'x' ELSE '1' END AS INTEGER) = 1`;

  function expectSameAnswers(database: ResultTable, stream: ResultTable): void {
    expect(database.columns).toEqual(stream.columns);
    const scored = database.columns.findIndex((column) => column.name === 'score' || column.name === 'predicted_value');
    const a = byFirst(database);
    const b = byFirst(stream);
    expect(a).toHaveLength(b.length);
    a.forEach((row, i) => {
      row.forEach((value, c) => {
        if (c === scored) expect(Math.abs(Number(value) - Number(b[i]![c]))).toBeLessThan(1e-9);
        else expect(value).toEqual(b[i]![c]);
      });
    });
  }

  beforeAll(async () => {
    const url = sharedUrl.startsWith('duckdb') ? sharedUrl : await ownDatabase(sharedUrl, 'indb');
    engine = await Engine.open(url);
    await sql(`DROP TABLE IF EXISTS ${src}`);
    await sql(`CREATE TABLE ${src} (id INTEGER NOT NULL PRIMARY KEY, x1 DOUBLE PRECISION, x2 DOUBLE PRECISION, plan VARCHAR(10), y INTEGER, v DOUBLE PRECISION)`);
    const rows = Array.from({ length: ROWS }, (_, i) => {
      const x1 = ((i * 37) % 100) / 10;
      const x2 = ((i * 53) % 90) / 9;
      return `(${i + 1}, ${x1}, ${x2}, '${['basic', 'plus', 'pro'][i % 3]}', ${x1 + x2 / 2 > 7 ? 1 : 0}, ${2 * x1 - x2 + (i % 5) / 10})`;
    });
    await sql(`INSERT INTO ${src} VALUES ${rows.join(', ')}`);
    await run(`CREATE MODEL ${bin} FROM (SELECT x1, x2, y FROM ${src}) PREDICT y USING passes = 3;`);
    await run(`CREATE MODEL ${reg} FROM (SELECT x1, x2, v FROM ${src}) PREDICT v USING passes = 3;`);
    await run(`CREATE MODEL ${yes} FROM (SELECT x1, x2, CASE WHEN y = 1 THEN 'yes' ELSE 'no' END AS churn FROM ${src}) PREDICT churn USING passes = 3;`);
    await storeOldModel();
  }, 120_000);

  /** The old model stored as `txt`, and its source table (its columns and rows, the label alternating). */
  async function storeOldModel(): Promise<void> {
    const q = (value: string | number | null): string => (value === null ? 'NULL' : typeof value === 'number' ? String(value) : engine.adapter.sql.quoteString(value));
    await sql(`DROP TABLE IF EXISTS ${txtSrc}`);
    await sql(`CREATE TABLE ${txtSrc} (id INTEGER NOT NULL PRIMARY KEY, a DOUBLE PRECISION, city VARCHAR(40), k INTEGER, c VARCHAR(40), msg VARCHAR(200), note VARCHAR(200), y_bin VARCHAR(3))`);
    await sql(`INSERT INTO ${txtSrc} VALUES ${OLD.rows.map((row, i) => `(${i + 1}, ${row.map(q).join(', ')}, '${i % 3 === 0 ? 'no' : 'yes'}')`).join(', ')}`);
    const model = JSON.parse(OLD_BINARY) as { options: unknown; recipe: unknown };
    await engine.store.saveVersion({ name: txt, type: 'binary', target: 'y_bin', options: model.options, recipe: model.recipe, model: OLD_BINARY, trainingStats: {}, evaluation: {}, sourceQuery: txtSrc });
  }

  afterAll(async () => {
    if (!engine) return;
    await sql(`DROP VIEW IF EXISTS indb_view_${tag}`).catch(() => undefined);
    for (const table of [src, txtSrc, ...['a', 'b', 'c', 'd', 'e', 'f', 'g', 'h'].map((suffix) => `indb_out_${suffix}_${tag}`)]) await sql(`DROP TABLE IF EXISTS ${table}`).catch(() => undefined);
    for (const model of [bin, reg, txt, yes]) await run(`DROP MODEL IF EXISTS ${model};`).catch(() => undefined);
    await engine.close();
  });

  it('PREDICT without INTO: the database gives the stream\'s columns, types and answers (binary and regression)', async () => {
    for (const model of [bin, reg]) {
      const database = await run(`PREDICT ${model} FROM ${src} USING engine = 'database';`);
      const stream = await run(`PREDICT ${model} FROM ${src} USING engine = 'stream';`);
      expect(database.rows).toHaveLength(ROWS);
      expectSameAnswers(database, stream);
      // 'auto' (the default) answers alike, whichever engine the dialect's figures pick.
      expectSameAnswers(await run(`PREDICT ${model} FROM (SELECT id, x1, x2 FROM ${src});`), await run(`PREDICT ${model} FROM (SELECT id, x1, x2 FROM ${src}) USING engine = 'stream';`));
    }
  });

  it('EXPLAIN PREDICT: the engine auto picks, and SQL that gives PREDICT\'s rows as a view', async () => {
    const explained = firstRow(await run(`EXPLAIN PREDICT ${bin} FROM (SELECT id, x1, x2 FROM ${src});`));
    expect(explained).toMatchObject(explainedAuto(engine, 'dense'));
    const view = `indb_view_${tag}`;
    await sql(`DROP VIEW IF EXISTS ${view}`);
    await sql(`CREATE VIEW ${view} AS ${String(explained.sql)}`);
    const predicted = await run(`PREDICT ${bin} FROM (SELECT id, x1, x2 FROM ${src}) USING engine = 'stream';`);
    const viewed = byFirst(await sql(`SELECT * FROM ${view}`));
    expect(viewed.map((row) => row.slice(0, 4))).toEqual(byFirst(predicted).map((row) => row.slice(0, 4)));
    viewed.forEach((row, i) => expect(Math.abs(Number(row[4]) - Number(byFirst(predicted)[i]![4]))).toBeLessThan(1e-9));
  });

  it('a model that does not compile: auto streams and says why; engine = database is an error naming the reason', async () => {
    const explained = firstRow(await run(`EXPLAIN PREDICT ${txt} FROM ${txtSrc};`));
    expect(explained).toMatchObject({ engine: 'stream', sql: null });
    expect(explained.reason).toBe(`hashed category feature city: the model was ${MURMUR_REASON}`);
    const out = `indb_out_a_${tag}`;
    expect(firstRow(await run(`PREDICT ${txt} FROM ${txtSrc} INTO ${out} KEY id;`))).toMatchObject({ table: out, rows_written: OLD.rows.length, engine: 'stream' });
    const error = await rejectionOf(run(`PREDICT ${txt} FROM ${txtSrc} USING engine = 'database';`));
    expect(error.code).toBe('unsupported');
    expect(error.message).toContain(MURMUR_REASON);
    const bad = await rejectionOf(run(`PREDICT ${bin} FROM ${src} USING engine = 'fast';`));
    expect(bad.message).toBe("option engine of PREDICT accepts 'auto', 'database' or 'stream'");
  });

  it('PREDICT … INTO in the database: keys in the source\'s types, predictions in the stream\'s; says which engine ran', async () => {
    const [database, stream] = [`indb_out_b_${tag}`, `indb_out_c_${tag}`];
    expect(firstRow(await run(`PREDICT ${bin} FROM ${src} INTO ${database} KEY id, plan USING engine = 'database';`))).toMatchObject({ table: database, rows_written: ROWS, engine: 'database' });
    expect(firstRow(await run(`PREDICT ${bin} FROM ${src} INTO ${stream} KEY id, plan USING engine = 'stream';`))).toMatchObject({ rows_written: ROWS, engine: 'stream' });
    // The stream writes text keys as the dialect's text type; the database keeps the source's own (VARCHAR(10)).
    const source = new Map((await catalogTypes(src)).map(([name, type]) => [name, type]));
    const [databaseTypes, streamTypes] = [await catalogTypes(database), await catalogTypes(stream)];
    expect(databaseTypes.slice(0, 2)).toEqual([['id', source.get('id')], ['plan', source.get('plan')]]);
    expect(databaseTypes.slice(2)).toEqual(streamTypes.slice(2));
    expect(databaseTypes.slice(2).map(([name]) => name)).toEqual(['predicted_label', 'score']);
    expectSameAnswers(await sql(`SELECT * FROM ${database}`), await sql(`SELECT * FROM ${stream}`));
    expect(await stagingTables()).toBe(0);
  });

  it('PREDICT … INTO in the database writes text labels in the type the stream gives them', async () => {
    const [database, stream] = [`indb_out_g_${tag}`, `indb_out_h_${tag}`];
    expect(firstRow(await run(`PREDICT ${yes} FROM ${src} INTO ${database} KEY id USING engine = 'database';`))).toMatchObject({ rows_written: ROWS, engine: 'database' });
    await run(`PREDICT ${yes} FROM ${src} INTO ${stream} KEY id USING engine = 'stream';`);
    expect(await catalogTypes(database)).toEqual(await catalogTypes(stream));
    expectSameAnswers(await sql(`SELECT * FROM ${database}`), await sql(`SELECT * FROM ${stream}`));
  });

  it('REPLACE and APPEND into an existing table keep it (its identity) and swap or add the rows', async () => {
    const out = `indb_out_d_${tag}`;
    await run(`PREDICT ${reg} FROM (SELECT * FROM ${src} WHERE id <= 10) INTO ${out} KEY id USING engine = 'stream';`);
    const identity = (await engine.adapter.describeTable({ name: out }))!.id;
    expect(firstRow(await run(`PREDICT ${reg} FROM ${src} INTO ${out} KEY id REPLACE USING engine = 'database';`))).toMatchObject({ rows_written: ROWS, engine: 'database' });
    expect(await contents(out)).toHaveLength(ROWS);
    expect(firstRow(await run(`PREDICT ${reg} FROM (SELECT * FROM ${src} WHERE id <= 5) INTO ${out} KEY id APPEND USING engine = 'database';`))).toMatchObject({ rows_written: 5 });
    expect(await contents(out)).toHaveLength(ROWS + 5);
    expect((await engine.adapter.describeTable({ name: out }))!.id).toBe(identity);
    expect(await stagingTables()).toBe(0);
  });

  it('the database\'s own error at a late row of the CTAS leaves the target as it was and no staging table', async () => {
    const [existing, missing] = [`indb_out_e_${tag}`, `indb_out_f_${tag}`];
    await run(`PREDICT ${bin} FROM (SELECT * FROM ${src} WHERE id <= 7) INTO ${existing} KEY id USING engine = 'stream';`);
    const before = await contents(existing);
    const failing = `(SELECT id, x1, x2 FROM ${src} WHERE ${badCast})`;
    for (const mode of ['REPLACE', 'APPEND']) {
      const error = await rejectionOf(run(`PREDICT ${bin} FROM ${failing} INTO ${existing} KEY id ${mode} USING engine = 'database';`));
      expect(error.code).toBe('database');
      expect(await contents(existing)).toEqual(before);
    }
    await rejectionOf(run(`PREDICT ${bin} FROM ${failing} INTO ${missing} KEY id USING engine = 'database';`));
    expect(await engine.adapter.tableExists({ name: missing })).toBe(false);
    expect(await stagingTables()).toBe(0);
    // The adapter is usable after the failures.
    expect(firstRow(await run(`PREDICT ${bin} FROM ${src} INTO ${missing} KEY id USING engine = 'database';`))).toMatchObject({ rows_written: ROWS });
  });

  it('EVALUATE MODEL … ON in the database: the stream\'s metrics (NULL labels skipped as it skips them)', async () => {
    const close = (a: Value, b: Value, relative: number): void => {
      expect(Math.abs(Number(a) - Number(b))).toBeLessThanOrEqual(relative * Math.max(1, Math.abs(Number(b))));
    };
    const binary = `(SELECT x1, x2, CASE WHEN id % 10 = 0 THEN NULL ELSE y END AS y FROM ${src})`;
    for (const threshold of ['', ', threshold = 0.3']) {
      const database = firstRow(await run(`EVALUATE MODEL ${bin} ON ${binary} USING engine = 'database'${threshold};`));
      const stream = firstRow(await run(`EVALUATE MODEL ${bin} ON ${binary} USING engine = 'stream'${threshold};`));
      expect(database.rows).toBe(ROWS - ROWS / 10);
      for (const name of ['accuracy', 'precision', 'recall', 'f1', 'threshold', 'rows']) expect(database[name]).toBeCloseTo(Number(stream[name]), 12);
      close(database.auc!, stream.auc!, 1e-4);
      // The stream keeps binary scores as float32 (evaluation.ts), so its log loss is that close.
      close(database.log_loss!, stream.log_loss!, 1e-6);
    }
    const regression = `(SELECT x1, x2, CASE WHEN id % 10 = 0 THEN NULL ELSE v END AS v FROM ${src})`;
    const database = firstRow(await run(`EVALUATE MODEL ${reg} ON ${regression} USING engine = 'database';`));
    const stream = firstRow(await run(`EVALUATE MODEL ${reg} ON ${regression} USING engine = 'stream';`));
    expect(database.rows).toBe(stream.rows);
    for (const name of ['rmse', 'mae', 'r2', 'baseline_rmse']) close(database[name]!, stream[name]!, 1e-9);
    const error = await rejectionOf(run(`EVALUATE MODEL ${bin} USING engine = 'database';`));
    expect(error.message).toContain('option engine of EVALUATE MODEL applies to EVALUATE MODEL … ON');
    const text = await rejectionOf(run(`EVALUATE MODEL ${txt} ON ${txtSrc} USING engine = 'database';`));
    // Text labels evaluate in the database; this old model's MurmurHash3 hashing does not.
    expect(text.message).toContain('was stored by an earlier version whose hashing has no SQL equivalent');
  });
});
