/**
 * SQL text holding a NUL character (U+0000) is never run as something shorter. DuckDB's C
 * API reads a statement as a C string, so `DELETE FROM t\0 WHERE i = 1` deleted every row;
 * PostgreSQL's protocol carries it as a C string too, and the server ended the session
 * ("invalid message format"). Both now refuse such text before sending it, with one error
 * naming the NUL's place. MariaDB reads a NUL inside a string literal as data, which stays
 * allowed, and refuses one elsewhere with an error naming nothing: sqlml names it.
 * A model whose one-hot categories, hashed values and labels hold NUL scores in the
 * database as on the stream where the database's text can hold NUL (DuckDB spells it
 * chr(0)); compiled for PostgreSQL, it is the same clear refusal.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { compileModel } from '../../src/compile/index.js';
import type { ResultTable, Value } from '../../src/data.js';
import { Engine } from '../../src/engine/engine.js';
import { deserializeModel } from '../../src/learn/model-format.js';
import type { TrainedModel } from '../../src/learn/model.js';
import { ownDatabase, serverTargets } from '../helpers/servers.js';

/** How each database takes a NUL inside a string literal: as data, or refused (its text cannot carry it). */
const IN_STRING: Readonly<Record<string, 'data' | 'refused'>> = { duckdb: 'refused', postgres: 'refused', mysql: 'data' };
const TARGETS = [{ label: 'duckdb', url: 'duckdb::memory:' }, ...(await serverTargets()).filter((target) => target.label !== 'postgres (cursor)')];

const NUL_ERROR = /NUL character \(U\+0000\) at character (\d+)/;

/** One-hot categories (few values): a NUL inside, at the end, alone, and the prefix a cut would leave. */
const SMALL = ['a', 'a\0b', 'a\0', '\0', 'b'];
/** Hashed values (past ONE_HOT_MAX): half of them hold a NUL, each beside the prefix a cut would leave. */
const BIG = Array.from({ length: 120 }, (_, i) => (i % 2 === 0 ? `k${i >> 1}` : `k${i >> 1}\0x`));
/** The labels: the second is the first with a NUL and more after it. */
const LABELS = ['ok', 'ok\0bad'];

/**
 * Trains, on `engine`, a binary model over a one-hot and a hashed column whose values and
 * labels hold NUL (`nul` false: a '~' in its place, for a database whose text cannot).
 */
async function nulModel(engine: Engine, tag: string, nul = true): Promise<{ name: string; source: string }> {
  const sql = engine.adapter.sql;
  // DuckDB's literals cannot carry NUL: its textConstant spells it chr(0).
  const constant = (value: string): string => sql.textConstant?.(value) ?? sql.quoteString(value);
  const text = (value: string): string => constant(nul ? value : value.replaceAll('\0', '~'));
  const source = `nul_src_${tag}`;
  const name = `nul_model_${tag}`;
  await engine.adapter.query(`DROP TABLE IF EXISTS ${source}`);
  await engine.adapter.query(`CREATE TABLE ${source} (id INTEGER, small VARCHAR(20), big VARCHAR(20), y VARCHAR(20))`);
  const rows = Array.from({ length: 960 }, (_, i) => {
    const small = SMALL[i % SMALL.length]!;
    const big = BIG[(i * 7) % BIG.length]!;
    // Each value with its own rate of the second label, so the weights differ.
    const y = LABELS[(i * 7919) % 100 < ((i % SMALL.length) * 13 + ((i * 7) % BIG.length) / 3) ? 1 : 0]!;
    return `(${i}, ${text(small)}, ${text(big)}, ${text(y)})`;
  });
  await engine.adapter.query(`INSERT INTO ${source} VALUES ${rows.join(', ')}`);
  await engine.runAll(`CREATE OR REPLACE MODEL ${name} FROM (SELECT small, big, y FROM ${source}) PREDICT y USING passes = 3;`);
  return { name, source };
}

async function storedModel(engine: Engine, name: string): Promise<TrainedModel> {
  return deserializeModel((await engine.store.get(name))!.model);
}

