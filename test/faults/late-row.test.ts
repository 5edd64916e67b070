/**
 * A source query that fails on a late row, after several batches have streamed, through
 * every consumer on every database: each ends with the database's own error, and nothing
 * is stored, replaced or reported from the rows before it.
 *
 * The source is a table of clean rows read through an expression that fails on ids past
 * them (test/adapters/fixtures: DuckDB's error(), PostgreSQL's division by zero, a
 * SIGNALing MariaDB function). Everything that needs a working source (a model, a scores
 * table, a job) is made first; then late rows are appended, so from there on every read
 * of the same query, stored ones included, fails after the clean rows have streamed. No
 * ORDER BY: sorting would fail the query before its first row.
 */
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Dialect } from '../../adapters/adapter.js';
import type { ResultTable } from '../../src/data.js';
import { BATCH_ROWS } from '../../src/engine/context.js';
import { Engine } from '../../src/engine/engine.js';
import { buildHttpApp } from '../../src/server/http.js';
import { startPgServer } from '../../src/server/pg-gateway.js';
import { duckdbFixture } from '../adapters/fixtures/duckdb.js';
import type { DialectFixture } from '../adapters/fixtures/fixture.js';
import { serverFixtures } from '../adapters/fixtures/servers.js';
import { POSTGRES_URL, serverTargets } from '../helpers/servers.js';

const FIXTURES: Partial<Record<Dialect, DialectFixture>> = { duckdb: duckdbFixture, ...serverFixtures };

/**
 * Clean rows per database: enough that the failure comes several batches into the read
 * (DuckDB computes about 1 MB ahead of its reader; all of DuckDB's rows stay in one row
 * group, which one thread scans in order), few enough to train quickly on the servers.
 */
const CLEAN_ROWS: Record<Dialect, number> = { duckdb: 100_000, postgres: 40_000, mysql: 40_000 };
const LATE_ROWS = 100;

const TARGETS = [{ label: 'duckdb', url: 'duckdb::memory:' }, ...(await serverTargets())];

async function rejection(promise: Promise<unknown>): Promise<Error> {
  try {
    await promise;
  } catch (error) {
    return error as Error;
  }
  throw new Error('expected a rejection');
}

