/**
 * Fault injection: the caller of a pass-through statement gives up on it. Aborting the
 * engine's signal cancels the statement on the server (PostgreSQL `pg_cancel_backend`,
 * MariaDB `KILL QUERY`): it fails with a `cancelled` error within a second or two, nothing
 * is left running, and the connection answers the next statement. An HTTP client that hangs
 * up on `POST /v1/query`, or a wire-protocol CancelRequest, aborts that signal inside `sqlml serve`.
 *
 * Servers only: DuckDB's interrupt of a pass-through is covered with its adapter.
 */
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Adapter } from '../../adapters/adapter.js';
import { openAdapter } from '../../adapters/registry.js';
import type { ResultTable } from '../../src/data.js';
import { Engine } from '../../src/engine/engine.js';
import { rejectionOf } from '../helpers/errors.js';
import { serverTargets } from '../helpers/servers.js';
import { loginFor, startWireServer, type WireServer, sendCancel } from '../helpers/wire.js';
import { startServe, type ServeProcess } from '../helpers/serve-process.js';

/** Longer than any test waits: a cancel that never lands shows as a failed test, not a pass. */
const SLEEP_SECONDS = 20;
const CANCELLED_WITHIN_MS = 2_000;
const POLL_MS = 20;
const POLL_LIMIT_MS = 10_000;

const TARGETS = (await serverTargets()).filter((target) => target.label === 'postgres' || target.label === 'mysql');

/** Each server's SQL for a sleep of `seconds`, and for the other sessions running a statement that contains `marker`. */
const SERVER_SQL = {
  postgres: {
    sleep: (seconds: number) => `pg_sleep(${seconds})`,
    running: (marker: string) => `SELECT pid FROM pg_stat_activity WHERE pid <> pg_backend_pid() AND state = 'active' AND query LIKE '%${marker}%'`,
  },
  mysql: {
    sleep: (seconds: number) => `SLEEP(${seconds})`,
    running: (marker: string) => `SELECT id FROM information_schema.processlist WHERE id <> CONNECTION_ID() AND command = 'Query' AND info LIKE '%${marker}%'`,
  },
} as const;
let targetCounter = 0;


function delay(ms: number): Promise<void> {
  return new Promise((done) => setTimeout(done, ms));
}

