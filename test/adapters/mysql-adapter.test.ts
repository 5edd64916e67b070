/**
 * MySQL-only behaviour beyond the shared conformance suite: connection errors, the
 * INSERT fallback of write(), refusals LOAD DATA would only warn about, and cancelling
 * with KILL QUERY leaving nothing running on the server.
 */
import { afterAll, beforeAll, describe, expect, it, onTestFinished } from 'vitest';
import { MySQLAdapter, openMySQLAdapter } from '../../adapters/mysql/mysql-adapter.js';
import type { TableRef } from '../../adapters/adapter.js';
import type { Column, RowBatch } from '../../src/data.js';
import { SqlmlError } from '../../src/errors.js';
import { MYSQL_URL, serverTargets } from '../helpers/servers.js';

const available = (await serverTargets()).some((target) => target.url === MYSQL_URL);
const RUN = Date.now().toString(36);

async function rejection(promise: Promise<unknown>): Promise<SqlmlError> {
  try {
    await promise;
  } catch (error) {
    expect(error).toBeInstanceOf(SqlmlError);
    return error as SqlmlError;
  }
  throw new Error('expected a rejection');
}

function withUrl(change: (url: URL) => void): string {
  const url = new URL(MYSQL_URL);
  change(url);
  return url.toString();
}

const columns: Column[] = [
  { name: 'id', type: 'integer', dbType: 'INT' },
  { name: 'note', type: 'text', dbType: 'TEXT' },
  { name: 'at', type: 'timestamp', dbType: 'DATETIME' },
];
const tricky = [`tab\there`, `line\nbreak`, `back\\slash`, `quote ' and "`, '\\N', '', 'ünïcødé ✓'];

async function* rows(count: number, fail = false): AsyncGenerator<RowBatch> {
  yield {
    rowCount: count,
    columns: [
      { kind: 'number', values: Float64Array.from({ length: count }, (_, i) => i), nulls: new Uint8Array(count) },
      { kind: 'text', values: Array.from({ length: count }, (_, i) => (i === 1 ? null : tricky[i % tricky.length]!)) },
      { kind: 'number', values: Float64Array.from({ length: count }, (_, i) => Date.UTC(2024, 0, 1) + i * 1000.5), nulls: new Uint8Array(count) },
    ],
  };
  if (fail) throw new Error('source broke');
}

