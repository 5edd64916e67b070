/**
 * Fault injection: the database server kills a connection sqlml is using. Each kill is one
 * statement's error: no crash, no hang, the target table as it was, no staging table left,
 * the failed statement's other queries stopped on the server, and the next statement
 * works, in process and through a running `sqlml serve`.
 *
 * The killed statements read a source whose query pauses on the server (a sleep in its
 * WHERE clause, no ORDER BY) after PAUSE_AT rows: by then rows have streamed through the
 * reader, the learner and the writer, and the pause is the window in which the test finds
 * the connection by its query text and kills it, mid-stream.
 *
 * The PREDICTs here run on the stream (`engine = 'stream'`): what is killed is its reader
 * or its writer; the in-database path has its own kill test (in-database-kill.test.ts).
 *
 * Servers only: DuckDB is embedded, with no connection another session could kill.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Adapter, DialectName } from '../../adapters/adapter.js';
import { openAdapter } from '../../adapters/registry.js';
import type { ResultTable, Value } from '../../src/data.js';
import { BATCH_ROWS } from '../../src/engine/context.js';
import { Engine } from '../../src/engine/engine.js';
import { SqlmlError } from '../../src/errors.js';
import { ownDatabase, serverTargets } from '../helpers/servers.js';
import { rejectionOf } from '../helpers/errors.js';
import { startServe, type ServeProcess } from '../helpers/serve-process.js';
import { factsOfUrl } from '../helpers/database-facts.js';

const SOURCE_ROWS = 90_000;
const PAUSE_AT = 60_000;
/** Longer than any test waits: a kill that never lands shows as a failed test, not a pass. */
const PAUSE_SECONDS = 25;
/** The rows of the full batches before the pause: what a writer has had when it waits for the source. */
const FLUSHED_BEFORE_PAUSE = Math.floor((PAUSE_AT - 1) / BATCH_ROWS) * BATCH_ROWS;
const POLL_MS = 10;
const POLL_LIMIT_MS = 15_000;
/** A killed statement fails within this; the paused source would hold a hung one for PAUSE_SECONDS. */
const FAIL_WITHIN_MS = 5_000;

/** The little SQL that differs between the servers: a paused source, finding and killing a session. */
interface KillFixture {
  createSource(table: string): string[];
  pausedSource(table: string): string;
  /** Ids of the other sessions of this database running a statement whose text is LIKE `pattern`. */
  running(pattern: string): string;
  /** The same, only while the statement sleeps in the paused source (not between cursor fetches, where a cancel is ignored). */
  sleeping(pattern: string): string;
  /** Ids of every other session of this database, idle or not. */
  others: string;
  killConnection(id: Value): string;
  killQuery(id: Value): string;
  /**
   * The session of the write loading rows (into the target or a staging table), once it has loaded `rows`
   * rows and so waits for the paused source's next batch (PostgreSQL's COPY progress);
   * MariaDB's LOAD DATA is one running statement from its first row to its last, found by its text.
   */
  writerWaiting(rows: number): string;
  /** How many staging (or half-swapped) tables the database holds. */
  stagingTables: string;
  /** A pass-through statement that runs for PAUSE_SECONDS. */
  sleep: string;
}

const postgresRunning = (pattern: string): string =>
  `SELECT pid FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid() AND backend_type = 'client backend' AND state = 'active' AND query LIKE '${pattern}'`;
const mysqlRunning = (pattern: string): string =>
  `SELECT id FROM information_schema.processlist WHERE db = DATABASE() AND id <> CONNECTION_ID() AND command = 'Query' AND info LIKE '${pattern}'`;

