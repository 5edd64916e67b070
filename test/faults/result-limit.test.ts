/**
 * No result can exhaust the process: a statement whose in-memory result (a pass-through
 * SELECT, PREDICT without INTO) passes the face's budget fails with one clear error, its
 * query stops on the server, and the connection keeps working. DuckDB always, PostgreSQL
 * and MariaDB via serverTargets(); through the engine's public option, a running server's
 * `/v1/query`, and a real `sqlml serve` process's memory.
 */
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DialectName, ResultLimit } from '../../adapters/adapter.js';
import type { ResultTable } from '../../src/data.js';
import { Engine } from '../../src/engine/engine.js';
import { SqlmlError } from '../../src/errors.js';
import { startServer, type RunningServer } from '../../src/server/serve.js';
import { CliProcess } from '../helpers/cli-process.js';
import { serverTargets } from '../helpers/servers.js';

const TARGETS = [{ label: 'duckdb', url: 'duckdb::memory:' }, ...(await serverTargets()).filter((t) => t.label !== 'postgres (cursor)')];

/** `n` rows of (i, y, note): i counts from 1, note is `width` characters of text. */
const GENERATE: Record<DialectName, (n: number, width: number) => string> = {
  duckdb: (n, width) => `SELECT range + 1 AS i, (range % 2)::INTEGER AS y, repeat('x', ${width}) AS note FROM range(${n})`,
  postgres: (n, width) => `SELECT i, i % 2 AS y, repeat('x', ${width}) AS note FROM generate_series(1, ${n}) AS i`,
  mysql: (n, width) => `SELECT seq AS i, seq % 2 AS y, REPEAT('x', ${width}) AS note FROM seq_1_to_${n}`,
};

/**
 * A hundred million rows that start arriving at once (PostgreSQL's generate_series stores
 * its whole output before the first row; two small ones joined stream).
 */
const HUGE: Record<DialectName, string> = {
  duckdb: GENERATE.duckdb(100_000_000, 1),
  postgres: `SELECT a.i * 10000 + b.i AS i, b.i % 2 AS y, 'x' AS note FROM generate_series(0, 9999) AS a(i), generate_series(0, 9999) AS b(i)`,
  mysql: GENERATE.mysql(100_000_000, 1),
};

const SMALL: ResultLimit = { rows: 1000, bytes: 1 << 30 };

async function rejection(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (error) {
    return error;
  }
  throw new Error('expected the statement to fail');
}

function expectTooLarge(error: unknown, limitText: RegExp): void {
  expect(error).toBeInstanceOf(SqlmlError);
  expect((error as SqlmlError).code).toBe('result_too_large');
  expect((error as Error).message).toMatch(limitText);
  expect((error as Error).message).toMatch(/add a LIMIT, or write it to a table/);
}