describe.each(TARGETS)('$label', ({ label, url }) => {
  /** Runs one statement and answers its result. */
  const run = async (sql: string, signal?: AbortSignal): Promise<ResultTable> => (await engine.runAll(sql, signal ? { signal } : {})).at(-1)!;
  const tag = `${process.pid.toString(36)}_${(++targetCounter).toString(36)}`;
  let engine: Engine;
  /** The test's own session: sees what runs on the server. */
  let admin: Adapter;
  let statementCounter = 0;

  const server = SERVER_SQL[label as keyof typeof SERVER_SQL];

  /** A pass-through statement that sleeps SLEEP_SECONDS, named by a column alias the test can find it by. */
  const sleeping = (): { sql: string; marker: string } => {
    const marker = `cancel_mark_${tag}_${++statementCounter}`;
    return { sql: `SELECT ${server.sleep(SLEEP_SECONDS)} AS ${marker}`, marker };
  };

  /** How many other sessions run a statement containing `marker`. */
  const runningWith = async (marker: string): Promise<number> => (await admin.query(server.running(marker))).rows.length;

  /** Polls until `check` holds, or fails after POLL_LIMIT_MS naming `what`. */
  const waitUntil = async (what: string, check: () => Promise<boolean>): Promise<void> => {
    const deadline = performance.now() + POLL_LIMIT_MS;
    while (!(await check())) {
      if (performance.now() > deadline) throw new Error(`timed out after ${POLL_LIMIT_MS} ms waiting for ${what}`);
      await delay(POLL_MS);
    }
  };

  beforeAll(async () => {
    engine = await Engine.open(url);
    admin = await openAdapter(url);
  });

  afterAll(async () => {
    await engine?.close();
    await admin?.close();
  });

  it('an aborted pass-through sleep fails `cancelled` within two seconds, leaves nothing running, and the next statement works', async () => {
    const { sql, marker } = sleeping();
    const controller = new AbortController();
    const running = run(sql, controller.signal);
    running.catch(() => undefined);
    await waitUntil('the sleep to run on the server', async () => (await runningWith(marker)) === 1);
    const abortedAt = performance.now();
    controller.abort();
    const error = await rejectionOf(running);
    expect(performance.now() - abortedAt).toBeLessThan(CANCELLED_WITHIN_MS);
    expect(error.code).toBe('cancelled');
    expect(error.message).toBe('the query was cancelled');
    expect(await runningWith(marker)).toBe(0);
    const next = await run('SELECT 41 + 1 AS answer');
    expect(next.rows).toEqual([[42]]);
  }, 30_000);

  it('a signal aborted before the statement starts refuses it: it never runs', async () => {
    const table = `cancel_refused_${tag}`;
    await run(`DROP TABLE IF EXISTS ${table}`);
    const controller = new AbortController();
    controller.abort();
    const error = await rejectionOf(run(`CREATE TABLE ${table} AS SELECT 1 AS x`, controller.signal));
    expect(error.code).toBe('cancelled');
    expect(await engine.adapter.tableExists({ name: table })).toBe(false);
    await run(`CREATE TABLE ${table} AS SELECT 1 AS x`);
    expect(await engine.adapter.tableExists({ name: table })).toBe(true);
    await run(`DROP TABLE ${table}`);
  }, 30_000);

  describe('through sqlml serve', () => {
    let server: ServeProcess;
    let httpUrl = '';

    beforeAll(async () => {
      server = await startServe(url, ['--http', '127.0.0.1:0']);
      httpUrl = server.addresses.http!;
    }, 30_000);

    afterAll(() => {
      if (server && server.child.exitCode === null) server.child.kill('SIGKILL');
    });

    it('an HTTP client that hangs up mid-/v1/query leaves nothing running on the server, and the next request works', async () => {
      const { sql, marker } = sleeping();
      const client = new AbortController();
      const request = fetch(`${httpUrl}/v1/query`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ sql }),
        signal: client.signal,
      });
      request.catch(() => undefined);
      await waitUntil('the sleep to run on the server', async () => (await runningWith(marker)) === 1);
      const hungUpAt = performance.now();
      client.abort();
      await expect(request).rejects.toThrow();
      await waitUntil('the sleep to stop on the server', async () => (await runningWith(marker)) === 0);
      expect(performance.now() - hungUpAt).toBeLessThan(CANCELLED_WITHIN_MS);
      const response = await fetch(`${httpUrl}/v1/query`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ sql: 'SELECT 41 + 1 AS answer' }),
      });
      expect(response.status).toBe(200);
      const body = (await response.json()) as { results: { rows: unknown[] }[] };
      expect(body.results[0]!.rows).toEqual([{ answer: 42 }]);
      expect(server.child.exitCode).toBeNull();
    }, 30_000);
  });

  describe('through sqlml serve --pg', () => {
    let server: WireServer;

    beforeAll(async () => {
      server = await startWireServer(url);
    }, 60_000);

    afterAll(() => {
      if (server && server.child.exitCode === null) server.child.kill('SIGKILL');
    });

    it('a CancelRequest stops the statement on the database (57014) within two seconds, and the session goes on', async () => {
      const login = loginFor(url);
      const client = new pg.Client({ host: '127.0.0.1', port: server.port, user: login.user, password: '', database: login.database });
      await client.connect();
      try {
        const { sql, marker } = sleeping();
        const running = client.query(sql).then(
          () => ({ code: 'completed' }),
          (error: { code?: string; message?: string }) => ({ code: error.code ?? `no code: ${error.message}` }),
        );
        await waitUntil('the sleep to run on the server', async () => (await runningWith(marker)) === 1);
        const cancelledAt = performance.now();
        await sendCancel(server.port, client);
        expect(await running).toEqual({ code: '57014' });
        expect(performance.now() - cancelledAt).toBeLessThan(CANCELLED_WITHIN_MS);
        expect(await runningWith(marker)).toBe(0);
        const next = await client.query('SELECT 41 + 1 AS answer');
        expect(next.rows.map((row: Record<string, unknown>) => Number(row.answer))).toEqual([42]);
        expect(server.child.exitCode).toBeNull();
      } finally {
        await client.end().catch(() => undefined);
      }
    }, 30_000);
  });
});
