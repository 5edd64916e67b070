/**
 * The wire-protocol face, driven by real clients: psql (spawned), node `pg` (simple and
 * extended protocol, bound parameters, cancel) and, where installed, psycopg2 and the
 * PostgreSQL JDBC driver. On PostgreSQL pass-through is forwarded verbatim to a per-session
 * connection; on DuckDB it runs through the adapter and is encoded by the gateway.
 */
import { existsSync } from 'node:fs';
import { connect } from 'node:net';
import { resolve } from 'node:path';
import pg from 'pg';
import Cursor from 'pg-cursor';
import { serialize } from 'pg-protocol';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Engine } from '../../src/engine/engine.js';
import { startPgServer, type PgServer } from '../../src/server/pg-gateway.js';
import { MessageFramer } from '../../src/server/pg-messages.js';
import { POSTGRES_URL, serverTargets } from '../helpers/servers.js';
import { runProgram, type ProgramRun } from '../helpers/program.js';
import { loginFor, type Login, sendCancel } from '../helpers/wire.js';

const postgres = (await serverTargets()).some((t) => t.label === 'postgres');
const suffix = `${process.pid}_${Date.now() % 100000}`;
const CLIENTS = resolve(import.meta.dirname, 'pg-clients');

/** Any name will do where sqlml decides (DuckDB, or a token); on PostgreSQL without one, the database's own role. */
const ANALYST: Login = { user: 'analyst', database: 'sqlml' };
const AS_POSTGRES = loginFor(POSTGRES_URL);

function psql(port: number, sql: string, password = 'anything', as: Login = ANALYST): Promise<ProgramRun> {
  return runProgram('psql', ['-h', '127.0.0.1', '-p', String(port), '-U', as.user, '-d', as.database, '-X', '-v', 'ON_ERROR_STOP=0', '-c', sql], {
    PGPASSWORD: as.password ?? password,
    PGCONNECT_TIMEOUT: '10',
  });
}

function client(port: number, password = 'anything', as: Login = ANALYST): pg.Client {
  return new pg.Client({ host: '127.0.0.1', port, user: as.user, database: as.database, password: as.password ?? password });
}

// Debian's python3-psycopg2 lives in the system Python, whatever python3 is first on PATH.
const psycopg2 = existsSync('/usr/bin/python3') && (await runProgram('/usr/bin/python3', ['-c', 'import psycopg2'])).code === 0;
const jdbc = existsSync('/usr/share/java/postgresql.jar') && existsSync('/usr/bin/java');
if (process.env.CI === 'true') {
  // .ci/run installs them: postgresql-client, python3-psycopg2, libpostgresql-jdbc-java, openjdk-17-jdk-headless.
  const missing = [!existsSync('/usr/bin/psql') && 'psql', !psycopg2 && 'python3-psycopg2', !jdbc && 'the PostgreSQL JDBC driver and java'].filter(Boolean);
  if (missing.length > 0) throw new Error(`under CI=true the wire-protocol client tests must run; missing: ${missing.join(', ')}`);
}

/** A protocol conversation by hand, for what no driver sends on its own (mixed batches, GSSENCRequest). */
class RawConnection {
  readonly socket;
  readonly #framer = new MessageFramer();
  #received: Buffer[] = [];
  #raw = Buffer.alloc(0);
  #wake: (() => void) | null = null;
  #framing = false;

  constructor(port: number) {
    this.socket = connect({ host: '127.0.0.1', port });
    this.socket.on('data', (chunk: Buffer) => {
      if (this.#framing) this.#received.push(...this.#framer.push(chunk));
      else this.#raw = Buffer.concat([this.#raw, chunk]);
      this.#wake?.();
    });
  }

  async #until(ready: () => boolean): Promise<void> {
    const deadline = Date.now() + 10_000;
    while (!ready()) {
      if (Date.now() > deadline) throw new Error('no answer from the server within 10 s');
      await new Promise<void>((done) => {
        this.#wake = done;
        setTimeout(done, 100);
      });
    }
  }

