/**
 * End to end with src/compile's compiler: a binary model over a number and
 * a one-hot text column, and a regression model, on DuckDB, PostgreSQL and MariaDB. The
 * default `engine = 'auto'` picks the engine the dialect's measured figures say
 * (capabilities.slowerThanStream), and in the database PREDICT (with and without INTO),
 * EXPLAIN PREDICT's SQL as a view and EVALUATE … ON give the stream's answers.
 * A lowercase() model over words with a final sigma and a dotted capital I scores alike
 * on both engines where the database's lower() passed its check, and streams elsewhere.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ResultTable, Value } from '../../src/data.js';
import { Engine } from '../../src/engine/engine.js';
import { autoEngine, explainedAuto, firstRow } from '../helpers/engine.js';
import { serverTargets } from '../helpers/servers.js';

const TARGETS = [
  { label: 'duckdb', url: 'duckdb::memory:' },
  ...(await serverTargets()).filter((target) => target.label !== 'postgres (cursor)'),
];
const ROWS = 400;

describe.each(TARGETS)('$label', ({ url }) => {
  let engine: Engine;
  const tag = `${process.pid.toString(36)}${Date.now().toString(36).slice(-4)}`;
  const [src, bin, reg, view, into] = [`cdb_src_${tag}`, `cdb_bin_${tag}`, `cdb_reg_${tag}`, `cdb_view_${tag}`, `cdb_out_${tag}`];
  const sql = (text: string): Promise<ResultTable> => engine.adapter.query(text);
  const run = async (text: string): Promise<ResultTable> => (await engine.runAll(text)).at(-1)!;
  const byId = (rows: readonly (readonly Value[])[]): (readonly Value[])[] => [...rows].sort((a, b) => Number(a[0]) - Number(b[0]));

  function expectSameRows(database: readonly (readonly Value[])[], stream: readonly (readonly Value[])[], scoreAt: number): void {
    const [a, b] = [byId(database), byId(stream)];
    expect(a).toHaveLength(b.length);
    a.forEach((row, i) =>
      row.forEach((value, c) => {
        if (c === scoreAt) expect(Math.abs(Number(value) - Number(b[i]![c]))).toBeLessThan(1e-9);
        else expect(value).toEqual(b[i]![c]);
      }),
    );
  }

  beforeAll(async () => {
    engine = await Engine.open(url);
    for (const table of [src, into]) await sql(`DROP TABLE IF EXISTS ${table}`);
    await sql(`CREATE TABLE ${src} (id INTEGER NOT NULL PRIMARY KEY, x DOUBLE PRECISION, plan VARCHAR(10), y INTEGER, v DOUBLE PRECISION)`);
    const rows = Array.from({ length: ROWS }, (_, i) => {
      const x = ((i * 37) % 100) / 10;
      const plan = ['basic', 'plus', 'pro'][i % 3]!;
      return `(${i + 1}, ${x}, '${plan}', ${x + (plan === 'pro' ? 3 : 0) > 6 ? 1 : 0}, ${2 * x + (i % 3)})`;
    });
    await sql(`INSERT INTO ${src} VALUES ${rows.join(', ')}`);
    await run(`CREATE MODEL ${bin} FROM (SELECT x, plan, y FROM ${src}) PREDICT y USING passes = 3;`);
    await run(`CREATE MODEL ${reg} FROM (SELECT x, plan, v FROM ${src}) PREDICT v USING passes = 3;`);
  }, 120_000);

  it("lowercase(): final sigma and dotted capital I score alike on both engines; a database whose lower() differs streams, saying why", async () => {
    const [words, lower] = [`cdb_words_${tag}`, `cdb_lower_${tag}`];
    const values = ['ΟΔΟΣ', 'οδος', 'ΟΔΟΣ Α', 'İZMİR', 'izmir', 'ΣΑΣ.', 'Apple', 'APPLE'];
    await sql(`DROP TABLE IF EXISTS ${words}`);
    await sql(`CREATE TABLE ${words} (id INTEGER NOT NULL PRIMARY KEY, word VARCHAR(20), y INTEGER)`);
    await sql(`INSERT INTO ${words} VALUES ${Array.from({ length: 80 }, (_, i) => `(${i + 1}, ${engine.adapter.sql.quoteString(values[i % values.length]!)}, ${i % values.length < 3 ? 1 : 0})`).join(', ')}`);
    try {
      await run(`CREATE OR REPLACE MODEL ${lower} FROM (SELECT word, y FROM ${words}) PREDICT y RECIPE (lowercase(word)) USING passes = 3;`);
      const explained = firstRow(await run(`EXPLAIN PREDICT ${lower} FROM ${words};`));
      const stream = await run(`PREDICT ${lower} FROM ${words} USING engine = 'stream';`);
      if (engine.adapter.sql.lowerText === undefined) {
        expect(explained).toMatchObject({ engine: 'stream', reason: `lowercase(): ${engine.adapter.sql.lowerTextGap}` });
        return;
      }
      expect(explained).toMatchObject(explainedAuto(engine, 'dense'));
      const database = await run(`PREDICT ${lower} FROM ${words} USING engine = 'database';`);
      expectSameRows(database.rows, stream.rows, stream.columns.findIndex((column) => column.name === 'score'));
    } finally {
      await run(`DROP MODEL IF EXISTS ${lower};`);
      await sql(`DROP TABLE IF EXISTS ${words}`);
    }
  });

  afterAll(async () => {
    if (!engine) return;
    await sql(`DROP VIEW IF EXISTS ${view}`).catch(() => undefined);
    for (const table of [src, into]) await sql(`DROP TABLE IF EXISTS ${table}`).catch(() => undefined);
    for (const model of [bin, reg]) await run(`DROP MODEL IF EXISTS ${model};`).catch(() => undefined);
    await engine.close();
  });

  it('auto picks the engine the figures chose; the database answers as the stream does: PREDICT, EXPLAIN as a view, INTO, EVALUATE … ON', async () => {
    const explained = firstRow(await run(`EXPLAIN PREDICT ${bin} FROM ${src};`));
    expect(explained).toMatchObject(explainedAuto(engine, 'dense'));
    const stream = await run(`PREDICT ${bin} FROM ${src} USING engine = 'stream';`);
    const scoreAt = stream.columns.findIndex((column) => column.name === 'score');
    const database = await run(`PREDICT ${bin} FROM ${src} USING engine = 'database';`);
    expect(database.columns).toEqual(stream.columns);
    expectSameRows(database.rows, stream.rows, scoreAt);

    await sql(`DROP VIEW IF EXISTS ${view}`);
    await sql(`CREATE VIEW ${view} AS ${String(explained.sql)}`);
    expectSameRows((await sql(`SELECT * FROM ${view}`)).rows, stream.rows, scoreAt);

    expect(firstRow(await run(`PREDICT ${bin} FROM ${src} INTO ${into} KEY id;`))).toMatchObject({ rows_written: ROWS, engine: autoEngine(engine, 'predictInto', 'dense') });
    await sql(`DROP TABLE ${into}`);
    expect(firstRow(await run(`PREDICT ${bin} FROM ${src} INTO ${into} KEY id USING engine = 'database';`))).toMatchObject({ rows_written: ROWS, engine: 'database' });
    const written = await sql(`SELECT id, predicted_label, score FROM ${into}`);
    expectSameRows(written.rows, stream.rows.map((row) => [row[0]!, row[scoreAt - 1]!, row[scoreAt]!]), 2);

    const [evaluated, streamed] = [firstRow(await run(`EVALUATE MODEL ${bin} ON ${src} USING engine = 'database';`)), firstRow(await run(`EVALUATE MODEL ${bin} ON ${src} USING engine = 'stream';`))];
    for (const name of ['accuracy', 'precision', 'recall', 'f1', 'rows']) expect(evaluated[name]).toBeCloseTo(Number(streamed[name]), 12);
    expect(Math.abs(Number(evaluated.auc) - Number(streamed.auc))).toBeLessThan(1e-4);

    const [regDatabase, regStream] = [firstRow(await run(`EVALUATE MODEL ${reg} ON ${src} USING engine = 'database';`)), firstRow(await run(`EVALUATE MODEL ${reg} ON ${src} USING engine = 'stream';`))];
    for (const name of ['rmse', 'mae', 'r2', 'baseline_rmse']) expect(Math.abs(Number(regDatabase[name]) - Number(regStream[name]))).toBeLessThan(1e-9 * Math.max(1, Math.abs(Number(regStream[name]))));
  });
});
