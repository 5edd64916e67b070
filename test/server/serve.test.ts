/** `sqlml serve`'s listen addresses: loopback unless a host is named, and one clear error for a bad value. */
import { describe, expect, it } from 'vitest';
import { parseListenAddress } from '../../src/server/serve.js';
import { sqlml } from '../helpers/cli.js';

describe('listen addresses', () => {
  it('binds a bare port to loopback and keeps a named host', () => {
    expect(parseListenAddress('8080', '--http')).toEqual({ host: '127.0.0.1', port: 8080 });
    expect(parseListenAddress(':5433', '--pg')).toEqual({ host: '127.0.0.1', port: 5433 });
    expect(parseListenAddress('0.0.0.0:80', '--http')).toEqual({ host: '0.0.0.0', port: 80 });
    expect(parseListenAddress('[::1]:5433', '--pg')).toEqual({ host: '::1', port: 5433 });
  });

  it('names the option and the value at fault', () => {
    expect(() => parseListenAddress('localhost:http', '--http')).toThrow("--http 'localhost:http' is not HOST:PORT");
    expect(() => parseListenAddress('70000', '--pg')).toThrow("--pg '70000' is not HOST:PORT");
  });

  it('exits 2 for a bad --http, before opening anything', async () => {
    const run = await sqlml(['--db', 'duckdb::memory:', 'serve', '--http', 'nowhere']);
    expect(run.code).toBe(2);
    expect(run.stderr).toContain("--http 'nowhere' is not HOST:PORT");
  });

  it("refuses a non-loopback address without a token, unless the database's roles decide (wire protocol on PostgreSQL or MySQL)", async () => {
    const pgOnDuckdb = await sqlml(['--db', 'duckdb::memory:', 'serve', '--pg', '0.0.0.0:0', '--no-scheduler']);
    expect(pgOnDuckdb.code).toBe(1);
    expect(pgOnDuckdb.stderr).toBe('error: --pg 0.0.0.0 without --token would let anyone who reaches it use the database (DuckDB has no roles to log in as): give --token (or SQLML_TOKEN), or listen on 127.0.0.1\n');
    const http = await sqlml(['--db', 'duckdb::memory:', 'serve', '--http', '0.0.0.0:0', '--no-scheduler']);
    expect(http.code).toBe(1);
    expect(http.stderr).toContain('error: --http 0.0.0.0 without --token would let anyone');
  });
});
