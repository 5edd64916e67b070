/**
 * BI introspection through `serve --pg`: the real psql (`\dt`, `\d name`, `\dn`, `\l`) and
 * the real PostgreSQL JDBC driver (DatabaseMetaData getSchemas, getTables, getColumns,
 * getPrimaryKeys) see the real tables, columns, NOT NULLs and primary keys of DuckDB and
 * MySQL/MariaDB (answered by src/server/pg-catalog.ts from the database's own catalog) and
 * of PostgreSQL (passed through). Tables: one with a quoted mixed-case name and a
 * primary key, one in a schema of its own where the database has schemas.
 */
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Engine } from '../../src/engine/engine.js';
import { startPgServer, type PgServer } from '../../src/server/pg-gateway.js';
import { MYSQL_URL, ownDatabase, serverTargets } from '../helpers/servers.js';
import { runProgram, type ProgramRun } from '../helpers/program.js';
import { loginFor } from '../helpers/wire.js';

const CLIENTS = resolve(import.meta.dirname, 'pg-clients');
const JDBC_JAR = '/usr/share/java/postgresql.jar';
const tools = existsSync('/usr/bin/psql') && existsSync(JDBC_JAR) && existsSync('/usr/bin/java');
if (process.env.CI === 'true' && !tools) throw new Error('under CI=true the introspection tests must run: install postgresql-client, libpostgresql-jdbc-java and openjdk-17');

const suffix = `${process.pid % 10000}_${Date.now() % 100000}`;
const TOKEN = 'bi-token';

interface Target {
  readonly label: string;
  /** Opens the database the test uses. */
  url(): Promise<string>;
  /** The schema unqualified names land in. */
  readonly defaultSchema: (url: string) => string;
  /** Where the database has schemas: the name of one to create. */
  readonly schema?: string;
  /** PostgreSQL passes catalog queries through to the server; the others are answered by sqlml. */
  readonly upstream: boolean;
  /** Answered by sqlml: the database a client logs in to, and the one \\l lists (by the default schema). */
  readonly databases?: { readonly login: (schema: string) => string; readonly listed: (schema: string) => string };
  /** Whether VARCHAR(20) keeps its length (DuckDB's VARCHAR has none). */
  readonly varcharLength: boolean;
  /** Column types of the database JDBC has no fixed type for, looked up in the (emulated) pg_type. */
  readonly typesUnknownToJdbc?: { readonly columns: string; readonly expected: readonly string[] };
}

const servers = await serverTargets();
const targets: Target[] = [
  {
    label: 'duckdb',
    url: async () => 'duckdb::memory:',
    defaultSchema: () => 'main',
    schema: `bi_sch_${suffix}`,
    upstream: false,
    databases: { login: () => 'sqlml', listed: () => 'memory' },
    varcharLength: false,
    typesUnknownToJdbc: { columns: 'span INTERVAL NOT NULL, id UUID', expected: ['span interval 1111 NO', 'id uuid 1111 YES'] },
  },
  ...servers
    .filter((t) => t.label === 'postgres')
    .map((t): Target => ({ label: 'postgres', url: async () => t.url, defaultSchema: () => 'public', schema: `bi_sch_${suffix}`, upstream: true, varcharLength: true })),
  ...servers
    .filter((t) => t.label === 'mysql')
    .map(
      (): Target => ({
        label: 'mysql',
        // A database of its own: MySQL's schema is the database, and \dt lists all of it.
        url: () => ownDatabase(MYSQL_URL, 'bi'),
        defaultSchema: (url) => decodeURIComponent(new URL(url).pathname.slice(1)),
        upstream: false,
        // MySQL's schema is its database.
        databases: { login: (schema) => schema, listed: (schema) => schema },
        varcharLength: true,
      }),
    ),
];