describe.each(TARGETS)('$label: SQL text holding NUL', ({ label, url: sharedUrl }) => {
  let engine: Engine;
  const tag = `${process.pid.toString(36)}${Date.now().toString(36).slice(-4)}`;
  const table = `nul_t_${tag}`;
  const run = async (text: string): Promise<ResultTable> => (await engine.runAll(text)).at(-1)!;
  const count = async (name: string): Promise<number> => Number((await engine.adapter.query(`SELECT count(*) FROM ${name}`)).rows[0]![0]);

  beforeAll(async () => {
    const url = sharedUrl.startsWith('duckdb') ? sharedUrl : await ownDatabase(sharedUrl, 'nul');
    engine = await Engine.open(url);
    await engine.adapter.query(`DROP TABLE IF EXISTS ${table}`);
    await engine.adapter.query(`CREATE TABLE ${table} (i INTEGER)`);
  }, 60_000);

  afterAll(async () => {
    if (!engine) return;
    await engine.adapter.query(`DROP TABLE IF EXISTS ${table}`).catch(() => undefined);
    await engine.close();
  });

  it('a statement with a NUL outside a string is refused, naming its place, and never runs cut short', async () => {
    await engine.adapter.query(`DELETE FROM ${table}`);
    await engine.adapter.query(`INSERT INTO ${table} VALUES (1), (2)`);
    const statement = `DELETE FROM ${table}\0 WHERE i = 1;`;
    // Through the engine (a user's script) and straight to the adapter, a query and a stream alike.
    await expect(run(statement)).rejects.toThrow(new RegExp(`${NUL_ERROR.source}, after "…?.*${table}"`));
    await expect(engine.adapter.query(statement)).rejects.toThrow(NUL_ERROR);
    await expect(engine.adapter.openStream(`SELECT * FROM ${table}\0 WHERE i = 1`, { batchRows: 16 })).rejects.toThrow(NUL_ERROR);
    const error = await run(statement).catch((e: Error) => e);
    expect(Number(NUL_ERROR.exec(String(error))![1])).toBe(statement.indexOf('\0') + 1);
    // Nothing ran: both rows are there, and the session goes on.
    expect(await count(table)).toBe(2);
    expect(Number((await run('SELECT 41 + 1;')).rows[0]![0])).toBe(42);
  });

  it(`a NUL inside a string literal is ${IN_STRING[label] === 'data' ? 'data' : 'refused'}`, async () => {
    const statement = `SELECT 'a\0b' AS x, 7 AS y`;
    if (IN_STRING[label] === 'refused') {
      await expect(engine.adapter.query(statement)).rejects.toThrow(NUL_ERROR);
      await expect(run(`${statement};`)).rejects.toThrow(NUL_ERROR);
    } else {
      const result = await engine.adapter.query(statement);
      expect(result.rows).toEqual([['a\0b', 7]]);
    }
    expect(Number((await run('SELECT 41 + 1;')).rows[0]![0])).toBe(42);
  });

  it('a target table name holding a NUL is refused on both engines, and nothing is written', async () => {
    const { name, source } = await nulModel(engine, `${tag}_into`, false);
    const target = `nul_out_${tag}`;
    for (const choice of ['database', 'stream']) {
      const into = engine.adapter.sql.quoteIdent(`${target}\0x`);
      // In the statement's text, or (PostgreSQL) in a name sent as a parameter to look the table up.
      await expect(run(`PREDICT ${name} FROM (SELECT id, small, big FROM ${source}) INTO ${into} KEY id USING engine = '${choice}';`)).rejects.toThrow(/NUL character \(U\+0000\)/);
    }
    // Not the name a cut would leave, nor any staging table.
    const tables = await engine.adapter.introspect.tables();
    expect(tables.map((t) => t.name).filter((t) => t.startsWith(target) || t.startsWith('sqlml_staging'))).toEqual([]);
    await run(`DROP MODEL ${name};`);
    await engine.adapter.query(`DROP TABLE ${source}`);
  }, 120_000);

  it.runIf(IN_STRING[label] === 'data' || label === 'duckdb')('a model whose categories, hashed values and labels hold NUL scores in the database as on the stream', async () => {
    const { name, source } = await nulModel(engine, `${tag}_score`);
    const model = await storedModel(engine, name);
    const onehot = model.recipe.features.find((f) => f.kind === 'one_hot');
    expect(onehot && 'categories' in onehot ? onehot.categories : []).toEqual(expect.arrayContaining(['a\0b', 'a\0', '\0', 'a']));
    expect(model.recipe.features.some((f) => f.kind === 'hashed_category')).toBe(true);
    expect(model.label.classes).toEqual(expect.arrayContaining(LABELS));
    const explained = await run(`EXPLAIN PREDICT ${name} FROM (SELECT id, small, big FROM ${source});`);
    const compiled = String(explained.rows[0]![explained.columns.findIndex((c) => c.name === 'sql')]);
    // DuckDB's text cannot carry the NUL: its constants spell it chr(0).
    if (IN_STRING[label] === 'refused') expect(compiled).toContain('chr(0)');
    const byId = (result: ResultTable): Map<number, readonly Value[]> => new Map(result.rows.map((row) => [Number(row[0]), row]));
    const database = byId(await run(`PREDICT ${name} FROM (SELECT id, small, big FROM ${source}) USING engine = 'database';`));
    const stream = byId(await run(`PREDICT ${name} FROM (SELECT id, small, big FROM ${source}) USING engine = 'stream';`));
    expect(database.size).toBe(960);
    const labels = new Set<string>();
    const scores = new Set<number>();
    for (const [id, want] of stream) {
      const have = database.get(id)!;
      expect(have[3], `row ${id} predicted_label`).toBe(want[3]);
      expect(Math.abs(Number(have[4]) - Number(want[4])), `row ${id} score`).toBeLessThan(1e-9);
      labels.add(String(want[3]));
      scores.add(Number(want[4]));
    }
    // Both labels predicted, and the values' weights differ: a value cut at its NUL would show.
    expect([...labels].sort()).toEqual([...LABELS].sort());
    expect(scores.size).toBeGreaterThan(50);
    await run(`DROP MODEL ${name};`);
    await engine.adapter.query(`DROP TABLE ${source}`);
  }, 120_000);

  it.runIf(label === 'postgres')('a model holding NUL, compiled for PostgreSQL, is refused with the same error and the session goes on', async () => {
    // PostgreSQL's text cannot hold NUL, so the model is trained where it can (DuckDB) and compiled here.
    const duck = await Engine.open('duckdb::memory:');
    try {
      const { name } = await nulModel(duck, 'pg');
      const model = await storedModel(duck, name);
      const compiled = compileModel(model, engine.adapter.sql, [
        { name: 'small', type: 'text', dbType: 'text' },
        { name: 'big', type: 'text', dbType: 'text' },
      ]);
      if (!compiled.ok) throw new Error(compiled.reason);
      const select = compiled.compiled.select(`(SELECT 'a' AS small, 'k1' AS big) AS s`, []);
      await expect(engine.adapter.query(select)).rejects.toThrow(NUL_ERROR);
      expect(Number((await run('SELECT 41 + 1;')).rows[0]![0])).toBe(42);
    } finally {
      await duck.close();
    }
  }, 120_000);
});
