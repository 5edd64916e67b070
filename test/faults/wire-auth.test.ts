/**
 * Who gets in through `sqlml serve --pg` is the database's decision. Without a token, on
 * PostgreSQL, each client opens its session with its own role, database and password
 * (auth passthrough): PostgreSQL's own errors for a role that does not exist or a wrong
 * password, its own grants for what the role may read — through sqlml statements too,
 * which run on a connection of the client's own — and its own FATAL when it ends a
 * session (pg_terminate_backend), relayed as it is.
 *
 * The shared test server trusts every role from 127.0.0.1, so the password test runs on a
 * private PostgreSQL cluster made here with scram-sha-256 (initdb; as the postgres OS
 * user when the tests run as root).
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { chownSync, existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Engine } from '../../src/engine/engine.js';
import { startPgServer, type PgServer } from '../../src/server/pg-gateway.js';
import { MYSQL_URL, POSTGRES_URL, serverTargets } from '../helpers/servers.js';
import { RawClient, errorFieldsOf } from '../helpers/wire.js';

const targets = await serverTargets();
const postgres = targets.some((t) => t.label === 'postgres');
const mysql = targets.some((t) => t.label === 'mysql');
const suffix = `${process.pid}_${Date.now() % 100000}`;

function connectAs(port: number, user: string, database: string, password = ''): pg.Client {
  return new pg.Client({ host: '127.0.0.1', port, user, database, password });
}

/** Learnable rows, made by the database. */
function tableSql(table: string): string {
  return `CREATE TABLE ${table} AS SELECT i AS id, (i * 37 % 100) AS tenure, (i * 37 % 100) < 40 AS churned FROM generate_series(1, 500) AS s(i)`;
}

describe.runIf(postgres)('wire protocol on PostgreSQL without a token: the database decides (shared server)', () => {
  const database = new URL(POSTGRES_URL).pathname.slice(1);
  const reader = `wire_reader_${suffix}`;
  const secret = `wire_secret_${suffix}`;
  const open = `wire_open_${suffix}`;
  let engine: Engine;
  let server: PgServer;

  beforeAll(async () => {
    engine = await Engine.open(POSTGRES_URL);
    await engine.store.ensureSchema();
    await engine.runAll(`${tableSql(secret)}; ${tableSql(open)};
      CREATE ROLE ${reader} LOGIN;
      GRANT SELECT ON ${open} TO ${reader};
      GRANT CREATE, USAGE ON SCHEMA public TO ${reader};
      GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO ${reader};
      REVOKE ALL ON ${secret} FROM ${reader};
      GRANT USAGE, SELECT, UPDATE ON ALL SEQUENCES IN SCHEMA public TO ${reader};`);
    server = await startPgServer(engine, { port: 0, upstreamUrl: POSTGRES_URL });
  }, 60_000);

  afterAll(async () => {
    await server?.close();
    await engine?.runAll(`DROP MODEL IF EXISTS wire_secret_model_${suffix}; DROP MODEL IF EXISTS wire_open_model_${suffix};
      DROP TABLE IF EXISTS ${secret}; DROP TABLE IF EXISTS ${open};
      REVOKE ALL ON ALL TABLES IN SCHEMA public FROM ${reader}; REVOKE ALL ON ALL SEQUENCES IN SCHEMA public FROM ${reader};
      REVOKE ALL ON SCHEMA public FROM ${reader}; DROP ROLE IF EXISTS ${reader};`);
    await engine?.close();
  });

  it('a role that does not exist gets PostgreSQL\'s own FATAL 28000', async () => {
    await expect(connectAs(server.port, `wire_nobody_${suffix}`, database).connect()).rejects.toMatchObject({
      code: '28000',
      message: `role "wire_nobody_${suffix}" does not exist`,
    });
  });

  it('a client acts as its own role, not as sqlml\'s: its grants decide what it reads', async () => {
    const client = connectAs(server.port, reader, database);
    await client.connect();
    try {
      expect((await client.query('SELECT current_user AS who, session_user AS login')).rows).toEqual([{ who: reader, login: reader }]);
      expect((await client.query(`SELECT count(*)::int AS n FROM ${open}`)).rows).toEqual([{ n: 500 }]);
      await expect(client.query(`SELECT count(*) FROM ${secret}`)).rejects.toMatchObject({ code: '42501', message: `permission denied for table ${secret}` });
    } finally {
      await client.end();
    }
  });

  it('sqlml statements run as the client\'s role: no training on a table it cannot read, nothing stored', async () => {
    const client = connectAs(server.port, reader, database);
    await client.connect();
    try {
      await expect(client.query(`CREATE MODEL wire_secret_model_${suffix} FROM ${secret} PREDICT churned`)).rejects.toMatchObject({
        code: '42501',
        message: expect.stringContaining(`permission denied for table ${secret}`),
      });
      const trained = await client.query(`CREATE MODEL wire_open_model_${suffix} FROM ${open} PREDICT churned RECIPE (exclude(id))`);
      expect(trained.rows[0]).toMatchObject({ model: `wire_open_model_${suffix}`, type: 'binary' });
    } finally {
      await client.end();
    }
    const models = (await engine.runAll('SHOW MODELS'))[0]!.rows.map((row) => row[0]);
    expect(models).toContain(`wire_open_model_${suffix}`);
    expect(models).not.toContain(`wire_secret_model_${suffix}`);
  }, 30_000);

  it('pg_terminate_backend: the client gets PostgreSQL\'s own FATAL 57P01, and nothing of sqlml\'s', async () => {
    const raw = new RawClient(server.port);
    await raw.connected;
    await raw.login({ user: reader, database });
    const pid = (await raw.query('SELECT pg_backend_pid()')).find((m) => m.type === 'D')!.body.subarray(6).toString();
    await engine.runAll(`SELECT pg_terminate_backend(${Number(pid)})`);
    const errors = (await raw.whenClosed()).filter((m) => m.type === 'E').map((m) => errorFieldsOf(m.body));
    expect(errors).toHaveLength(1);
    expect(errors[0]).toMatchObject({ S: 'FATAL', C: '57P01', M: 'terminating connection due to administrator command' });

    // A driver sees it as PostgreSQL's own error.
    const client = connectAs(server.port, reader, database);
    await client.connect();
    const driverErrors: (Error & { code?: string })[] = [];
    client.on('error', (error) => driverErrors.push(error));
    const ended = new Promise((done) => client.once('end', done));
    const backend = (await client.query('SELECT pg_backend_pid() AS pid')).rows[0].pid as number;
    await engine.runAll(`SELECT pg_terminate_backend(${backend})`);
    await ended;
    expect(driverErrors[0]).toMatchObject({ code: '57P01', message: 'terminating connection due to administrator command' });
  });
});