describe.skipIf(!available)('mysql adapter', () => {
  const tables: TableRef[] = [];
  const fresh = (stem: string): TableRef => {
    const table = { name: `my_${stem}_${RUN}_${tables.length}` };
    tables.push(table);
    return table;
  };
  let adapter: MySQLAdapter;

  beforeAll(async () => {
    adapter = (await openMySQLAdapter(MYSQL_URL)) as MySQLAdapter;
  });

  afterAll(async () => {
    for (const table of tables) await adapter.query(`DROP TABLE IF EXISTS ${adapter.sql.quoteTable(table)}`);
    await adapter.close();
  });

  describe('connecting', () => {
    it('says which user was refused, without the password', async () => {
      const error = await rejection(openMySQLAdapter(withUrl((url) => (url.password = 'not-the-password-42'))));
      expect(error.code).toBe('connection');
      expect(error.message).toMatch(/refused user "root": wrong user name or password/);
      expect(error.message).not.toContain('not-the-password-42');
    });

    it('names a database that does not exist', async () => {
      const error = await rejection(openMySQLAdapter(withUrl((url) => (url.pathname = '/sqlml_no_such_database'))));
      expect(error.code).toBe('connection');
      expect(error.message).toBe('database "sqlml_no_such_database" does not exist on the MySQL server at 127.0.0.1:3306');
    });

    it('says when nothing answers at the address', async () => {
      const error = await rejection(openMySQLAdapter(withUrl((url) => (url.port = '1'))));
      expect(error.code).toBe('connection');
      expect(error.message).toMatch(/^cannot reach the MySQL server at 127\.0\.0\.1:1 \(ECONNREFUSED\)/);
    });

    it('loads rows with LOAD DATA LOCAL INFILE when the server allows it', () => {
      expect(adapter.loadMethod).toBe('load_data');
    });
  });

  describe.each(['load_data', 'insert'] as const)('write() by %s', (method) => {
    let writer: MySQLAdapter;
    beforeAll(async () => {
      writer = (await openMySQLAdapter(`${MYSQL_URL}?bulk_write=${method}`)) as MySQLAdapter;
    });
    afterAll(async () => {
      await writer.close();
    });

    it('round-trips separators, quotes, backslashes, \\N text, empty strings, NULLs and microseconds', async () => {
      const table = fresh(`rt_${method}`);
      expect(await writer.write(table, columns, rows(20), 'replace')).toBe(20);
      const result = await writer.query(`SELECT id, note, at FROM ${writer.sql.quoteTable(table)} ORDER BY id`);
      expect(result.rows.map((row) => row[1])).toEqual(Array.from({ length: 20 }, (_, i) => (i === 1 ? null : tricky[i % tricky.length])));
      // Row 3 is 3001.5 ms after midnight: the microseconds come back in the result too.
      expect(result.rows[3]![2]).toBe('2024-01-01T00:00:03.001500Z');
      const micros = await writer.query(`SELECT DATE_FORMAT(at, '%f') FROM ${writer.sql.quoteTable(table)} WHERE id = 1`);
      expect(micros.rows).toEqual([['000500']]);
    });

    it('drops its staging table and leaves the target alone when the source fails', async () => {
      // In a schema of its own: other test files write (through staging tables) into the
      // test database at the same time, and their staging tables must not count here.
      const schema = `sqlml_stage_test_${method}_${RUN}`;
      await writer.query(`CREATE DATABASE IF NOT EXISTS ${writer.sql.quoteIdent(schema)}`);
      onTestFinished(async () => {
        await writer.query(`DROP DATABASE IF EXISTS ${writer.sql.quoteIdent(schema)}`);
      });
      const table = { schema, name: `fail_${method}` };
      await writer.write(table, columns, rows(3), 'replace');
      const error = await writer.write(table, columns, rows(50, true), 'replace').then(
        () => undefined,
        (failure: unknown) => failure,
      );
      expect(error).not.toBeInstanceOf(SqlmlError);
      expect((error as Error).message).toBe('source broke');
      expect((await writer.query(`SELECT COUNT(*) FROM ${writer.sql.quoteTable(table)}`)).rows).toEqual([[3]]);
      const staging = await writer.query(`SELECT COUNT(*) FROM information_schema.tables WHERE table_schema = '${schema}' AND table_name LIKE 'sqlml\\_stage\\_%'`);
      expect(staging.rows).toEqual([[0]]);
    });

    it("drops the staging tables a writer that died left behind, and not a live writer's", async () => {
      const schema = `sqlml_leftover_test_${method}_${RUN}`;
      await writer.query(`CREATE DATABASE IF NOT EXISTS ${writer.sql.quoteIdent(schema)}`);
      onTestFinished(async () => {
        await writer.query(`DROP DATABASE IF EXISTS ${writer.sql.quoteIdent(schema)}`);
      });
      const leftovers = async (): Promise<string[]> =>
        (await writer.query(`SELECT table_name FROM information_schema.tables WHERE table_schema = '${schema}' AND table_name LIKE 'sqlml\\_%' ORDER BY table_name`)).rows.map((row) => String(row[0]));
      // What a killed writer leaves: a staging table, or the replaced table it had not dropped yet.
      for (const name of ['sqlml_stage_0123456789ab', 'sqlml_old_0123456789ac', 'sqlml_stage_0123456789ad']) {
        await writer.query(`CREATE TABLE ${writer.sql.quoteTable({ schema, name })} (x INT)`);
      }
      // A writer still at work holds its lock: its staging table must survive.
      const other = await openMySQLAdapter(MYSQL_URL);
      let otherOpen = true;
      onTestFinished(async () => {
        if (otherOpen) await other.close();
      });
      expect((await other.query("SELECT GET_LOCK('sqlml_write_0123456789ad', 0)")).rows).toEqual([[1]]);

      await writer.write({ schema, name: 'scores' }, columns, rows(3), 'replace');
      expect(await leftovers()).toEqual(['sqlml_stage_0123456789ad']);

      await other.close();
      otherOpen = false;
      // mysql2's end() returns before the server has ended the session; the writer is dead once its lock is free.
      for (let waited = 0; (await writer.query("SELECT IS_FREE_LOCK('sqlml_write_0123456789ad')")).rows[0]![0] !== 1 && waited < 5000; waited += 20) {
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
      await writer.write({ schema, name: 'scores' }, columns, rows(4), 'replace');
      expect(await leftovers()).toEqual([]);
      expect((await writer.query(`SELECT COUNT(*) FROM ${writer.sql.quoteTable({ schema, name: 'scores' })}`)).rows).toEqual([[4]]);
    });
  });

  it('refuses a value its column cannot hold instead of storing a truncated one', async () => {
    const table = fresh('range');
    const wide: RowBatch = {
      rowCount: 1,
      columns: [
        { kind: 'number', values: new Float64Array([1e12]), nulls: new Uint8Array(1) },
        { kind: 'text', values: ['x'] },
        { kind: 'number', values: new Float64Array([0]), nulls: new Uint8Array(1) },
      ],
    };
    async function* one(): AsyncGenerator<RowBatch> {
      yield wide;
    }
    const error = await rejection(adapter.write(table, columns, one(), 'replace'));
    expect(error.code).toBe('database');
    expect(error.message).toMatch(/id/);
    expect(await adapter.tableExists(table)).toBe(false);
  });

  it('stops the query on the server when a stream is cancelled', async () => {
    const controller = new AbortController();
    const stream = await adapter.openStream('SELECT seq FROM seq_0_to_999999999', { batchRows: 1000, signal: controller.signal });
    const error = await rejection(
      (async () => {
        for await (const _ of stream.batches()) controller.abort();
      })(),
    );
    expect(error.code).toBe('cancelled');
  }, 10_000);

  it('leaves no query of a cancelled stream running', async () => {
    // KILL QUERY is asynchronous on the server: a loaded machine can show the query for a
    // moment in the Killed state, so wait (boundedly) for it to leave the process list.
    let running: unknown = null;
    for (let attempt = 0; attempt < 50; attempt++) {
      running = (await adapter.query(`SELECT COUNT(*) FROM information_schema.processlist WHERE info LIKE 'SELECT seq FROM seq_0_to_999999999%'`)).rows;
      if (JSON.stringify(running) === '[[0]]') break;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    expect(running).toEqual([[0]]);
  });

  it('reports rows affected for INSERT and rows for SHOW, and keeps session state between statements', async () => {
    await adapter.query('SET @sqlml_probe = 41');
    expect((await adapter.query('SELECT @sqlml_probe + 1 AS answer')).rows).toEqual([[42]]);
    expect((await adapter.query(`SHOW VARIABLES LIKE 'time_zone'`)).rows).toEqual([['time_zone', '+00:00']]);
    expect((await adapter.query('# a hash comment\nSELECT 1 AS one')).command).toBe('SELECT');
  });
});