describe.each(TARGETS)('$label', ({ label, url }) => {
  const tag = `${process.pid.toString(36)}${Date.now().toString(36).slice(-4)}${label.includes('cursor') ? 'c' : ''}`;
  const table = `late_src_${tag}`;
  const model = `late_model_${tag}`;
  const scores = `late_scores_${tag}`;
  const job = `late_job_${tag}`;
  let engine: Engine;
  let fixture: DialectFixture;
  let clean: number;
  /** The source query: clean rows, then (once poisoned) rows whose id fails the read. */
  let source: string;
  let message: RegExp;

  const run = (sql: string): Promise<ResultTable[]> => engine.runAll(sql);
  const one = async (sql: string): Promise<ResultTable> => (await run(sql))[0]!;
  const versions = async (): Promise<{ version: number; status: string }[]> =>
    engine.adapter.catalog.selectFrom('sqlml_model_versions').select(['version', 'status']).where('name', '=', model).orderBy('version').execute();
  const activeVersion = async (): Promise<number | null> =>
    (await engine.adapter.catalog.selectFrom('sqlml_models').select('active_version').where('name', '=', model).executeTakeFirstOrThrow()).active_version;
  /** The failure sqlml reports for a late row: the database's own message, as a database error. */
  const expectLateFailure = (error: Error): void => {
    expect(error.message).toMatch(message);
    expect((error as { code?: string }).code).toMatch(/^(database|training_failed)$/);
  };

  beforeAll(async () => {
    engine = await Engine.open(url);
    fixture = FIXTURES[engine.adapter.dialect]!;
    clean = CLEAN_ROWS[engine.adapter.dialect];
    message = fixture.lateFailure.message;
    for (const statement of fixture.lateFailure.setup) await engine.adapter.query(statement);
    const q = (name: string): string => engine.adapter.quoteIdent(name);
    const rows = (from: number, n: number): string =>
      `SELECT i + ${from} AS id, (i * 37) % 100 AS x1, CASE WHEN i % 3 = 0 THEN 'a' WHEN i % 3 = 1 THEN 'b' ELSE 'c' END AS x2,
         CASE WHEN (i * 37) % 100 + (i * 53) % 40 < 70 THEN 1 ELSE 0 END AS y FROM (${fixture.range(n)}) AS src`;
    await engine.adapter.query(`CREATE TABLE ${q(table)} AS ${rows(0, clean)}`);
    source = `SELECT ${fixture.lateFailure.expression(q('id'), clean - 1)} AS id, x1, x2, y FROM ${q(table)}`;
    await run(`CREATE MODEL ${model} FROM (${source}) PREDICT y USING passes = 2;
      PREDICT ${model} FROM (${source}) INTO ${scores} KEY id;
      CREATE JOB ${job} EVERY '1 day' AS RETRAIN MODEL ${model};`);
    // From here on every read of the source fails on its last rows.
    await engine.adapter.query(`INSERT INTO ${q(table)} ${rows(clean, LATE_ROWS)}`);
  }, 120_000);

  afterAll(async () => {
    if (!engine) return;
    await run(`DROP JOB IF EXISTS ${job}; DROP MODEL IF EXISTS ${model}; DROP MODEL IF EXISTS ${model}_new;`).catch(() => undefined);
    for (const name of [table, scores, `${scores}_new`]) await engine.adapter.query(`DROP TABLE IF EXISTS ${engine.adapter.quoteIdent(name)}`).catch(() => undefined);
    await engine.close();
  });

  it('the source fails mid-stream: batches of the engine size arrive before the error', async () => {
    const stream = await engine.adapter.openStream(source, { batchRows: BATCH_ROWS });
    let batches = 0;
    const error = await rejection(
      (async () => {
        for await (const _ of stream.batches()) batches++;
      })(),
    );
    expect(batches).toBeGreaterThanOrEqual(2);
    expectLateFailure(error);
  });

  it('CREATE MODEL fails and stores no model', async () => {
    const before = await one('SHOW MODELS;');
    expectLateFailure(await rejection(run(`CREATE MODEL ${model}_new FROM (${source}) PREDICT y USING passes = 2;`)));
    expect(await one('SHOW MODELS;')).toEqual(before);
  });

  it('RETRAIN MODEL fails, keeps the previous version active and adds none', async () => {
    const before = await versions();
    expectLateFailure(await rejection(run(`RETRAIN MODEL ${model};`)));
    expect((await versions()).filter((v) => v.status === 'ready')).toEqual(before.filter((v) => v.status === 'ready'));
    expect(await activeVersion()).toBe(1);
  });

  it('EVALUATE MODEL ... ON fails instead of reporting metrics of the rows before the error', async () => {
    expectLateFailure(await rejection(run(`EVALUATE MODEL ${model} ON (${source});`)));
  });

  it('EVALUATE MODEL ... USING threshold fails when the stored source fails late', async () => {
    expectLateFailure(await rejection(run(`EVALUATE MODEL ${model} USING threshold = 0.3;`)));
  });

  it('PREDICT fails instead of returning the rows before the error', async () => {
    expectLateFailure(await rejection(run(`PREDICT ${model} FROM (${source});`)));
  });

  it('PREDICT ... INTO an existing table fails and leaves exactly its previous rows, replacing or appending', async () => {
    const before = await one(`SELECT count(*) AS n, sum(id) AS s, sum(score) AS p FROM ${engine.adapter.quoteIdent(scores)}`);
    expect(Number(before.rows[0]![0])).toBe(clean);
    expectLateFailure(await rejection(run(`PREDICT ${model} FROM (${source}) INTO ${scores} KEY id;`)));
    expectLateFailure(await rejection(run(`PREDICT ${model} FROM (${source}) INTO ${scores} KEY id APPEND;`)));
    expect(await one(`SELECT count(*) AS n, sum(id) AS s, sum(score) AS p FROM ${engine.adapter.quoteIdent(scores)}`)).toEqual(before);
  });

  it('PREDICT ... INTO a new table fails and creates no table', async () => {
    expectLateFailure(await rejection(run(`PREDICT ${model} FROM (${source}) INTO ${scores}_new KEY id;`)));
    expect(await engine.adapter.tableExists({ name: `${scores}_new` })).toBe(false);
  });

  it('a pass-through SELECT fails instead of returning the rows before the error', async () => {
    expectLateFailure(await rejection(run(`${source};`)));
  });

  it('HTTP /v1/query answers with the error, not a 200 with part of the rows', async () => {
    const app = await buildHttpApp(engine);
    try {
      for (const sql of [`PREDICT ${model} FROM (${source});`, `${source};`, `EVALUATE MODEL ${model} ON (${source});`]) {
        const response = await app.inject({ method: 'POST', url: '/v1/query', payload: { sql } });
        expect({ sql, status: response.statusCode }).toEqual({ sql, status: 400 });
        const { error } = response.json();
        expect(error).toMatchObject({ statement: 0, results: [] });
        expect(error.message).toMatch(message);
      }
    } finally {
      await app.close();
    }
  });

  it('the wire listener answers a sqlml statement and a pass-through SELECT with an ErrorResponse, and the session goes on', async () => {
    const server = await startPgServer(engine, { port: 0, ...(engine.adapter.dialect === 'postgres' ? { upstreamUrl: POSTGRES_URL } : {}) });
    const client = new pg.Client({ host: '127.0.0.1', port: server.port, user: 'analyst', database: 'sqlml', password: 'anything' });
    try {
      await client.connect();
      for (const sql of [`PREDICT ${model} FROM (${source})`, source]) {
        const error = await rejection(client.query(sql));
        expect(error.message).toMatch(message);
      }
      expect((await client.query('SELECT 1 AS one')).rows).toEqual([{ one: 1 }]);
    } finally {
      await client.end().catch(() => undefined);
      await server.close();
    }
  });

  it('a job whose RETRAIN source fails late is recorded as failed and the previous version stays active', async () => {
    expectLateFailure(await rejection(run(`RUN JOB ${job};`)));
    const runs = await engine.adapter.catalog.selectFrom('sqlml_job_runs').select(['outcome', 'error', 'rows']).where('job', '=', job).execute();
    expect(runs).toHaveLength(1);
    expect(runs[0]).toMatchObject({ outcome: 'failed', rows: null });
    expect(runs[0]!.error).toMatch(message);
    expect(await activeVersion()).toBe(1);
    expect((await versions()).filter((v) => v.status === 'ready').map((v) => v.version)).toEqual([1]);
  });
});