const CATALOG = ['sqlml_models', 'sqlml_model_versions', 'sqlml_jobs', 'sqlml_job_runs', 'sqlml_job_leases'];

describe.runIf(mysql)('wire protocol on MariaDB without a token: the database decides', () => {
  const database = new URL(MYSQL_URL).pathname.slice(1);
  const user = `wire_r_${suffix}`.slice(0, 32);
  const secret = `wire_secret_${suffix}`;
  const open = `wire_open_${suffix}`;
  let engine: Engine;
  let server: PgServer;

  beforeAll(async () => {
    engine = await Engine.open(MYSQL_URL);
    await engine.store.ensureSchema();
    const rows = (table: string): string => `CREATE TABLE ${table} AS SELECT seq AS id, seq * 37 % 100 AS tenure, (seq * 37 % 100) < 40 AS churned FROM seq_1_to_500`;
    await engine.runAll(`${rows(secret)}; ${rows(open)};
      CREATE USER '${user}'@'%' IDENTIFIED BY 'reader-pw'; CREATE USER '${user}'@'localhost' IDENTIFIED BY 'reader-pw';
      GRANT SELECT ON ${database}.${open} TO '${user}'@'%'; GRANT SELECT ON ${database}.${open} TO '${user}'@'localhost';
      ${['%', 'localhost']
        .map((host) =>
          [`GRANT CREATE, CREATE TEMPORARY TABLES ON ${database}.* TO '${user}'@'${host}'`]
            .concat(CATALOG.map((table) => `GRANT SELECT, INSERT, UPDATE, DELETE ON ${database}.${table} TO '${user}'@'${host}'`))
            .join('; '),
        )
        .join('; ')};`);
    server = await startPgServer(engine, { port: 0, passthroughUrl: MYSQL_URL });
  }, 60_000);

  afterAll(async () => {
    await server?.close();
    await engine?.runAll(`DROP MODEL IF EXISTS wire_secret_model_${suffix}; DROP TABLE IF EXISTS ${secret}; DROP TABLE IF EXISTS ${open};
      DROP USER IF EXISTS '${user}'@'%'; DROP USER IF EXISTS '${user}'@'localhost';`);
    await engine?.close();
  });

  it("a wrong password or an unknown user is MariaDB's own access denied, as 28P01", async () => {
    await expect(connectAs(server.port, user, database, 'not-it').connect()).rejects.toMatchObject({ code: '28P01', message: expect.stringContaining(`Access denied for user '${user}'`) });
    await expect(connectAs(server.port, `nobody_${suffix}`.slice(0, 32), database, 'x').connect()).rejects.toMatchObject({ code: '28P01', message: expect.stringContaining('Access denied') });
  });

  it('the right password gets in as that user, whose grants decide, sqlml statements included', async () => {
    const client = connectAs(server.port, user, database, 'reader-pw');
    await client.connect();
    try {
      expect((await client.query('SELECT CURRENT_USER() AS who')).rows[0].who).toMatch(new RegExp(`^${user}@`));
      expect((await client.query(`SELECT count(*) AS n FROM ${open}`)).rows.map((r: { n: string | number }) => Number(r.n))).toEqual([500]);
      await expect(client.query(`SELECT count(*) FROM ${secret}`)).rejects.toThrow(/SELECT command denied/);
      await expect(client.query(`CREATE MODEL wire_secret_model_${suffix} FROM ${secret} PREDICT churned`)).rejects.toThrow(/SELECT command denied/);
    } finally {
      await client.end();
    }
    const models = (await engine.runAll('SHOW MODELS'))[0]!.rows.map((row) => row[0]);
    expect(models).not.toContain(`wire_secret_model_${suffix}`);
  }, 30_000);
});

