/**
 * PREDICT … INTO never destroys a table sqlml does not own: a user's table with other
 * columns (and a primary key) is refused with one sentence and left exactly as it was,
 * the source's own table is refused, and replacing a table of exactly sqlml's columns
 * replaces its rows in place, so its primary key, the views on it and (on PostgreSQL)
 * the grants on it stay. A table another table's foreign key references is refused by
 * REPLACE before the source is read (its DELETE would cascade into, or fail on, the other
 * table) and appended to by APPEND. On DuckDB, PostgreSQL and MariaDB.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ResultTable, Value } from '../../src/data.js';
import { Engine } from '../../src/engine/engine.js';
import { firstRow, run } from '../helpers/engine.js';
import { serverTargets } from '../helpers/servers.js';
import { rejectionOf } from '../helpers/errors.js';

const TARGETS = [
  { label: 'duckdb', url: 'duckdb::memory:' },
  // The cursor read path changes nothing about writing: one PostgreSQL target is enough.
  ...(await serverTargets()).filter((target) => target.label !== 'postgres (cursor)'),
];

/** Server databases outlive the run and are shared with other test files: names carry a tag. */
const tag = `${process.pid.toString(36)}${Date.now().toString(36).slice(-4)}`;
const SOURCE_ROWS = 300;

/** What each database's tables carry, as far as this file's expectations differ. */
const TABLES = {
  // DuckDB: plain foreign keys only, named by DuckDB whatever name they were given; no roles.
  duckdb: { referentialActions: false, keepsForeignKeyNames: false, roles: false },
  postgres: { referentialActions: true, keepsForeignKeyNames: true, roles: true },
  // MySQL's GRANTs go to users, which this file does not make.
  mysql: { referentialActions: true, keepsForeignKeyNames: true, roles: false },
} as const;

