/**
 * PREDICT … INTO never destroys a table sqlml does not own: a user's table with other
 * columns (and a primary key) is refused with one sentence and left exactly as it was,
 * the source's own table is refused, and replacing a table of exactly sqlml's columns
 * replaces its rows in place, so its primary key, the views on it and (on PostgreSQL)
 * the grants on it stay. On DuckDB, PostgreSQL and MariaDB.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ResultTable, Value } from '../../src/data.js';
import { Engine } from '../../src/engine/engine.js';
import { SqlmlError } from '../../src/errors.js';
import { firstRow, run } from '../helpers/engine.js';
import { serverTargets } from '../helpers/servers.js';

const TARGETS = [
  { label: 'duckdb', url: 'duckdb::memory:' },
  // The cursor read path changes nothing about writing: one PostgreSQL target is enough.
  ...(await serverTargets()).filter((target) => target.label !== 'postgres (cursor)'),
];

/** Server databases outlive the run and are shared with other test files: names carry a tag. */
const tag = `${process.pid.toString(36)}${Date.now().toString(36).slice(-4)}`;
const SOURCE_ROWS = 300;

async function rejection(promise: Promise<unknown>): Promise<SqlmlError> {
  try {
    await promise;
  } catch (error) {
    if (error instanceof SqlmlError) return error;
    throw error;
  }
  throw new Error('expected a rejection');
}

