/**
 * The command line's ways in beside the REPL, as real processes: --version, --help per
 * command, --csv, backslash commands in a script (\dt and \d through each database's own
 * catalog), --server against a running `sqlml serve` holding the DuckDB file, and the lock
 * error that names that way out.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sqlml } from '../helpers/cli.js';
import { startServe, type ServeProcess } from '../helpers/serve-process.js';
import { serverTargets } from '../helpers/servers.js';

const SLOW = 180_000;
const catalogTargets = [{ label: 'duckdb', url: '' }, ...(await serverTargets())];
let dir: string;

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'sqlml-client-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('sqlml --version and --help', () => {
  it('prints the package version, and help for each command', { timeout: SLOW }, async () => {
    const version = await sqlml(['--version']);
    expect(version.code).toBe(0);
    expect(version.stdout.trim()).toMatch(/^\d+\.\d+\.\d+/);
    const help = await sqlml(['serve', '--help']);
    expect(help.code).toBe(0);
    expect(help.stdout).toContain('--pg <host:port>');
    expect((await sqlml(['--help'])).stdout).toMatch(/--csv[\s\S]*--server <url>[\s\S]*--version/);
  });
});

describe('--csv and exact values', () => {
  it('prints CSV with a header, quoting as RFC 4180 does, and doubles and decimals whole', { timeout: SLOW }, async () => {
    const run = await sqlml([
      '--db',
      'duckdb::memory:',
      '--csv',
      '-e',
      `SELECT 3.14159265::DOUBLE AS pi, 93.994 AS d, 12345678901234567890::HUGEINT AS h, 'a,"b' AS s, '' AS e, NULL AS n;`,
    ]);
    expect(run.stderr).toBe('');
    expect(run.stdout).toBe('pi,d,h,s,e,n\n3.14159265,93.994,12345678901234567890,"a,""b","",\n');
    const table = await sqlml(['--db', 'duckdb::memory:', '-e', 'SELECT 3.14159265::DOUBLE AS pi, 93.994 AS d;']);
    expect(table.stdout).toContain(' 3.14159265 | 93.994');
  });

  it('refuses --json with --csv as a bad command line', { timeout: SLOW }, async () => {
    const run = await sqlml(['--db', 'duckdb::memory:', '--csv', '--json', '-e', 'SELECT 1;']);
    expect(run.code).toBe(2);
    expect(run.stderr).toContain('either --json or --csv');
  });
});

describe('backslash commands in a script', () => {
  it('runs \\x and \\timing between statements, and stops at an unknown command', { timeout: SLOW }, async () => {
    const run = await sqlml(['--db', 'duckdb::memory:', '-f', '-'], {
      stdin: 'SELECT 1 AS a;\n\\x on\nSELECT 1 AS a, 2 AS b;\n\\timing on\nSELECT 2 AS c;\n\\nonsense\nSELECT 3 AS never;\n',
    });
    expect(run.code).toBe(1);
    expect(run.stdout).toContain('-[ RECORD 1 ]+--\na | 1\nb | 2\n');
    expect(run.stdout).toMatch(/Time: [\d.]+ ms/);
    expect(run.stdout).not.toContain('never');
    expect(run.stderr).toBe('error: unknown command \\nonsense (\\? lists the commands); the statement being typed is kept\n');
  });

  for (const target of catalogTargets) {
    it(`\\dt and \\d list ${target.label}'s tables and columns from its catalog`, { timeout: SLOW }, async () => {
      const url = target.url || `duckdb:${join(dir, 'catalog.duckdb')}`;
      const table = `repl_catalog_${target.label.replace(/\W+/g, '_')}`;
      const run = await sqlml(['--db', url, '-f', '-'], {
        stdin: [
          `DROP TABLE IF EXISTS ${table};`,
          `CREATE TABLE ${table} (id INTEGER, name VARCHAR(20), amount DECIMAL(30,10));`,
          '\\dt',
          `\\d ${table}`,
          '\\d no_such_table',
        ].join('\n'),
      });
      expect(run.stdout).toMatch(new RegExp(`\\| ${table} +\\| BASE TABLE`));
      expect(run.stdout).toMatch(new RegExp(`Table ${table}\\n column_name \\| +data_type +\\| is_nullable`));
      expect(run.stdout).toMatch(/ id +\| int/i);
      expect(run.stdout).toMatch(/ amount +\| (DECIMAL\(30,10\)|numeric|decimal\(30,10\))/);
      expect(run.stderr).toBe('error: did not find a table named no_such_table (\\dt lists them)\n');
      expect(run.code).toBe(1);
      await sqlml(['--db', url, '-e', `DROP TABLE ${table};`]);
    });
  }
});

describe('--server beside a serve that holds the DuckDB file', () => {
  let serve: ServeProcess;
  let file: string;
  const token = 'client-test-token';

  beforeAll(async () => {
    file = join(dir, 'served.duckdb');
    serve = await startServe(`duckdb:${file}`, ['--http', '127.0.0.1:0', '--token', token]);
  }, SLOW);
  afterAll(async () => {
    serve.child.kill('SIGTERM');
    await serve.exited;
  });

  it('the lock error names --server as the way out', { timeout: SLOW }, async () => {
    const run = await sqlml(['--db', `duckdb:${file}`, '-e', 'SELECT 1;']);
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(/^error: cannot open DuckDB database .*served\.duckdb: .*lock.*sqlml --server http:\/\/HOST:PORT/s);
  });

  it('sends statements to /v1/query with SQLML_TOKEN and prints the results as a local run does', { timeout: SLOW }, async () => {
    const env = { SQLML_TOKEN: token };
    const run = await sqlml(['--server', serve.addresses.http!, '-e', "CREATE TABLE t AS SELECT 1.5::DOUBLE AS x, 'a' AS y; SELECT x, y FROM t;"], { env });
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    expect(run.stdout).toContain('  x  | y\n-----+---\n 1.5 | a\n(1 row)');
    const csv = await sqlml(['--server', serve.addresses.http!, '--csv', '-e', 'SELECT x, y FROM t;'], { env });
    expect(csv.stdout).toBe('x,y\n1.5,a\n');
    const catalog = await sqlml(['--server', serve.addresses.http!, '-f', '-'], { env, stdin: '\\dt\n\\d t\n\\dm\n' });
    expect(catalog.stderr).toBe('');
    expect(catalog.stdout).toMatch(/ main +\| t +\| BASE TABLE/);
    expect(catalog.stdout).toMatch(/Table t\n[\s\S]* x +\| DOUBLE/);
    expect(catalog.stdout).toMatch(/ name \| version \| type/);
    const failing = await sqlml(['--server', serve.addresses.http!, '-e', 'SELECT 2 AS two; SELECT * FROM no_such_table;'], { env });
    expect(failing.code).toBe(1);
    expect(failing.stdout).toContain(' two\n-----\n   2\n');
    expect(failing.stderr).toMatch(/^error: .*no_such_table/);
  });

  it('prints a result as the local CLI does: typed columns aligned, metrics rounded, --json the same line', { timeout: SLOW }, async () => {
    const env = { SQLML_TOKEN: token };
    const setup =
      "CREATE TABLE typed AS SELECT i AS id, CAST(i % 7 AS DOUBLE) * 1.37 AS x, (i * 7919) % 13 > (i % 7) + 3 AS y FROM range(0, 400) AS r(i) ORDER BY i; " +
      'CREATE MODEL typed_model FROM (SELECT * FROM typed ORDER BY id) PREDICT y RECIPE (exclude(id));';
    // Wide integers and decimals arrive as exact text: only the column type right-aligns them.
    const shown =
      'SELECT 9223372036854775807::BIGINT AS a_wide_bigint_column, 123.45::DECIMAL(10,2) AS a_decimal_column, NULL::INTEGER AS n, 1.5::DOUBLE AS d; ' +
      'EVALUATE MODEL typed_model ON (SELECT * FROM typed ORDER BY id);';
    expect((await sqlml(['--server', serve.addresses.http!, '-e', setup], { env })).code).toBe(0);
    const local = join(dir, 'typed-local.duckdb');
    expect((await sqlml(['--db', `duckdb:${local}`, '-e', setup])).code).toBe(0);
    for (const flags of [[], ['--json']]) {
      const remote = await sqlml(['--server', serve.addresses.http!, ...flags, '-e', shown], { env });
      const here = await sqlml(['--db', `duckdb:${local}`, ...flags, '-e', shown]);
      expect(remote.stderr).toBe('');
      expect(remote.stdout).toBe(here.stdout);
    }
    const table = (await sqlml(['--server', serve.addresses.http!, '-e', shown], { env })).stdout;
    expect(table).toContain(' 9223372036854775807 |           123.45 |');
    // Metrics rounded for reading, as locally (unrounded, an auc has 15 digits or so).
    expect(table).toMatch(/ auc +\|/);
    expect(table).not.toMatch(/\d\.\d{5,}/);
  });

  it('\\d of a table whose name holds a quote, a backslash and a semicolon: no name is written into SQL', { timeout: SLOW }, async () => {
    const env = { SQLML_TOKEN: token };
    const hostile = "it's a \\ table;--";
    const created = await sqlml(['--server', serve.addresses.http!, '-e', `CREATE TABLE "${hostile}" AS SELECT 1 AS "o'k", 'x' AS other;`], { env });
    expect(created.stderr).toBe('');
    const described = await sqlml(['--server', serve.addresses.http!, '-f', '-'], { env, stdin: `\\d "${hostile}"\n\\d typed\n` });
    expect(described.stderr).toBe('');
    expect(described.stdout).toContain(`Table ${hostile}`);
    expect(described.stdout).toMatch(/ o'k +\| INTEGER/);
    expect(described.stdout).toMatch(/ other +\| VARCHAR/);
    expect(described.stdout).toMatch(/Table typed\n[\s\S]* id +\| BIGINT/);
    expect(described.stdout).not.toMatch(/Table typed\n[^T]*o'k/);
  });

  it('says when the token is wrong or the server does not answer', { timeout: SLOW }, async () => {
    const refused = await sqlml(['--server', serve.addresses.http!, '-e', 'SELECT 1;'], { env: { SQLML_TOKEN: 'wrong' } });
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(/refused the token \(401\): set SQLML_TOKEN/);
    const away = await sqlml(['--server', 'http://127.0.0.1:9', '-e', 'SELECT 1;']);
    expect(away.code).toBe(1);
    expect(away.stderr).toMatch(/^error: cannot reach sqlml serve at http:\/\/127\.0\.0\.1:9: /);
    const bad = await sqlml(['--server', 'ftp://x', '-e', 'SELECT 1;']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('must be an http:// or https:// URL');
  });
});

/**
 * Scripts whose statements end where only the database's own lexer sees them end, read line
 * by line (the `\q` makes `-f` read them as the prompt does, sending each statement once its
 * `;` comes). A line that merely ends with `;` would send the DELETE without its WHERE; split
 * by another database's rules, a statement would be cut (MySQL: the `;` in `# ...` and after
 * `\'` end nothing; PostgreSQL and DuckDB: block comments nest, and a `$$` body holds its `;`).
 */