const FIXTURES: Record<Exclude<DialectName, 'duckdb'>, KillFixture> = {
  postgres: {
    createSource: (table) => [
      `CREATE TABLE ${table} AS SELECT i AS id, (i * 37 % 100)::float8 AS x1, (i * 53 % 90)::float8 AS x2,
         (ARRAY['a', 'b', 'c'])[1 + i % 3] AS plan, (i * 37 % 100) < 40 OR i % 7 = 0 AS y
       FROM generate_series(1, ${SOURCE_ROWS}) AS s(i)`,
    ],
    pausedSource: (table) => `SELECT * FROM ${table} WHERE id <> ${PAUSE_AT} OR pg_sleep(${PAUSE_SECONDS}) IS NOT NULL`,
    running: postgresRunning,
    sleeping: (pattern) => `${postgresRunning(pattern)} AND wait_event = 'PgSleep'`,
    others: `SELECT pid FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()`,
    killConnection: (id) => `SELECT pg_terminate_backend(${Number(id)})`,
    killQuery: (id) => `SELECT pg_cancel_backend(${Number(id)})`,
    writerWaiting: (rows) =>
      `SELECT c.pid FROM pg_stat_progress_copy c JOIN pg_stat_activity a USING (pid) WHERE a.datname = current_database() AND c.command = 'COPY FROM' AND c.tuples_processed >= ${rows}`,
    stagingTables: `SELECT count(*) FROM pg_tables WHERE tablename LIKE 'sqlml\\_staging\\_%'`,
    sleep: `SELECT pg_sleep(${PAUSE_SECONDS})`,
  },
  mysql: {
    createSource: (table) => [
      `CREATE TABLE ${table} (id INT PRIMARY KEY, x1 DOUBLE, x2 DOUBLE, plan VARCHAR(8), y BOOLEAN)`,
      `INSERT INTO ${table} SELECT seq, seq * 37 % 100, seq * 53 % 90, ELT(1 + seq % 3, 'a', 'b', 'c'), (seq * 37 % 100) < 40 OR seq % 7 = 0
       FROM seq_1_to_${SOURCE_ROWS}`,
    ],
    pausedSource: (table) => `SELECT * FROM ${table} WHERE id <> ${PAUSE_AT} OR SLEEP(${PAUSE_SECONDS}) = 0`,
    running: mysqlRunning,
    sleeping: (pattern) => `${mysqlRunning(pattern)} AND state = 'User sleep'`,
    others: `SELECT id FROM information_schema.processlist WHERE db = DATABASE() AND id <> CONNECTION_ID()`,
    killConnection: (id) => `KILL CONNECTION ${Number(id)}`,
    killQuery: (id) => `KILL QUERY ${Number(id)}`,
    // Into an existing table the rows are loaded straight into it, into a new one through a staging table.
    writerWaiting: () => mysqlRunning('LOAD DATA LOCAL INFILE _sqlml-rows_ INTO TABLE %'),
    stagingTables: `SELECT COUNT(*) FROM information_schema.tables WHERE table_schema = DATABASE() AND (table_name LIKE 'sqlml\\_stage\\_%' OR table_name LIKE 'sqlml\\_old\\_%')`,
    sleep: `SELECT SLEEP(${PAUSE_SECONDS})`,
  },
};

const TARGETS = await serverTargets();
let targetCounter = 0;

function delay(ms: number): Promise<void> {
  return new Promise((done) => setTimeout(done, ms));
}

function sorted(result: ResultTable): (readonly Value[])[] {
  return [...result.rows].sort((a, b) => Number(a[0]) - Number(b[0]));
}