describe.each(TARGETS)('$label', ({ url }) => {
  let engine: Engine;
  const names = { source: `fpi_src_${tag}`, model: `fpi_model_${tag}`, user: `fpi_user_${tag}`, scores: `fpi_scores_${tag}`, view: `fpi_view_${tag}`, log: `fpi_log_${tag}` };
  const reader = `fpi_reader_${tag}`;
  const sql = (text: string): Promise<ResultTable> => engine.adapter.query(text);
  const contents = async (table: string): Promise<Value[][]> => (await sql(`SELECT * FROM ${table} ORDER BY 1`)).rows.map((row) => [...row]);
  const columnsOf = async (table: string): Promise<string[]> => [...(await engine.adapter.describeTable({ name: table }))!.columns];

  beforeAll(async () => {
    engine = await Engine.open(url);
    for (const table of [names.view]) await sql(`DROP VIEW IF EXISTS ${table}`);
    for (const table of [names.source, names.user, names.scores, names.log]) await sql(`DROP TABLE IF EXISTS ${table}`);
    await sql(`CREATE TABLE ${names.source} (id INTEGER NOT NULL PRIMARY KEY, x DOUBLE PRECISION, plan VARCHAR(10), y INTEGER)`);
    const rows = Array.from({ length: SOURCE_ROWS }, (_, i) => {
      const x = ((i * 37) % 100) / 10;
      return `(${i + 1}, ${x}, '${['basic', 'plus', 'pro'][i % 3]}', ${x > 5 ? 1 : 0})`;
    });
    await sql(`INSERT INTO ${names.source} VALUES ${rows.join(', ')}`);
    await run(engine, `CREATE MODEL ${names.model} FROM ${names.source} PREDICT y USING passes = 2;`);
  }, 60_000);

  afterAll(async () => {
    if (!engine) return;
    await sql(`DROP VIEW IF EXISTS ${names.view}`).catch(() => undefined);
    for (const table of [names.source, names.user, names.scores, names.log]) await sql(`DROP TABLE IF EXISTS ${table}`).catch(() => undefined);
    if (engine.adapter.dialect === 'postgres') await sql(`DROP ROLE IF EXISTS ${reader}`).catch(() => undefined);
    await run(engine, `DROP MODEL IF EXISTS ${names.model};`).catch(() => undefined);
    await engine.close();
  });

  it("refuses a user's table with other columns and a primary key, naming them, and leaves it untouched", async () => {
    await sql(`CREATE TABLE ${names.user} (id INTEGER NOT NULL PRIMARY KEY, email VARCHAR(50) NOT NULL, plan VARCHAR(10))`);
    await sql(`INSERT INTO ${names.user} VALUES (1, 'a@example.com', 'pro'), (7, 'b@example.com', 'basic')`);
    const before = await contents(names.user);

    const replace = await rejection(run(engine, `PREDICT ${names.model} FROM ${names.source} INTO ${names.user} KEY id;`));
    expect(replace.code).toBe('bad_column');
    expect(replace.message).toBe(
      `table ${names.user} has columns email, plan that PREDICT … INTO does not write and lacks columns predicted_label, score that PREDICT … INTO writes; choose another table or change it yourself`,
    );
    // With the prediction columns added it is still not sqlml's: APPEND would leave email
    // (NOT NULL) without a value and plan NULL.
    await sql(`ALTER TABLE ${names.user} ADD COLUMN predicted_label INTEGER`);
    await sql(`ALTER TABLE ${names.user} ADD COLUMN score DOUBLE PRECISION`);
    for (const mode of ['', ' APPEND']) {
      const error = await rejection(run(engine, `PREDICT ${names.model} FROM ${names.source} INTO ${names.user} KEY id${mode};`));
      expect(error.message).toBe(`table ${names.user} has columns email, plan that PREDICT … INTO does not write; choose another table or change it yourself`);
    }

    expect(await columnsOf(names.user)).toEqual(['id', 'email', 'plan', 'predicted_label', 'score']);
    expect((await contents(names.user)).map((row) => row.slice(0, 3))).toEqual(before);
    // Still the user's own table: its primary key refuses a duplicate.
    await expect(sql(`INSERT INTO ${names.user} (id, email) VALUES (7, 'c@example.com')`)).rejects.toThrow();
  });

  it('refuses to write into the source table itself, by REPLACE or APPEND, and leaves it untouched', async () => {
    const before = await contents(names.source);
    for (const mode of ['', ' APPEND']) {
      const error = await rejection(run(engine, `PREDICT ${names.model} FROM ${names.source} INTO ${names.source} KEY id${mode};`));
      expect(error.message).toBe(`PREDICT … INTO ${names.source} names the source table itself; write the predictions into another table`);
    }
    // Read through a subquery the source is not known by name: its other columns refuse it.
    const wrapped = await rejection(run(engine, `PREDICT ${names.model} FROM (SELECT * FROM ${names.source}) INTO ${names.source} KEY id;`));
    expect(wrapped.message).toMatch(new RegExp(`^table ${names.source} has columns x, plan, y that PREDICT … INTO does not write`));
    expect(await contents(names.source)).toEqual(before);
    expect(await columnsOf(names.source)).toEqual(['id', 'x', 'plan', 'y']);
  });

  it('replaces the rows of a table of exactly its columns in place: key, views and grants stay', async () => {
    // The user made the table, with a primary key and types of their own choosing.
    await sql(`CREATE TABLE ${names.scores} (id BIGINT NOT NULL PRIMARY KEY, predicted_label INTEGER, score DOUBLE PRECISION)`);
    await sql(`CREATE VIEW ${names.view} AS SELECT id, score FROM ${names.scores} WHERE predicted_label = 1`);
    const postgres = engine.adapter.dialect === 'postgres';
    if (postgres) {
      await sql(`DROP ROLE IF EXISTS ${reader}`);
      await sql(`CREATE ROLE ${reader}`);
      await sql(`GRANT SELECT ON ${names.scores} TO ${reader}`);
    }

    const first = firstRow(await run(engine, `PREDICT ${names.model} FROM ${names.source} INTO ${names.scores} KEY id;`));
    expect(first.rows_written).toBe(SOURCE_ROWS);
    const second = firstRow(await run(engine, `PREDICT ${names.model} FROM (SELECT * FROM ${names.source} WHERE id <= 100) INTO ${names.scores} KEY id;`));
    expect(second.rows_written).toBe(100);

    const rows = await contents(names.scores);
    expect(rows.map((row) => Number(row[0]))).toEqual(Array.from({ length: 100 }, (_, i) => i + 1));
    expect(await columnsOf(names.scores)).toEqual(['id', 'predicted_label', 'score']);
    const positives = rows.filter((row) => Number(row[1]) === 1).length;
    expect(positives).toBeGreaterThan(0);
    expect(Number((await sql(`SELECT count(*) FROM ${names.view}`)).rows[0]![0])).toBe(positives);
    await expect(sql(`INSERT INTO ${names.scores} VALUES (1, 0, 0.5)`)).rejects.toThrow();
    if (postgres) {
      expect((await sql(`SELECT has_table_privilege('${reader}', '${names.scores}', 'SELECT')`)).rows).toEqual([[true]]);
    }
  });

  it('appends into a table of exactly its columns, and refuses one with an extra column, leaving it untouched', async () => {
    await sql(`CREATE TABLE ${names.log} (id INTEGER, predicted_label INTEGER, score DOUBLE PRECISION)`);
    await sql(`INSERT INTO ${names.log} VALUES (0, 1, 0.75)`);
    const written = firstRow(await run(engine, `PREDICT ${names.model} FROM (SELECT * FROM ${names.source} WHERE id <= 5) INTO ${names.log} KEY id APPEND;`));
    expect(written.rows_written).toBe(5);
    expect((await contents(names.log)).map((row) => Number(row[0]))).toEqual([0, 1, 2, 3, 4, 5]);

    await sql(`ALTER TABLE ${names.log} ADD COLUMN note VARCHAR(20)`);
    const before = await contents(names.log);
    const error = await rejection(run(engine, `PREDICT ${names.model} FROM (SELECT * FROM ${names.source} WHERE id <= 5) INTO ${names.log} KEY id APPEND;`));
    expect(error.message).toBe(`table ${names.log} has columns note that PREDICT … INTO does not write; choose another table or change it yourself`);
    expect(await contents(names.log)).toEqual(before);
  });
});