// ---- a private cluster that asks for passwords ------------------------------------------

const PG_BIN = existsSync('/usr/lib/postgresql') ? readdirSync('/usr/lib/postgresql').map((v) => `/usr/lib/postgresql/${v}/bin`).find((bin) => existsSync(`${bin}/initdb`)) : undefined;
const asRoot = process.getuid?.() === 0;
const canMakeCluster = PG_BIN !== undefined && (!asRoot || spawnSync('id', ['postgres']).status === 0);
if (process.env.CI === 'true' && !canMakeCluster) throw new Error('under CI=true the password test must run: it needs initdb (postgresql server package) and, as root, the postgres OS user');

function freePort(): Promise<number> {
  return new Promise((done) => {
    const probe = createServer().listen(0, '127.0.0.1', () => {
      const address = probe.address();
      probe.close(() => done(typeof address === 'object' && address ? address.port : 0));
    });
  });
}

describe.runIf(canMakeCluster)('wire protocol without a token on a PostgreSQL that asks for passwords (scram-sha-256)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'sqlml-wire-auth-'));
  const run = (command: string, args: string[]): void => {
    execFileSync(asRoot ? 'runuser' : command, asRoot ? ['-u', 'postgres', '--', command, ...args] : args, { stdio: 'pipe' });
  };
  let port = 0;
  let engine: Engine;
  let server: PgServer;

  beforeAll(async () => {
    if (asRoot) execFileSync('chown', ['postgres', dir]);
    const passwordFile = join(dir, 'superuser-password');
    writeFileSync(passwordFile, 'super-secret\n');
    if (asRoot) chownSync(passwordFile, Number(execFileSync('id', ['-u', 'postgres']).toString()), 0);
    run(`${PG_BIN}/initdb`, ['-D', join(dir, 'data'), '-A', 'scram-sha-256', '-U', 'postgres', `--pwfile=${passwordFile}`, '--no-sync']);
    port = await freePort();
    run(`${PG_BIN}/pg_ctl`, ['-D', join(dir, 'data'), '-o', `-p ${port} -k ${dir} -c listen_addresses=127.0.0.1 -c fsync=off`, '-l', join(dir, 'log'), '-w', 'start']);
    const url = `postgres://postgres:super-secret@127.0.0.1:${port}/postgres`;
    engine = await Engine.open(url);
    await engine.store.ensureSchema();
    await engine.runAll(`CREATE ROLE analyst LOGIN PASSWORD 'analyst-pw';
      GRANT CREATE, USAGE ON SCHEMA public TO analyst;
      GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO analyst;
      GRANT USAGE, SELECT, UPDATE ON ALL SEQUENCES IN SCHEMA public TO analyst;`);
    server = await startPgServer(engine, { port: 0, upstreamUrl: url });
  }, 60_000);

  afterAll(async () => {
    await server?.close();
    await engine?.close();
    if (port) spawnSync(asRoot ? 'runuser' : `${PG_BIN}/pg_ctl`, [...(asRoot ? ['-u', 'postgres', '--', `${PG_BIN}/pg_ctl`] : []), '-D', join(dir, 'data'), '-m', 'immediate', 'stop']);
    rmSync(dir, { recursive: true, force: true });
  });

  it('a wrong password is PostgreSQL\'s own 28P01; the right one gets in, and sqlml statements run as that role', async () => {
    await expect(connectAs(server.port, 'analyst', 'postgres', 'not-it').connect()).rejects.toMatchObject({
      code: '28P01',
      message: 'password authentication failed for user "analyst"',
    });
    await expect(connectAs(server.port, 'analyst', 'postgres').connect()).rejects.toThrow();
    const client = connectAs(server.port, 'analyst', 'postgres', 'analyst-pw');
    await client.connect();
    try {
      expect((await client.query('SELECT current_user AS who')).rows).toEqual([{ who: 'analyst' }]);
      await client.query(tableSql('mine'));
      const trained = await client.query('CREATE MODEL mine_model FROM mine PREDICT churned RECIPE (exclude(id))');
      expect(trained.rows[0]).toMatchObject({ model: 'mine_model', type: 'binary' });
    } finally {
      await client.end();
    }
  }, 30_000);
});
