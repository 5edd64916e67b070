/**
 * EXPORT MODEL … AS FUNCTION on every database: the functions compute what the
 * streaming PREDICT computes (labels equal, scores and values within 1e-9), NULL
 * arguments included; hostile names work; re-exporting replaces; a function sqlml did
 * not create is never replaced; DROP MODEL drops what was exported from the model.
 */
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TableRef } from '../../adapters/adapter.js';
import type { Value } from '../../src/data.js';
import { Engine } from '../../src/engine/engine.js';
import { firstRow, rowObject, run } from '../helpers/engine.js';
import { POSTGRES_URL, serverTargets } from '../helpers/servers.js';
import { DATABASE_FACTS } from '../helpers/database-facts.js';

const TARGETS = [{ label: 'duckdb', url: 'duckdb::memory:' }, ...(await serverTargets())].filter(
  // One PostgreSQL target is enough: the read path does not matter here.
  (target) => !target.label.includes('cursor'),
);

/** The same rows everywhere: a hostile column name, NULLs in every feature, a row of NULLs only. */
const ROWS = 600;
const PLANS = ['basic', 'pro', 'team'];
function rows(): Value[][] {
  const out: Value[][] = [];
  for (let i = 1; i <= ROWS; i++) {
    const tenure = i % 17 === 0 ? null : (i * 7) % 60;
    const plan = i % 13 === 0 ? null : PLANS[(i * 5) % 3]!;
    const spend = i % 11 === 0 ? null : Math.round(((i * 37) % 1000) * 1.5) / 10;
    const odd = i % 19 === 0 ? null : (i * 3) % 10;
    const churned = (tenure ?? 30) < 20 !== (plan === 'basic') || (spend ?? 0) > 140;
    const segment = spend === null ? 'low' : spend < 40 ? 'low' : spend < 100 ? 'mid' : 'high';
    const revenue = (spend ?? 50) * 2 + (tenure ?? 30) * 0.5 + (odd ?? 5);
    out.push([i, tenure, plan, spend, odd, churned, segment, revenue]);
  }
  out.push([ROWS + 1, null, null, null, null, false, 'low', 10]);
  return out;
}

/** The odd column: quotes of both kinds, a space and a keyword. */
const ODD_COLUMN = `odd "col" 'select'`;

