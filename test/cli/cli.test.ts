import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { sqlml } from '../helpers/cli.js';
import { sharedDataFile, sqlString } from '../helpers/shared-data.js';

const bankFile = sharedDataFile('bank_additional_full.csv');
const dir = mkdtempSync(join(tmpdir(), 'sqlml-cli-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('sqlml command line', () => {
  it('-e runs statements and prints aligned tables', async () => {
    const run = await sqlml(['--db', 'duckdb::memory:', '-e', "SELECT 1 AS a, 'x' AS b; SELECT 2 AS c;"]);
    expect(run.code).toBe(0);
    expect(run.stdout).toContain(' a | b');
    expect(run.stdout).toMatch(/\(1 row\)/);
    expect(run.stderr).toBe('');
  });

  it('--json prints one JSON object per statement with numbers as numbers', async () => {
    const run = await sqlml(['--db', 'duckdb::memory:', '--json', '-e', "SELECT 1.5 AS a, 'x' AS b; SELECT 2 AS c;"]);
    expect(run.code).toBe(0);
    const lines = run.stdout.trim().split('\n').map((l) => JSON.parse(l));
    expect(lines).toHaveLength(2);
    expect(lines[0]).toMatchObject({ command: 'SELECT', columns: ['a', 'b'], rows: [{ a: 1.5, b: 'x' }] });
  });

  it('exits 1 at the first failing statement, with error: on stderr, and runs nothing after it', async () => {
    const db = `duckdb:${join(dir, 'fail.duckdb')}`;
    const run = await sqlml(['--db', db, '--json', '-e', 'CREATE TABLE t (x INTEGER); SELECT nope FROM t; CREATE TABLE u (y INTEGER);']);
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(/^error: .*nope/m);
    const check = await sqlml(['--db', db, '--json', '-e', "SELECT count(*) AS n FROM information_schema.tables WHERE table_name = 'u';"]);
    expect(JSON.parse(check.stdout).rows[0].n).toBe(0);
  });

  it("prints a training's data alerts as notices on stderr, the result on stdout", async () => {
    const run = await sqlml([
      '--db',
      'duckdb::memory:',
      '--json',
      '-e',
      'CREATE TABLE t AS SELECT i % 50 AS x, 7 AS k, i % 3 = 0 AS y FROM range(300) r(i); CREATE MODEL m FROM (SELECT x, k, y FROM t) PREDICT y;',
    ]);
    expect(run.code, run.stderr).toBe(0);
    expect(run.stderr).toBe('notice: k: constant: one value only\n');
    expect(JSON.parse(run.stdout.trim().split('\n').pop()!)).toMatchObject({ command: 'CREATE MODEL', notices: ['k: constant: one value only'] });
  });

  it('exits 2 for a bad command line', async () => {
    expect((await sqlml(['--no-such-flag'])).code).toBe(2);
    expect((await sqlml(['-e', 'SELECT 1', '-f', 'x.sql'])).code).toBe(2);
    expect((await sqlml(['-f', join(dir, 'missing.sql')])).code).toBe(2);
  });

  it('-f reads a script file, and - reads standard input', async () => {
    const file = join(dir, 'script.sql');
    writeFileSync(file, '-- a comment\nSELECT 3 AS three;\n');
    const fromFile = await sqlml(['--db', 'duckdb::memory:', '--json', '-f', file]);
    expect(JSON.parse(fromFile.stdout).rows).toEqual([{ three: 3 }]);
    const fromStdin = await sqlml(['--db', 'duckdb::memory:', '--json', '-f', '-'], { stdin: 'SELECT 4 AS four;' });
    expect(JSON.parse(fromStdin.stdout).rows).toEqual([{ four: 4 }]);
  });

  it.skipIf(bankFile === null)('keeps models in the database file between processes', async () => {
    const path = bankFile!;
    const db = `duckdb:${join(dir, 'bank.duckdb')}`;
    const train = await sqlml([
      '--db', db, '--json', '-e',
      `CREATE TABLE bank AS SELECT * FROM read_csv(${sqlString(path)}); CREATE MODEL subscribe FROM (SELECT * FROM bank) PREDICT y;`,
    ]);
    expect(train.code, train.stderr).toBe(0);
    const trained = JSON.parse(train.stdout.trim().split('\n')[1]!);
    expect(trained.rows[0].auc).toBeGreaterThanOrEqual(0.925);
    const later = await sqlml([
      '--db', db, '--json', '-e',
      'EVALUATE MODEL subscribe; PREDICT subscribe FROM (SELECT * FROM bank LIMIT 1000) INTO bank_scores; SELECT count(*) AS n FROM bank_scores;',
    ]);
    expect(later.code, later.stderr).toBe(0);
    const [evaluation, written, count] = later.stdout.trim().split('\n').map((l) => JSON.parse(l));
    expect(evaluation.rows[0].auc).toBe(trained.rows[0].auc);
    expect(written.rows[0].rows_written).toBe(1000);
    expect(count.rows[0].n).toBe(1000);
  });

  it('demo runs end to end on embedded DuckDB', async () => {
    const run = await sqlml(['demo']);
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout).toContain('CREATE OR REPLACE MODEL churn');
    expect(run.stdout).toMatch(/auc/);
    expect(run.stdout).toMatch(/churn_scores/);
  });
});