  /** The single unframed byte that answers an SSLRequest or GSSENCRequest. */
  async byte(): Promise<string> {
    await this.#until(() => this.#raw.length > 0);
    const answer = String.fromCharCode(this.#raw[0]!);
    this.#raw = this.#raw.subarray(1);
    return answer;
  }

  /** Sends, then collects messages up to and including ReadyForQuery; returns their type letters and bodies. */
  async exchange(...messages: Buffer[]): Promise<{ types: string; bodies: Buffer[] }> {
    this.#framing = true;
    this.socket.write(Buffer.concat(messages));
    await this.#until(() => this.#received.some((m) => m[0] === 0x5a));
    const end = this.#received.findIndex((m) => m[0] === 0x5a) + 1;
    const got = this.#received.slice(0, end);
    this.#received = this.#received.slice(end);
    return { types: got.map((m) => String.fromCharCode(m[0]!)).join(''), bodies: got.map((m) => m.subarray(5)) };
  }
}

/** A table with a learnable boolean target, made by the database itself. */
function customersSql(table: string): string {
  return `CREATE TABLE ${table} AS
    SELECT i AS id, (i * 37 % 100) AS tenure, CAST(i * 53 % 90 + 10 AS DOUBLE PRECISION) AS monthly_fee,
           CASE i % 3 WHEN 0 THEN 'basic' WHEN 1 THEN 'plus' ELSE 'pro' END AS plan,
           ((i * 37 % 100) < 25 AND (i % 3) = 0) OR (i * 53 % 90) > 80 AS churned
    FROM generate_series(1, 2000) AS s(i)`;
}

describe.runIf(postgres)('pg wire protocol on PostgreSQL: verbatim pass-through', () => {
  const table = `pgw_customers_${suffix}`;
  const scores = `pgw_scores_${suffix}`;
  const model = `pgw_churn_${suffix}`;
  let engine: Engine;
  let server: PgServer;
  const pgPsql = (port: number, sql: string): Promise<ProgramRun> => psql(port, sql, undefined, AS_POSTGRES);

  beforeAll(async () => {
    engine = await Engine.open(POSTGRES_URL);
    await engine.runAll(`DROP TABLE IF EXISTS ${table}; DROP TABLE IF EXISTS ${scores}; ${customersSql(table)};`);
    server = await startPgServer(engine, { port: 0, upstreamUrl: POSTGRES_URL });
  }, 60_000);

  afterAll(async () => {
    await server?.close();
    await engine?.runAll(`DROP TABLE IF EXISTS ${table}; DROP TABLE IF EXISTS ${scores}; DROP MODEL IF EXISTS ${model}; DROP MODEL IF EXISTS ${model}_slow;`);
    await engine?.close();
  });

  it('psql: CREATE MODEL, PREDICT … INTO, SELECT the result, \\d it, EVALUATE MODEL', async () => {
    const created = await pgPsql(server.port, `CREATE MODEL ${model} FROM ${table} PREDICT churned RECIPE (exclude(id));`);
    expect(created.stderr).toBe('');
    expect(created.stdout).toMatch(new RegExp(`${model}.*binary`));
    const predicted = await pgPsql(server.port, `PREDICT ${model} FROM ${table} INTO ${scores} KEY id;`);
    expect(predicted.stderr).toBe('');
    expect(predicted.stdout).toMatch(/2000/);
    const selected = await pgPsql(server.port, `SELECT count(*) AS n, count(*) FILTER (WHERE score BETWEEN 0 AND 1) AS scored FROM ${scores};`);
    expect(selected.stdout).toMatch(/2000 \|\s+2000/);
    const described = await pgPsql(server.port, `\\d ${scores}`);
    expect(described.stdout).toContain(`Table "public.${scores}"`);
    expect(described.stdout).toMatch(/id\s+\|\s+integer/);
    expect(described.stdout).toMatch(/score\s+\|\s+double precision/);
    const evaluated = await pgPsql(server.port, `EVALUATE MODEL ${model} ON ${table};`);
    expect(evaluated.stderr).toBe('');
    expect(evaluated.stdout).toMatch(/auc/);
    expect(evaluated.stdout).toMatch(/\(1 row\)/);
  }, 120_000);

  it('psql: a syntax error prints the ERROR with its position and the session goes on', async () => {
    const result = await pgPsql(server.port, 'CREATE MODEL x FROM (SELECT 1) PREDIKT y; SELECT 41 + 1 AS answer;');
    expect(result.stderr).toMatch(/ERROR: {2}line 1, column 32: expected PREDICT, found PREDIKT/);
    // The position field puts psql's caret under the offending word.
    expect(result.stderr).toMatch(/LINE 1: CREATE MODEL x FROM \(SELECT 1\) PREDIKT y[^\n]*\n\s{39}\^/);
    expect(result.stdout).toMatch(/answer\s*\n-+\n\s*42/);
    const unknown = await pgPsql(server.port, 'SELECT * FROM pgw_no_such_table; DESCRIBE MODEL pgw_no_such_model;');
    expect(unknown.stderr).toMatch(/relation "pgw_no_such_table" does not exist/);
  });

  it('node pg: bound parameters pass through, sqlml statements come back as result sets (simple and extended)', async () => {
    const c = client(server.port, undefined, AS_POSTGRES);
    await c.connect();
    try {
      expect((await c.query('SELECT $1::int + 1 AS n', [41])).rows).toEqual([{ n: 42 }]);
      const top = await c.query(`SELECT id, score FROM ${scores} WHERE score >= $1 ORDER BY score DESC, id LIMIT $2`, [0.5, 3]);
      expect(top.rows.length).toBeGreaterThan(0);
      expect(top.rows.length).toBeLessThanOrEqual(3);
      for (const row of top.rows) expect(row.score).toBeGreaterThanOrEqual(0.5);
      // Types are PostgreSQL's own: the driver parses them.
      expect(typeof top.rows[0].score).toBe('number');

      const simple = await c.query('SHOW MODELS');
      const extended = await c.query({ text: 'SHOW MODELS', values: [], queryMode: 'extended' } as pg.QueryConfig);
      for (const result of [simple, extended]) {
        expect(result.command).toBe('SELECT');
        expect(result.rows.map((r: { name: string }) => r.name)).toContain(model);
      }
      const versionField = extended.fields.find((f) => f.name === 'version');
      expect(versionField?.dataTypeID).toBe(23);
      expect(typeof extended.rows[0].version).toBe('number');

      const predicted = await c.query({ text: `PREDICT ${model} FROM (SELECT * FROM ${table} WHERE id <= 5)`, values: [], queryMode: 'extended' } as pg.QueryConfig);
      expect(predicted.rowCount).toBe(5);
      expect(predicted.fields.map((f) => f.name)).toEqual(expect.arrayContaining(['id', 'score']));
      expect(predicted.fields.find((f) => f.name === 'score')?.dataTypeID).toBe(701);
    } finally {
      await c.end();
    }
  });

  it('node pg: errors carry their SQLSTATE and leave the connection usable', async () => {
    const c = client(server.port, undefined, AS_POSTGRES);
    await c.connect();
    try {
      await expect(c.query('DESCRIBE MODEL pgw_no_such_model')).rejects.toMatchObject({ code: '42704', message: expect.stringContaining('pgw_no_such_model') });
      await expect(c.query({ text: 'DESCRIBE MODEL pgw_no_such_model', values: [], queryMode: 'extended' } as pg.QueryConfig)).rejects.toMatchObject({ code: '42704' });
      await expect(c.query({ text: 'SHOW MODELS', values: [1], queryMode: 'extended' } as pg.QueryConfig)).rejects.toThrow(/sqlml statements take no parameters/);
      await expect(c.query(`CREATE MODEL pgw_bad FROM ${table} PREDICT no_such_column`)).rejects.toMatchObject({ code: '42703' });
      await expect(c.query(`CREATE MODEL pgw_bad FROM pgw_no_such_table PREDICT y`)).rejects.toMatchObject({ code: '42P01' });
      await expect(c.query(`CREATE MODEL pgw_bad FROM ${table} PREDICT churned USING passes = 'many'`)).rejects.toMatchObject({ code: '22023' });
      await expect(c.query('SELEC 1')).rejects.toMatchObject({ code: '42601', position: '1' });
      await expect(c.query('SELECT $1::int', ['not a number'])).rejects.toMatchObject({ code: '22P02' });
      expect((await c.query('SELECT $1::text AS t', ['still here'])).rows).toEqual([{ t: 'still here' }]);
    } finally {
      await c.end();
    }
  });

  it('node pg: ReadyForQuery carries the server transaction state around sqlml statements', async () => {
    const c = client(server.port, undefined, AS_POSTGRES);
    await c.connect();
    try {
      await c.query('BEGIN');
      await c.query(`CREATE TEMP TABLE pgw_tx (x int)`);
      await c.query('SHOW MODELS');
      await c.query('INSERT INTO pgw_tx VALUES (1)');
      await expect(c.query('SELECT 1/0')).rejects.toMatchObject({ code: '22012' });
      await expect(c.query('SELECT 1')).rejects.toMatchObject({ code: '25P02' });
      await c.query('ROLLBACK');
      expect((await c.query('SELECT count(*)::int AS n FROM pg_tables WHERE tablename = $1', ['pgw_tx'])).rows).toEqual([{ n: 0 }]);
    } finally {
      await c.end();
    }
  });

  it('raw protocol: GSSENCRequest is declined, a batch mixing sqlml and database statements is refused, the session goes on', async () => {
    const raw = new RawConnection(server.port);
    const gssenc = Buffer.alloc(8);
    gssenc.writeInt32BE(8, 0);
    gssenc.writeInt32BE(80877104, 4);
    raw.socket.write(gssenc);
    expect(await raw.byte()).toBe('N');
    const started = await raw.exchange(serialize.startup({ user: AS_POSTGRES.user, database: AS_POSTGRES.database }));
    expect(started.types).toMatch(/^R(S)+KZ$/);
    expect(started.bodies.map((b) => b.toString('latin1')).join('|')).toContain('server_version\u000015');

    const mixed = await raw.exchange(serialize.parse({ text: 'SHOW MODELS' }), serialize.parse({ text: 'SELECT 1' }), serialize.sync());
    expect(mixed.types).toBe('1EZ');
    expect(mixed.bodies[1]!.toString()).toContain('0A000');
    expect(mixed.bodies[1]!.toString()).toContain('cannot share one extended-protocol batch');

    // Five rows whatever else the shared catalog holds, so a one-row Execute must suspend.
    const local = await raw.exchange(serialize.parse({ text: `PREDICT ${model} FROM (SELECT * FROM ${table} WHERE id <= 5)` }), serialize.bind({}), serialize.describe({ type: 'P' }), serialize.execute({ rows: 1 }), serialize.sync());
    expect(local.types).toBe('12TDsZ');
    const forwarded = await raw.exchange(serialize.parse({ text: 'SELECT $1::int * 2' }), serialize.bind({ values: ['21'] }), serialize.describe({ type: 'P' }), serialize.execute({}), serialize.sync());
    expect(forwarded.types).toBe('12TDCZ');
    expect(forwarded.bodies[3]!.subarray(6).toString()).toBe('42');
    const closed = new Promise((done) => raw.socket.on('close', done));
    raw.socket.write(serialize.end());
    await closed;
  });

  it('raw protocol: a batch of database messages past 1 MiB before its Sync is forwarded early and answered whole', async () => {
    const raw = new RawConnection(server.port);
    await raw.exchange(serialize.startup({ user: AS_POSTGRES.user, database: AS_POSTGRES.database }));
    const padding = 'x'.repeat(1000);
    const parses = Array.from({ length: 3000 }, (_, i) => serialize.parse({ name: `p${i}`, text: `SELECT ${i} AS n, '${padding}' AS pad` }));
    const answer = await raw.exchange(...parses, serialize.bind({ statement: 'p2999' }), serialize.execute({}), serialize.sync());
    expect(answer.types).toBe(`${'1'.repeat(3000)}2DCZ`);
    expect(answer.bodies[3001]!.subarray(6, 10).toString()).toBe('2999');
    raw.socket.destroy();
  });

  it('node pg cursors (Execute with a row limit, then Flush): forwarded, and answered by sqlml in pieces', async () => {
    const c = client(server.port, undefined, AS_POSTGRES);
    await c.connect();
    try {
      const ids = c.query(new Cursor(`SELECT id FROM ${scores} ORDER BY id`));
      expect((await ids.read(3)).map((r: { id: number }) => r.id)).toEqual([1, 2, 3]);
      expect((await ids.read(2)).map((r: { id: number }) => r.id)).toEqual([4, 5]);
      await ids.close();
      const predictions = c.query(new Cursor(`PREDICT ${model} FROM (SELECT * FROM ${table} WHERE id <= 5)`));
      expect(await predictions.read(2)).toHaveLength(2);
      expect(await predictions.read(10)).toHaveLength(3);
      expect(await predictions.read(10)).toHaveLength(0);
      await predictions.close();
      expect((await c.query('SELECT 1 AS one')).rows).toEqual([{ one: 1 }]);
    } finally {
      await c.end();
    }
  });

  it('cancel: a forwarded statement is cancelled by the server, a sqlml statement by its AbortSignal', async () => {
    const c = client(server.port, undefined, AS_POSTGRES);
    await c.connect();
    try {
      let started = performance.now();
      const sleeping = c.query('SELECT pg_sleep(20)');
      setTimeout(() => void sendCancel(server.port, c), 300);
      await expect(sleeping).rejects.toMatchObject({ code: '57014' });
      expect(performance.now() - started).toBeLessThan(10_000);

      started = performance.now();
      const training = c.query(`CREATE MODEL ${model}_slow FROM (SELECT id, churned, pg_sleep(0.01) IS NULL AS slept FROM ${table}) PREDICT churned`);
      setTimeout(() => void sendCancel(server.port, c), 500);
      await expect(training).rejects.toMatchObject({ code: '57014' });
      expect(performance.now() - started).toBeLessThan(15_000);
      expect((await c.query('SELECT 1 AS one')).rows).toEqual([{ one: 1 }]);
    } finally {
      await c.end();
    }
  }, 60_000);

  it('a token is the password: wrong one refused with 28P01, right one accepted (psql and node pg)', async () => {
    const guarded = await startPgServer(engine, { port: 0, upstreamUrl: POSTGRES_URL, token: 's3cret-token' });
    try {
      const wrong = client(guarded.port, 'not-the-token');
      await expect(wrong.connect()).rejects.toMatchObject({ code: '28P01' });
      const right = client(guarded.port, 's3cret-token');
      await right.connect();
      expect((await right.query('SELECT $1::int AS n', [7])).rows).toEqual([{ n: 7 }]);
      await right.end();
      const refused = await psql(guarded.port, 'SELECT 1', 'nope');
      expect(refused.code).not.toBe(0);
      expect(refused.stderr).toMatch(/password authentication failed for user "analyst"/);
      const accepted = await psql(guarded.port, 'SHOW MODELS', 's3cret-token');
      expect(accepted.stderr).toBe('');
      expect(accepted.stdout).toContain(model);
    } finally {
      await guarded.close();
    }
  });

  it('a database the upstream refuses is reported to the client as its FATAL error', async () => {
    const wrong = await startPgServer(engine, { port: 0, upstreamUrl: POSTGRES_URL });
    try {
      // Without a token the client's own database is opened (auth passthrough).
      await expect(client(wrong.port, undefined, { ...AS_POSTGRES, database: 'pgw_no_such_database' }).connect()).rejects.toMatchObject({
        code: '3D000',
        message: expect.stringContaining('pgw_no_such_database'),
      });
    } finally {
      await wrong.close();
    }
  });

  it('close(): running statements finish, then sessions end with 57P01 and new connections are refused', async () => {
    const own = await startPgServer(engine, { port: 0, upstreamUrl: POSTGRES_URL });
    const c = client(own.port, undefined, AS_POSTGRES);
    await c.connect();
    const ended = new Promise<Error>((done) => c.on('error', done));
    const answer = c.query('SELECT pg_sleep(0.5), 42 AS n');
    await new Promise((r) => setTimeout(r, 100));
    await own.close();
    expect((await answer).rows[0].n).toBe(42);
    expect((await ended).message).toMatch(/terminating connection due to administrator command/);
    await expect(client(own.port, undefined, AS_POSTGRES).connect()).rejects.toThrow(/ECONNREFUSED/);
  });

  it.runIf(jdbc)('JDBC: a sqlml statement and a parameterized pass-through query', async () => {
    const result = await runProgram('java', ['-cp', '/usr/share/java/postgresql.jar', resolve(CLIENTS, 'JdbcClient.java'), `jdbc:postgresql://127.0.0.1:${server.port}/${AS_POSTGRES.database}`, scores, AS_POSTGRES.user, AS_POSTGRES.password ?? ''], {}, 120_000);
    expect(result.stderr).not.toMatch(/Exception/);
    expect(result.stdout).toContain(`model ${model}`);
    expect(result.stdout).toMatch(/top score [01]\.\d+/);
    expect(result.stdout).toContain('error 42704');
    expect(result.stdout).toContain('after error 42');
    expect(result.code).toBe(0);
  }, 120_000);

  it.runIf(psycopg2)('psycopg2: a sqlml statement and a parameterized pass-through query', async () => {
    const result = await runProgram('/usr/bin/python3', [resolve(CLIENTS, 'psycopg2_client.py'), String(server.port), scores, AS_POSTGRES.user, AS_POSTGRES.database, AS_POSTGRES.password ?? '']);
    expect(result.stderr).toBe('');
    expect(result.stdout).toContain(`model ${model}`);
    expect(result.stdout).toMatch(/top score [01]\.\d+/);
    expect(result.stdout).toContain('error 42704');
    expect(result.stdout).toContain('after error 42');
  });
});

describe('pg wire protocol on DuckDB: pass-through through the adapter', () => {
  const table = 'customers';
  let engine: Engine;
  let server: PgServer;

  beforeAll(async () => {
    engine = await Engine.open('duckdb::memory:');
    server = await startPgServer(engine, { port: 0 });
  });

  afterAll(async () => {
    await server?.close();
    await engine?.close();
  });

  it('psql: a table, CREATE MODEL, PREDICT … INTO, SELECT and EVALUATE MODEL, an error in the middle', async () => {
    const result = await psql(
      server.port,
      `${customersSql(table)};
       CREATE MODEL churn FROM ${table} PREDICT churned RECIPE (exclude(id));
       PREDICT churn FROM ${table} INTO scores KEY id;
       SELECT count(*) AS n FROM scores WHERE score BETWEEN 0 AND 1;
       SELECT * FROM no_such_table;
       EVALUATE MODEL churn ON ${table};`,
    );
    expect(result.stdout).toMatch(/churn\s+\|\s+1\s+\|\s+binary/);
    expect(result.stdout).toMatch(/n\s*\n-+\n\s*2000\n/);
    expect(result.stdout).toMatch(/auc/);
    expect(result.stderr).toMatch(/ERROR: {2}Catalog Error: Table with name no_such_table does not exist/);
  }, 120_000);

  it('node pg: parameters bound as literals, sqlml statements over the extended protocol, errors with SQLSTATE', async () => {
    const c = client(server.port);
    await c.connect();
    try {
      expect((await c.query('SELECT $1::int + 1 AS n', [41])).rows).toEqual([{ n: 42 }]);
      const top = await c.query('SELECT id, score FROM scores WHERE score >= $1 ORDER BY score DESC, id LIMIT $2', [0.5, 3]);
      expect(top.rows.length).toBe(3);
      expect(top.fields.map((f) => f.dataTypeID)).toEqual([20, 701]); // DuckDB's generate_series gives BIGINT ids
      for (const row of top.rows) expect(row.score).toBeGreaterThanOrEqual(0.5);
      expect((await c.query("SELECT $1 AS quoted", ["it's"])).rows).toEqual([{ quoted: "it's" }]);

      const models = await c.query({ text: 'SHOW MODELS', values: [], queryMode: 'extended' } as pg.QueryConfig);
      expect(models.rows.map((r: { name: string }) => r.name)).toEqual(['churn']);
      await expect(c.query('SELECT * FROM no_such_table WHERE id = $1', [1])).rejects.toMatchObject({ code: '42P01' });
      await expect(c.query('DROP MODEL nope')).rejects.toMatchObject({ code: '42704' });
      await expect(c.query('SELECT 1; SELEC 2')).rejects.toMatchObject({ code: '42601' });
      await c.query('SET application_name = $$dashboard$$'.replaceAll('$$', "'"));
      const both = (await c.query('SELECT 1 AS a; SELECT 2 AS b')) as unknown as pg.QueryResult[];
      expect(both.map((r) => r.rows[0])).toEqual([{ a: 1 }, { b: 2 }]);
      expect((await c.query({ text: 'DESCRIBE MODEL churn', values: [], queryMode: 'extended' } as pg.QueryConfig)).rows.length).toBeGreaterThan(0);
    } finally {
      await c.end();
    }
  });

  it('node pg: a result wider than the 32,767 columns the protocol can count is one ERROR 54000 naming the count, and the session goes on', async () => {
    const c = client(server.port);
    await c.connect();
    try {
      const wide = `SELECT ${Array.from({ length: 32_768 }, (_, i) => `${i} AS c${i}`).join(', ')}`;
      const refusal = { code: '54000', message: expect.stringContaining('the column count of the result 32768 does not fit') };
      await expect(c.query(wide)).rejects.toMatchObject(refusal);
      await expect(c.query({ text: wide, values: [], queryMode: 'extended' } as pg.QueryConfig)).rejects.toMatchObject(refusal);
      expect((await c.query('SELECT 1 AS n')).rows).toEqual([{ n: 1 }]);
    } finally {
      await c.end();
    }
  }, 120_000);

  it('raw protocol: a binary Int4 parameter of 3 bytes is refused with 22P03 (not read short), and the session goes on', async () => {
    const raw = new RawConnection(server.port);
    try {
      await raw.exchange(serialize.startup({ user: 'analyst', database: 'sqlml' }));
      const short = await raw.exchange(serialize.parse({ text: 'SELECT $1::int AS n', types: [23] }), serialize.bind({ values: [Buffer.from([0, 0, 42])] }), serialize.execute({}), serialize.sync());
      expect(short.types).toBe('1EZ');
      expect(short.bodies[1]!.toString()).toContain('C22P03');
      expect(short.bodies[1]!.toString()).toContain('incorrect binary data format in bind parameter 1: 3 bytes for a type of 4');
      const right = await raw.exchange(serialize.parse({ text: 'SELECT $1::int AS n', types: [23] }), serialize.bind({ values: [Buffer.from([0, 0, 0, 42])] }), serialize.execute({}), serialize.sync());
      expect(right.types).toBe('12DCZ');
    } finally {
      raw.socket.destroy();
    }
  });

  it.runIf(jdbc)('JDBC: connects (its protocol SETs are answered by the gateway), binary parameters, a sqlml statement', async () => {
    const result = await runProgram('java', ['-cp', '/usr/share/java/postgresql.jar', resolve(CLIENTS, 'JdbcClient.java'), `jdbc:postgresql://127.0.0.1:${server.port}/sqlml`, 'scores'], {}, 120_000);
    expect(result.stderr).not.toMatch(/Exception/);
    expect(result.stdout).toContain('model churn');
    expect(result.stdout).toMatch(/top score [01]\.\d+/);
    expect(result.stdout).toContain('error 42704');
    expect(result.stdout).toContain('after error 42');
  }, 120_000);

  it.runIf(psycopg2)('psycopg2: a sqlml statement and a parameterized query', async () => {
    const result = await runProgram('/usr/bin/python3', [resolve(CLIENTS, 'psycopg2_client.py'), String(server.port), 'scores']);
    expect(result.stderr).toBe('');
    expect(result.stdout).toContain('model churn');
    expect(result.stdout).toContain('after error 42');
  });
});
