/**
 * Parameters bound through the PostgreSQL wire listener on a MariaDB session in
 * sql_mode NO_BACKSLASH_ESCAPES (set for the session by the URL, never globally): a
 * backslash is an ordinary character there, so a bound `a\b` or `it\'s` must arrive as
 * sent, and a statement whose string literal ends in a backslash must still bind.
 */
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Engine } from '../../src/engine/engine.js';
import { startPgServer, type PgServer } from '../../src/server/pg-gateway.js';
import { MYSQL_URL, serverTargets } from '../helpers/servers.js';

const mysql = (await serverTargets()).some((t) => t.label === 'mysql');
const TOKEN = 'no-backslash-escapes-token';

describe.runIf(mysql)('wire protocol on MariaDB with NO_BACKSLASH_ESCAPES', () => {
  let engine: Engine;
  let server: PgServer;
  let client: pg.Client;

  beforeAll(async () => {
    engine = await Engine.open(`${MYSQL_URL}${MYSQL_URL.includes('?') ? '&' : '?'}sql_mode=NO_BACKSLASH_ESCAPES`);
    server = await startPgServer(engine, { port: 0, token: TOKEN });
    client = new pg.Client({ host: '127.0.0.1', port: server.port, user: 'analyst', database: 'sqlml', password: TOKEN });
    await client.connect();
  }, 30_000);

  afterAll(async () => {
    await client?.end();
    await server?.close();
    await engine?.close();
  });

  it('runs the session in the mode the URL names', async () => {
    const { rows } = await client.query('SELECT @@SESSION.sql_mode AS mode');
    expect(String(rows[0].mode)).toContain('NO_BACKSLASH_ESCAPES');
  });

  it('gives back bound text with backslashes and quotes exactly as sent', async () => {
    for (const value of ['a\\b', "it\\'s", '\\', "\\'", 'ends in \\', 'tab\\t and \\n']) {
      const { rows } = await client.query({ text: 'SELECT $1 AS v', values: [value], types: { getTypeParser: () => (text: string) => text } });
      expect(rows[0].v).toBe(value);
    }
  });

  it('binds after a string literal that ends in a backslash', async () => {
    const { rows } = await client.query({ text: "SELECT 'x\\' AS a, $1 AS b", values: ['y\\'] });
    expect(rows[0]).toEqual({ a: 'x\\', b: 'y\\' });
  });
});
