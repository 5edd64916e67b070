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
import { loginFor } from '../helpers/wire.js';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DialectName } from '../../adapters/adapter.js';
import type { ResultTable } from '../../src/data.js';
import { BATCH_ROWS } from '../../src/engine/context.js';
import { Engine } from '../../src/engine/engine.js';
import { buildHttpApp } from '../../src/server/http.js';
import { startPgServer } from '../../src/server/pg-gateway.js';
import { Scheduler } from '../../src/server/scheduler.js';
import { duckdbFixture } from '../adapters/fixtures/duckdb.js';
import type { DialectFixture } from '../adapters/fixtures/fixture.js';
import { serverFixtures } from '../adapters/fixtures/servers.js';
import { sqlml } from '../helpers/cli.js';
import { serverTargets } from '../helpers/servers.js';

const FIXTURES: Partial<Record<DialectName, DialectFixture>> = { duckdb: duckdbFixture, ...serverFixtures };

/**
 * Clean rows per database: enough that the failure comes several batches into the read
 * (DuckDB computes about 1 MB ahead of its reader; all of DuckDB's rows stay in one row
 * group, which one thread scans in order), few enough to train quickly on the servers.
 */
const CLEAN_ROWS: Record<DialectName, number> = { duckdb: 100_000, postgres: 40_000, mysql: 40_000 };
const LATE_ROWS = 100;