describe.runIf(tools).each(targets)('BI introspection through serve --pg on $label', (target) => {
  const mixed = `BiMixed_${suffix}`;
  const other = `bi_other_${suffix}`;
  const view = `bi_view_${suffix}`;
  let url: string;
  let engine: Engine;
  let server: PgServer;
  let schema: string;

  const login = (): { user: string; password: string; database: string } => {
    if (target.databases) return { user: 'analyst', password: TOKEN, database: target.databases.login(schema) };
    const own = loginFor(url);
    return { user: own.user, password: own.password ?? '', database: own.database };
  };

  const psql = (...commands: string[]): Promise<ProgramRun> => {
    const as = login();
    return runProgram('psql', ['-h', '127.0.0.1', '-p', String(server.port), '-U', as.user, '-d', as.database, '-X', '-v', 'ON_ERROR_STOP=0', ...commands.flatMap((c) => ['-c', c])], {
      PGPASSWORD: as.password,
      PGCONNECT_TIMEOUT: '10',
    });
  };

  beforeAll(async () => {
    url = await target.url();
    engine = await Engine.open(url);
    schema = target.defaultSchema(url);
    const sql = engine.adapter.sql;
    const statements = [
      `DROP VIEW IF EXISTS ${sql.quoteIdent(view)}`,
      `DROP TABLE IF EXISTS ${sql.quoteIdent(mixed)}`,
      `CREATE TABLE ${sql.quoteIdent(mixed)} (id INTEGER PRIMARY KEY, ${sql.quoteIdent('Label')} VARCHAR(20) NOT NULL, score DOUBLE PRECISION)`,
    ];
    if (target.schema) {
      statements.push(
        `CREATE SCHEMA IF NOT EXISTS ${sql.quoteIdent(target.schema)}`,
        `CREATE TABLE ${sql.quoteTable({ schema: target.schema, name: other })} (a INTEGER, b DECIMAL(10,2) NOT NULL, PRIMARY KEY (b, a))`,
      );
    }
    statements.push(`CREATE VIEW ${sql.quoteIdent(view)} AS SELECT id, score FROM ${sql.quoteIdent(mixed)}`);
    for (const statement of statements) await engine.adapter.query(statement);
    server = await startPgServer(engine, target.upstream ? { port: 0, upstreamUrl: url } : { port: 0, token: TOKEN });
  }, 60_000);

  afterAll(async () => {
    await server?.close();
    if (engine) {
      const sql = engine.adapter.sql;
      await engine.adapter.query(`DROP VIEW IF EXISTS ${sql.quoteIdent(view)}`).catch(() => undefined);
      await engine.adapter.query(`DROP TABLE IF EXISTS ${sql.quoteIdent(mixed)}`).catch(() => undefined);
      if (target.schema) {
        await engine.adapter.query(`DROP TABLE IF EXISTS ${sql.quoteTable({ schema: target.schema, name: other })}`).catch(() => undefined);
        await engine.adapter.query(`DROP SCHEMA IF EXISTS ${sql.quoteIdent(target.schema)}`).catch(() => undefined);
      }
      await engine.close();
    }
  });

  it('psql \\dt lists the tables (the mixed-case one as created, the other schema\'s by pattern), \\dn the schemas, \\l the database', async () => {
    const commands = ['\\dt', '\\dn', '\\l'];
    if (target.schema) commands.push(`\\dt ${target.schema}.*`);
    const result = await psql(...commands);
    expect(result.stderr).toBe('');
    expect(result.stdout).toMatch(new RegExp(`^ ${schema}\\s*\\| ${mixed}\\s*\\| table\\s*\\|`, 'm'));
    // \dt without a pattern shows what the search path sees, as on PostgreSQL.
    expect(result.stdout.split('List of schemas')[0]).not.toContain(other);
    if (target.schema) {
      expect(result.stdout).toMatch(new RegExp(`^ ${target.schema}\\s*\\| ${other}\\s*\\| table\\s*\\|`, 'm'));
      expect(result.stdout).toMatch(new RegExp(`^ ${target.schema}\\s*\\|`, 'm'));
    }
    expect(result.stdout).toMatch(new RegExp(`^ ${schema}\\s*\\|`, 'm'));
    expect(result.stdout).toContain('List of databases');
    if (target.databases) expect(result.stdout).toMatch(new RegExp(`^ ${target.databases.listed(schema)}\\s*\\| analyst\\s*\\| UTF8`, 'm'));
  }, 60_000);

  it('psql \\d name shows the columns with their types and NOT NULL, and the primary key', async () => {
    const commands = [`\\d "${mixed}"`, '\\d no_such_table_here'];
    if (target.schema) commands.push(`\\d ${target.schema}.${other}`);
    const result = await psql(...commands);
    expect(result.stdout).toContain(`Table "${schema}.${mixed}"`);
    expect(result.stdout).toMatch(/^ id\s*\| integer\s*\|\s*\| not null\s*\|/m);
    expect(result.stdout).toMatch(target.varcharLength ? /^ Label\s*\| character varying\(20\)\s*\|\s*\| not null\s*\|/m : /^ Label\s*\| character varying\s*\|\s*\| not null\s*\|/m);
    expect(result.stdout).toMatch(/^ score\s*\| double precision\s*\|\s*\|\s*\|/m);
    expect(result.stdout).toMatch(/^Indexes:\n\s+"[^"]+" PRIMARY KEY, btree \(id\)$/m);
    expect(result.stderr).toContain('Did not find any relation named "no_such_table_here".');
    if (target.schema) {
      expect(result.stdout).toContain(`Table "${target.schema}.${other}"`);
      expect(result.stdout).toMatch(/^ b\s*\| numeric\(10,2\)\s*\|\s*\| not null\s*\|/m);
      expect(result.stdout).toMatch(/PRIMARY KEY, btree \(b, a\)$/m);
    }
  }, 60_000);

  it('psql \\dv lists the view and \\d+ shows its columns and definition', async () => {
    const result = await psql('\\dv', `\\d+ ${view}`);
    expect(result.stderr).toBe('');
    expect(result.stdout).toMatch(new RegExp(`^ ${schema}\\s*\\| ${view}\\s*\\| view\\s*\\|`, 'm'));
    expect(result.stdout).toContain(`View "${schema}.${view}"`);
    expect(result.stdout).toMatch(/^ score\s*\| double precision\s*\|/m);
    expect(result.stdout).toMatch(new RegExp(`View definition:\\n.*${mixed}`, 'is'));
  }, 60_000);

  it('psql \\d name shows every index and the foreign keys both ways; \\df lists an exported model\'s functions', async () => {
    const parent = `bi_parent_${suffix}`;
    const child = `bi_child_${suffix}`;
    const note = `bi_child_note_${suffix}`;
    const data = `bi_rows_${suffix}`;
    const model = `bi_model_${suffix}`;
    const fn = `bi_fn_${suffix}`;
    const sql = engine.adapter.sql;
    const drop = async (): Promise<void> => {
      await engine.runAll(`DROP MODEL IF EXISTS ${model};`).catch(() => undefined);
      for (const table of [child, parent, data]) await engine.adapter.query(`DROP TABLE IF EXISTS ${sql.quoteIdent(table)}`).catch(() => undefined);
    };
    await drop();
    try {
      for (const statement of [
        `CREATE TABLE ${parent} (id INTEGER PRIMARY KEY, code VARCHAR(20) UNIQUE)`,
        `CREATE TABLE ${child} (id INTEGER PRIMARY KEY, parent_id INTEGER, note VARCHAR(40), FOREIGN KEY (parent_id) REFERENCES ${parent} (id))`,
        `CREATE INDEX ${note} ON ${child} (note)`,
        `CREATE TABLE ${data} (x INTEGER, y INTEGER)`,
        `INSERT INTO ${data} VALUES ${Array.from({ length: 40 }, (_, i) => `(${i}, ${i % 3 === 0 ? 1 : 0})`).join(', ')}`,
      ]) {
        await engine.adapter.query(statement);
      }
      await engine.runAll(`CREATE MODEL ${model} FROM (SELECT x, y FROM ${data}) PREDICT y USING type = 'binary'; EXPORT MODEL ${model} AS FUNCTION ${fn};`);

      const result = await psql(`\\d ${child}`, `\\d ${parent}`, '\\df', `\\df ${fn}_score`);
      expect(result.stderr).toBe('');
      expect(result.stdout.split(/^(?=[ \t]*(?:Table "|List of functions))/m)).toHaveLength(4);
      const [childPart, parentPart, functions, scoreOnly] = result.stdout.split(/^(?=[ \t]*(?:Table "|List of functions))/m);
      expect(childPart).toMatch(/^Indexes:\n\s+"[^"]+" PRIMARY KEY, btree \(id\)$/m);
      expect(childPart).toMatch(new RegExp(`^\\s+"${note}" btree \\(note\\)$`, 'm'));
      expect(childPart).toMatch(new RegExp(`^Foreign-key constraints:\\n\\s+"[^"]+" FOREIGN KEY \\(parent_id\\) REFERENCES ${parent}\\(id\\)$`, 'm'));
      expect(parentPart).toMatch(/^\s+"[^"]+" UNIQUE CONSTRAINT, btree \(code\)$/m);
      expect(parentPart).toMatch(new RegExp(`^Referenced by:\\n\\s+TABLE "${child}" CONSTRAINT "[^"]+" FOREIGN KEY \\(parent_id\\) REFERENCES ${parent}\\(id\\)$`, 'm'));
      expect(parentPart).not.toContain('Foreign-key constraints:');
      expect(functions).toMatch(new RegExp(`^ ${schema}\\s*\\| ${fn}\\s*\\|`, 'm'));
      expect(functions).toMatch(new RegExp(`^ ${schema}\\s*\\| ${fn}_score\\s*\\|`, 'm'));
      // One argument (the model's input x), by type where the database declares one, by name where it names it.
      expect(functions).toMatch(new RegExp(`^ ${schema}\\s*\\| ${fn}\\s*\\|[^|\\n]*\\| \\S[^|,\\n]*\\| func$`, 'm'));
      expect(scoreOnly).toMatch(/\(1 row\)/);
    } finally {
      await drop();
    }
  }, 120_000);

  it('JDBC DatabaseMetaData: getSchemas, getTables, getColumns, getPrimaryKeys (and getImportedKeys, getIndexInfo) return the real ones', async () => {
    const as = login();
    const result = await runProgram('java', ['-cp', JDBC_JAR, resolve(CLIENTS, 'JdbcMetadata.java'), `jdbc:postgresql://127.0.0.1:${server.port}/${as.database}`, as.user, as.password, mixed]);
    expect(result.stderr).not.toMatch(/Exception/);
    const lines = result.stdout.split('\n');
    expect(lines).toContain(`schema ${schema}`);
    expect(lines).toContain(`table ${schema}.${mixed} TABLE`);
    expect(lines).toContain(`table ${schema}.${view} VIEW`);
    if (target.schema) {
      expect(lines).toContain(`schema ${target.schema}`);
      expect(lines).toContain(`table ${target.schema}.${other} TABLE`);
    }
    expect(lines).toContain(`column ${schema}.${mixed}.id int4 4 NO size=10 position=1`);
    expect(lines).toContain(`column ${schema}.${mixed}.Label varchar 12 NO size=${target.varcharLength ? 20 : 2147483647} position=2`);
    expect(lines).toContain(`column ${schema}.${mixed}.score float8 8 YES size=17 position=3`);
    expect(lines.filter((line) => line.startsWith('any-table column '))).toEqual([
      'any-table column id int4 position=1',
      'any-table column Label varchar position=2',
      'any-table column score float8 position=3',
    ]);
    // No foreign keys here; the primary key is the one index reported (getIndexInfo), unique.
    expect(lines.filter((line) => line.startsWith('imported key '))).toEqual([]);
    expect(lines.filter((line) => line.startsWith('index '))).toEqual([expect.stringMatching(/^index \S+ id unique=true position=1$/)]);
    expect(lines.filter((line) => line.startsWith('pk '))).toEqual([expect.stringMatching(new RegExp(`^pk ${mixed}\\.id 1 \\S+$`))]);
  }, 120_000);

  it.runIf(target.typesUnknownToJdbc !== undefined)('JDBC: columns of types it does not know by heart (DuckDB: INTERVAL, UUID) are looked up in the emulated pg_type', async () => {
    const odd = `bi_odd_${suffix}`;
    const unknown = target.typesUnknownToJdbc!;
    await engine.adapter.query(`CREATE TABLE ${odd} (${unknown.columns})`);
    try {
      const as = login();
      const result = await runProgram('java', ['-cp', JDBC_JAR, resolve(CLIENTS, 'JdbcMetadata.java'), `jdbc:postgresql://127.0.0.1:${server.port}/${as.database}`, as.user, as.password, odd]);
      expect(result.stderr).not.toMatch(/Exception/);
      for (const column of unknown.expected) expect(result.stdout).toContain(`column ${schema}.${odd}.${column}`);
    } finally {
      await engine.adapter.query(`DROP TABLE ${odd}`);
    }
  }, 120_000);

  // Which of the two a database gets is its introspection's fact (nativePgCatalog), asked at run time.
  it.runIf(!target.upstream)('a pg_catalog query sqlml does not answer: refused with 0A000 where the database has no pg_catalog (MySQL), else left to its own (DuckDB); the session goes on', async () => {
    if (engine.adapter.introspect.nativePgCatalog) {
      const result = await psql(`SELECT count(*) AS n FROM pg_catalog.pg_namespace WHERE nspname = '${target.schema}'`);
      expect(result.stderr).toBe('');
      expect(result.stdout).toMatch(/n\s*\n-+\n\s*1\n/);
      return;
    }
    const result = await psql('\\set VERBOSITY verbose', 'SELECT name, setting FROM pg_catalog.pg_settings', 'SELECT 40 + 2 AS answer');
    expect(result.stderr).toMatch(/ERROR: {2}0A000: sqlml answers the catalog queries of psql .* this one is not among them: SELECT name, setting FROM pg_catalog\.pg_settings/);
    expect(result.stdout).toMatch(/answer\s*\n-+\n\s*42\n/);
  }, 60_000);

  it.runIf(!target.upstream)('a pg_catalog query longer than any psql or JDBC sends is not scanned: refused where the database has no pg_catalog, else left to its own', async () => {
    const long = `SELECT c.relname FROM pg_catalog.pg_class c WHERE c.relname = '${'x'.repeat(70_000)}'`;
    const result = await psql('\\set VERBOSITY verbose', long, 'SELECT 6 * 7 AS answer');
    if (engine.adapter.introspect.nativePgCatalog) expect(result.stderr).not.toMatch(/0A000/);
    else expect(result.stderr).toMatch(/ERROR: {2}0A000: a pg_catalog query of 70\d{3} characters is none sqlml answers on this database \(they are at most 65536\)/);
    expect(result.stdout).toMatch(/answer\s*\n-+\n\s*42\n/);
  }, 60_000);
});