describe.each(TARGETS)('$label', ({ url }) => {
  let engine: Engine;
  const tables = (): (typeof TABLES)[keyof typeof TABLES] => TABLES[engine.adapter.sql.name as keyof typeof TABLES];
  const names = { source: `fpi_src_${tag}`, model: `fpi_model_${tag}`, user: `fpi_user_${tag}`, scores: `fpi_scores_${tag}`, view: `fpi_view_${tag}`, log: `fpi_log_${tag}` };
  // Referenced tables (parents) and the tables whose foreign keys reference them (children).
  const parents = { cascade: `fpi_pc_${tag}`, plain: `fpi_pp_${tag}`, append: `fpi_pa_${tag}` };
  const children = { cascade: `fpi_cc_${tag}`, setNull: `fpi_cn_${tag}`, plain: `fpi_cp_${tag}`, append: `fpi_ca_${tag}` };
  const allTables = () => [...Object.values(children), ...Object.values(parents), names.source, names.user, names.scores, names.log];
  const reader = `fpi_reader_${tag}`;
  const sql = (text: string): Promise<ResultTable> => engine.adapter.query(text);
  const contents = async (table: string): Promise<Value[][]> => (await sql(`SELECT * FROM ${table} ORDER BY 1`)).rows.map((row) => [...row]);
  const columnsOf = async (table: string): Promise<string[]> => [...(await engine.adapter.describeTable({ name: table }))!.columns];

  beforeAll(async () => {
    engine = await Engine.open(url);
    for (const table of [names.view]) await sql(`DROP VIEW IF EXISTS ${table}`);
    for (const table of allTables()) await sql(`DROP TABLE IF EXISTS ${table}`);
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
    for (const table of allTables()) await sql(`DROP TABLE IF EXISTS ${table}`).catch(() => undefined);
    if (tables().roles) await sql(`DROP ROLE IF EXISTS ${reader}`).catch(() => undefined);
    await run(engine, `DROP MODEL IF EXISTS ${names.model};`).catch(() => undefined);
    await engine.close();
  });

  it("refuses a user's table with other columns and a primary key, naming them, and leaves it untouched", async () => {
    await sql(`CREATE TABLE ${names.user} (id INTEGER NOT NULL PRIMARY KEY, email VARCHAR(50) NOT NULL, plan VARCHAR(10))`);
    await sql(`INSERT INTO ${names.user} VALUES (1, 'a@example.com', 'pro'), (7, 'b@example.com', 'basic')`);
    const before = await contents(names.user);

    const replace = await rejectionOf(run(engine, `PREDICT ${names.model} FROM ${names.source} INTO ${names.user} KEY id;`));
    expect(replace.code).toBe('bad_column');
    expect(replace.message).toBe(
      `table ${names.user} has columns email, plan that PREDICT … INTO does not write and lacks columns predicted_label, score that PREDICT … INTO writes; choose another table or change it yourself`,
    );
    // With the prediction columns added it is still not sqlml's: APPEND would leave email
    // (NOT NULL) without a value and plan NULL.
    await sql(`ALTER TABLE ${names.user} ADD COLUMN predicted_label INTEGER`);
    await sql(`ALTER TABLE ${names.user} ADD COLUMN score DOUBLE PRECISION`);
    for (const mode of ['', ' APPEND']) {
      const error = await rejectionOf(run(engine, `PREDICT ${names.model} FROM ${names.source} INTO ${names.user} KEY id${mode};`));
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
      const error = await rejectionOf(run(engine, `PREDICT ${names.model} FROM ${names.source} INTO ${names.source} KEY id${mode};`));
      expect(error.message).toBe(`PREDICT … INTO ${names.source} names the source table itself; write the predictions into another table`);
    }
    // Read through a subquery the source is not known by name: its other columns refuse it.
    const wrapped = await rejectionOf(run(engine, `PREDICT ${names.model} FROM (SELECT * FROM ${names.source}) INTO ${names.source} KEY id;`));
    expect(wrapped.message).toMatch(new RegExp(`^table ${names.source} has columns x, plan, y that PREDICT … INTO does not write`));
    expect(await contents(names.source)).toEqual(before);
    expect(await columnsOf(names.source)).toEqual(['id', 'x', 'plan', 'y']);
  });

  it('replaces the rows of a table of exactly its columns in place: key, views and grants stay', async () => {
    // The user made the table, with a primary key and types of their own choosing.
    await sql(`CREATE TABLE ${names.scores} (id BIGINT NOT NULL PRIMARY KEY, predicted_label INTEGER, score DOUBLE PRECISION)`);
    await sql(`CREATE VIEW ${names.view} AS SELECT id, score FROM ${names.scores} WHERE predicted_label = 1`);
    const { roles } = tables();
    if (roles) {
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
    if (roles) {
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
    const error = await rejectionOf(run(engine, `PREDICT ${names.model} FROM (SELECT * FROM ${names.source} WHERE id <= 5) INTO ${names.log} KEY id APPEND;`));
    expect(error.message).toBe(`table ${names.log} has columns note that PREDICT … INTO does not write; choose another table or change it yourself`);
    expect(await contents(names.log)).toEqual(before);
  });

  /** A table of exactly sqlml's columns, with rows 1..3 and a primary key other tables can reference. */
  async function parentTable(name: string): Promise<void> {
    await sql(`CREATE TABLE ${name} (id INTEGER NOT NULL PRIMARY KEY, predicted_label INTEGER, score DOUBLE PRECISION)`);
    await sql(`INSERT INTO ${name} VALUES (1, 1, 0.9), (2, 0, 0.2), (3, 1, 0.7)`);
  }

  /** A child table whose foreign key `constraint` references `parent`'s rows 1 and 2; `rule` is its ON DELETE clause. */
  async function childTable(name: string, parent: string, constraint: string, rule = ''): Promise<void> {
    await sql(`CREATE TABLE ${name} (order_id INTEGER NOT NULL PRIMARY KEY, score_id INTEGER, CONSTRAINT ${constraint} FOREIGN KEY (score_id) REFERENCES ${parent} (id)${rule})`);
    await sql(`INSERT INTO ${name} VALUES (10, 1), (11, 2), (12, 1)`);
  }

  /** The constraint's name as the catalog has it: DuckDB ignores a foreign key's given name and makes its own. */
  const catalogName = (child: string, given: string): string => (tables().keepsForeignKeyNames ? given : `${child}_score_id_id_fkey`);

  /** Runs a PREDICT and says how many source rows it scored (its progress reports), whatever its outcome. */
  function predictCountingRows(text: string): { outcome: Promise<ResultTable>; scored: () => number } {
    let scored = 0;
    const onProgress = (progress: { phase: string; rows: number }): void => {
      if (progress.phase === 'predict') scored = progress.rows;
    };
    const outcome = engine.runAll(text, { onProgress }).then((results) => results[results.length - 1]!);
    return { outcome, scored: () => scored };
  }

  it('REPLACE refuses a table that ON DELETE CASCADE / SET NULL foreign keys reference, before reading, and changes neither table', async () => {
    await parentTable(parents.cascade);
    const cascade = `fpi_cc_fk_${tag}`;
    const setNull = `fpi_cn_fk_${tag}`;
    if (!tables().referentialActions) {
      // No referential actions (DuckDB): such a key cannot exist there (the plain key's test covers it).
      await expect(childTable(children.cascade, parents.cascade, cascade, ' ON DELETE CASCADE')).rejects.toThrow(/CASCADE/);
      return;
    }
    await childTable(children.cascade, parents.cascade, cascade, ' ON DELETE CASCADE');
    await childTable(children.setNull, parents.cascade, setNull, ' ON DELETE SET NULL');
    const parentBefore = await contents(parents.cascade);
    const cascadeBefore = await contents(children.cascade);
    const setNullBefore = await contents(children.setNull);

    const { outcome, scored } = predictCountingRows(`PREDICT ${names.model} FROM ${names.source} INTO ${parents.cascade} KEY id;`);
    const error = await rejectionOf(outcome);
    expect(error.code).toBe('unsupported');
    expect(error.message).toBe(
      `table ${parents.cascade} is referenced by foreign keys ${cascade} of table ${children.cascade}, ${setNull} of table ${children.setNull}; PREDICT … INTO ${parents.cascade} would delete the rows they reference: write into another table, or use APPEND`,
    );
    expect(scored()).toBe(0);
    expect(await contents(children.cascade)).toEqual(cascadeBefore);
    expect(await contents(children.setNull)).toEqual(setNullBefore);
    expect(await contents(parents.cascade)).toEqual(parentBefore);
  });

  it('REPLACE refuses a table that a plain foreign key references, before reading, and changes neither table', async () => {
    await parentTable(parents.plain);
    const given = `fpi_cp_fk_${tag}`;
    await childTable(children.plain, parents.plain, given);
    const parentBefore = await contents(parents.plain);
    const childBefore = await contents(children.plain);

    const { outcome, scored } = predictCountingRows(`PREDICT ${names.model} FROM ${names.source} INTO ${parents.plain} KEY id;`);
    const error = await rejectionOf(outcome);
    expect(error.message).toBe(
      `table ${parents.plain} is referenced by foreign key ${catalogName(children.plain, given)} of table ${children.plain}; PREDICT … INTO ${parents.plain} would delete the rows it references: write into another table, or use APPEND`,
    );
    expect(scored()).toBe(0);
    expect(await contents(parents.plain)).toEqual(parentBefore);
    expect(await contents(children.plain)).toEqual(childBefore);
    // The key is still there and still the user's: it refuses a row of the child without a parent.
    await expect(sql(`INSERT INTO ${children.plain} VALUES (13, 999)`)).rejects.toThrow();
  });

  it('APPEND adds rows to a table a foreign key references, leaving the referencing rows alone', async () => {
    await parentTable(parents.append);
    const given = `fpi_ca_fk_${tag}`;
    await childTable(children.append, parents.append, given, tables().referentialActions ? ' ON DELETE CASCADE' : '');
    const parentBefore = await contents(parents.append);
    const childBefore = await contents(children.append);

    // On the stream, whose progress counts the rows read.
    const { outcome, scored } = predictCountingRows(`PREDICT ${names.model} FROM (SELECT * FROM ${names.source} WHERE id BETWEEN 4 AND 10) INTO ${parents.append} KEY id APPEND USING engine = 'stream';`);
    expect(firstRow(await outcome).rows_written).toBe(7);
    // The count the refusals above find 0 is the count of rows read.
    expect(scored()).toBe(7);
    const after = await contents(parents.append);
    expect(after.map((row) => Number(row[0]))).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
    expect(after.slice(0, 3)).toEqual(parentBefore);
    expect(await contents(children.append)).toEqual(childBefore);
    // In the database (where the model compiles): the same in-place APPEND.
    const database = firstRow(await run(engine, `PREDICT ${names.model} FROM (SELECT * FROM ${names.source} WHERE id BETWEEN 11 AND 12) INTO ${parents.append} KEY id APPEND;`));
    expect(database.rows_written).toBe(2);
    expect((await contents(parents.append)).map((row) => Number(row[0]))).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12]);
    expect(await contents(children.append)).toEqual(childBefore);
  });
});