describe.each(TARGETS)('EXPORT MODEL on $label', ({ url }) => {
  let engine: Engine;
  const tag = `${process.pid.toString(36)}${Date.now().toString(36).slice(-4)}`;
  const table = `export_customers_${tag}`;
  const model = (stem: string): string => `exp_${stem}_${tag}`;
  const q = (name: string): string => engine.adapter.sql.quoteIdent(name);
  const t = (): string => q(table);
  const cols = (): string => ['tenure', 'plan', 'spend', ODD_COLUMN].map(q).join(', ');
  const models: string[] = [];

  beforeAll(async () => {
    engine = await Engine.open(url);
    const sql = engine.adapter.sql;
    const { integer, double, text, boolean } = sql.types.sqlTypeFor;
    await engine.adapter.query(
      `CREATE TABLE ${t()} (${q('id')} ${integer}, ${q('tenure')} ${integer}, ${q('plan')} ${text}, ${q('spend')} ${double}, ` +
        `${q(ODD_COLUMN)} ${integer}, ${q('churned')} ${boolean}, ${q('segment')} ${text}, ${q('revenue')} ${double})`,
    );
    const literal = (v: Value): string =>
      v === null ? 'NULL' : typeof v === 'string' ? sql.quoteString(v) : typeof v === 'boolean' ? (v ? 'TRUE' : 'FALSE') : String(v);
    await engine.adapter.query(`INSERT INTO ${t()} VALUES ${rows().map((r) => `(${r.map(literal).join(', ')})`).join(', ')}`);
  });

  afterAll(async () => {
    for (const name of models) await engine.runAll(`DROP MODEL IF EXISTS ${q(name)};`).catch(() => undefined);
    await engine.adapter.query(`DROP TABLE IF EXISTS ${t()}`).catch(() => undefined);
    await engine.close();
  });

  const train = async (stem: string, target: string, features = cols()): Promise<string> => {
    const name = model(stem);
    models.push(name);
    await engine.runAll(`CREATE OR REPLACE MODEL ${q(name)} FROM (SELECT ${features}, ${q(target)} FROM ${t()}) PREDICT ${q(target)};`);
    return name;
  };

  /** Rows by id of a SELECT whose first column is the id. */
  const byId = async (select: string): Promise<Map<number, Value[]>> => {
    const result = await run(engine, select);
    return new Map(result.rows.map(([id, ...rest]) => [Number(id), rest]));
  };
  /** PREDICT's outputs by id, streamed through sqlml; `version` picks one. */
  const predicted = async (name: string, outputs: string[], version?: number): Promise<Map<number, Value[]>> => {
    const result = await run(engine, `PREDICT ${q(name)}${version === undefined ? '' : `@${version}`} FROM ${t()};`);
    const index = ['id', ...outputs].map((c) => result.columns.findIndex((col) => col.name === c));
    return new Map(result.rows.map((row) => [Number(row[index[0]!]), index.slice(1).map((i) => row[i]!)]));
  };
  const label = (v: Value): Value => (typeof v === 'boolean' ? Number(v) : typeof v === 'bigint' ? Number(v) : v);
  const expectSame = (actual: Map<number, Value[]>, expected: Map<number, Value[]>, numeric: boolean[]): void => {
    expect(actual.size).toBe(ROWS + 1);
    for (const [id, values] of expected) {
      const got = actual.get(id)!;
      values.forEach((v, i) => {
        if (numeric[i]) expect(Math.abs(Number(got[i]) - Number(v)), `row ${id} output ${i}: ${got[i]} vs ${v}`).toBeLessThanOrEqual(1e-9);
        else expect(label(got[i]!), `row ${id} output ${i}`).toEqual(label(v));
      });
    }
  };
  const exists = async (name: TableRef): Promise<boolean> => (await engine.adapter.query(engine.adapter.sql.functions.existing(name))).rows.length > 0;
  const fold = (name: string): string => engine.adapter.sql.foldIdentifier(name, false);

  it('exports a classifier as two functions that give PREDICT’s labels and scores, NULL arguments included', async () => {
    const name = await train('churn', 'churned');
    const fn = `churn_fn_${tag}`;
    const result = await run(engine, `EXPORT MODEL ${q(name)} AS FUNCTION ${fn};`);
    expect(result.columns.map((c) => c.name)).toEqual(['function', 'arguments', 'returns']);
    expect(result.rows.map((r) => r[0])).toEqual([fold(fn), `${fold(fn)}_score`]);
    const args = String(rowObject(result, 0).arguments);
    expect(args.indexOf('tenure')).toBeLessThan(args.indexOf('plan'));
    expect(args).toContain(ODD_COLUMN);

    const exported = await byId(`SELECT ${q('id')}, ${fn}(${cols()}), ${fn}_score(${cols()}) FROM ${t()}`);
    expectSame(exported, await predicted(name, ['predicted_label', 'score']), [false, true]);
  });

  it('exports a regression model as one function of the value, and a multiclass one with its score', async () => {
    const rev = await train('revenue', 'revenue');
    const revFn = `revenue_fn_${tag}`;
    const exported = await run(engine, `EXPORT MODEL ${q(rev)} AS FUNCTION ${revFn};`);
    expect(exported.rows.map((r) => r[0])).toEqual([fold(revFn)]);
    expectSame(await byId(`SELECT ${q('id')}, ${revFn}(${cols()}) FROM ${t()}`), await predicted(rev, ['predicted_value']), [true]);

    const seg = await train('segment', 'segment');
    const segFn = `segment_fn_${tag}`;
    await run(engine, `EXPORT MODEL ${q(seg)} AS FUNCTION ${segFn};`);
    const both = await byId(`SELECT ${q('id')}, ${segFn}(${cols()}), ${segFn}_score(${cols()}) FROM ${t()}`);
    expectSame(both, await predicted(seg, ['predicted_label', 'score']), [false, true]);
  });

  it('takes a hostile function name, quoted, and a version', async () => {
    const name = await train('hostile', 'churned');
    await engine.runAll(`CREATE OR REPLACE MODEL ${q(name)} FROM (SELECT tenure, churned FROM ${t()}) PREDICT churned;`);
    const fn = `Score "it" 'now'; ${tag}`;
    const result = await run(engine, `EXPORT MODEL ${q(name)}@1 AS FUNCTION ${q(fn)};`);
    expect(result.rows.map((r) => r[0])).toEqual([fn, `${fn}_score`]);
    const exported = await byId(`SELECT ${q('id')}, ${q(fn)}(${cols()}), ${q(`${fn}_score`)}(${cols()}) FROM ${t()}`);
    expectSame(exported, await predicted(name, ['predicted_label', 'score'], 1), [false, true]);
  });

  it('replaces its own function on a second export, even with other arguments, and leaves one function of the name', async () => {
    const first = await train('replace_a', 'churned');
    const second = model('replace_b');
    models.push(second);
    await engine.runAll(`CREATE MODEL ${q(second)} FROM (SELECT spend, churned FROM ${t()}) PREDICT churned;`);
    const fn = `replaced_fn_${tag}`;
    await run(engine, `EXPORT MODEL ${q(first)} AS FUNCTION ${fn};`);
    const again = await run(engine, `EXPORT MODEL ${q(second)} AS FUNCTION ${fn};`);
    expect(String(rowObject(again, 0).arguments)).toMatch(/^spend /);
    // One function of the name: the first one's signature (other arguments) was dropped, not overloaded.
    expect((await engine.adapter.query(engine.adapter.sql.functions.existing({ name: fold(fn) }))).rows).toHaveLength(1);
    expectSame(await byId(`SELECT ${q('id')}, ${fn}_score(spend) FROM ${t()}`), await predicted(second, ['score']), [true]);
    // The first model's export of this name is gone: dropping it leaves the function.
    expect(firstRow(await run(engine, `DROP MODEL ${q(first)};`)).functions).toBeNull();
    expect(await exists({ name: fold(fn) })).toBe(true);
  });

  it("refuses to export over a function sqlml did not create, and creates nothing", async () => {
    const name = await train('refused', 'churned');
    const functions = engine.adapter.sql.functions;
    const own = { name: fold(`users_own_${tag}_score`) };
    const userFunction = { name: own, parameterTypes: [engine.adapter.sql.types.sqlTypeFor.integer], returns: engine.adapter.sql.types.sqlTypeFor.integer, body: `${functions.parameter(0)} + 1` };
    for (const statement of functions.create(userFunction)) await engine.adapter.query(statement);
    try {
      // The score function's name is the user's: nothing is created, not even the label function.
      await expect(run(engine, `EXPORT MODEL ${q(name)} AS FUNCTION users_own_${tag};`)).rejects.toThrow(
        new RegExp(`a function users_own_${tag}_score already exists and sqlml did not create it`, 'i'),
      );
      expect(await exists({ name: fold(`users_own_${tag}`) })).toBe(false);
      expect(Number((await run(engine, `SELECT ${q(own.name)}(41) AS v`)).rows[0]![0])).toBe(42);
    } finally {
      await engine.adapter.query(functions.drop(functions.signature(userFunction)));
    }
  });

  it('refuses the name of a built-in function (a call would reach the built-in, not the model), and creates nothing', async () => {
    const name = await train('builtin', 'revenue');
    // abs: a plain built-in; now: one of no arguments; left: a keyword function on MySQL; Lower: case does not hide it.
    for (const fn of ['abs', 'now', 'left', 'Lower']) {
      await expect(run(engine, `EXPORT MODEL ${q(name)} AS FUNCTION ${fn};`), fn).rejects.toThrow(
        new RegExp(`^(a function ${fold(fn)} already exists and sqlml did not create it|${fold(fn)} is the name of a built-in function \\(or keyword\\) of \\w+: a call ${fold(fn)}\\(…\\) would reach it)`),
      );
      // No stored function of the name was left behind (where the catalog lists user functions apart).
      const own = await engine.adapter.query(`SELECT COUNT(*) AS n FROM information_schema.routines WHERE routine_name = ${engine.adapter.sql.quoteString(fn)} AND routine_schema NOT IN ('pg_catalog', 'information_schema', 'main', 'system')`).catch(() => null);
      if (own !== null) expect(Number(own.rows[0]![0]), fn).toBe(0);
    }
    // The model is still exportable under a free name.
    await run(engine, `EXPORT MODEL ${q(name)} AS FUNCTION builtin_free_${tag};`);
    expect(await exists({ name: fold(`builtin_free_${tag}`) })).toBe(true);
  });

  it('refuses a function name the database would cut short (the score function’s included)', async () => {
    const functions = engine.adapter.sql.functions;
    let fn = `long_${tag}_`;
    while (functions.nameFits(`${fn}x`) && fn.length < 300) fn += 'x';
    if (fn.length >= 300) return; // no limit to reach
    const name = await train('long', 'churned');
    // The label function's name fits; its `_score` one does not.
    const base = fn.slice(0, fn.length - 3);
    await expect(run(engine, `EXPORT MODEL ${q(name)} AS FUNCTION ${q(base)};`)).rejects.toThrow(/is longer than \w+ keeps whole/);
    expect(await exists({ name: base })).toBe(false);
  });

  it('DROP MODEL drops the functions exported from the model and says which', async () => {
    const name = await train('dropped', 'churned');
    const fn = `dropped_fn_${tag}`;
    await run(engine, `EXPORT MODEL ${q(name)} AS FUNCTION ${fn};`);
    expect(await exists({ name: fold(fn) })).toBe(true);
    const dropped = firstRow(await run(engine, `DROP MODEL ${q(name)};`));
    expect(dropped.functions).toBe(`${fold(fn)}, ${fold(fn)}_score`);
    expect(await exists({ name: fold(fn) })).toBe(false);
    expect(await exists({ name: fold(`${fn}_score`) })).toBe(false);
  });

  it('DROP MODEL refused by a job drops no function; a function that cannot be dropped keeps the model where DDL is transactional', async () => {
    const name = await train('guarded', 'churned');
    const fn = `guarded_fn_${tag}`;
    const job = `guarded_job_${tag}`;
    await run(engine, `EXPORT MODEL ${q(name)} AS FUNCTION ${fn};`);
    await run(engine, `CREATE JOB ${job} EVERY '1 day' AS EVALUATE MODEL ${q(name)};`);
    await expect(run(engine, `DROP MODEL ${q(name)};`)).rejects.toThrow(`is used by job ${job}`);
    expect(await exists({ name: fold(fn) })).toBe(true);
    await run(engine, `DROP JOB ${job};`);
    if (DATABASE_FACTS[engine.adapter.sql.name].functionDependencies) {
      // PostgreSQL refuses to drop a function a view depends on: the whole DROP MODEL rolls back.
      const view = `guarded_view_${tag}`;
      await engine.adapter.query(`CREATE VIEW ${view} AS SELECT ${fold(fn)}_score(1, 'basic', 1.0, 1) AS s`);
      try {
        await expect(run(engine, `DROP MODEL ${q(name)};`)).rejects.toThrow(/depend/);
        expect(await exists({ name: fold(fn) })).toBe(true);
        expect(await exists({ name: fold(`${fn}_score`) })).toBe(true);
        expect(firstRow(await run(engine, `DESCRIBE MODEL ${q(name)};`))).toBeDefined();
      } finally {
        await engine.adapter.query(`DROP VIEW ${view}`);
      }
    }
    expect(firstRow(await run(engine, `DROP MODEL ${q(name)};`)).functions).toBe(`${fold(fn)}, ${fold(fn)}_score`);
    expect(await exists({ name: fold(`${fn}_score`) })).toBe(false);
  });

  it('names the reason when the model does not compile for the database (MySQL: a text feature)', async () => {
    if (engine.adapter.sql.regexpSplit !== undefined) return;
    const name = model('text');
    models.push(name);
    await engine.runAll(
      `CREATE MODEL ${q(name)} FROM (SELECT CONCAT('customer ', id, ' on the ', plan, ' plan with ', segment, ' usage wrote ', id * 7, ' words') AS ${q('note')}, churned FROM ${t()}) PREDICT churned;`,
    );
    expect((await run(engine, `DESCRIBE MODEL ${q(name)};`)).rows.map((r) => r.join(' ')).join('\n')).toMatch(/note: word n-grams/);
    await expect(run(engine, `EXPORT MODEL ${q(name)} AS FUNCTION text_fn_${tag};`)).rejects.toThrow(/cannot be exported as a function on mysql: .+/);
    expect(await exists({ name: fold(`text_fn_${tag}`) })).toBe(false);
  });
});

