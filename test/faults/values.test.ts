/**
 * Values keep their identity end to end, on every database: BIGINT keys beyond 2^53,
 * NUMERIC(38,10) keys, pass-through columns and BIGINT labels near 2^63 come back
 * exactly and in their own type, compared in SQL (a join against the source), never
 * through JavaScript numbers. Extreme values (NaN, ±Infinity, 1e308), 10,000-character
 * texts and a 500-column source either work or fail with one sentence naming the column.
 * A value the writing database cannot hold (NaN in MariaDB's DOUBLE) is refused by name,
 * never written as something else.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Adapter, DialectName } from '../../adapters/adapter.js';
import { openAdapter } from '../../adapters/registry.js';
import type { Column, RowBatch } from '../../src/data.js';
import { Engine } from '../../src/engine/engine.js';
import { SqlmlError } from '../../src/errors.js';
import { run } from '../helpers/engine.js';
import { serverTargets } from '../helpers/servers.js';

const TARGETS: readonly { readonly label: string; readonly url: string }[] = [
  { label: 'duckdb', url: 'duckdb::memory:' },
  // The cursor path reads the same server's values as text; one PostgreSQL read path is enough here.
  ...(await serverTargets()).filter((target) => target.label !== 'postgres (cursor)'),
];

/** The little SQL that differs between the databases. */
interface ValuesDialect {
  /** Rows `i` = 0 … n-1. */
  series(n: number): string;
  /** `i` as decimal text. */
  text(expression: string): string;
  /** The type to CAST to for a BIGINT (MySQL's CAST has SIGNED, not BIGINT). */
  bigint: string;
  decimal: string;
  double: string;
  varchar: string;
  /** The lower-cased data type, precision and scale of a column, from information_schema. */
  columnType(table: string, column: string): string;
  /** A repeated string of `n` characters. */
  repeat(text: string, n: number): string;
  /** Whether DOUBLE holds NaN and ±Infinity. */
  nonFinite: boolean;
  nan: string;
  infinity: string;
  /** How columnType() reads the `decimal` type back. */
  decimalColumnType: string;
  /** Whether the DECIMAL type holds NaN (PostgreSQL's NUMERIC), else what writing one fails with. */
  decimalNaN: true | RegExp;
  /** The writers the adapter chooses between by URL parameter (`bulk_write`), each tested; none: the one writer. */
  bulkWriters?: readonly string[];
}

const DIALECTS: Record<DialectName, ValuesDialect> = {
  duckdb: {
    series: (n) => `SELECT range AS i FROM range(${n})`,
    text: (e) => `CAST(${e} AS VARCHAR)`,
    bigint: 'BIGINT',
    decimal: 'DECIMAL(38,10)',
    double: 'DOUBLE',
    varchar: 'VARCHAR',
    columnType: (table, column) =>
      `SELECT lower(data_type) FROM information_schema.columns WHERE table_name = '${table}' AND column_name = '${column}'`,
    repeat: (text, n) => `repeat('${text}', ${n})`,
    nonFinite: true,
    nan: `CAST('NaN' AS DOUBLE)`,
    infinity: `CAST('Infinity' AS DOUBLE)`,
    decimalColumnType: 'decimal(38,10)',
    // DuckDB's own cast error.
    decimalNaN: /nan/i,
  },
  postgres: {
    series: (n) => `SELECT generate_series(0, ${n - 1}) AS i`,
    text: (e) => `CAST(${e} AS TEXT)`,
    bigint: 'BIGINT',
    decimal: 'NUMERIC(38,10)',
    double: 'DOUBLE PRECISION',
    varchar: 'TEXT',
    columnType: (table, column) =>
      `SELECT lower(data_type) || CASE WHEN data_type = 'numeric' THEN '(' || numeric_precision || ',' || numeric_scale || ')' ELSE '' END FROM information_schema.columns WHERE table_schema = current_schema() AND table_name = '${table}' AND column_name = '${column}'`,
    repeat: (text, n) => `repeat('${text}', ${n})`,
    nonFinite: true,
    nan: `CAST('NaN' AS DOUBLE PRECISION)`,
    infinity: `CAST('Infinity' AS DOUBLE PRECISION)`,
    decimalColumnType: 'numeric(38,10)',
    decimalNaN: true,
  },
  mysql: {
    series: (n) => `SELECT seq AS i FROM seq_0_to_${n - 1}`,
    text: (e) => `CAST(${e} AS CHAR)`,
    bigint: 'SIGNED',
    decimal: 'DECIMAL(38,10)',
    double: 'DOUBLE',
    varchar: 'LONGTEXT',
    columnType: (table, column) =>
      `SELECT CONCAT(lower(data_type), CASE WHEN data_type IN ('decimal') THEN CONCAT('(', numeric_precision, ',', numeric_scale, ')') ELSE '' END) FROM information_schema.columns WHERE table_schema = DATABASE() AND table_name = '${table}' AND column_name = '${column}'`,
    repeat: (text, n) => `REPEAT('${text}', ${n})`,
    nonFinite: false,
    nan: 'NULL',
    infinity: 'NULL',
    decimalColumnType: 'decimal(38,10)',
    decimalNaN: /^column amount has NaN in row 2, which MySQL cannot store$/,
    bulkWriters: ['load_data', 'insert'],
  },
};