describe.each(TARGETS)('$label', ({ url }) => {
  let engine: Engine;
  let dialect: DialectName;
  const table = `sqlml_cap_src_${process.pid}`;
  const model = `sqlml_cap_model_${process.pid}`;
  const run = (sql: string, resultLimit?: ResultLimit): Promise<ResultTable[]> => engine.runAll(sql, resultLimit ? { resultLimit } : {});

  /** Whether a statement carrying `marker` still runs on the database server (bounded polling until it does not). */
  async function stillRunning(marker: string): Promise<number> {
    const probe: Record<DialectName, string | undefined> = {
      duckdb: undefined,
      postgres: `SELECT count(*) AS n FROM pg_stat_activity WHERE state = 'active' AND query LIKE '%${marker}%' AND pid <> pg_backend_pid()`,
      mysql: `SELECT COUNT(*) AS n FROM information_schema.processlist WHERE info LIKE '%${marker}%' AND id <> CONNECTION_ID()`,
    };
    const sql = probe[dialect];
    if (sql === undefined) return 0;
    let running = 0;
    for (let attempt = 0; attempt < 50; attempt++) {
      running = Number((await run(sql))[0]!.rows[0]![0]);
      if (running === 0) return 0;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    return running;
  }

  beforeAll(async () => {
    engine = await Engine.open(url);
    dialect = engine.adapter.sql.name;
    await run(`DROP TABLE IF EXISTS ${engine.adapter.sql.quoteIdent(table)}`);
    await run(`CREATE TABLE ${engine.adapter.sql.quoteIdent(table)} AS SELECT i, y FROM (${GENERATE[dialect](2000, 1)}) AS g`);
    await run(`DROP MODEL IF EXISTS ${model}; CREATE MODEL ${model} FROM ${table} PREDICT y USING passes = 1, split = 'none';`);
  });

  afterAll(async () => {
    await run(`DROP MODEL IF EXISTS ${model}`).catch(() => undefined);
    await run(`DROP TABLE IF EXISTS ${engine.adapter.sql.quoteIdent(table)}`).catch(() => undefined);
    await engine.close();
  });

  it('fails a SELECT over the row limit at once, stops its query on the server, and the next statement works', async () => {
    const marker = `cap_rows_${Date.now()}`;
    const started = performance.now();
    const error = await rejection(run(`SELECT '${marker}' AS m, g.* FROM (${HUGE[dialect]}) AS g`, SMALL));
    expectTooLarge(error, /limit of 1,000 rows/);
    // A hundred million rows were asked for: failing this fast means reading stopped at the budget.
    expect(performance.now() - started).toBeLessThan(10_000);
    expect(await stillRunning(marker)).toBe(0);
    expect((await run('SELECT 7 AS seven', SMALL))[0]!.rows).toEqual([[7]]);
  });

  it('fails a SELECT over the byte limit (long text) with the same error', async () => {
    const error = await rejection(run(`SELECT * FROM (${GENERATE[dialect](5_000, 10_000)}) AS g`, { rows: 1_000_000, bytes: 1 << 20 }));
    expectTooLarge(error, /1,000,000 rows \/ 1 MB/);
    expect((await run('SELECT 8 AS eight', SMALL))[0]!.rows).toEqual([[8]]);
  });

  it('answers a SELECT of exactly the limit with all its rows, and fails one row more', async () => {
    const [result] = await run(`SELECT * FROM (${GENERATE[dialect](1000, 3)}) AS g`, SMALL);
    expect(result!.rows).toHaveLength(1000);
    expect(result!.rows.map((row) => Number(row[0])).reduce((a, b) => a + b, 0)).toBe((1000 * 1001) / 2);
    expectTooLarge(await rejection(run(`SELECT * FROM (${GENERATE[dialect](1001, 3)}) AS g`, SMALL)), /limit of 1,000 rows/);
  });

  it('keeps non-SELECT pass-through and its row counts under a tiny limit', async () => {
    const scratch = engine.adapter.sql.quoteIdent(`${table}_w`);
    await run(`DROP TABLE IF EXISTS ${scratch}`);
    const [created] = await run(`CREATE TABLE ${scratch} AS SELECT i FROM ${engine.adapter.sql.quoteIdent(table)}`, { rows: 1, bytes: 1 << 10 });
    expect(created!.command).toBe('CREATE TABLE');
    const [inserted] = await run(`INSERT INTO ${scratch} SELECT i FROM ${engine.adapter.sql.quoteIdent(table)}`, { rows: 1, bytes: 1 << 10 });
    expect(inserted!.rowsAffected).toBe(2000);
    await run(`DROP TABLE ${scratch}`);
  });

  it('fails PREDICT without INTO over the limit the same way, and answers it whole at the limit', async () => {
    expectTooLarge(await rejection(run(`PREDICT ${model} FROM ${table}`, { rows: 1999, bytes: 1 << 30 })), /limit of 1,999 rows/);
    const [whole] = await run(`PREDICT ${model} FROM ${table}`, { rows: 2000, bytes: 1 << 30 });
    expect(whole!.rows).toHaveLength(2000);
  });

  describe('through sqlml serve', () => {
    let server: RunningServer;

    beforeAll(async () => {
      server = await startServer({ db: url, http: { host: '127.0.0.1', port: 0 }, scheduler: false, resultLimit: SMALL });
    });

    afterAll(async () => {
      await server.close();
    });

    const query = async (sql: string): Promise<{ status: number; body: { error?: { code: string; message: string }; results?: ResultTable[] } }> => {
      const response = await fetch(`${server.httpUrl}/v1/query`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ sql }) });
      return { status: response.status, body: (await response.json()) as never };
    };

    it('answers 413 with the JSON error for a result over its --max-result-rows, and keeps serving', async () => {
      const tooLarge = await query(`SELECT * FROM (${HUGE[dialect]}) AS g`);
      expect(tooLarge.status).toBe(413);
      expect(tooLarge.body.error!.code).toBe('result_too_large');
      expect(tooLarge.body.error!.message).toMatch(/limit of 1,000 rows/);
      const fine = await query('SELECT 9 AS nine');
      expect(fine.status).toBe(200);
      expect(fine.body.results![0]!.rows).toEqual([{ nine: 9 }]);
    });
  });
});

describe('a real sqlml serve process on DuckDB with the default budget', () => {
  let serve: CliProcess;

  afterAll(async () => {
    await serve?.kill();
  });

  it('answers a hundred-million-row SELECT with the error promptly, its memory bounded', async () => {
    serve = new CliProcess(['--db', 'duckdb::memory:', 'serve', '--http', '127.0.0.1:0', '--no-scheduler', '--json'], {});
    let address: string | undefined;
    for (let attempt = 0; attempt < 300 && address === undefined; attempt++) {
      const line = serve.stdout.split('\n').find((text) => text.startsWith('{'));
      if (line) address = (JSON.parse(line) as { http: string }).http;
      else await new Promise((resolve) => setTimeout(resolve, 100));
    }
    expect(address).toBeDefined();
    const rssMb = (): number => Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${serve.pid}/status`, 'utf8'))![1]) / 1024;
    const post = (sql: string): Promise<Response> =>
      fetch(`${address}/v1/query`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ sql }) });
    expect((await post('SELECT 1 AS one')).status).toBe(200);
    const before = rssMb();
    let peak = before;
    const sampler = setInterval(() => (peak = Math.max(peak, rssMb())), 20);
    const started = performance.now();
    const response = await post('SELECT range AS i, range * 2 AS j FROM range(100000000)');
    clearInterval(sampler);
    peak = Math.max(peak, rssMb());
    const body = (await response.json()) as { error: { code: string; message: string } };
    expect(response.status).toBe(413);
    expect(body.error.message).toMatch(/limit of 1,000,000 rows \/ 256 MB/);
    expect(performance.now() - started).toBeLessThan(20_000);
    expect(peak - before).toBeLessThan(200);
    expect((await post('SELECT 2 AS two')).status).toBe(200);
  }, 30_000);
});