describe.each(TARGETS)('$label', ({ label, url: sharedUrl }) => {
  /** A database of this file's own: it kills every other session of it, and counts its staging tables. */
  let url = sharedUrl;
  const tag = `${process.pid.toString(36)}${(++targetCounter).toString(36)}`;
  const source = `conn_src_${tag}`;
  const target = `conn_scores_${tag}`;
  const model = `conn_model_${tag}`;
  const other = `conn_other_${tag}`;
  let engine: Engine;
  /** The test's own session: finds and kills the engine's connections. */
  let admin: Adapter;
  let fixture: KillFixture;
  let paused: string;

  const run = async (sql: string): Promise<ResultTable> => (await engine.runAll(sql)).at(-1)!;
  const ids = async (sql: string): Promise<Value[]> => (await admin.query(sql)).rows.map((row) => row[0]!);

  /** Polls (boundedly) until the query `find` lists a session, failing if `statement` ends first. */
  async function sessionFound(find: string, statement: Promise<unknown>): Promise<Value> {
    let settled = false;
    statement.then(
      () => (settled = true),
      () => (settled = true),
    );
    const deadline = Date.now() + POLL_LIMIT_MS;
    for (;;) {
      const found = await ids(find);
      if (found.length > 0) return found[0]!;
      if (settled) throw new Error(`the statement ended before ${find} found its session`);
      if (Date.now() > deadline) throw new Error(`${find} found no session within ${POLL_LIMIT_MS} ms`);
      await delay(POLL_MS);
    }
  }

  /** Kills (or cancels) the session `find` lists while `statement` runs; the statement's error. */
  async function killDuring(statement: Promise<unknown>, find: string, kill: (id: Value) => string = (id) => fixture.killConnection(id)): Promise<SqlmlError> {
    const id = await sessionFound(find, statement);
    await admin.query(kill(id));
    const killed = performance.now();
    const error = await rejectionOf(statement);
    expect(performance.now() - killed).toBeLessThan(FAIL_WITHIN_MS);
    return error;
  }

  /** Polls (boundedly) until no session runs `pattern`: what a failed statement started must stop. */
  async function expectNoneRunning(pattern: string): Promise<void> {
    const deadline = Date.now() + 2_000;
    let found = await ids(fixture.running(pattern));
    while (found.length > 0 && Date.now() < deadline) {
      await delay(POLL_MS);
      found = await ids(fixture.running(pattern));
    }
    expect(found, `sessions still running ${pattern}`).toEqual([]);
  }

  const readerPattern = (): string => `%FROM ${source} WHERE id <> ${PAUSE_AT}%`;
  const snapshot = async (): Promise<(readonly Value[])[]> => sorted(await admin.query(`SELECT * FROM ${target}`));

  beforeAll(async () => {
    url = await ownDatabase(sharedUrl, 'kill');
    engine = await Engine.open(url);
    admin = await openAdapter(url);
    fixture = FIXTURES[admin.sql.name as keyof typeof FIXTURES];
    paused = fixture.pausedSource(source);
    for (const table of [source, target, other]) await admin.query(`DROP TABLE IF EXISTS ${table}`);
    for (const statement of fixture.createSource(source)) await admin.query(statement);
    await run(`CREATE OR REPLACE MODEL ${model} FROM (SELECT * FROM ${source} WHERE id <= 3000) PREDICT y RECIPE (exclude(id)) USING passes = 2`);
    // The previous contents every failed write must leave exactly as they are.
    await run(`PREDICT ${model} FROM (SELECT * FROM ${source} WHERE id <= 7) INTO ${target} KEY id`);
  });

  afterAll(async () => {
    await engine?.runAll(`DROP MODEL IF EXISTS ${model}; DROP MODEL IF EXISTS ${other}`).catch(() => undefined);
    for (const table of [source, target, other]) await admin?.query(`DROP TABLE IF EXISTS ${table}`).catch(() => undefined);
    await engine?.close();
    await admin?.close();
  });

  it('a killed writer of PREDICT … INTO is that statement\'s error: the table as it was, no staging table, the source stopped, the next write works', async () => {
    const before = await snapshot();
    expect(before).toHaveLength(7);
    const error = await killDuring(run(`PREDICT ${model} FROM (${paused}) INTO ${target} KEY id USING engine = 'stream'`), fixture.writerWaiting(FLUSHED_BEFORE_PAUSE));
    expect(error.code).toBe('connection');
    expect(error.message).toMatch(/connection/i);
    expect(await snapshot()).toEqual(before);
    expect((await admin.query(fixture.stagingTables)).rows).toEqual([[0]]);
    await expectNoneRunning(readerPattern());
    const next = await run(`PREDICT ${model} FROM (SELECT * FROM ${source} WHERE id <= 7) INTO ${target} KEY id`);
    expect(next.rows[0]?.[1]).toBe(7);
    expect(await snapshot()).toEqual(before);
  }, 30_000);

  const insertWrites = factsOfUrl(sharedUrl).insertWritesParameter;
  it.runIf(insertWrites !== undefined)('a writer session killed between multi-row INSERTs (bulk_write=insert) fails the write at once: the table as it was, no staging table', async () => {
    const inserting = await Engine.open(`${url}${url.includes('?') ? '&' : '?'}${insertWrites}`);
    try {
      const before = await snapshot();
      const statement = inserting.runAll(`PREDICT ${model} FROM (${paused}) INTO ${target} KEY id USING engine = 'stream'`);
      // Once every full batch before the source's pause is in the staging table, the writer
      // sits idle waiting for the source's next rows. It is found by the named lock it holds
      // for its staging table (sqlml_write_<tag> for sqlml_stage_<tag>).
      const staging = String(
        await sessionFound(`SELECT table_name FROM information_schema.tables WHERE table_schema = DATABASE() AND table_name LIKE 'sqlml\\_stage\\_%'`, statement),
      );
      const writer = await sessionFound(
        `SELECT id FROM information_schema.processlist WHERE id = IS_USED_LOCK('sqlml_write_${staging.slice('sqlml_stage_'.length)}')
         AND command = 'Sleep' AND (SELECT COUNT(*) FROM ${staging}) >= ${FLUSHED_BEFORE_PAUSE}`,
        statement,
      );
      await admin.query(fixture.killConnection(writer));
      const killed = performance.now();
      const error = await rejectionOf(statement);
      expect(performance.now() - killed).toBeLessThan(FAIL_WITHIN_MS);
      expect(error.code).toBe('connection');
      expect(await snapshot()).toEqual(before);
      expect((await admin.query(fixture.stagingTables)).rows).toEqual([[0]]);
      await expectNoneRunning(readerPattern());
      const next = await inserting.runAll(`PREDICT ${model} FROM (SELECT * FROM ${source} WHERE id <= 7) INTO ${target} KEY id`);
      expect(next[0]?.rows[0]?.[1]).toBe(7);
    } finally {
      await inserting.close();
    }
  }, 30_000);

  it.each([
    ['CREATE MODEL', (): string => `CREATE OR REPLACE MODEL ${other} FROM (${paused}) PREDICT y RECIPE (exclude(id))`],
    ['PREDICT … INTO', (): string => `PREDICT ${model} FROM (${paused}) INTO ${target} KEY id USING engine = 'stream'`],
    ['PREDICT', (): string => `PREDICT ${model} FROM (${paused}) USING engine = 'stream'`],
    ['EVALUATE MODEL … ON', (): string => `EVALUATE MODEL ${model} ON (${paused}) USING engine = 'stream'`],
  ])('a killed reader of %s is an error, and the next statement works', async (_name, statement) => {
    const before = await snapshot();
    const error = await killDuring(run(statement()), fixture.sleeping(readerPattern()));
    expect(error.code).toBe('connection');
    expect(error.message).toMatch(/connection/i);
    expect(await snapshot()).toEqual(before);
    expect((await admin.query(fixture.stagingTables)).rows).toEqual([[0]]);
    const evaluated = await run(`EVALUATE MODEL ${model} ON (SELECT * FROM ${source} WHERE id <= 500)`);
    expect(evaluated.rows.length).toBeGreaterThan(0);
  }, 30_000);

  it('a reader whose query is cancelled on the server (KILL QUERY, pg_cancel_backend) fails CREATE MODEL with the server\'s error, and the next one works', async () => {
    const error = await killDuring(run(`CREATE OR REPLACE MODEL ${other} FROM (${paused}) PREDICT y`), fixture.sleeping(readerPattern()), (id) => fixture.killQuery(id));
    expect(error.code).toBe('database');
    expect(error.message).toMatch(/interrupted|cancel/i);
    await expectNoneRunning(readerPattern());
    const created = await run(`CREATE OR REPLACE MODEL ${other} FROM (SELECT * FROM ${source} WHERE id <= 2000) PREDICT y RECIPE (exclude(id)) USING passes = 1`);
    expect(created.rows.length).toBe(1);
  }, 30_000);

  it('a killed pass-through statement is an error, and the next one gets a working connection', async () => {
    const error = await killDuring(run(fixture.sleep), fixture.sleeping(`${fixture.sleep}%`));
    expect(error.code).toBe('connection');
    expect((await run('SELECT 41 + 1 AS answer')).rows).toEqual([[42]]);
  }, 30_000);

  it('idle connections killed under the adapter (pass-through, catalog) are replaced: the next statements work', async () => {
    await run('SELECT 1');
    await run('SHOW MODELS');
    const idle = await ids(fixture.others);
    expect(idle.length).toBeGreaterThan(0);
    for (const id of idle) await admin.query(fixture.killConnection(id));
    // Killing is asynchronous on the server: wait (boundedly) until the sessions are gone.
    const deadline = Date.now() + 2_000;
    let left = await ids(fixture.others);
    while (left.some((id) => idle.includes(id)) && Date.now() < deadline) {
      await delay(POLL_MS);
      left = await ids(fixture.others);
    }
    expect(left.filter((id) => idle.includes(id))).toEqual([]);
    const models = await run('SHOW MODELS');
    expect(models.rows.some((row) => row.includes(model))).toBe(true);
    expect((await run('SELECT 41 + 1 AS answer')).rows).toEqual([[42]]);
  }, 30_000);

  // The cursor target writes as the COPY one does; its reader is covered in process above.
  describe.runIf(label !== 'postgres (cursor)')('through sqlml serve', () => {
    let server: ServeProcess;
    let httpUrl = '';

    const post = async (sql: string): Promise<{ status: number; body: { results?: { rows: unknown[] }[]; error?: { code: string; message: string } } }> => {
      const response = await fetch(`${httpUrl}/v1/query`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ sql }) });
      return { status: response.status, body: (await response.json()) as never };
    };

    beforeAll(async () => {
      server = await startServe(url, ['--http', '127.0.0.1:0']);
      httpUrl = server.addresses.http!;
    });

    afterAll(() => {
      if (server && server.child.exitCode === null) server.child.kill('SIGKILL');
    });

    it('a killed writer answers that request with an error; the server lives and answers the next requests within a second', async () => {
      const before = await snapshot();
      const killed = post(`PREDICT ${model} FROM (${paused}) INTO ${target} KEY id USING engine = 'stream'`);
      const id = await sessionFound(fixture.writerWaiting(FLUSHED_BEFORE_PAUSE), killed);
      await admin.query(fixture.killConnection(id));
      const killedAt = performance.now();
      const answer = await killed;
      expect(performance.now() - killedAt).toBeLessThan(FAIL_WITHIN_MS);
      expect(answer.status).toBe(503);
      expect(answer.body.error?.code).toBe('connection');
      expect(answer.body.error?.message).toMatch(/connection/i);

      const started = performance.now();
      const next = await post('SELECT 41 + 1 AS answer');
      const health = await fetch(`${httpUrl}/healthz`);
      expect(performance.now() - started).toBeLessThan(1_000);
      expect(next.status).toBe(200);
      expect(next.body.results?.[0]?.rows).toEqual([{ answer: 42 }]);
      expect(health.status).toBe(200);

      const written = await post(`PREDICT ${model} FROM (SELECT * FROM ${source} WHERE id <= 7) INTO ${target} KEY id`);
      expect(written.status).toBe(200);
      expect(await snapshot()).toEqual(before);
      expect((await admin.query(fixture.stagingTables)).rows).toEqual([[0]]);
      await expectNoneRunning(readerPattern());
      expect(server.child.exitCode).toBeNull();
      expect(server.stderr()).not.toMatch(/error|EPIPE/i);
    }, 30_000);

    it('a killed reader answers that request with an error, and the next request works within a second', async () => {
      const killed = post(`CREATE OR REPLACE MODEL ${other} FROM (${paused}) PREDICT y`);
      const id = await sessionFound(fixture.sleeping(readerPattern()), killed);
      await admin.query(fixture.killConnection(id));
      const killedAt = performance.now();
      const answer = await killed;
      expect(performance.now() - killedAt).toBeLessThan(FAIL_WITHIN_MS);
      expect(answer.status).toBe(503);
      expect(answer.body.error?.code).toBe('connection');
      const started = performance.now();
      const next = await post(`SHOW MODELS`);
      expect(performance.now() - started).toBeLessThan(1_000);
      expect(next.status).toBe(200);
      expect(server.child.exitCode).toBeNull();
      expect(server.stderr()).not.toMatch(/error|EPIPE/i);
    }, 30_000);
  });
});