/** Rows 1 … 20 of (id, score) in two batches; row 17's score is NaN, 18's Infinity, 19's -Infinity. */
async function* nonFiniteScores(): AsyncGenerator<RowBatch> {
  for (let first = 1; first <= 20; first += 10) {
    const ids = new Float64Array(10);
    const scores = new Float64Array(10);
    for (let i = 0; i < 10; i++) {
      const row = first + i;
      ids[i] = row;
      scores[i] = row === 17 ? Number.NaN : row === 18 ? Number.POSITIVE_INFINITY : row === 19 ? Number.NEGATIVE_INFINITY : row / 4;
    }
    yield { rowCount: 10, columns: [{ kind: 'number', values: ids, nulls: new Uint8Array(10) }, { kind: 'number', values: scores, nulls: new Uint8Array(10) }] };
  }
}

/** One row (id 1, score 0.5). */
async function* oneScore(): AsyncGenerator<RowBatch> {
  yield { rowCount: 1, columns: [{ kind: 'number', values: new Float64Array([1]), nulls: new Uint8Array(1) }, { kind: 'number', values: new Float64Array([0.5]), nulls: new Uint8Array(1) }] };
}

const SCORE_COLUMNS: readonly Column[] = [
  { name: 'id', type: 'integer', dbType: '' },
  { name: 'score', type: 'double', dbType: '' },
];

/** `url` with one more query parameter. */
function withParameter(url: string, parameter: string): string {
  return `${url}${url.includes('?') ? '&' : '?'}${parameter}`;
}

/** Enough rows for the training to profile and encode in its worker thread (50,000 and up), whose labels come from the row cache. */
const LABEL_ROWS = 50_000;

let targetCounter = 0;