describe.skipIf(!TARGETS.some((target) => target.url === POSTGRES_URL))('EXPORT MODEL on PostgreSQL: a parallel plan stays parallel', () => {
  it('EXPLAIN of a query calling the exported function shows Gather', async () => {
    const engine = await Engine.open(POSTGRES_URL);
    const tag = `${process.pid.toString(36)}${Date.now().toString(36).slice(-4)}`;
    const table = `export_parallel_${tag}`;
    const name = `exp_parallel_${tag}`;
    const client = new pg.Client({ connectionString: POSTGRES_URL });
    try {
      await engine.adapter.query(`CREATE TABLE ${table} AS SELECT i AS id, i % 50 AS tenure, (i % 7 < 3) AS churned FROM generate_series(1, 20000) AS g(i)`);
      await engine.runAll(`CREATE MODEL ${name} FROM (SELECT tenure, churned FROM ${table}) PREDICT churned; EXPORT MODEL ${name} AS FUNCTION ${name}_fn;`);
      await client.connect();
      for (const setting of ['parallel_setup_cost = 0', 'parallel_tuple_cost = 0', 'min_parallel_table_scan_size = 0', 'max_parallel_workers_per_gather = 2']) {
        await client.query(`SET ${setting}`);
      }
      const plan = await client.query(`EXPLAIN SELECT sum(${name}_fn_score(tenure)) FROM ${table} WHERE ${name}_fn_score(tenure) > 0.5`);
      expect(plan.rows.map((r: { 'QUERY PLAN': string }) => r['QUERY PLAN']).join('\n')).toMatch(/Gather/);
    } finally {
      await client.end().catch(() => undefined);
      await engine.runAll(`DROP MODEL IF EXISTS ${name}; DROP TABLE IF EXISTS ${table};`).catch(() => undefined);
      await engine.close();
    }
  });
});