const scratch = mkdtempSync(join(tmpdir(), 'sqlml-late-row-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

/**
 * `cliUrl` is where the CLI case runs: the same server database, or a DuckDB file of its
 * own (a DuckDB file is one process's at a time, and the test's engine is not closed
 * mid-suite: a DuckDB database that has run a failed stream stays locked until the
 * result's handle is garbage-collected).
 */
const TARGETS = [
  { label: 'duckdb', url: 'duckdb::memory:', cliUrl: `duckdb:${join(scratch, 'cli.duckdb')}` },
  ...(await serverTargets()).map((target) => ({ ...target, cliUrl: target.url })),
];

interface Names {
  readonly table: string;
  readonly model: string;
  readonly scores: string;
  readonly job: string;
}

function namesFor(tag: string): Names {
  return { table: `late_src_${tag}`, model: `late_model_${tag}`, scores: `late_scores_${tag}`, job: `late_job_${tag}` };
}

/**
 * Makes the source table of clean rows, a model trained on it, a scores table predicted
 * from it and a job retraining the model; then appends the late rows, so that from then
 * on every read of the returned source query fails after the clean rows.
 */
async function prepare(engine: Engine, names: Names): Promise<string> {
  const { adapter } = engine;
  const fixture = FIXTURES[adapter.sql.name]!;
  const clean = CLEAN_ROWS[adapter.sql.name];
  for (const statement of fixture.lateFailure.setup) await adapter.query(statement);
  const q = (name: string): string => adapter.sql.quoteIdent(name);
  const rows = (from: number, n: number): string =>
    `SELECT i + ${from} AS id, (i * 37) % 100 AS x1, CASE WHEN i % 3 = 0 THEN 'a' WHEN i % 3 = 1 THEN 'b' ELSE 'c' END AS x2,
       CASE WHEN (i * 37) % 100 + (i * 53) % 40 < 70 THEN 1 ELSE 0 END AS y FROM (${fixture.range(n)}) AS src`;
  await adapter.query(`CREATE TABLE ${q(names.table)} AS ${rows(0, clean)}`);
  const source = `SELECT ${fixture.lateFailure.expression(q('id'), clean - 1)} AS id, x1, x2, y FROM ${q(names.table)}`;
  await engine.runAll(`CREATE MODEL ${names.model} FROM (${source}) PREDICT y USING passes = 2;
    PREDICT ${names.model} FROM (${source}) INTO ${names.scores} KEY id;
    CREATE JOB ${names.job} EVERY '1 day' AS RETRAIN MODEL ${names.model};`);
  await adapter.query(`INSERT INTO ${q(names.table)} ${rows(clean, LATE_ROWS)}`);
  return source;
}

async function dropAll(engine: Engine, names: Names): Promise<void> {
  await engine.runAll(`DROP JOB IF EXISTS ${names.job}; DROP MODEL IF EXISTS ${names.model}; DROP MODEL IF EXISTS ${names.model}_new;`).catch(() => undefined);
  for (const table of [names.table, names.scores, `${names.scores}_new`]) {
    await engine.adapter.query(`DROP TABLE IF EXISTS ${engine.adapter.sql.quoteIdent(table)}`).catch(() => undefined);
  }
}

async function rejection(promise: Promise<unknown>): Promise<Error> {
  try {
    await promise;
  } catch (error) {
    return error as Error;
  }
  throw new Error('expected a rejection');
}

describe.each(TARGETS)('$label', ({ label, url, cliUrl }) => {
  const tag = `${process.pid.toString(36)}${Date.now().toString(36).slice(-4)}${label.includes('cursor') ? 'c' : ''}`;
  const names = namesFor(tag);
  const { model, scores, job } = names;
  let engine: Engine;
  let clean: number;
  /** The source query: clean rows, then rows whose id fails the read. */
  let source: string;
  let message: RegExp;

  const run = (sql: string): Promise<ResultTable[]> => engine.runAll(sql);
  const one = async (sql: string): Promise<ResultTable> => (await run(sql))[0]!;
  const versions = async (): Promise<{ version: number; status: string }[]> =>
    engine.catalog.selectFrom('sqlml_model_versions').select(['version', 'status']).where('name', '=', model).orderBy('version').execute();
  const activeVersion = async (): Promise<number | null> =>
    (await engine.catalog.selectFrom('sqlml_models').select('active_version').where('name', '=', model).executeTakeFirstOrThrow()).active_version;
  /** The failure sqlml reports for a late row: the database's own message, as a database error. */
  const expectLateFailure = (error: Error): void => {
    expect(error.message).toMatch(message);
    expect((error as { code?: string }).code).toMatch(/^(database|training_failed)$/);
  };

  beforeAll(async () => {
    engine = await Engine.open(url);
    clean = CLEAN_ROWS[engine.adapter.sql.name];
    message = FIXTURES[engine.adapter.sql.name]!.lateFailure.message;
    source = await prepare(engine, names);
  }, 120_000);

  afterAll(async () => {
    if (!engine) return;
    await dropAll(engine, names);
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
    expectLateFailure(await rejection(run(`CREATE MODEL ${model}_new FROM (${source}) PREDICT y USING passes = 2;`)));
    // Other test files may add models to a shared server database meanwhile: only this name counts.
    expect((await one('SHOW MODELS;')).rows.map((row) => row[0])).not.toContain(`${model}_new`);
    expect(await engine.catalog.selectFrom('sqlml_model_versions').select('version').where('name', '=', `${model}_new`).execute()).toEqual([]);
    expect(await rejection(run(`DESCRIBE MODEL ${model}_new;`))).toMatchObject({ code: 'unknown_model' });
  });

  it('RETRAIN MODEL fails, keeps the previous version active and adds none', async () => {
    const before = await versions();
    expectLateFailure(await rejection(run(`RETRAIN MODEL ${model};`)));
    expect(await versions()).toEqual(before);
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
    const before = await one(`SELECT count(*) AS n, sum(id) AS s, sum(score) AS p FROM ${engine.adapter.sql.quoteIdent(scores)}`);
    expect(Number(before.rows[0]![0])).toBe(clean);
    expectLateFailure(await rejection(run(`PREDICT ${model} FROM (${source}) INTO ${scores} KEY id;`)));
    expectLateFailure(await rejection(run(`PREDICT ${model} FROM (${source}) INTO ${scores} KEY id APPEND;`)));
    expect(await one(`SELECT count(*) AS n, sum(id) AS s, sum(score) AS p FROM ${engine.adapter.sql.quoteIdent(scores)}`)).toEqual(before);
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
    // Where the dialect's wire logins go to an upstream server (PostgreSQL), the listener passes the
    // login through, so the client logs in as the test database's role; elsewhere the listener answers.
    const upstream = engine.adapter.sql.clientLogin.kind === 'upstream';
    const server = await startPgServer(engine, { port: 0, ...(upstream ? { upstreamUrl: url } : {}) });
    const login = upstream ? loginFor(url) : { user: 'analyst', database: 'sqlml', password: 'anything' };
    const client = new pg.Client({ host: '127.0.0.1', port: server.port, ...login });
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

  it('the CLI exits 1 with the error in one line, and the table it was to replace keeps its rows', async () => {
    // On a server the CLI shares this suite's tables; on DuckDB it gets a file prepared for it.
    const shared = cliUrl === url;
    const cliNames = shared ? names : namesFor(`${tag}_cli`);
    const state = `SELECT count(*) AS n, sum(id) AS s, sum(score) AS p FROM ${cliNames.scores};`;
    let own = shared ? engine : await Engine.open(cliUrl);
    let before: ResultTable;
    let cliSource = source;
    try {
      if (!shared) cliSource = await prepare(own, cliNames);
      before = (await own.runAll(state))[0]!;
      expect(Number(before.rows[0]![0])).toBe(clean);
    } finally {
      // A DuckDB file is one process's at a time: the CLI gets it while this engine is closed.
      if (!shared) await own.close();
    }
    const cli = await sqlml(['--db', cliUrl, '-e', `PREDICT ${cliNames.model} FROM (${cliSource}) INTO ${cliNames.scores} KEY id;`]);
    if (!shared) own = await Engine.open(cliUrl);
    try {
      expect(cli.code).toBe(1);
      expect(cli.stderr).toMatch(/^error: /);
      expect(cli.stderr).toMatch(message);
      expect(cli.stderr.trim().split('\n')).toHaveLength(1);
      expect((await own.runAll(state))[0]).toEqual(before);
    } finally {
      if (!shared) {
        await dropAll(own, cliNames);
        await own.close();
      }
    }
  }, 60_000);

  it('a job whose RETRAIN source fails late is recorded as failed, by RUN JOB and by the scheduler, and the previous version stays active', async () => {
    const runs = () => engine.catalog.selectFrom('sqlml_job_runs').select(['outcome', 'error', 'rows']).where('job', '=', job).orderBy('id').execute();
    expectLateFailure(await rejection(run(`RUN JOB ${job};`)));
    // The scheduler of `sqlml serve`, with the job's next slot moved to now.
    await engine.catalog.updateTable('sqlml_job_leases').set({ next_run_at: new Date(Date.now() - 1000).toISOString() }).where('job', '=', job).execute();
    const scheduler = new Scheduler(engine, { holder: `late-row-${tag}`, pollMs: 50, log: () => undefined });
    scheduler.start();
    try {
      const deadline = Date.now() + 20_000;
      while ((await runs()).filter((r) => r.outcome !== 'running').length < 2) {
        if (Date.now() > deadline) throw new Error('the scheduler did not finish a run of the job within 20 s');
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
    } finally {
      await scheduler.stop();
    }
    const recorded = await runs();
    expect(recorded.map((r) => [r.outcome, r.rows])).toEqual([
      ['failed', null],
      ['failed', null],
    ]);
    for (const failed of recorded) expect(failed.error).toMatch(message);
    expect(await activeVersion()).toBe(1);
    expect(await versions()).toEqual([{ version: 1, status: 'ready' }]);
  }, 60_000);
});