const NESTED_AND_DOLLAR_QUOTED = [
  'DELETE FROM split_probe -- only the old rows;',
  '/* not /* the */ others;',
  "*/ WHERE note = 'old';",
  "INSERT INTO split_probe VALUES (3, $$it's;",
  'two lines$$);',
].join('\n');
const SPLIT_SCRIPTS: Readonly<Record<string, string>> = {
  mysql: [
    'DELETE FROM split_probe # only the old rows;',
    "WHERE note = 'old';",
    "INSERT INTO split_probe VALUES (3, 'it\\'s;",
    "two lines');",
  ].join('\n'),
  postgres: NESTED_AND_DOLLAR_QUOTED,
  duckdb: NESTED_AND_DOLLAR_QUOTED,
};

describe('--server splits what it reads by the lexical rules of the database behind the serve', () => {
  for (const target of catalogTargets.filter((t) => !t.label.includes('cursor'))) {
    const dialect = target.url ? new URL(target.url).protocol.slice(0, -1) : 'duckdb';
    it(`${target.label}: a ; in a comment or a string ends no statement`, { timeout: SLOW }, async () => {
      const serve = await startServe(target.url || `duckdb:${join(dir, 'split.duckdb')}`, ['--http', '127.0.0.1:0']);
      try {
        const server = serve.addresses.http!;
        const setup = 'DROP TABLE IF EXISTS split_probe; CREATE TABLE split_probe (id INTEGER, note VARCHAR(40)); ' + "INSERT INTO split_probe VALUES (1, 'keep'), (2, 'old');";
        expect((await sqlml(['--server', server, '-e', setup])).stderr).toBe('');
        const run = await sqlml(['--server', server, '-f', '-'], { stdin: `${SPLIT_SCRIPTS[dialect]}\n\\q\n` });
        expect(run.stderr).toBe('');
        expect(run.code).toBe(0);
        const rows = await sqlml(['--server', server, '--csv', '-e', 'SELECT id, note FROM split_probe ORDER BY id; DROP TABLE split_probe;']);
        expect(rows.stdout).toBe(`id,note\n1,keep\n3,"it's;\ntwo lines"\n`);
      } finally {
        serve.child.kill('SIGTERM');
        await serve.exited;
      }
    });
  }
});