describe.each(TARGETS)('$label', ({ url }) => {
  let engine: Engine;
  let d: ValuesDialect;
  const tag = `${process.pid.toString(36)}${Date.now().toString(36).slice(-4)}${(++targetCounter).toString(36)}`;
  const tables: string[] = [];
  const models: string[] = [];
  const table = (stem: string): string => {
    const name = `fv_${stem}_${tag}`;
    tables.push(name);
    return name;
  };
  const model = (stem: string): string => {
    const name = `fv_${stem}_${tag}`;
    models.push(name);
    return name;
  };
  /** One value of a one-row, one-column query, as text (so nothing passes through a double). */
  const scalar = async (sql: string): Promise<string> => {
    const result = await engine.adapter.query(sql);
    expect(result.rows).toHaveLength(1);
    return String(result.rows[0]![0]);
  };
  const count = async (sql: string): Promise<number> => Number(await scalar(sql));

  beforeAll(async () => {
    engine = await Engine.open(url);
    d = DIALECTS[engine.adapter.sql.name];
  });

  afterAll(async () => {
    for (const name of models) await run(engine, `DROP MODEL IF EXISTS ${name};`).catch(() => undefined);
    for (const name of tables) await engine?.adapter.query(`DROP TABLE IF EXISTS ${name}`).catch(() => undefined);
    await engine?.close();
  });

  it('writes 3,000 BIGINT keys above 2^53 exactly, as BIGINT, and prints them exactly', async () => {
    const source = table('bigkeys');
    const out = table('bigkeys_out');
    const m = model('bigkeys');
    await engine.adapter.query(
      `CREATE TABLE ${source} AS SELECT CAST(9007199254740993 + i AS ${d.bigint}) AS id, CAST(i % 7 AS ${d.double}) AS x, CASE WHEN i % 7 < 3 THEN 'a' ELSE 'b' END AS y FROM (${d.series(3000)}) s`,
    );
    await run(engine, `CREATE MODEL ${m} FROM (SELECT x, y FROM ${source}) PREDICT y;`);
    await run(engine, `PREDICT ${m} FROM ${source} INTO ${out} KEY id;`);
    expect(await count(`SELECT count(*) FROM ${out}`)).toBe(3000);
    expect(await count(`SELECT count(DISTINCT id) FROM ${out}`)).toBe(3000);
    expect(await count(`SELECT count(*) FROM ${out} o JOIN ${source} s ON o.id = s.id`)).toBe(3000);
    expect(await scalar(d.columnType(out, 'id'))).toBe('bigint');
    // Pass-through: BIGINT beyond 2^53 prints exactly.
    expect(await scalar(`SELECT min(id) FROM ${source}`)).toBe('9007199254740993');
    expect(await scalar(`SELECT max(id) FROM ${source}`)).toBe('9007199254743992');
    const predicted = await run(engine, `PREDICT ${m} FROM (SELECT * FROM ${source} WHERE id = 9007199254740994);`);
    expect(predicted.rows[0]![0]).toBe('9007199254740994');
  }, 30_000);

  it('writes 500 NUMERIC(38,10) keys of 20 integer and 10 fraction digits exactly, in their own type', async () => {
    const source = table('deckeys');
    const out = table('deckeys_out');
    const all = table('deckeys_all');
    const m = model('deckeys');
    const key = `CAST(CONCAT('1234567890123456', LPAD(${d.text('i')}, 4, '0'), '.98765', LPAD(${d.text('i')}, 5, '0')) AS ${d.decimal})`;
    await engine.adapter.query(
      `CREATE TABLE ${source} AS SELECT ${key} AS k, CAST(i % 5 AS ${d.double}) AS x, CASE WHEN i % 5 < 2 THEN 'a' ELSE 'b' END AS y FROM (${d.series(500)}) s`,
    );
    await run(engine, `CREATE MODEL ${m} FROM (SELECT x, y FROM ${source}) PREDICT y;`);
    await run(engine, `PREDICT ${m} FROM ${source} INTO ${out} KEY k;`);
    expect(await count(`SELECT count(DISTINCT k) FROM ${out}`)).toBe(500);
    expect(await count(`SELECT count(*) FROM ${out} o JOIN ${source} s ON o.k = s.k`)).toBe(500);
    expect(await scalar(d.columnType(out, 'k'))).toBe(d.decimalColumnType);
    // Without KEY every source column passes through, each in its own type.
    await run(engine, `PREDICT ${m} FROM ${source} INTO ${all};`);
    expect(await count(`SELECT count(*) FROM ${all} o JOIN ${source} s ON o.k = s.k AND o.x = s.x AND o.y = s.y`)).toBe(500);
    expect(await scalar(d.columnType(all, 'k'))).toBe(await scalar(d.columnType(source, 'k')));
    expect(await scalar(`SELECT max(k) FROM ${source}`)).toBe('12345678901234560499.9876500499');
  }, 30_000);

  it('keeps two BIGINT labels near 2^63 as two classes and writes the predicted labels exactly, as BIGINT', async () => {
    const source = table('biglabels');
    const out = table('biglabels_out');
    const m = model('biglabels');
    await engine.adapter.query(
      `CREATE TABLE ${source} AS SELECT i AS id, CAST(i % 2 AS ${d.double}) AS x, CAST(CASE WHEN i % 2 = 0 THEN '9223372036854775806' ELSE '9223372036854775807' END AS ${d.bigint}) AS y FROM (${d.series(LABEL_ROWS)}) s`,
    );
    const created = await run(engine, `CREATE MODEL ${m} FROM ${source} PREDICT y RECIPE (exclude(id));`);
    expect(created.command).toBe('CREATE MODEL');
    const shown = await run(engine, `DESCRIBE MODEL ${m};`);
    expect(JSON.stringify(shown.rows)).toContain('binary');
    await run(engine, `PREDICT ${m} FROM ${source} INTO ${out} KEY id;`);
    expect(await scalar(d.columnType(out, 'predicted_label'))).toBe('bigint');
    expect(await count(`SELECT count(DISTINCT predicted_label) FROM ${out}`)).toBe(2);
    // x decides y exactly: every label is right, which it can only be when both are written exactly.
    // Matched in SQL by grouping both tables' (id, label) pairs: a join without an index is quadratic on MariaDB.
    const pairs = `SELECT id, y AS v FROM ${source} UNION ALL SELECT id, predicted_label AS v FROM ${out}`;
    expect(await count(`SELECT count(*) FROM (SELECT id FROM (${pairs}) u GROUP BY id, v HAVING count(*) = 2) matched`)).toBe(LABEL_ROWS);
    expect(await count(`SELECT count(*) FROM ${out} WHERE predicted_label = 9223372036854775807`)).toBe(LABEL_ROWS / 2);
  }, 30_000);

  it('trains on NaN, ±Infinity and 1e308 in a feature, or refuses naming the column; never a NaN model', async () => {
    const source = table('extreme');
    const m = model('extreme');
    const odd = d.nonFinite ? `CASE i % 50 WHEN 0 THEN ${d.nan} WHEN 1 THEN ${d.infinity} WHEN 2 THEN -${d.infinity} WHEN 3 THEN 1e308 ELSE CAST(i % 3 AS ${d.double}) END` : `CASE WHEN i % 50 = 3 THEN 1e308 ELSE CAST(i % 3 AS ${d.double}) END`;
    await engine.adapter.query(
      `CREATE TABLE ${source} AS SELECT ${odd} AS wild, CAST(i % 2 AS ${d.double}) AS x, CASE WHEN i % 2 = 0 THEN 'a' ELSE 'b' END AS y FROM (${d.series(1000)}) s`,
    );
    await outcome(`CREATE MODEL ${m} FROM ${source} PREDICT y;`, 'wild', m, source, 'score');
  }, 30_000);

  it('trains on 1e308 in a regression target, or refuses naming the column; never a NaN model', async () => {
    const source = table('extreme_target');
    const m = model('extreme_target');
    await engine.adapter.query(
      `CREATE TABLE ${source} AS SELECT CAST(i % 10 AS ${d.double}) AS x, CASE WHEN i = 7 THEN 1e308 WHEN i = 8 THEN -1e308 ELSE CAST(i AS ${d.double}) * 0.5 END AS target FROM (${d.series(1000)}) s`,
    );
    await outcome(`CREATE MODEL ${m} FROM ${source} PREDICT target;`, 'target', m, source, 'predicted_value');
  }, 30_000);

  // MariaDB's DOUBLE has no NaN or infinities.
  it.skipIf(url.startsWith('mysql:'))('trains on NaN and ±Infinity in a regression target, or refuses naming the column; never a NaN model', async () => {
    const source = table('nonfinite_target');
    const m = model('nonfinite_target');
    await engine.adapter.query(
      `CREATE TABLE ${source} AS SELECT CAST(i % 10 AS ${d.double}) AS x, CASE i % 100 WHEN 0 THEN ${d.nan} WHEN 1 THEN ${d.infinity} WHEN 2 THEN -${d.infinity} ELSE CAST(i % 10 AS ${d.double}) * 2.5 END AS target FROM (${d.series(1000)}) s`,
    );
    await outcome(`CREATE MODEL ${m} FROM ${source} PREDICT target;`, 'target', m, source, 'predicted_value');
  }, 30_000);

  /** The writers of this database: each bulk writer (MySQL's LOAD DATA and INSERT) on its own adapter, else the engine's. */
  async function eachWriter(body: (adapter: Adapter, label: string) => Promise<void>): Promise<void> {
    if (d.bulkWriters === undefined) {
      await body(engine.adapter, engine.adapter.sql.name);
      return;
    }
    for (const method of d.bulkWriters) {
      const adapter = await openAdapter(withParameter(url, `bulk_write=${method}`));
      try {
        await body(adapter, method);
      } finally {
        await adapter.close();
      }
    }
  }

  it('writes NaN and ±Infinity in a DOUBLE column as themselves, or refuses naming the column, value and row and leaves the table as it was', async () => {
    await eachWriter(async (adapter, label) => {
      const existing = table(`nf_old_${label}`);
      const created = table(`nf_new_${label}`);
      const q = (name: string): string => adapter.sql.quoteIdent(name);
      expect(await adapter.write({ name: existing }, SCORE_COLUMNS, oneScore(), 'replace')).toBe(1);
      if (d.nonFinite) {
        expect(await adapter.write({ name: existing }, SCORE_COLUMNS, nonFiniteScores(), 'replace')).toBe(20);
        expect(await adapter.write({ name: created }, SCORE_COLUMNS, nonFiniteScores(), 'replace')).toBe(20);
        for (const name of [existing, created]) {
          expect(await count(`SELECT count(*) FROM ${q(name)}`)).toBe(20);
          expect(await count(`SELECT id FROM ${q(name)} WHERE score = ${d.nan}`)).toBe(17);
          expect(await count(`SELECT id FROM ${q(name)} WHERE score = ${d.infinity}`)).toBe(18);
          expect(await count(`SELECT id FROM ${q(name)} WHERE score = -${d.infinity}`)).toBe(19);
          expect(await count(`SELECT count(*) FROM ${q(name)} WHERE score IS NULL`)).toBe(0);
        }
        return;
      }
      for (const [name, mode] of [[existing, 'replace'], [existing, 'append'], [created, 'replace']] as const) {
        const error = await adapter.write({ name }, SCORE_COLUMNS, nonFiniteScores(), mode).then(
          () => undefined,
          (failure: unknown) => failure,
        );
        expect(error, `${label} ${mode} into ${name}`).toBeInstanceOf(SqlmlError);
        expect((error as Error).message).toBe('column score has NaN in row 17, which MySQL cannot store');
      }
      // The existing table keeps its one row; the new one was never made.
      expect(await count(`SELECT count(*) FROM ${q(existing)}`)).toBe(1);
      expect(await scalar(`SELECT score FROM ${q(existing)}`)).toBe('0.5');
      expect(await adapter.tableExists({ name: created })).toBe(false);
    });
  }, 30_000);

  it('writes NaN into a DECIMAL column only where the database holds it (PostgreSQL NUMERIC), else refuses it and leaves the table as it was', async () => {
    const target = table('nan_decimal');
    const columns: Column[] = [
      { name: 'id', type: 'integer', dbType: '' },
      { name: 'amount', type: 'decimal', dbType: d.decimal },
    ];
    async function* amounts(): AsyncGenerator<RowBatch> {
      yield { rowCount: 3, columns: [{ kind: 'number', values: new Float64Array([1, 2, 3]), nulls: new Uint8Array(3) }, { kind: 'number', values: new Float64Array([1.5, Number.NaN, 2]), nulls: new Uint8Array(3) }] };
    }
    const outcome = await engine.adapter.write({ name: target }, columns, amounts(), 'replace').then(
      (rows) => rows,
      (failure: unknown) => failure,
    );
    if (d.decimalNaN === true) {
      expect(outcome).toBe(3);
      expect(await count(`SELECT id FROM ${target} WHERE amount = CAST('NaN' AS NUMERIC)`)).toBe(2);
      expect(await scalar(`SELECT CAST(sum(CASE WHEN id <> 2 THEN amount END) AS TEXT) FROM ${target}`)).toBe('3.5000000000');
      return;
    }
    // DuckDB's DECIMAL and MariaDB's have no NaN: an error (DuckDB's own cast error, MySQL's by name), and no table.
    expect(outcome).toBeInstanceOf(SqlmlError);
    expect((outcome as Error).message).not.toContain('\n');
    expect((outcome as Error).message).toMatch(d.decimalNaN);
    expect(await engine.adapter.tableExists({ name: target })).toBe(false);
  }, 30_000);

  // MariaDB's DOUBLE has no NaN or infinities, so its source cannot hold them (its writer is tested above).
  it.skipIf(url.startsWith('mysql:'))('PREDICT … INTO passes NaN and ±Infinity of a DOUBLE column through unchanged', async () => {
    const source = table('nonfinite_pass');
    const out = table('nonfinite_pass_out');
    const m = model('nonfinite_pass');
    await engine.adapter.query(
      `CREATE TABLE ${source} AS SELECT i AS id, CAST(i % 2 AS ${d.double}) AS x, CASE i % 100 WHEN 17 THEN ${d.nan} WHEN 18 THEN ${d.infinity} WHEN 19 THEN -${d.infinity} ELSE CAST(i AS ${d.double}) / 4 END AS v, CASE WHEN i % 2 = 0 THEN 'a' ELSE 'b' END AS y FROM (${d.series(1000)}) s`,
    );
    await run(engine, `CREATE MODEL ${m} FROM (SELECT x, y FROM ${source}) PREDICT y;`);
    await run(engine, `PREDICT ${m} FROM ${source} INTO ${out};`);
    expect(await count(`SELECT count(*) FROM ${out}`)).toBe(1000);
    expect(await count(`SELECT count(*) FROM ${out} WHERE v = ${d.nan}`)).toBe(10);
    expect(await count(`SELECT count(*) FROM ${out} WHERE v = ${d.infinity}`)).toBe(10);
    expect(await count(`SELECT count(*) FROM ${out} WHERE v = -${d.infinity}`)).toBe(10);
    // Every row's v, odd ones included, matches its source row's.
    expect(await count(`SELECT count(*) FROM ${out} o JOIN ${source} s ON o.id = s.id AND o.v = s.v`)).toBe(1000);
  }, 30_000);

  /** Either the statement works and every prediction is finite, or it fails with one sentence naming `column`. */
  async function outcome(statement: string, column: string, m: string, source: string, output: string): Promise<void> {
    let trained = true;
    try {
      await run(engine, statement);
    } catch (error) {
      trained = false;
      expect(error).toBeInstanceOf(SqlmlError);
      const message = (error as Error).message;
      expect(message).toContain(column);
      expect(message).not.toContain('\n');
    }
    if (!trained) {
      expect((await run(engine, 'SHOW MODELS;')).rows.map((row) => row[0])).not.toContain(m);
      return;
    }
    const predicted = await run(engine, `PREDICT ${m} FROM ${source};`);
    const index = predicted.columns.findIndex((c) => c.name === output);
    expect(index).toBeGreaterThanOrEqual(0);
    expect(predicted.rows.length).toBe(1000);
    for (const row of predicted.rows) expect(Number.isFinite(row[index] as number)).toBe(true);
  }

  it('takes a 10,000-character text column as a feature and as a key', async () => {
    const source = table('longtext');
    const out = table('longtext_out');
    const m = model('longtext');
    await engine.adapter.query(
      `CREATE TABLE ${source} AS SELECT CONCAT(${d.text('i')}, ${d.repeat('x', 10_000)}) AS doc, CASE WHEN i % 2 = 0 THEN 'a' ELSE 'b' END AS y FROM (${d.series(200)}) s`,
    );
    await run(engine, `CREATE MODEL ${m} FROM ${source} PREDICT y;`);
    await run(engine, `PREDICT ${m} FROM ${source} INTO ${out} KEY doc;`);
    expect(await count(`SELECT count(*) FROM ${out} o JOIN ${source} s ON o.doc = s.doc`)).toBe(200);
  }, 30_000);

  it('trains and predicts from a 500-column source, or refuses naming the limit', async () => {
    const source = table('wide');
    const out = table('wide_out');
    const m = model('wide');
    const columns = Array.from({ length: 499 }, (_, c) => `CAST((i * ${c + 1}) % 13 AS ${d.double}) AS c${c}`).join(', ');
    await engine.adapter.query(`CREATE TABLE ${source} AS SELECT i AS id, ${columns}, CASE WHEN i % 13 < 6 THEN 'a' ELSE 'b' END AS y FROM (${d.series(300)}) s`);
    await run(engine, `CREATE MODEL ${m} FROM ${source} PREDICT y RECIPE (exclude(id));`);
    await run(engine, `PREDICT ${m} FROM ${source} INTO ${out};`);
    expect(await count(`SELECT count(*) FROM ${out} o JOIN ${source} s ON o.id = s.id AND o.c498 = s.c498`)).toBe(300);
  }, 30_000);
});

